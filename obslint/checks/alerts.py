"""Alert quality: a condition that can be false, thresholds and `for` as the policy says,
known severities, the annotations people need, and templates that can render."""
from __future__ import annotations

import re

from obslint import gotemplate, labelflow
from obslint import policy as pol
from obslint import promql
from obslint.durations import format_duration
from obslint.findings import Severity
from obslint.lang.templates import split_query_blocks
from obslint.registry import Rule
from obslint.versions import value_is_number

GRAFANA_FUNCS = gotemplate.PROMETHEUS_FUNCS | {"filterLabels", "filterLabelsRe", "graphLink", "removeLabels",
                                               "removeLabelsRe", "tableLink", "mergeLabelValues"}
# Labels Grafana adds to every alert instance of a Grafana-managed rule.
GRAFANA_LABELS = {"alertname", "grafana_folder", "__alert_rule_uid__", "__alert_rule_namespace_uid__"}
_LABEL_REF = re.compile(r"(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*)|index\s+(?:\$labels|\.Labels)\s+\"([^\"]+)\"")
_VALUE_IN_LABEL = re.compile(r"\$value\b|\$values\b|\.Value\b|\.Values\b")
_HUMANIZE_VALUE = re.compile(r"\b(humanize\w*|printf\s+\"[^\"]*%[-+# 0-9.]*[efgd][^\"]*\")\s+\$value\b(?!s)|"
                             r"\$value\b(?!s)\s*\|\s*(humanize\w*)")
_VALUES_REF = re.compile(r"\$values\.([A-Za-z0-9_]+)|index\s+\$values\s+\"([^\"]+)\"")


def prom_alerts(ctx) -> dict[str, list]:
    if "al.prom" not in ctx.cache:
        idx: dict = {}
        for r in ctx.project.rules:
            if r.is_alert and isinstance(r.data.get("alert"), str):
                idx.setdefault(r.data["alert"], []).append(r)
        ctx.cache["al.prom"] = idx
    return ctx.cache["al.prom"]


def grafana_alerts(ctx) -> dict[str, list]:
    if "al.grafana" not in ctx.cache:
        idx: dict = {}
        for r in ctx.project.grafana_rules:
            if r.title and "record" not in r.data:
                idx.setdefault(r.title, []).append(r)
        ctx.cache["al.grafana"] = idx
    return ctx.cache["al.grafana"]


def _always_fires(ast) -> bool:
    """True when nothing in the expression can drop a series: no filtering comparison (anywhere,
    also inside aggregations), no `and`/`unless`, no `absent*`. A bare selector (an "info" or
    state series whose existence is the alert) and constant watchdogs (`vector(1)`) are
    deliberate and do not count."""
    import promql_parser as pp

    node = ast
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    if isinstance(node, pp.VectorSelector):
        return False
    has_selector = False
    for n in promql.nodes(ast):
        if isinstance(n, (pp.VectorSelector, pp.MatrixSelector)):
            has_selector = True
        elif isinstance(n, pp.Call):
            if n.func.name in ("absent", "absent_over_time", "present_over_time"):
                return False
        elif isinstance(n, pp.BinaryExpr):
            op = str(n.op)
            if op in ("and", "unless"):
                return False
            if op in promql.COMPARISONS and not (n.modifier is not None and n.modifier.return_bool):
                return False
    return has_selector


class AlertWithoutComparison(Rule):
    """An alerting rule's expression has no comparison, so every series it returns is an
    alert: it fires as long as the metric exists, whatever its value. Compare with a threshold
    (`> 0.02`), filter with `and`/`unless`, or use `absent()`. A bare selector (a state series
    whose existence is the alert, `kube_node_spec_unschedulable{...}`) and constant watchdog
    alerts (`vector(1)`) are not reported.
    For a Grafana-managed rule this applies when its condition is the query itself.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRateHigh
            expr: sum by (job) (rate(http_requests_total{status=~"5.."}[5m]))
            for: 5m
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRateHigh
            expr: sum by (job) (rate(http_requests_total{status=~"5.."}[5m])) > 1
            for: 5m
    ```
    """

    code, name, severity = "AL001", "alert-without-comparison", Severity.WARNING
    summary = "alert expression has no comparison, so it always fires"

    def check_alert(self, rule, ctx):
        if not rule.is_alert or rule.query is None:
            return
        parsed = promql.parse(rule.query.expr)
        if parsed.ast is None or not _always_fires(parsed.ast):
            return
        yield self.finding(rule.doc, rule.query.path,
                           f"alert `{rule.name}` has no comparison in its expression: it fires for every series "
                           f"returned, whatever the value", fix="add a threshold, e.g. `... > 0.05`, or use `absent(...)`",
                           scope=rule.path)

    def check_grafana_rule(self, rule, ctx):
        cond = rule.data.get("condition")
        nodes = pol.grafana_nodes(rule)
        if not isinstance(cond, str) or cond not in nodes:
            return
        i, node = nodes[cond]
        model = node.get("model") if isinstance(node.get("model"), dict) else {}
        if node.get("datasourceUid") in ("__expr__", "-100") or not isinstance(model.get("expr"), str):
            return
        parsed = promql.parse(model["expr"])
        if parsed.ast is None or not _always_fires(parsed.ast):
            return
        yield self.finding(rule.doc, rule.path + ("condition",),
                           f"Grafana rule `{rule.title}` uses query {cond} as its condition, and the query has no "
                           f"comparison: every non-zero value fires",
                           fix="add a threshold expression (type: threshold) and make it the condition",
                           scope=rule.path)


def _policy_entry(ctx, name: str):
    return pol.required_alerts(ctx).get(name)


def _mirrored(ctx, rule) -> bool:
    """A Grafana-managed rule that mirrors a Prometheus rule of the same name: XF001 compares
    it with that rule, the policy checks compare the Prometheus rule."""
    return bool(prom_alerts(ctx).get(rule.title))


class AlertThreshold(Rule):
    """An alert's comparison or threshold differs from the policy's `alerts.required[]` entry
    (`comparison`, `threshold`). Thresholds are compared in base units: `2%` is 0.02, `1000ms`
    is 1 (seconds). A Grafana-managed rule that mirrors a Prometheus rule is compared with that
    rule instead (XF001).

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      required:
        - {name: ApiErrorRateHigh, comparison: ">", threshold: 2%}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRateHigh
            expr: job:http_errors:ratio_rate5m > 0.05
            for: 5m
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      required:
        - {name: ApiErrorRateHigh, comparison: ">", threshold: 2%}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRateHigh
            expr: job:http_errors:ratio_rate5m > 0.02
            for: 5m
    ```
    """

    code, name, severity = "AL002", "alert-threshold", Severity.ERROR
    summary = "alert threshold or comparison differs from the policy"
    needs_policy = True

    def _check(self, ctx, name, doc, path, scope, thresholds):
        entry = _policy_entry(ctx, name)
        if entry is None:
            return
        ppath, e = entry
        if "threshold" not in e and "comparison" not in e:
            return
        want_op = e.get("comparison")
        want = pol.threshold_of(ctx, ppath + ("threshold",), e["threshold"]) if "threshold" in e else None
        if any((want_op is None or t.op == want_op) and (want is None or pol.same_number(t.value, want))
               for t in thresholds):
            return
        expected = f"{want_op or ''} {e['threshold'] if 'threshold' in e else ''}".strip()
        if want is not None and isinstance(e.get("threshold"), str) and pol.show_number(want) != str(e["threshold"]).strip():
            expected += f" (= {pol.show_number(want)})"
        if not thresholds:
            yield self.finding(doc, path, f"alert `{name}` has no comparison with a number; the policy expects "
                               f"`{expected}`", fix=f"compare with the policy's threshold: `... {want_op or '>'} "
                               f"{pol.show_number(want) if want is not None else '...'}`", scope=scope)
            return
        t = next((t for t in thresholds if want_op is None or t.op == want_op), thresholds[0])
        yield self.finding(doc, t.path, f"alert `{name}` fires at `{t}`, the policy says `{expected}`",
                           fix=f"use `{want_op or t.op} {pol.show_number(want) if want is not None else t.value}` "
                               f"(or change the policy if the threshold moved on purpose)", scope=scope)

    def check_alert(self, rule, ctx):
        if rule.is_alert and rule.query is not None:
            yield from self._check(ctx, rule.name, rule.doc, rule.query.path, rule.path, pol.rule_thresholds(rule))

    def check_grafana_rule(self, rule, ctx):
        if rule.title and not _mirrored(ctx, rule):
            yield from self._check(ctx, rule.title, rule.doc, rule.path + ("data",), rule.path,
                                   pol.grafana_thresholds(rule))


class AlertFor(Rule):
    """An alert has no `for`, or a shorter one than the policy asks (per alert `for`, or
    `alerts.min-for` for all). Without `for`, one bad scrape pages someone. A Grafana-managed
    rule that mirrors a Prometheus rule is compared with that rule instead (XF001).

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      min-for: 2m
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      min-for: 2m
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
    ```
    """

    code, name, severity = "AL003", "alert-for", Severity.ERROR
    summary = "alert `for` is missing or shorter than the policy says"
    needs_policy = True

    def _check(self, ctx, name, doc, path, data):
        entry = _policy_entry(ctx, name)
        want, why = None, ""
        if entry is not None and isinstance(entry[1].get("for"), str):
            want, why = pol.parse_duration(entry[1]["for"]), f"the policy's `for: {entry[1]['for']}` for this alert"
        mf = pol.alerts_policy(ctx).get("min-for")
        if want is None and isinstance(mf, str):
            want, why = pol.parse_duration(mf), f"the policy's `alerts.min-for: {mf}`"
        if not want:
            return
        have = pol.for_seconds(data)
        if have is None or have >= want:
            return
        if "for" not in data:
            yield self.finding(doc, path, f"alert `{name}` has no `for`, so it fires on the first evaluation; "
                               f"expected at least {format_duration(want)} ({why})",
                               fix=f"add `for: {format_duration(want)}`", scope=path)
        else:
            yield self.finding(doc, path + ("for",), f"alert `{name}` has `for: {data['for']}`, shorter than "
                               f"{format_duration(want)} ({why})", fix=f"use `for: {format_duration(want)}`", scope=path)

    def check_alert(self, rule, ctx):
        if rule.is_alert:
            yield from self._check(ctx, rule.name, rule.doc, rule.path, rule.data)

    def check_grafana_rule(self, rule, ctx):
        if rule.title and not _mirrored(ctx, rule):
            yield from self._check(ctx, rule.title, rule.doc, rule.path, rule.data)


class AlertSeverity(Rule):
    """The `severity` label must be one of the policy's `alerts.severities` (what the
    Alertmanager routes on), and the one the policy's entry for the alert names. A missing
    `severity` label is reported when the policy lists severities.

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      severities: [critical, warning, info]
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
            labels:
              severity: page
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      severities: [critical, warning, info]
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
            labels:
              severity: critical
    ```
    """

    code, name, severity = "AL004", "alert-severity", Severity.ERROR
    summary = "alert severity label is missing, not an allowed value, or not the policy's"
    needs_policy = True

    def _check(self, ctx, name, doc, path, data):
        allowed = pol.alerts_policy(ctx).get("severities")
        entry = _policy_entry(ctx, name)
        want = entry[1].get("severity") if entry is not None else None
        if not allowed and not want:
            return
        labels = data.get("labels") if isinstance(data.get("labels"), dict) else {}
        sev = labels.get("severity")
        if sev is None:
            yield self.finding(doc, path, f"alert `{name}` has no `severity` label"
                               + (f" (allowed: {', '.join(map(str, allowed))})" if allowed else ""),
                               fix=f"add `labels: {{severity: {want or (allowed or ['warning'])[0]}}}`", scope=path)
            return
        if isinstance(sev, str) and "{{" in sev:
            return
        lpath = path + ("labels", "severity")
        if want and str(sev) != str(want):
            yield self.finding(doc, lpath, f"alert `{name}` has severity `{sev}`, the policy says `{want}`",
                               fix=f"use `severity: {want}`", scope=path)
        elif allowed and str(sev) not in [str(a) for a in allowed]:
            yield self.finding(doc, lpath, f"severity `{sev}` of alert `{name}` is not one of "
                               f"{', '.join(map(str, allowed))}", fix="use one of the severities the Alertmanager routes",
                               scope=path)

    def check_alert(self, rule, ctx):
        if rule.is_alert:
            yield from self._check(ctx, rule.name, rule.doc, rule.path, rule.data)

    def check_grafana_rule(self, rule, ctx):
        if rule.title and "record" not in rule.data:
            yield from self._check(ctx, rule.title, rule.doc, rule.path, rule.data)


class AlertAnnotations(Rule):
    """An alert lacks annotations the on-call person needs. By default `summary` and
    `description` (the older `message` counts as a description); the policy can ask for more
    with `alerts.annotations` (e.g. `runbook_url`) or per alert. Empty values count as missing.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
            annotations:
              summary: API target {{ $labels.instance }} is down
              description: Prometheus has not scraped {{ $labels.instance }} for 5 minutes.
    ```

    ## Options
    - `required` (default [summary, description]): annotations every alert must have when the
      policy does not say.
    """

    code, name, severity = "AL005", "alert-annotations", Severity.WARNING
    summary = "alert lacks required annotations (summary, description, runbook_url, ...)"
    options = {"required": ["summary", "description"]}

    def _check(self, ctx, name, doc, path, data):
        want = list(pol.alerts_policy(ctx).get("annotations") or self.opts.get("required") or [])
        entry = _policy_entry(ctx, name)
        if entry is not None:
            want += [a for a in entry[1].get("annotations") or [] if a not in want]
        if not want:
            return
        ann = data.get("annotations") if isinstance(data.get("annotations"), dict) else {}
        have = {k for k, v in ann.items() if v not in (None, "") and str(v).strip()}
        if "message" in have:
            have.add("description")
        missing = [a for a in want if a not in have]
        if missing:
            node = path + ("annotations",) if "annotations" in data else path
            yield self.finding(doc, node, f"alert `{name}` has no {', '.join(f'`{m}`' for m in missing)} annotation"
                               f"{'s' if len(missing) > 1 else ''}",
                               fix=f"add {', '.join(missing)} under `annotations:`", at_key="annotations" in data,
                               scope=path)

    def check_alert(self, rule, ctx):
        if rule.is_alert:
            yield from self._check(ctx, rule.name, rule.doc, rule.path, rule.data)

    def check_grafana_rule(self, rule, ctx):
        if rule.title and "record" not in rule.data:
            yield from self._check(ctx, rule.title, rule.doc, rule.path, rule.data)


def _label_refs(text: str) -> list[str]:
    outside, inside = split_query_blocks(text)  # `.Labels` inside `range query` are the query's
    refs = [a or b for a, b in _LABEL_REF.findall(outside)]
    if inside:
        refs += [a or b for a, b in _LABEL_REF.findall(inside.replace(".Labels", ".QueryLabels"))]
    return refs


def _kept(labels) -> str:
    if labels.only is not None:
        shown = sorted(x for x in labels.only if x != "__name__")
        return f"keeps only {', '.join(f'`{x}`' for x in shown)}" if shown else "keeps no labels"
    return f"drops {', '.join(f'`{x}`' for x in sorted(labels.minus) if x != '__name__')}"


class TemplateLabelLost(Rule):
    """An alert template uses `$labels.X`, but the expression's result cannot carry `X`: an
    aggregation (`sum by (service)` keeps only `service`), `without (X)`, or a function such as
    `absent()` dropped it, so the text renders empty. In Prometheus the rule's own `labels:` are
    not visible to templates either; Grafana adds them (and `alertname`, `grafana_folder`).

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRateHigh
            expr: sum by (service) (rate(http_requests_total{status=~"5.."}[5m])) > 1
            for: 5m
            annotations:
              summary: "{{ $labels.instance }} of {{ $labels.service }} fails"
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRateHigh
            expr: sum by (service, instance) (rate(http_requests_total{status=~"5.."}[5m])) > 1
            for: 5m
            annotations:
              summary: "{{ $labels.instance }} of {{ $labels.service }} fails"
    ```
    """

    code, name, severity = "AL006", "template-label-lost", Severity.WARNING
    summary = "template uses `$labels.X` but the query's result cannot carry X"

    def _check(self, doc, path, name, data, labels_of, extra: set, grafana: bool):
        for key in ("annotations", "labels"):
            mapping = data.get(key)
            if not isinstance(mapping, dict):
                continue
            for k, v in mapping.items():
                if not isinstance(v, str) or "abels" not in v:
                    continue
                for label in dict.fromkeys(_label_refs(v)):
                    if label in extra or labels_of.may_have(label):
                        continue
                    own = isinstance(data.get("labels"), dict) and label in data["labels"]
                    why = (" (it is set by the rule's `labels:`, which Prometheus templates do not see)"
                           if own and not grafana else "")
                    yield self.finding(doc, path + (key, k),
                                       f"{key[:-1]} `{k}` of alert `{name}` uses `$labels.{label}`, but the query's "
                                       f"result {_kept(labels_of)}{why}",
                                       fix=f"keep `{label}` in the aggregation (`by (..., {label})`) or drop it from "
                                           f"the template", scope=path)

    def check_alert(self, rule, ctx):
        if not rule.is_alert or rule.query is None or not _reads_labels(rule.data):
            return
        labels = labelflow.flow(rule.query.expr, ctx)  # follows recording rules across files
        if labels is None or (labels.only is None and not labels.minus):
            return
        yield from self._check(rule.doc, rule.path, rule.name, rule.data, labels, set(), grafana=False)

    def check_grafana_rule(self, rule, ctx):
        if not rule.queries or not _reads_labels(rule.data):
            return
        result = None
        for q in rule.queries:
            lab = labelflow.flow(q.expr, ctx)
            if lab is None:
                return
            result = lab if result is None else result.union(lab)
        if result is None or (result.only is None and not result.minus):
            return
        own = set(rule.data["labels"]) if isinstance(rule.data.get("labels"), dict) else set()
        yield from self._check(rule.doc, rule.path, rule.title, rule.data, result, own | GRAFANA_LABELS, grafana=True)


def _reads_labels(data: dict) -> bool:
    """Whether any label or annotation template reads a label of the alert's series at all."""
    for key in ("annotations", "labels"):
        mapping = data.get(key)
        if isinstance(mapping, dict):
            for value in mapping.values():
                if isinstance(value, str) and ("abels" in value or "{{" in value and "." in value):
                    return True
    return False


class ValueInLabels(Rule):
    """An alert label uses `$value` (or `$values`). Labels identify an alert: each new value
    makes a new alert, the old one resolves, and `for` starts again, so the alert flaps or never
    fires. Put the value in an annotation.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiLatencyHigh
            expr: job:latency_seconds:p95 > 1
            for: 5m
            labels:
              latency: "{{ $value }}"
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiLatencyHigh
            expr: job:latency_seconds:p95 > 1
            for: 5m
            annotations:
              description: "P95 latency is {{ $value | humanizeDuration }}"
    ```
    """

    code, name, severity = "AL007", "value-in-labels", Severity.ERROR
    summary = "alert label uses `$value`, so every new value is a new alert"

    def _check(self, doc, path, name, data):
        labels = data.get("labels")
        if not isinstance(labels, dict):
            return
        for k, v in labels.items():
            if isinstance(v, str) and "{{" in v and _VALUE_IN_LABEL.search(v):
                yield self.finding(doc, path + ("labels", k), f"label `{k}` of alert `{name}` uses the alert's value; "
                                   f"each new value creates a new alert and restarts `for`",
                                   fix="move the value into an annotation", scope=path)

    def check_alert(self, rule, ctx):
        if rule.is_alert:
            yield from self._check(rule.doc, rule.path, rule.name, rule.data)

    def check_grafana_rule(self, rule, ctx):
        yield from self._check(rule.doc, rule.path, rule.title, rule.data)


class GrafanaTemplate(Rule):
    """A Grafana-managed rule's label or annotation template cannot render: it does not parse,
    calls a function Grafana does not have, pipes `$value` into a number formatter where
    `$value` is a text such as `[ var='B' labels={...} value=3 ]` (before Grafana 12, or
    from 12 when the rule queries more than one datasource; use `$values.B.Value`; policy
    `grafana: {version: ...}` says which Grafana), or reads `$values.X` for an `X` that is
    not a refId of the rule. Grafana renders the error text into the notification instead.

    ## Bad (`alerting.yaml`)
    ```yaml
    apiVersion: 1
    groups:
      - orgId: 1
        name: api
        folder: API
        interval: 1m
        rules:
          - uid: api-errors
            title: ApiErrorRateHigh
            condition: B
            data:
              - refId: A
                datasourceUid: prometheus
                model: {expr: 'sum(rate(http_requests_total{status=~"5.."}[5m]))', refId: A}
              - refId: B
                datasourceUid: __expr__
                model: {type: threshold, expression: A, refId: B,
                        conditions: [{evaluator: {type: gt, params: [1]}}]}
            for: 5m
            annotations:
              summary: "Error rate is {{ humanizePercentage $values.C.Value }}"
    ```

    ## Good (`alerting.yaml`)
    ```yaml
    apiVersion: 1
    groups:
      - orgId: 1
        name: api
        folder: API
        interval: 1m
        rules:
          - uid: api-errors
            title: ApiErrorRateHigh
            condition: B
            data:
              - refId: A
                datasourceUid: prometheus
                model: {expr: 'sum(rate(http_requests_total{status=~"5.."}[5m]))', refId: A}
              - refId: B
                datasourceUid: __expr__
                model: {type: threshold, expression: A, refId: B,
                        conditions: [{evaluator: {type: gt, params: [1]}}]}
            for: 5m
            annotations:
              summary: "Error rate is {{ humanizePercentage $values.A.Value }}"
    ```
    """

    code, name, severity = "AL008", "grafana-template", Severity.ERROR
    summary = "Grafana alert template does not parse, or uses an unknown function or value"

    def check_grafana_rule(self, rule, ctx):
        refs = set(pol.grafana_nodes(rule))
        for key in ("annotations", "labels"):
            mapping = rule.data.get(key)
            if not isinstance(mapping, dict):
                continue
            for k, v in mapping.items():
                if not isinstance(v, str) or "{{" not in v:
                    continue
                path = rule.path + (key, k)
                err = gotemplate.check(re.sub(r"\$values\b", "$labels", v), functions=GRAFANA_FUNCS)
                if err:
                    yield self.finding(rule.doc, path, f"template in {key[:-1]} `{k}` cannot render in Grafana: {err}",
                                       fix="fix the `{{ ... }}` actions (Grafana uses Prometheus' template functions)",
                                       scope=rule.path)
                    continue
                if re.search(r"\{\{[^}]*\bquery\b", v):
                    yield self.finding(rule.doc, path, f"template in {key[:-1]} `{k}` calls `query`, which Grafana does "
                                       f"not run (it returns nothing)", fix="use the values of the rule's own queries "
                                       "(`$values.A.Value`)", scope=rule.path)
                    continue
                m = _HUMANIZE_VALUE.search(v)
                if m and not value_is_number(rule.data, ctx.policy):  # Grafana 12: the number, with one datasource
                    yield self.finding(rule.doc, path, f"template in {key[:-1]} `{k}` formats `$value` as a number; in "
                                       f"Grafana `$value` is a text listing every expression's value, so this fails",
                                       fix=f"use `{{{{ {(m.group(1) or m.group(2) or 'humanize').split()[0]} "
                                           f"$values.{rule.data.get('condition') or 'B'}.Value }}}}`", scope=rule.path)
                    continue
                for a, b in _VALUES_REF.findall(v):
                    ref = a or b
                    if refs and ref not in refs:
                        yield self.finding(rule.doc, path, f"template in {key[:-1]} `{k}` reads `$values.{ref}`, but "
                                           f"the rule has no query or expression with refId `{ref}` "
                                           f"(it has {', '.join(sorted(refs))})",
                                           fix="use one of the rule's refIds", scope=rule.path)
                        break


class AlertMetric(Rule):
    """A required alert does not read the metric the policy names for it (directly or through
    the recording rules it uses): it watches something else than the policy intends.

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      required:
        - {name: ApiErrorRateHigh, metric: http_requests_total}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRateHigh
            expr: sum(rate(grpc_server_handled_total{grpc_code!="OK"}[5m])) > 1
            for: 5m
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      required:
        - {name: ApiErrorRateHigh, metric: http_requests_total}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:http_errors:rate5m
            expr: sum by (job) (rate(http_requests_total{status=~"5.."}[5m]))
          - alert: ApiErrorRateHigh
            expr: job:http_errors:rate5m > 1
            for: 5m
    ```
    """

    code, name, severity = "AL009", "alert-metric", Severity.ERROR
    summary = "required alert does not read the metric the policy names"
    needs_policy = True

    def _check(self, ctx, name, doc, path, scope, exprs):
        entry = _policy_entry(ctx, name)
        if entry is None or not entry[1].get("metric"):
            return
        want = entry[1]["metric"]
        want = [want] if isinstance(want, str) else list(want)
        have: set = set()
        for e in exprs:
            have |= pol.base_metrics(ctx, e)
        missing = [m for m in want if m not in have and not any(h.startswith(m + "_") and h[len(m):] in
                                                                 ("_bucket", "_sum", "_count", "_total") for h in have)]
        if missing:
            yield self.finding(doc, path, f"alert `{name}` does not read {', '.join(f'`{m}`' for m in missing)} as the "
                               f"policy says (it reads {', '.join(f'`{h}`' for h in sorted(have)) or 'nothing'})",
                               fix="query the policy's metric, or fix the policy", scope=scope)

    def check_alert(self, rule, ctx):
        if rule.is_alert and rule.query is not None:
            yield from self._check(ctx, rule.name, rule.doc, rule.query.path, rule.path, [rule.query.expr])

    def check_grafana_rule(self, rule, ctx):
        if rule.title and not _mirrored(ctx, rule) and rule.queries:
            yield from self._check(ctx, rule.title, rule.doc, rule.queries[0].path, rule.path,
                                   [q.expr for q in rule.queries])


class AlertLabels(Rule):
    """A required alert's static labels differ from the policy entry's `labels` (labels the
    Alertmanager routes on, such as `team` or `service`).

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      required:
        - {name: ApiDown, labels: {team: platform}}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
            labels:
              team: web
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      required:
        - {name: ApiDown, labels: {team: platform}}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
            labels:
              team: platform
    ```
    """

    code, name, severity = "AL010", "alert-labels", Severity.ERROR
    summary = "required alert's labels differ from the policy"
    needs_policy = True

    def _check(self, ctx, name, doc, path, data):
        entry = _policy_entry(ctx, name)
        if entry is None or not isinstance(entry[1].get("labels"), dict):
            return
        labels = data.get("labels") if isinstance(data.get("labels"), dict) else {}
        for k, v in entry[1]["labels"].items():
            if k not in labels:
                yield self.finding(doc, path + ("labels",) if "labels" in data else path,
                                   f"alert `{name}` has no label `{k}` (the policy says `{k}: {v}`)",
                                   fix=f"add `{k}: {v}` to its labels", at_key="labels" in data, scope=path)
            elif str(labels[k]) != str(v):
                yield self.finding(doc, path + ("labels", k), f"alert `{name}` has `{k}: {labels[k]}`, the policy says "
                                   f"`{k}: {v}`", fix=f"use `{k}: {v}`", scope=path)

    def check_alert(self, rule, ctx):
        if rule.is_alert:
            yield from self._check(ctx, rule.name, rule.doc, rule.path, rule.data)

    def check_grafana_rule(self, rule, ctx):
        if rule.title and "record" not in rule.data:
            yield from self._check(ctx, rule.title, rule.doc, rule.path, rule.data)
