"""Every LogQL query (Loki panels, Grafana alerts on Loki, Loki ruler files) must parse."""
from obslint import promql
from obslint.findings import Severity
from obslint.lang.position import excerpt, place
from obslint.registry import Rule


class LogqlSyntax(Rule):
    """A LogQL query does not parse the way Loki reads it: a stream selector `{...}` with at
    least one non-empty matcher, pipeline stages (`|=`, `|~`, `| json`, `| logfmt`,
    `| label_format`, `| unwrap x`, label filters), range aggregations over a range
    (`rate({...}[5m])`), vector aggregations and binary operations of metric queries. A
    Loki ruler rule needs a metric query. The finding points inside the query. Grafana
    variables (`$__auto`, `${var}`) are understood.

    ## Why
    Loki refuses the query: the panel shows an error, the alert never evaluates, and the
    ruler refuses the whole rule group.

    ## Bad (`loki-rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrors
            expr: sum(rate({app="api"} |= "error" [5m]) > 10
    ```

    ## Good (`loki-rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrors
            expr: sum(rate({app="api"} |= "error" [5m])) > 10
    ```
    """

    code, name, severity = "LQ001", "logql-syntax", Severity.ERROR
    summary = "LogQL query does not parse"

    def check_rule(self, rule, ctx):
        q = rule.other_query
        if q is not None and q.language == "logql":
            yield from self._check(q, ruler=True)

    def check_panel(self, panel, ctx):
        for q in panel.other_queries:
            if q.language == "logql":
                yield from self._check(q)

    def check_grafana_rule(self, rule, ctx):
        for q in rule.other_queries:
            if q.language == "logql":
                yield from self._check(q)

    def _check(self, q, ruler: bool = False):
        expr = q.expr
        text, spans = promql.substitute_spans(expr) if q.grafana else (expr, [])
        from obslint.lang import logql  # lark and the grammar only when a LogQL query is met

        parsed = logql.parse(text)
        if parsed.error is None and (parsed.metric or not ruler):
            return
        if parsed.error is None:
            message = ("a Loki ruler rule needs a metric query, not a log query: wrap it in a range "
                       "aggregation such as `count_over_time(...[5m]) > 0`")
            offset = 0
        else:
            message = promql.shown(parsed.error)
            offset = promql.original_offset(spans, parsed.offset)
        f = self.finding(q.doc, q.path, f"invalid LogQL: {message} in `{excerpt(expr)}`",
                         fix="correct the query; check it in Grafana's Explore on the Loki datasource",
                         scope=q.scope)
        yield place(f, q.doc, q.path, expr, offset)
