"""Alert templates that render: labels a template reads must survive the query (AL006), and a
Grafana-managed rule's templates must parse and read values that exist (AL008)."""
from __future__ import annotations

import re

from obslint import gotemplate, labelflow, promql
from obslint.findings import Severity
from obslint.lang.templates import split_rebinding_blocks
from obslint.registry import Rule
from obslint.versions import value_is_number

GRAFANA_FUNCS = gotemplate.PROMETHEUS_FUNCS | {"filterLabels", "filterLabelsRe", "graphLink", "removeLabels",
                                               "removeLabelsRe", "tableLink", "mergeLabelValues"}
_LABEL_REF = re.compile(r"(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*)|index\s+(?:\$labels|\.Labels)\s+\"([^\"]+)\"")
_HUMANIZE_VALUE = re.compile(r"\b(humanize\w*|printf\s+\"[^\"]*%[-+# 0-9.]*[efgd][^\"]*\")\s+\$value\b(?!s)|"
                             r"\$value\b(?!s)\s*\|\s*(humanize\w*)")
_VALUES_REF = re.compile(r"\$values\.([A-Za-z0-9_]+)|index\s+\$values\s+\"([^\"]+)\"")


def _label_refs(text: str) -> list[str]:
    outside, inside = split_rebinding_blocks(text)  # `.Labels` inside `range`/`with` are not the alert's
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

    def check_alert(self, alert, ctx):
        queries = alert.queries
        if not queries:
            return None
        texts = [t for t in alert.templates() if "abels" in t[2]]
        if not texts:
            return None  # no template reads a label
        if not any("__name__" in v for _key, _k, v in texts) and \
                not any(labelflow.may_close(promql.parse(q.expr), ctx) for q in queries):
            return None  # every label passes through (only `__name__` may be dropped): none can be missing
        extra = alert.template_labels
        reads = [(key, k, label) for key, k, v in texts for label in dict.fromkeys(_label_refs(v))
                 if label not in extra]
        if not reads:
            return None  # the walk is needed only for labels the templates read
        wanted = {label for _key, _k, label in reads}
        if all(labelflow.surely_kept(promql.parse(q.expr), wanted, ctx) for q in queries):
            return None  # every aggregation keeps them: no walk needed
        result = None
        for q in queries:  # labelflow follows recording rules across files
            lab = labelflow.flow(q.expr, ctx, q.doc)
            if lab is None:
                return None
            result = lab if result is None else result.union(lab)
        if result is None or (result.only is None and not result.minus):
            return None
        name, path = alert.name, alert.path
        out = []
        for key, k, label in reads:
            if result.may_have(label):
                continue
            why = (" (it is set by the rule's `labels:`, which Prometheus templates do not see)"
                   if label in alert.labels and not alert.grafana else "")
            out.append(self.finding(alert.doc, path + (key, k),
                                    f"{key[:-1]} `{k}` of alert `{name}` uses `$labels.{label}`, but the query's "
                                    f"result {_kept(result)}{why}",
                                    fix=f"keep `{label}` in the aggregation (`by (..., {label})`) or drop it from "
                                        f"the template", scope=path))
        return out


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
    applies_to = ("grafana-alerting",)

    def check_alert(self, alert, ctx):
        refs = set(alert.rule.nodes)
        path0, data = alert.path, alert.data
        for key, k, v in alert.templates():
            if "{{" not in v:
                continue
            path = path0 + (key, k)
            err = gotemplate.check(re.sub(r"\$values\b", "$labels", v), functions=GRAFANA_FUNCS)
            if err:
                yield self.finding(alert.doc, path, f"template in {key[:-1]} `{k}` cannot render in Grafana: {err}",
                                   fix="fix the `{{ ... }}` actions (Grafana uses Prometheus' template functions)",
                                   scope=path0)
                continue
            if re.search(r"\{\{[^}]*\bquery\b", v):
                yield self.finding(alert.doc, path, f"template in {key[:-1]} `{k}` calls `query`, which Grafana "
                                   f"does not run (it returns nothing)", fix="use the values of the rule's own "
                                   "queries (`$values.A.Value`)", scope=path0)
                continue
            m = _HUMANIZE_VALUE.search(v)
            if m and not value_is_number(data, ctx.policy):  # Grafana 12: the number, with one datasource
                yield self.finding(alert.doc, path, f"template in {key[:-1]} `{k}` formats `$value` as a number; in "
                                   f"Grafana `$value` is a text listing every expression's value, so this fails",
                                   fix=f"use `{{{{ {(m.group(1) or m.group(2) or 'humanize').split()[0]} "
                                       f"$values.{data.get('condition') or 'B'}.Value }}}}`", scope=path0)
                continue
            for a, b in _VALUES_REF.findall(v):
                ref = a or b
                if refs and ref not in refs:
                    yield self.finding(alert.doc, path, f"template in {key[:-1]} `{k}` reads `$values.{ref}`, but "
                                       f"the rule has no query or expression with refId `{ref}` "
                                       f"(it has {', '.join(sorted(refs))})",
                                       fix="use one of the rule's refIds", scope=path0)
                    break
