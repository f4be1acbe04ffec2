"""Every PromQL expression must parse, in the dialect it runs in (Prometheus or MetricsQL)."""
import re

from obslint import promql
from obslint.findings import Severity
from obslint.lang.position import excerpt, place
from obslint.lang.promfeatures import EXPERIMENTAL as _EXPERIMENTAL
from obslint.registry import Rule

_QUOTED = re.compile(r"'([^']+)'|`([^`]+)`|\"([^\"]+)\"")


def verdict(query, ctx):
    """(code, message, offset) of the query's syntax problem, or None; cached per query text
    and dialect. PQ001: refused in its dialect. PQ002: valid MetricsQL that Prometheus
    refuses, in a run whose dialect is not configured (it may run on VictoriaMetrics)."""
    out = _raw(query, ctx)
    if out is not None and len(out) == 4:  # valid MetricsQL that only Prometheus' type rules refuse
        return out[3] if _written_for_metricsql(query, ctx) else out[:3]
    return out


def _raw(query, ctx):
    """The cached verdict on the query's text, with the PQ002 alternative of a type-rule error
    as a fourth item (see _written_for_metricsql)."""
    dialect = query.dialect or "prometheus"
    cache = ctx.cache.setdefault("promql-syntax", {})
    key = (query.expr, dialect, query.grafana, query.origin == "rule")
    out = cache.get(key, False)
    if out is False:
        cache[key] = out = _verdict(query.expr, dialect, query.grafana, query.origin, ctx)
    return out


def uses_metricsql(query, ctx) -> bool:
    """The query is valid MetricsQL with a construct Prometheus does not have (a PQ002 of its own)."""
    found = _raw(query, ctx)
    return found is not None and len(found) == 3 and found[0] == "PQ002"


def datasource_key(query) -> str | None:
    """Which datasource a dashboard query runs on, as far as the file says: its uid or name, or
    the Grafana's default one; None when a variable or an import input picks it."""
    res = query.datasource
    if res is None or res.special is not None or res.via in ("variable", "input"):
        return None
    if res.via == "default":
        return "default"
    if res.uid:
        return "uid:" + res.uid
    return "name:" + res.name if res.name else None


def _written_for_metricsql(query, ctx) -> bool:
    """Whether the query runs on VictoriaMetrics as far as the project shows: another query of
    its document uses a MetricsQL-only construct (a PQ002 of its own), or a query of any linted
    file does on the same datasource (PMM's dashboards all query VictoriaMetrics through a
    Prometheus-type datasource named "Metrics"). Then its type-rule errors are MetricsQL too.
    Without either, such a query is a Prometheus error."""
    memo = ctx.cache.setdefault("promql-syntax.metricsql-docs", {})
    doc = query.doc
    hit = memo.get(id(doc))
    if hit is None:
        by_doc = ctx.cache.get("promql-syntax.by-doc")
        if by_doc is None:
            by_doc = ctx.cache["promql-syntax.by-doc"] = {}
            for q in ctx.project.queries:
                by_doc.setdefault(id(q.doc), []).append(q)
        hit = memo[id(doc)] = any(uses_metricsql(q, ctx) for q in by_doc.get(id(doc), ()))
    if hit:
        return True
    key = datasource_key(query)
    if key is None:
        return False
    from obslint import scalefacts

    return key in scalefacts.metricsql_datasources(ctx)


def _verdict(expr, dialect, grafana, origin, ctx):
    parsed = promql.parse(expr)
    if parsed.error is None:
        return None
    problem = promql.too_complex(expr)
    if problem is not None:
        return "PQ001", problem, 0
    from obslint.lang import metricsql

    text, spans = promql.substitute_spans(expr) if grafana else (expr, [])
    mq = metricsql.parse(text)
    if dialect == "metricsql":
        if mq.error is None:
            return None
        return "PQ001", f"invalid MetricsQL: {promql.shown(mq.error)}", promql.original_offset(spans, mq.offset)
    if dialect != "metricsql" and _feature(text, ctx) is not None:
        return None  # valid with a Prometheus feature flag: PQ003 says which
    reason = promql.shown(parsed.error)
    # Unconfigured, a dashboard may query VictoriaMetrics through a Prometheus-type
    # datasource (a warning); a Prometheus rule file is loaded by Prometheus (an error).
    configured = ctx.project.datasources.dialect is not None or origin == "rule"
    where = ("set `rules: {flavor: vmalert}` in obslint.yaml if vmalert reads this file" if origin == "rule" else
             "set `promql.dialect: metricsql` in obslint.yaml if this runs on VictoriaMetrics")
    if mq.error is None and mq.features:
        feature, offset = mq.features[0]
        message = f"{feature} is MetricsQL, which Prometheus refuses ({reason}); {where}"
        return ("PQ001" if configured else "PQ002"), message, promql.original_offset(spans, offset or 0)
    if mq.error is not None:
        return "PQ001", f"invalid PromQL: {reason}", promql.original_offset(spans, mq.offset)
    offset = promql.original_offset(spans, _blame(parsed.error, text))
    error = ("PQ001", f"invalid PromQL: {reason}", offset)
    relaxed = None if configured else _relaxed(parsed.error)
    if relaxed is None:
        return error
    # the PQ002 it is on a dashboard that other queries show to be written for VictoriaMetrics
    return (*error, ("PQ002", f"{relaxed} is MetricsQL, which Prometheus refuses ({reason}); {where}", offset))


# Type rules of Prometheus' parser that MetricsQL does not have (its parser accepts the query and
# evaluates it): the Prometheus message, and what the query does in MetricsQL.
_RELAXED = (
    ("binary expression must contain only scalar and instant vector types",
     "a range vector in an operator (MetricsQL applies a rollup)"),
    ("offset modifier must be preceded by", "`offset` after an expression (MetricsQL allows it anywhere)"),
    ("ranges only allowed for vector selectors", "a range window on an expression (MetricsQL makes it a subquery)"),
    ("expected type vector in aggregation expression, got scalar",
     "an aggregation over a number (a number is a series in MetricsQL)"),
    ("comparisons between scalars must use BOOL modifier", "a comparison of two numbers without `bool`"),
)


def _feature(text: str, ctx):
    """(feature, offset in `text`) of a flag-gated construct that explains why promql-parser
    refused `text` (obslint.lang.promfeatures), cached per text; None when none does."""
    cache = ctx.cache.setdefault("promql-syntax.features", {})
    hit = cache.get(text, False)
    if hit is False:
        from obslint.lang import promfeatures

        hit = cache[text] = promfeatures.excused(text, lambda t: promql.parse(t).error is None)
    return hit


def enabled_features(policy) -> frozenset:
    promql_policy = (policy or {}).get("promql")
    features = promql_policy.get("features") if isinstance(promql_policy, dict) else None
    return frozenset(f for f in features or () if isinstance(f, str))


def _relaxed(message: str) -> str | None:
    """The MetricsQL construct behind a Prometheus type error MetricsQL does not make, or None."""
    for prefix, construct in _RELAXED:
        if message.startswith(prefix):
            return construct
    return None


def _blame(message: str, text: str) -> int:
    """Where in the text promql-parser's message (which has no position) points: the first
    quoted token it names, found outside strings; else the start."""
    for m in _QUOTED.finditer(message):
        token = next(g for g in m.groups() if g)
        at = _outside_strings(text, token)
        if at >= 0:
            return at
    return 0


def _outside_strings(text: str, token: str) -> int:
    quote = None
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'`":
            quote = c
        elif text.startswith(token, i):
            return i
        i += 1
    return -1


class _SyntaxRule(Rule):
    def check_query(self, query, ctx):
        found = verdict(query, ctx)
        if found is None or found[0] != self.code:
            return
        _code, message, offset = found
        f = self.finding(query.doc, query.path, f"{message} in `{excerpt(query.expr)}`", fix=self.fix,
                         scope=query.scope)
        yield place(f, query.doc, query.path, query.expr, offset)


class PromqlSyntax(_SyntaxRule):
    """A PromQL expression does not parse (rule `expr`, dashboard target `expr`, or a
    Grafana alert query's `model.expr`) in the dialect it runs in: Prometheus', or
    MetricsQL for VictoriaMetrics datasources, vmalert rule files and `promql.dialect:
    metricsql`. The finding points inside the expression. Grafana macros such as
    `$__rate_interval` and template variables are understood and do not count as errors.
    A MetricsQL construct in a run configured for Prometheus (`promql.dialect: prometheus`)
    is reported here, with what it is.

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
    fix = "correct the expression; check it in Prometheus' expression browser (or vmui for MetricsQL)"


class MetricsqlOnly(_SyntaxRule):
    """The expression is valid MetricsQL (VictoriaMetrics) but not Prometheus PromQL: it
    uses `topk_max`, `WITH`, `if`/`default`, a rollup without a range window, ... Nothing
    in the run says which dialect it runs in, so this is a warning: set `promql.dialect:
    metricsql` (or a `datasources:` entry with `dialect: metricsql`) when it runs on
    VictoriaMetrics, and the finding goes away; set `promql.dialect: prometheus` and it is
    an error (PQ001), since Prometheus refuses it.

    A query that only Prometheus' type rules refuse (a range vector in an operator, a range
    window on an expression, an aggregation of a number) is PQ002 too where the run shows it
    runs on VictoriaMetrics: another query of its dashboard, or a dashboard query on the same
    datasource (uid, name, or the default one) anywhere in the run, uses a MetricsQL-only
    construct. Elsewhere it is PQ001.

    ## Why
    A dashboard or rule written for VictoriaMetrics breaks when it is pointed at Prometheus.

    ## Bad (`dashboard.json`)
    ```json
    {"title": "VM", "uid": "vm", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "top", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
       "targets": [{"refId": "A", "expr": "topk_max(5, rate(requests_total[5m]))"}]}]}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"title": "VM", "uid": "vm", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "top", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
       "targets": [{"refId": "A", "expr": "topk(5, rate(requests_total[5m]))"}]}]}
    ```
    """

    code, name, severity = "PQ002", "metricsql-only", Severity.WARNING
    summary = "MetricsQL construct that Prometheus refuses (dialect not configured)"
    fix = "set `promql.dialect: metricsql` if this runs on VictoriaMetrics; else write it in PromQL"


class PrometheusFeature(Rule):
    """The query uses PromQL that Prometheus accepts only behind a feature flag or from a recent
    release on: a duration expression (`rate(x[1m * 2])`, `offset (1h + 5m)`, `[step()]`; on
    by default from Prometheus 3.14), an extended range selector (`x[5m] anchored`, `smoothed`),
    an experimental function (`sort_by_label`, `limitk`, `info`, `mad_over_time`, ...) or a fill
    modifier (`a + fill(0) b`). A Prometheus without the flag refuses the rule file (or the
    query), so this is a warning; list the flags your servers run with in `promql.features` of
    obslint.yaml and it goes away. Queries in MetricsQL (VictoriaMetrics) are not checked here.

    Syntax that promql-parser cannot read is only taken for a feature when the query without it
    parses; anything else stays a PQ001 error.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate2m
            expr: sum by (job) (rate(requests_total[1m * 2]))
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate2m
            expr: sum by (job) (rate(requests_total[2m]))
    ```
    """

    code, name, severity = "PQ003", "prometheus-feature-flag", Severity.WARNING
    summary = "PromQL that Prometheus accepts only with a feature flag"

    def check_query(self, query, ctx):
        if (query.dialect or "prometheus") == "metricsql":
            return
        parsed = promql.parse(query.expr)
        if parsed.error is None and "fill" not in query.expr and _EXPERIMENTAL.isdisjoint(parsed.calls) and \
                not any(a[0] in _EXPERIMENTAL for a in parsed.aggregations):
            return  # (most queries leave here)
        enabled = ctx.cache.get("promql-syntax.enabled")
        if enabled is None:
            enabled = ctx.cache["promql-syntax.enabled"] = enabled_features(ctx.policy)
        from obslint.lang import promfeatures

        text, spans = promql.substitute_spans(query.expr) if query.grafana else (query.expr, [])
        if parsed.error is None:
            found = promfeatures.used(text, [*parsed.calls, *(a[0] for a in parsed.aggregations)])
            if found is None:
                return
            feature, name = found
            offset = max(_outside_strings(text, name), 0)
            what = f"`{name}` is {promfeatures.WHAT[feature]}"
        else:
            hit = _feature(text, ctx)
            if hit is None:
                return
            feature, offset = hit
            what = f"the query uses {promfeatures.WHAT[feature]}"
        if feature in enabled or (query.origin != "rule" and ctx.project.datasources.dialect is None and
                                  feature == promfeatures.EXPERIMENTAL_FUNCTIONS and
                                  _written_for_metricsql(query, ctx)):
            return
        f = self.finding(query.doc, query.path, f"{what}, in `{excerpt(query.expr)}`",
                         fix=f"list `{feature}` in `promql.features` of obslint.yaml if your Prometheus runs with "
                             "it; else write the query without it", scope=query.scope)
        yield place(f, query.doc, query.path, query.expr, promql.original_offset(spans, offset))
