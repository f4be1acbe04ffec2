"""AL001: an alert's condition must be able to be false; an expression without a comparison
fires for every series it returns."""
from __future__ import annotations

from obslint import promql
from obslint.findings import Severity
from obslint.model import EXPRESSION_DATASOURCES
from obslint.registry import Rule


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


def _condition_query(alert):
    """(expression, path of the finding, refId) of the query an alert fires on when it is a
    query itself: a Prometheus rule's `expr`, or the Grafana rule's `condition` when that names
    a datasource query rather than an expression node. None otherwise."""
    if not alert.grafana:
        q = alert.query
        return None if q is None else (q.expr, q.path, None)
    cond = alert.data.get("condition")
    nodes = alert.rule.nodes
    if not isinstance(cond, str) or cond not in nodes:
        return None
    node = nodes[cond][1]
    model = node.get("model") if isinstance(node.get("model"), dict) else {}
    if node.get("datasourceUid") in EXPRESSION_DATASOURCES or not isinstance(model.get("expr"), str):
        return None
    return model["expr"], alert.path + ("condition",), cond


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

    def check_alert(self, alert, ctx):
        cond = _condition_query(alert)
        if cond is None:
            return
        expr, path, ref = cond
        parsed = promql.parse(expr)
        if parsed.shape is None or not _always_fires(parsed.shape):
            return
        if ref is None:
            yield self.finding(alert.doc, path, f"alert `{alert.name}` has no comparison in its expression: it fires for "
                               f"every series returned, whatever the value",
                               fix="add a threshold, e.g. `... > 0.05`, or use `absent(...)`", scope=alert.path)
        else:
            yield self.finding(alert.doc, path, f"Grafana rule `{alert.name}` uses query {ref} as its condition, and the "
                               f"query has no comparison: every non-zero value fires",
                               fix="add a threshold expression (type: threshold) and make it the condition",
                               scope=alert.path)
