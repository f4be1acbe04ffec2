"""Every PromQL expression must parse."""
from obslint import promql
from obslint.findings import Severity
from obslint.registry import Rule


class PromqlSyntax(Rule):
    """A PromQL expression does not parse (rule `expr`, dashboard target `expr`, or a
    Grafana alert query's `model.expr`). Grafana macros such as `$__rate_interval` and
    template variables are understood and do not count as errors.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:errors:rate5m
            expr: sum by (job) (rate(errors_total[5m])
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:errors:rate5m
            expr: sum by (job) (rate(errors_total[5m]))
    ```
    """

    code, name, severity = "PQ001", "promql-syntax", Severity.ERROR
    summary = "PromQL expression does not parse"

    def check_query(self, query, ctx):
        parsed = promql.parse(query.expr)
        if parsed.error:
            shown = query.expr.strip().replace("\n", " ")
            if len(shown) > 120:
                shown = shown[:117] + "..."
            yield self.finding(query.doc, query.path, f"invalid PromQL: {parsed.error} in `{shown}`",
                               fix="correct the expression; check it in Prometheus' expression browser",
                               scope=query.scope)
