"""Names that are not what they seem: a metric name with dashes, read as a subtraction."""
from __future__ import annotations

import promql_parser as pp

from obslint import promql
from obslint.findings import Severity
from obslint.registry import Rule


def _pieces(node) -> list[str] | None:
    """The bare metric names of a `-` chain without spaces or modifiers (`a-b-c`), or None."""
    t = type(node)
    if t is pp.VectorSelector:
        if not node.name or node.offset is not None or node.at is not None:
            return None
        if any(label != "__name__" for label, _op, _v in promql._matchers(node)):
            return None
        return [node.name]
    if t is pp.BinaryExpr and str(node.op) == "-" and node.modifier is None:
        left = _pieces(node.lhs)
        right = _pieces(node.rhs) if left else None
        return left + right if left and right else None
    return None


def dashed_names(parsed) -> list[str]:
    """Every `a-b` written without spaces in the text that parses as `a - b` of bare metrics."""
    found = []
    skip = 0
    for n in promql.nodes(parsed.ast):
        if skip:  # inside a chain already reported
            skip -= 1
            continue
        if type(n) is not pp.BinaryExpr or str(n.op) != "-":
            continue
        pieces = _pieces(n)
        if pieces and "-".join(pieces) in parsed.text:
            found.append("-".join(pieces))
            skip = 2 * len(pieces) - 2  # the chain's own nodes come next in the walk
    return found


class DashedMetricName(Rule):
    """A name such as `operator_victoriametrics-metrics-datasource_up` is not one metric in
    PromQL: `-` is subtraction, so it reads `operator_victoriametrics - metrics -
    datasource_up`, three metrics that do not exist, and the query returns nothing without an
    error. Names with dashes (UTF-8 names, Prometheus 3) must be quoted: `{"a-b"}`. When a
    subtraction was meant, spaces say so.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: plugins
        rules:
          - record: plugin:up:sum
            expr: sum(operator_victoriametrics-metrics-datasource_up)
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: plugins
        rules:
          - record: plugin:up:sum
            expr: sum({"operator_victoriametrics-metrics-datasource_up"})
    ```
    """

    code, name, severity = "PQ124", "dashed-metric-name", Severity.WARNING
    summary = "metric name with `-` parses as a subtraction of metrics"

    def check_query(self, query, ctx):
        expr = query.expr
        if "-" not in expr:
            return
        parsed = promql.parse(expr)
        if parsed.error or "-" not in parsed.operators or parsed.ast is None:
            return
        for name in dashed_names(parsed):
            spaced = " - ".join(name.split("-"))
            yield self.finding(query.doc, query.path,
                               f"`{name}` parses as the subtraction `{spaced}` of {name.count('-') + 1} metrics, "
                               f"not as one metric name", fix=f"quote the name: `{{\"{name}\"}}`; or, if a "
                               f"subtraction was meant, write `{spaced}`", scope=query.scope, metric=name)
            return
