"""Parity with Prometheus' own rule-file validation (model/rulefmt): what makes
`promtool check rules` or a Prometheus reload refuse a file."""
from __future__ import annotations

import re

from obslint import gotemplate, samename
from obslint.durations import parse_duration
from obslint.findings import Severity
from obslint.lang import flavor as flavors
from obslint.registry import Rule
from obslint.suggest import closest

_LEGACY_METRIC = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LEGACY_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
FILE_KEYS, GROUP_KEYS, RULE_KEYS = flavors.FILE_KEYS, flavors.GROUP_KEYS, flavors.RULE_KEYS  # Prometheus' own


def _closest(word: str, choices) -> str:
    m = closest(word, choices)
    return f"; did you mean `{m}`?" if m else ""


class UnknownField(Rule):
    """A rule file, group or rule has a key Prometheus does not know. Prometheus refuses
    the whole file (its YAML reader is strict), so a typo such as `annotation:` blocks a reload.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            annotation:
              summary: API is down
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            annotations:
              summary: API is down
    ```
    """

    code, name, severity = "RF001", "unknown-field", Severity.ERROR
    summary = "unknown key in a rule file, group or rule"
    applies_to = ("prometheus-rules",)
    fixable = "safe"  # a key whose did-you-mean is unique: renamed (`annotation` -> `annotations`)

    def check_document(self, doc, ctx):
        if not isinstance(doc.root, dict):
            return
        root = doc.root
        if not doc.base:
            flavor = _flavor(doc)
            allowed = flavors.file_keys(flavor)
            for key in root:
                if key not in allowed:
                    yield self.finding(doc, (key,), _unknown(key, "file", flavor, "at the top of a rule file", allowed),
                                       fix="rule files hold only `groups:`", at_key=True)

    def check_group(self, group, ctx):
        flavor = _flavor(group.doc)
        allowed = flavors.group_keys(flavor)
        for key in group.data:
            if key not in allowed:
                yield self.finding(group.doc, group.path + (key,), _unknown(key, "group", flavor, "in rule group", allowed),
                                   fix=f"allowed: {', '.join(sorted(allowed))}", at_key=True, scope=group.path,
                                   autofix=_rename(group.doc, group.path + (key,), "group", flavor, allowed))

    def check_rule(self, rule, ctx):
        flavor = _flavor(rule.doc)
        allowed = flavors.rule_keys(flavor)
        for key in rule.data:
            if key not in allowed:
                yield self.finding(rule.doc, rule.path + (key,),
                                   _unknown(key, "rule", flavor, f"in rule `{rule.name}`", allowed),
                                   fix=f"allowed: {', '.join(sorted(allowed))}", at_key=True, scope=rule.path,
                                   autofix=_rename(rule.doc, rule.path + (key,), "rule", flavor, allowed))


def _flavor(doc) -> str:
    """The rule file's flavour (detected or from the policy: obslint.lang.flavor)."""
    return getattr(doc, "flavor", None) or "prometheus"


def _rename(doc, path: tuple, level: str, flavor: str, allowed):
    """RF001's fix: the misspelt key renamed to its unique did-you-mean (not a key of another
    flavour, which needs a decision rather than a rename)."""
    if flavors.foreign_key_message(str(path[-1]), level, flavor) is not None:
        return None
    from obslint.fixes import rename_fix

    return rename_fix(doc, path, allowed)


def _unknown(key, level: str, flavor: str, where: str, allowed) -> str:
    other = flavors.foreign_key_message(str(key), level, flavor)
    if other is not None:
        return other
    return f"unknown field `{key}` {where}{_closest(str(key), allowed)}"


class GroupStructure(Rule):
    """Rule groups must be a list of mappings, each with a non-empty `name` unique in the
    file, a list of `rules`, valid `interval`/`query_offset` durations and an integer `limit`.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules: []
      - name: api
        rules: []
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules: []
      - name: api-slo
        rules: []
    ```
    """

    code, name, severity = "RF002", "group-structure", Severity.ERROR
    summary = "rule group is malformed (name, uniqueness, rules list, interval, limit)"
    applies_to = ("prometheus-rules",)

    def check_document(self, doc, ctx):
        root = doc.root
        if not isinstance(root, dict):
            yield self.finding(doc, (), "a rule file must be a mapping with `groups:`")
            return
        groups = root.get("groups")
        if groups is None:
            return
        if not isinstance(groups, list):
            yield self.finding(doc, ("groups",), f"`groups` must be a list, not {_type(groups)}")
            return
        seen: dict[str, int] = {}
        for i, g in enumerate(groups):
            if not isinstance(g, dict):
                yield self.finding(doc, ("groups", i), f"a rule group must be a mapping, not {_type(g)}")
                continue
            name = g.get("name")
            if not isinstance(name, str) or not name.strip():
                yield self.finding(doc, ("groups", i), "rule group has no name", fix="add `name: <group name>`",
                                   scope=("groups", i))
            elif name in seen:
                yield self.finding(doc, ("groups", i, "name"),
                                   f"group name `{name}` is used twice in this file (first in group #{seen[name] + 1})",
                                   fix="give every group in a file its own name", scope=("groups", i))
            else:
                seen[name] = i
            rules = g.get("rules")
            if rules is not None and not isinstance(rules, list):
                yield self.finding(doc, ("groups", i, "rules"), f"`rules` must be a list, not {_type(rules)}",
                                   scope=("groups", i))
            for key in ("interval", "query_offset"):
                if key in g and parse_duration(g[key]) is None:
                    yield self.finding(doc, ("groups", i, key), f"`{key}: {g[key]}` is not a Prometheus duration",
                                       fix="use e.g. `30s`, `1m`, `1h30m` (no fractions, no spaces)", scope=("groups", i))
            if "limit" in g and (not isinstance(g["limit"], int) or isinstance(g["limit"], bool) or g["limit"] < 0):
                yield self.finding(doc, ("groups", i, "limit"), f"`limit` must be a non-negative integer, not {g['limit']!r}",
                                   scope=("groups", i))
            labels = g.get("labels")
            if labels is not None:
                yield from _check_labels(self, doc, ("groups", i, "labels"), labels, ("groups", i), ctx)
            for key, problem in flavors.value_problems(_flavor(doc), g, "group"):
                yield self.finding(doc, ("groups", i, key), problem, scope=("groups", i))


class RuleKind(Rule):
    """A rule must have exactly one of `record` and `alert`, and an `expr`.
    `for`, `keep_firing_for` and `annotations` belong to alerting rules only.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate5m
            expr: sum by (job) (rate(requests_total[5m]))
            for: 5m
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate5m
            expr: sum by (job) (rate(requests_total[5m]))
    ```
    """

    code, name, severity = "RF003", "rule-structure", Severity.ERROR
    summary = "rule needs exactly one of record/alert and an expr; alert-only fields on a record"

    def check_rule(self, rule, ctx):
        d, doc, path = rule.data, rule.doc, rule.path
        has_record, has_alert = "record" in d, "alert" in d
        if has_record and has_alert:
            yield self.finding(doc, path, "rule has both `record` and `alert`; it must be one or the other",
                               fix="split it into a recording rule and an alerting rule", scope=path)
        elif not has_record and not has_alert:
            yield self.finding(doc, path, "rule has neither `record` nor `alert`",
                               fix="add `alert: <Name>` or `record: <metric name>`", scope=path)
        for key in ("record", "alert"):
            if key in d and (not isinstance(d[key], str) or not d[key].strip()):
                yield self.finding(doc, path + (key,), f"`{key}` must be a non-empty string", scope=path)
        expr = d.get("expr")
        if expr is None or (isinstance(expr, str) and not expr.strip()):
            yield self.finding(doc, path, f"rule `{rule.name}` has no `expr`", fix="add the PromQL expression",
                               scope=path)
        elif isinstance(expr, (dict, list, bool)):
            yield self.finding(doc, path + ("expr",), f"`expr` must be a string, not {_type(expr)}", scope=path)
        if has_record and not has_alert:
            # vmalert reads (and ignores) annotations of recording rules
            for key in ("for", "keep_firing_for") if _flavor(doc) == "vmalert" else ("for", "keep_firing_for", "annotations"):
                if key in d:
                    yield self.finding(doc, path + (key,), f"`{key}` is only allowed on alerting rules",
                                       fix=f"remove `{key}` from recording rule `{rule.name}`", at_key=True, scope=path)
        for key, problem in flavors.value_problems(_flavor(doc), d, "rule"):
            yield self.finding(doc, path + (key,), problem, scope=path)


class RecordName(Rule):
    """A recording rule's `record` must be a valid metric name, conventionally
    `level:metric:operations`. Prometheus 3 accepts any UTF-8 name but refuses braces (a
    selector pasted into the name); with `legacy-names: true` the Prometheus 2 rule
    `[a-zA-Z_:][a-zA-Z0-9_:]*` applies.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests{code="5xx"}:rate5m
            expr: sum by (job) (rate(requests_total{code=~"5.."}[5m]))
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests_5xx:rate5m
            expr: sum by (job) (rate(requests_total{code=~"5.."}[5m]))
    ```

    ## Options
    - `legacy-names` (default false): validate names as Prometheus 2 does.
    """

    code, name, severity = "RF004", "record-name", Severity.ERROR
    summary = "recording rule name is not a valid metric name"
    options = {"legacy-names": False}

    def check_rule(self, rule, ctx):
        rec = rule.data.get("record")
        if not isinstance(rec, str) or not rec.strip():
            return
        if "{" in rec or "}" in rec:
            yield self.finding(rule.doc, rule.path + ("record",),
                               f"`{rec}` has braces: label matchers belong in `expr`, not in the record name",
                               fix="name the series, e.g. `job:requests:rate5m`, and put selectors in `expr`",
                               scope=rule.path)
        elif self.opts.get("legacy-names") and not _LEGACY_METRIC.match(rec):
            yield self.finding(rule.doc, rule.path + ("record",),
                               f"`{rec}` is not a valid metric name under legacy validation",
                               fix="use letters, digits, `_` and `:` only, e.g. `job:requests:rate5m`",
                               scope=rule.path)


class LabelsAndAnnotations(Rule):
    """Labels and annotations must be mappings of valid names to string values. `__name__`
    (and any `__`-prefixed label) cannot be set by a rule. Prometheus 3 accepts any UTF-8
    label name; with the option `legacy-names: true` obslint applies the older
    `[a-zA-Z_][a-zA-Z0-9_]*` rule, as Prometheus 2 does.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:up:sum
            expr: sum by (job) (up)
            labels:
              __name__: other
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:up:sum
            expr: sum by (job) (up)
            labels:
              team: platform
    ```

    ## Options
    - `legacy-names` (default false): validate label and annotation names as Prometheus 2 does.
    """

    code, name, severity = "RF005", "label-names", Severity.ERROR
    summary = "invalid label or annotation name or value"
    options = {"legacy-names": False}

    def check_rule(self, rule, ctx):
        for key in ("labels", "annotations"):
            if key in rule.data and rule.data[key] is not None:
                yield from _check_labels(self, rule.doc, rule.path + (key,), rule.data[key], rule.path, ctx,
                                         annotations=key == "annotations")


def _check_labels(check: Rule, doc, path, mapping, scope, ctx, annotations: bool = False):
    what = "annotation" if annotations else "label"
    if not isinstance(mapping, dict):
        yield check.finding(doc, path, f"`{path[-1]}` must be a mapping of names to strings, not {_type(mapping)}",
                            scope=scope)
        return
    legacy = bool(getattr(check, "opts", {}).get("legacy-names"))
    for name, value in mapping.items():
        if not isinstance(name, str) or not name:
            yield check.finding(doc, path + (name,), f"{what} name {name!r} is not a string", at_key=True, scope=scope)
            continue
        if not annotations and name == "__name__":
            yield check.finding(doc, path + (name,), "a rule cannot set the label `__name__`",
                                fix="use `record:` to name the series", at_key=True, scope=scope)
        elif legacy and not _LEGACY_LABEL.match(name):
            yield check.finding(doc, path + (name,), f"`{name}` is not a valid {what} name under legacy validation",
                                fix="use letters, digits and `_` only", at_key=True, scope=scope)
        elif not legacy and not name.isprintable():
            yield check.finding(doc, path + (name,), f"{what} name {name!r} contains control characters",
                                at_key=True, scope=scope)
        if isinstance(value, (dict, list)):
            yield check.finding(doc, path + (name,), f"{what} `{name}` must have a string value, not {_type(value)}",
                                scope=scope)


class TemplateSyntax(Rule):
    """Alert labels and annotations are Go templates; Prometheus refuses a rule file whose
    templates do not parse (unclosed `{{`, an `if` without `end`, an undefined variable or
    an unknown function).

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrors
            expr: job:errors:ratio5m > 0.02
            annotations:
              summary: "{{ $labels.job } has {{ $value | humanizePercentage }} errors"
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrors
            expr: job:errors:ratio5m > 0.02
            annotations:
              summary: "{{ $labels.job }} has {{ $value | humanizePercentage }} errors"
    ```
    """

    code, name, severity = "RF006", "template-syntax", Severity.ERROR
    summary = "label or annotation template does not parse"
    applies_to = ("prometheus-rules",)

    def check_alert(self, rule, ctx):
        functions = variables = None
        if _flavor(rule.doc) == "vmalert":
            from obslint.gotemplate import PROMETHEUS_FUNCS

            functions = PROMETHEUS_FUNCS | flavors.VMALERT_TEMPLATE_FUNCTIONS
            variables = flavors.VMALERT_TEMPLATE_VARIABLES
        for key in ("labels", "annotations"):
            mapping = rule.data.get(key)
            if not isinstance(mapping, dict):
                continue
            for name, value in mapping.items():
                if isinstance(value, str):
                    err = gotemplate.check(value, functions, variables)
                    if err:
                        yield self.finding(rule.doc, rule.path + (key, name),
                                           f"template in {key[:-1]} `{name}` does not parse: {err}",
                                           fix="fix the `{{ ... }}` actions; see Prometheus' template reference",
                                           scope=rule.path)


class Durations(Rule):
    """`for` and `keep_firing_for` must be Prometheus durations: integers with units
    `ms`, `s`, `m`, `h`, `d`, `w`, `y`, largest first (`1h30m`), or `0`. Fractions (`1.5h`)
    and spaces are refused.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 1.5m
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 90s
    ```
    """

    code, name, severity = "RF007", "duration", Severity.ERROR
    summary = "invalid duration in `for` or `keep_firing_for`"

    def check_rule(self, rule, ctx):
        for key in ("for", "keep_firing_for"):
            if key in rule.data and rule.data[key] is not None and parse_duration(rule.data[key]) is None:
                yield self.finding(rule.doc, rule.path + (key,), f"`{key}: {rule.data[key]}` is not a Prometheus duration",
                                   fix="use e.g. `5m`, `90s`, `1h30m`", scope=rule.path)


class DuplicateRule(Rule):
    """Two rules in one group have the same alert or record name and the same labels, which
    `promtool check rules` reports as duplicate rules. With the same expression it is a copy
    whose series collide with the first one's; with another expression they collide wherever
    both results carry the same labels (warnings). Rules that split one series by a selector
    the result keeps (`code=~"2.."`, then `code=~"3.."` under `sum by (code)`, as
    kubernetes-mixin's `code_verb:apiserver_request_total:increase1h` does) never collide:
    info.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate5m
            expr: sum by (job) (rate(requests_total[5m]))
          - record: job:requests:rate5m
            expr: sum by (job) (rate(requests_total[5m]))
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate5m
            expr: sum by (job) (rate(requests_total[5m]))
    ```
    """

    code, name, severity = "RF008", "duplicate-rule", Severity.WARNING
    summary = "two rules in a group produce the same series"

    def check_group(self, group, ctx):
        seen: dict = {}
        for rule in group.rules:
            data = rule.data
            labels = data.get("labels")
            key = ("alert" in data, repr(data.get("alert", data.get("record"))), _label_key(labels))
            if key in seen:
                first = seen[key]
                how, severity = samename.verdict(first.data.get("expr"), data.get("expr"))
                yield self.finding(rule.doc, rule.path, f"rule `{rule.name}` has the name and labels of rule "
                                   f"#{first.path[-1] + 1} of group `{group.name}` {how}",
                                   fix="remove the copy, or give the rules distinguishing labels"
                                   if severity is Severity.WARNING else None, scope=rule.path, severity=severity)
            else:
                seen[key] = rule


def _label_key(labels) -> frozenset:
    if not isinstance(labels, dict):
        return frozenset()
    try:
        return frozenset(labels.items())
    except TypeError:  # a list or mapping as a value (reported by RF005)
        return frozenset((str(k), str(v)) for k, v in labels.items())


def _type(value) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)
