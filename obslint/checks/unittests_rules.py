"""UT: promtool tests that can never pass because they contradict the rules they load: an
alert or metric the rule files do not define, an annotation the alert does not have, a label
the alert cannot carry."""
from __future__ import annotations

from obslint import classify as kinds
from obslint import promql
from obslint.findings import Severity
from obslint.registry import Rule

# Series promtool's rule evaluation produces whatever the input says.
_BUILTIN_SERIES = {"ALERTS", "ALERTS_FOR_STATE"}
# Functions and operators that give a result without any input series.
_WITHOUT_INPUT = ("absent", "absent_over_time", "vector", "time", "scalar", "pi", "count_values")


def _context(doc, ctx):
    """(TestFile, RuleSet) of a promtool test document, or None."""
    if doc.kind != kinds.PROMTOOL_TEST:
        return None
    key = ("ut.model", id(doc))
    if key not in ctx.cache:
        from obslint.testfiles.model import from_document

        ctx.cache[key] = from_document(doc)
    tf = ctx.cache[key]
    if tf is None:
        return None
    from obslint.testfiles.ruleset import ruleset

    return tf, ruleset(tf, ctx)


class TestUnknownAlert(Rule):
    """An `alert_rule_test` names an alert that none of the test's `rule_files` defines.
    Expecting it to fire can never pass; expecting silence passes whatever the rules do.

    ## Why
    A renamed alert leaves its tests behind: they fail (or, worse, pass while testing nothing).

    ## Bad (`alerts.test.yml`, `alerts.yml`)
    ```yaml
    rule_files: [alerts.yml]
    tests:
      - interval: 1m
        input_series:
          - series: 'up{job="api"}'
            values: '0x10'
        alert_rule_test:
          - eval_time: 10m
            alertname: APIDown
            exp_alerts: [{exp_labels: {job: api}}]
    ```
    ```yaml
    groups: [{name: api, rules: [{alert: ApiDown, expr: up == 0, for: 5m}]}]
    ```

    ## Good (`alerts.test.yml`, `alerts.yml`)
    ```yaml
    rule_files: [alerts.yml]
    tests:
      - interval: 1m
        input_series:
          - series: 'up{job="api"}'
            values: '0x10'
        alert_rule_test:
          - eval_time: 10m
            alertname: ApiDown
            exp_alerts: [{exp_labels: {job: api}}]
    ```
    ```yaml
    groups: [{name: api, rules: [{alert: ApiDown, expr: up == 0, for: 5m}]}]
    ```
    """

    code, name, severity = "UT006", "test-unknown-alert", Severity.ERROR
    summary = "alert_rule_test names an alert the rule files do not define"

    def check_document(self, doc, ctx):
        found = _context(doc, ctx)
        if found is None:
            return
        tf, rs = found
        if not rs.complete:
            return  # UT002 reports the rule files; the alerts they would define are unknown
        from obslint.suggest import closest

        for _g, t in tf.alert_tests():
            name = t.alertname
            if not isinstance(name, str) or name in rs.alerts:
                continue
            hint = closest(name, rs.alerts, cutoff=0.7) if rs.alerts else None
            fix = f"did you mean `{hint}`?" if hint else "name an alert of the rule files, or add the rule file"
            if t.expects_firing:
                yield self.finding(doc, t.path + ("alertname",), f"no rule file of this test defines the alert `{name}`: "
                                   "a test expecting it to fire can never pass", fix=fix)
            else:
                yield self.finding(doc, t.path + ("alertname",), f"no rule file of this test defines the alert `{name}`: "
                                   "the test expects silence and passes without testing anything", fix=fix,
                                   severity=Severity.WARNING)


class TestUnknownMetric(Rule):
    """A `promql_expr_test` expects samples of an expression that reads a metric neither the
    input series nor the recording rules of the test's `rule_files` produce.

    ## Why
    The expression can only return nothing, so a test expecting samples can never pass:
    usually a typo, or a recording rule that was renamed.

    ## Bad (`rules.test.yml`, `rules.yml`)
    ```yaml
    rule_files: [rules.yml]
    tests:
      - interval: 1m
        input_series:
          - series: 'http_requests_total{job="api"}'
            values: '0+60x10'
        promql_expr_test:
          - expr: job:http_request:rate5m
            eval_time: 10m
            exp_samples: [{labels: 'job:http_requests:rate5m{job="api"}', value: 1}]
    ```
    ```yaml
    groups: [{name: api, rules: [{record: 'job:http_requests:rate5m', expr: 'sum by (job) (rate(http_requests_total[5m]))'}]}]
    ```

    ## Good (`rules.test.yml`, `rules.yml`)
    ```yaml
    rule_files: [rules.yml]
    tests:
      - interval: 1m
        input_series:
          - series: 'http_requests_total{job="api"}'
            values: '0+60x10'
        promql_expr_test:
          - expr: job:http_requests:rate5m
            eval_time: 10m
            exp_samples: [{labels: 'job:http_requests:rate5m{job="api"}', value: 1}]
    ```
    ```yaml
    groups: [{name: api, rules: [{record: 'job:http_requests:rate5m', expr: 'sum by (job) (rate(http_requests_total[5m]))'}]}]
    ```
    """

    code, name, severity = "UT007", "test-unknown-metric", Severity.ERROR
    summary = "promql_expr_test reads a metric no input series or recording rule produces"

    def check_document(self, doc, ctx):
        found = _context(doc, ctx)
        if found is None:
            return
        tf, rs = found
        if not rs.complete:
            return
        from obslint.testfiles.notation import NotationError, parse_series

        for g, t in tf.expr_tests():
            if not t.exp_samples or not t.expr:
                continue
            parsed = promql.parse(t.expr)
            if parsed.error or parsed.ast is None or not _needs_every_selector(parsed.ast):
                continue
            names = set()
            for s in g.input_series:
                try:
                    name, _labels = parse_series(s.series if isinstance(s.series, str) else "")
                except NotationError:
                    names = None  # an unreadable series might be the one: say nothing
                    break
                names.add(name)
            if names is None:
                continue
            known = names | set(rs.records) | _BUILTIN_SERIES
            for sel in parsed.selectors:
                if sel.name and sel.name not in known:
                    yield self.finding(doc, t.path + ("expr",), f"`{sel.name}` is neither an input series of this test "
                                       "nor recorded by its rule files: the expression returns nothing, so expecting "
                                       "samples can never pass",
                                       fix="add the input series, or correct the metric name")
                    break


def _needs_every_selector(ast) -> bool:
    """True when the expression returns nothing as soon as one of its selectors selects
    nothing: no `or`/`unless`, no absent()/vector()/time() and no bare number."""
    for node in promql.nodes(ast):
        cls = type(node).__name__
        if cls == "BinaryExpr" and str(node.op) in ("or", "unless"):
            return False
        if cls == "Call" and node.func.name in _WITHOUT_INPUT:
            return False
        if cls == "AggregateExpr" and str(node.op) == "count_values":
            return False
    return True


class TestUnknownAnnotation(Rule):
    """An expected alert lists an annotation (`exp_annotations`) that the alert does not have.

    ## Why
    promtool compares annotations exactly: the test can never pass.

    ## Bad (`alerts.test.yml`, `alerts.yml`)
    ```yaml
    rule_files: [alerts.yml]
    tests:
      - interval: 1m
        input_series:
          - series: 'up{job="api"}'
            values: '0x10'
        alert_rule_test:
          - eval_time: 10m
            alertname: ApiDown
            exp_alerts:
              - exp_labels: {job: api}
                exp_annotations: {summary: api is down, runbook: https://runbooks.example.com/ApiDown}
    ```
    ```yaml
    groups: [{name: api, rules: [{alert: ApiDown, expr: up == 0, for: 5m, annotations: {summary: api is down}}]}]
    ```

    ## Good (`alerts.test.yml`, `alerts.yml`)
    ```yaml
    rule_files: [alerts.yml]
    tests:
      - interval: 1m
        input_series:
          - series: 'up{job="api"}'
            values: '0x10'
        alert_rule_test:
          - eval_time: 10m
            alertname: ApiDown
            exp_alerts:
              - exp_labels: {job: api}
                exp_annotations: {summary: api is down}
    ```
    ```yaml
    groups: [{name: api, rules: [{alert: ApiDown, expr: up == 0, for: 5m, annotations: {summary: api is down}}]}]
    ```
    """

    code, name, severity = "UT009", "test-unknown-annotation", Severity.ERROR
    summary = "exp_annotations names an annotation the alert does not have"

    def check_document(self, doc, ctx):
        found = _context(doc, ctx)
        if found is None:
            return
        tf, rs = found
        for _g, t in tf.alert_tests():
            rules = rs.alerts.get(t.alertname) if isinstance(t.alertname, str) else None
            if not rules:
                continue
            have = set()
            for r in rules:
                ann = r.data.get("annotations")
                if isinstance(ann, dict):
                    have |= {str(k) for k in ann}
            for a in t.exp_alerts:
                for key in a.annotations:
                    if key not in have:
                        shown = ", ".join(sorted(have)) or "none"
                        yield self.finding(doc, a.path + ("exp_annotations", key),
                                           f"the alert `{t.alertname}` has no annotation `{key}` (it has: {shown}): "
                                           "promtool compares annotations exactly, the test can never pass",
                                           fix="remove the annotation from the test, or add it to the alert",
                                           at_key=True)


class TestImpossibleLabel(Rule):
    """An expected alert carries a label the alert cannot have: the alert's expression drops
    it (`sum by (job) (...)` keeps only `job`) and the rule's `labels:` do not add it, or the
    rule sets the label to a fixed value different from the expected one.

    ## Why
    promtool compares labels exactly: the test can never pass. Usually the test was written
    for an earlier version of the expression.

    ## Bad (`alerts.test.yml`, `alerts.yml`)
    ```yaml
    rule_files: [alerts.yml]
    tests:
      - interval: 1m
        input_series:
          - series: 'http_requests_total{job="api", instance="a:80", status="500"}'
            values: '0+60x20'
        alert_rule_test:
          - eval_time: 15m
            alertname: ApiErrors
            exp_alerts: [{exp_labels: {job: api, instance: 'a:80', severity: page}}]
    ```
    ```yaml
    groups: [{name: api, rules: [{alert: ApiErrors, expr: 'sum by (job) (rate(http_requests_total{status="500"}[5m])) > 0.5', for: 5m, labels: {severity: page}}]}]
    ```

    ## Good (`alerts.test.yml`, `alerts.yml`)
    ```yaml
    rule_files: [alerts.yml]
    tests:
      - interval: 1m
        input_series:
          - series: 'http_requests_total{job="api", instance="a:80", status="500"}'
            values: '0+60x20'
        alert_rule_test:
          - eval_time: 15m
            alertname: ApiErrors
            exp_alerts: [{exp_labels: {job: api, severity: page}}]
    ```
    ```yaml
    groups: [{name: api, rules: [{alert: ApiErrors, expr: 'sum by (job) (rate(http_requests_total{status="500"}[5m])) > 0.5', for: 5m, labels: {severity: page}}]}]
    ```
    """

    code, name, severity = "UT010", "test-impossible-label", Severity.ERROR
    summary = "exp_labels has a label the alert cannot carry"

    def check_document(self, doc, ctx):
        found = _context(doc, ctx)
        if found is None:
            return
        tf, rs = found
        from obslint.testfiles.model import is_vmalert_tool

        if is_vmalert_tool(tf.data):
            return  # vmalert adds its command line's external labels to every alert
        for g, t in tf.alert_tests():
            rules = rs.alerts.get(t.alertname) if isinstance(t.alertname, str) else None
            if not rules:
                continue
            external = g.data.get("external_labels")
            external = set(external) if isinstance(external, dict) else set()
            shapes = [_label_shape(r) for r in rules]
            if any(s is None for s in shapes):
                continue  # an expression we cannot read: say nothing
            for a in t.exp_alerts:
                for key, value in a.labels.items():
                    if key == "alertname" or key in external:
                        continue
                    why = [_why_not(shape, key, value) for shape in shapes]
                    if all(why):
                        yield self.finding(doc, a.path + ("exp_labels", key), f"the alert `{t.alertname}` cannot carry "
                                           f"`{key}: {value}`: {why[0]}; the test can never pass",
                                           fix="remove the label from the test, or keep it in the alert's expression",
                                           at_key=True)


def _label_shape(rule):
    """(labels the expression may keep, the rule's labels: {name: value or None if templated})."""
    q = rule.query
    if q is None:
        return None
    parsed = promql.parse(q.expr)
    if parsed.error or parsed.ast is None:
        return None
    labels = rule.data.get("labels")
    fixed = {}
    if isinstance(labels, dict):
        for k, v in labels.items():
            text = "" if v is None else str(v)
            fixed[str(k)] = None if "{{" in text else text
    return promql.result_labels(parsed.ast), fixed


def _why_not(shape, key: str, value: str) -> str:
    """Why the alert cannot carry key=value, or "" when it may."""
    result, fixed = shape
    if key in fixed:
        v = fixed[key]
        if v is None or v == value:
            return ""
        if v == "":
            return f"the rule removes `{key}` (`labels: {{{key}: ''}}`)"
        return f"the rule sets `{key}: {v}`"
    if result.may_have(key):
        return ""
    if result.only is not None:
        kept = ", ".join(sorted(result.only)) or "no labels"
        return f"its expression keeps only {kept}"
    return f"its expression drops `{key}`"
