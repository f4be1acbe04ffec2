"""Functions used on the right kind of series: counters through rate-like functions, gauges
not, histograms through `histogram_quantile` with `le` kept, rate windows long enough."""
from __future__ import annotations

import os
import re

import promql_parser as pp

from obslint import metriccatalog
from obslint import promql
from obslint.durations import format_duration, parse_duration
from obslint.findings import Severity
from obslint.registry import Rule

RATE_LIKE = {"rate", "irate", "increase"}
# Functions and aggregations that may read a raw counter: they look at resets, presence, label
# sets or timestamps, not at the ever-growing value.
COUNTER_OK = {"rate", "irate", "increase", "resets", "changes", "absent", "absent_over_time", "present_over_time",
              "count_over_time", "timestamp", "count", "group", "count_values", "last_over_time"}
WINDOW_FUNCS = {"rate", "irate", "increase", "delta", "idelta", "deriv", "resets", "changes"}


def _quantile_inputs(query, ctx):
    """(catalog or None, the series argument) of every `histogram_quantile` call in a query."""
    if "histogram_quantile" not in query.expr:  # function names are case-sensitive: no call
        return
    parsed = promql.parse(query.expr)
    if parsed.error or "histogram_quantile" not in parsed.calls or parsed.shape is None:
        return
    cat = metriccatalog.catalog(ctx) if metriccatalog.has_catalog(ctx) else None
    for call in _calls(parsed.shape, "histogram_quantile"):  # structure and names only
        if len(call.args) >= 2:
            yield cat, call.args[1]


def _calls(node, name: str):
    """Every call of the named function in an AST."""
    return (n for n in promql.nodes(node, params=True) if isinstance(n, pp.Call) and n.func.name == name)


def _selector_names(node) -> list[str]:
    """The metric names whose series reach the result: not those of the right-hand side of
    `and`/`unless`, a filter that only decides which left-hand series stay."""
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, pp.BinaryExpr) and str(n.op) in ("and", "unless"):
            stack.append(n.lhs)
            continue
        if isinstance(n, pp.VectorSelector):
            if n.name:
                out.append(n.name)
        elif isinstance(n, pp.MatrixSelector):
            if n.vector_selector.name:
                out.append(n.vector_selector.name)
        elif isinstance(n, pp.BinaryExpr):
            stack.extend((n.rhs, n.lhs))
        elif isinstance(n, pp.Call):
            stack.extend(reversed(n.args))
        elif isinstance(n, (pp.AggregateExpr, pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
            stack.append(n.expr)
    return out


def _is_bucket(name: str, cat) -> bool:
    if name.endswith("_bucket") or "_bucket:" in name:
        return True
    if cat is not None:
        s = cat.lookup(name)
        return s is not None and s.role == "bucket"
    return False


class RateOnGauge(Rule):
    """`rate`, `irate` and `increase` assume a counter: a value that only goes up and resets
    to zero. On a gauge every drop is taken for a counter reset, so the result is wrong (and
    usually much too large). Use `deriv` or `delta` for gauges. Needs the metric catalog.

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    metrics:
      - {name: db_connections_active, type: gauge}
    ```
    ```yaml
    groups:
      - name: db
        rules:
          - record: service:db_connections:rate5m
            expr: sum by (service) (rate(db_connections_active[5m]))
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    metrics:
      - {name: db_connections_active, type: gauge}
    ```
    ```yaml
    groups:
      - name: db
        rules:
          - record: service:db_connections:deriv5m
            expr: sum by (service) (deriv(db_connections_active[5m]))
    ```
    """

    code, name, severity = "PL003", "rate-on-gauge", Severity.ERROR
    summary = "rate/irate/increase applied to a metric that is not a counter"
    needs_policy = True

    def check_query(self, query, ctx):
        cat = metriccatalog.catalog(ctx)
        if cat is None:
            return
        parsed = promql.parse(query.expr)
        done = set()
        for sel in parsed.selectors:
            if not sel.name or sel.range is None or not sel.funcs or sel.funcs[0] not in RATE_LIKE:
                continue
            s = cat.lookup(sel.name)
            if s is None or not s.is_gauge or (sel.name, sel.funcs[0]) in done:
                continue
            done.add((sel.name, sel.funcs[0]))
            alt = "deriv" if sel.funcs[0] != "increase" else "delta"
            yield self.finding(query.doc, query.path,
                               f"`{sel.funcs[0]}` on `{sel.name}`, which is a {s.info.type}"
                               f"{' (summary quantile)' if s.role == 'quantile' else ''}, not a counter",
                               fix=f"use `{alt}(...)` for a gauge, or query a counter", scope=query.scope,
                               metric=sel.name)


class CounterWithoutRate(Rule):
    """A counter is read as it is: its value only says how much happened since the process
    started, and drops to zero on every restart. Wrap it in `rate`, `irate` or `increase`
    (counting series with `count`/`group`, or checking `absent`, `resets`, `changes` is fine).
    Needs the metric catalog.

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    metrics:
      - {name: payment_transactions_total, type: counter, labels: [status]}
    ```
    ```yaml
    groups:
      - name: payments
        rules:
          - alert: PaymentFailures
            expr: sum(payment_transactions_total{status="failed"}) > 10
            for: 5m
            annotations: {summary: Payments fail, description: Many payments fail}
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    metrics:
      - {name: payment_transactions_total, type: counter, labels: [status]}
    ```
    ```yaml
    groups:
      - name: payments
        rules:
          - alert: PaymentFailures
            expr: sum(increase(payment_transactions_total{status="failed"}[10m])) > 10
            for: 5m
            annotations: {summary: Payments fail, description: Many payments fail}
    ```
    """

    code, name, severity = "PL004", "counter-without-rate", Severity.WARNING
    summary = "counter read without rate/irate/increase"
    needs_policy = True

    def check_query(self, query, ctx):
        cat = metriccatalog.catalog(ctx)
        if cat is None:
            return
        parsed = promql.parse(query.expr)
        done = set()
        for sel in parsed.selectors:
            if not sel.name or sel.name in done:
                continue
            s = cat.lookup(sel.name)
            if s is None or not s.is_counter or s.info.source == "recording rule":
                continue
            outer = next((f for f in sel.funcs if f != "subquery"), None)
            if outer in COUNTER_OK or (outer == "histogram_quantile" and s.role == "bucket"):
                continue
            if "subquery" in sel.funcs and any(f in RATE_LIKE for f in sel.funcs):
                continue
            done.add(sel.name)
            how = f"through `{outer}`" if outer else "as a raw value"
            yield self.finding(query.doc, query.path,
                               f"counter `{sel.name}` is read {how}; its value is a running total that resets on "
                               f"restart", fix=f"use `rate({sel.name}[5m])` or `increase({sel.name}[1h])`",
                               scope=query.scope, metric=sel.name)


class HistogramQuantileLe(Rule):
    """`histogram_quantile` over classic buckets needs the `le` label: an aggregation that
    does not keep it (`sum(rate(x_bucket[5m]))`, `sum by (service) (...)`, `without (le)`) leaves
    series without `le`, and the query returns nothing.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: service:latency:p95
            expr: histogram_quantile(0.95, sum by (service) (rate(http_request_duration_seconds_bucket[5m])))
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: service:latency:p95
            expr: histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket[5m])))
    ```
    """

    code, name, severity = "PQ101", "histogram-quantile-le", Severity.ERROR
    summary = "histogram_quantile over buckets aggregated without keeping `le`"

    def check_query(self, query, ctx):
        for cat, inner in _quantile_inputs(query, ctx):
            names = _selector_names(inner)
            if not names or not any(_is_bucket(n, cat) for n in names):
                continue
            labels = promql.result_labels(inner)
            if labels.may_have("le") or (labels.only is not None and "vmrange" in labels.only and (
                    getattr(query, "dialect", None) == "metricsql" or ctx.project.datasources.dialect is None)):
                continue  # VictoriaMetrics histograms bucket by `vmrange` (unless the policy says Prometheus)
            yield self.finding(query.doc, query.path,
                               "`histogram_quantile` gets series without the `le` label: the aggregation inside drops it, "
                               "so the quantile is never computed", fix="keep `le`: `sum by (le, ...) (rate(..._bucket[5m]))`",
                               scope=query.scope)


class HistogramQuantileInput(Rule):
    """`histogram_quantile` reads bucket counters (`..._bucket` with `le`) or native
    histograms. Given a `_sum`, `_count` or `_total` series, a summary or a gauge, it returns
    nothing. With a catalog, any metric that is not a histogram is reported.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: service:latency:p95
            expr: histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_count[5m])))
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: service:latency:p95
            expr: histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket[5m])))
    ```
    """

    code, name, severity = "PQ102", "histogram-quantile-input", Severity.ERROR
    summary = "histogram_quantile over something that is not a histogram"

    def check_query(self, query, ctx):
        for cat, inner in _quantile_inputs(query, ctx):
            for name in _selector_names(inner):
                if _is_bucket(name, cat):
                    continue
                why = None
                s = cat.lookup(name) if cat is not None else None
                if s is not None and s.role not in ("bucket", "native-histogram", "unknown") and s.info.source != "recording rule":
                    why = f"a {s.info.type}" + (f" `_{s.role}` series" if s.role in ("sum", "count") else "")
                elif s is None and re.search(r"_(sum|count|total)$", name):
                    why = f"a `_{name.rsplit('_', 1)[1]}` series, not buckets"
                if why:
                    base = re.sub(r"_(sum|count|total|bucket)$", "", name)
                    yield self.finding(query.doc, query.path, f"`histogram_quantile` over `{name}`, {why}",
                                       fix=f"use the buckets: `{base}_bucket` aggregated `by (le)`", scope=query.scope,
                                       metric=name)
                    break


def _config_intervals(ctx) -> list[tuple]:
    """(directory, largest scrape_interval, file, rule_files globs, {job: its interval}) of every
    linted Prometheus config."""
    if "types.configs" not in ctx.cache:
        out = []
        for d in ctx.project.documents:
            if d.kind != "prometheus-config" or not isinstance(d.root, dict):
                continue
            g = d.root.get("global") if isinstance(d.root.get("global"), dict) else {}
            default = parse_duration(g["scrape_interval"]) if isinstance(g.get("scrape_interval"), str) else None
            vals = [default]
            jobs = {}
            for sc in d.root.get("scrape_configs") or []:
                if isinstance(sc, dict):
                    own = parse_duration(sc["scrape_interval"]) if isinstance(sc.get("scrape_interval"), str) else None
                    vals.append(own)
                    if isinstance(sc.get("job_name"), str):
                        jobs[sc["job_name"]] = own or default or 60.0  # Prometheus' default: 1m
            secs = [x for x in vals if x]
            if secs:
                directory = os.path.dirname(os.path.abspath(d.source.display))
                loads = d.root.get("rule_files")
                loads = [os.path.join(directory, g) for g in loads if isinstance(g, str)] \
                    if isinstance(loads, list) else []
                out.append((directory, max(secs), d.source.display, loads, jobs))
        out.sort(key=lambda t: -len(t[0]))  # the closest (deepest) directory first
        ctx.cache["types.configs"] = out
    return ctx.cache["types.configs"]


def _config_of(ctx, display: str, rule_file: bool):
    """(config entry, how it was chosen) of the Prometheus config that scrapes for a file, or None:
    the one that loads the rule file (`rule_files`), else the closest one in a directory above
    the file (for a rule file, one that loads no rule files: one naming others is another server's)."""
    here = os.path.abspath(display)
    configs = _config_intervals(ctx)
    if rule_file:
        import fnmatch

        for entry in configs:
            if any(fnmatch.fnmatchcase(here, os.path.normpath(g)) for g in entry[3]):
                return entry, ", which loads this file"
    for entry in configs:
        if rule_file and entry[3]:
            continue
        if here.startswith(entry[0].rstrip(os.sep) + os.sep):
            return entry, ""
    return None


def scrape_interval(ctx, default: str, display: str, rule_file: bool = False) -> tuple[float, str]:
    """The scrape interval for a file: the policy's `scrape-interval`, else the largest
    `scrape_interval` of the Prometheus config that scrapes for it (`_config_of`), else the
    option's default."""
    value = (ctx.policy or {}).get("scrape-interval")
    secs = parse_duration(value) if isinstance(value, str) else None
    if secs:
        return secs, "policy scrape-interval"
    found = _config_of(ctx, display, rule_file)
    if found is not None:
        entry, how = found
        return entry[1], f"scrape_interval in {entry[2]}{how}"
    return parse_duration(default) or 15.0, "assumed; set `scrape-interval` in the policy"


def job_interval(ctx, display: str, rule_file: bool, job: str) -> float | None:
    """The scrape interval of job `job` in the config that scrapes for the file (none from the
    policy, which sets one interval for all), or None when that config has no such job."""
    if isinstance((ctx.policy or {}).get("scrape-interval"), str):
        return None
    found = _config_of(ctx, display, rule_file)
    return found[0][4].get(job) if found is not None else None


class RateWindowTooShort(Rule):
    """A rate-like function's window must hold at least two samples: at least twice the
    scrape interval (four times is safer). Shorter windows return nothing whenever a scrape is
    late or missed. The interval is the policy's `scrape-interval`, else the largest
    `scrape_interval` of the linted Prometheus config that loads the rule file, or of the closest
    one in a directory above the file (its stack), else the option `scrape-interval`. A window
    whose selectors all name a job (`job="apiserver"`) of that config is judged by those jobs'
    own intervals.

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    scrape-interval: 30s
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate30s
            expr: sum by (job) (rate(http_requests_total[30s]))
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    scrape-interval: 30s
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate2m
            expr: sum by (job) (rate(http_requests_total[2m]))
    ```

    ## Options
    - `scrape-interval` (default `15s`): the interval assumed when neither the policy nor a
      linted Prometheus config tells.
    """

    code, name, severity = "PQ103", "rate-window-too-short", Severity.WARNING
    summary = "rate window shorter than twice the scrape interval"
    options = {"scrape-interval": "15s"}

    def _interval(self, ctx, display: str, rule_file: bool = False) -> tuple[float, str]:
        """The file's scrape interval, worked out once per file."""
        memo = ctx.cache.setdefault("PQ103.intervals", {})
        if display not in memo:
            memo[display] = scrape_interval(ctx, str(self.opts.get("scrape-interval") or "15s"), display, rule_file)
        return memo[display]

    def check_query(self, query, ctx):
        if "[" not in query.expr:  # no range window without a bracket
            return
        parsed = promql.parse(query.expr)
        if not parsed.ranges:
            return
        interval = None
        for secs, funcs in parsed.ranges:
            if not funcs or funcs[0] not in WINDOW_FUNCS or secs <= 0:
                continue
            if interval is None:
                interval, where = self._interval(ctx, query.doc.source.display, query.origin == "rule")
            if secs < 2 * interval and not self._enough_for_its_jobs(ctx, query, parsed, secs, funcs):
                yield self.finding(query.doc, query.path,
                                   f"`{funcs[0]}` over a {format_duration(secs)} window, shorter than twice the scrape "
                                   f"interval ({format_duration(interval)}, {where})",
                                   fix=f"use a window of at least {format_duration(2 * interval)} "
                                       f"(4x, {format_duration(4 * interval)}, tolerates a missed scrape)",
                                   scope=query.scope)
                return


    @staticmethod
    def _enough_for_its_jobs(ctx, query, parsed, secs, funcs) -> bool:
        """Whether every selector read over this window names a job (`job="apiserver"`) that the
        config scrapes often enough: the largest interval belongs to another job."""
        rule_file = query.origin == "rule"
        jobs = []
        for sel in parsed.selectors:
            if sel.range != secs or sel.funcs != funcs:
                continue
            job = next((v for label, op, v in sel.matchers if label == "job" and op == "="), None)
            every = job_interval(ctx, query.doc.source.display, rule_file, job) if job else None
            if every is None:
                return False
            jobs.append(every)
        return bool(jobs) and secs >= 2 * max(jobs)


_INTERVAL_WINDOW = re.compile(r"\[\s*(\$__interval|\$\{__interval\}|\[\[__interval\]\])\s*\]")
_FIXED_WINDOW = re.compile(r"\[\s*(\d+(?:ms|s|m|h|d|w|y))+\s*\]")


def _enclosing_function(expr: str, pos: int) -> str:
    """The name of the function whose parenthesis encloses position pos."""
    depth = 0
    i = pos - 1
    while i >= 0:
        c = expr[i]
        if c == ")":
            depth += 1
        elif c == "(":
            if depth == 0:
                m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", expr[:i])
                return m.group(1) if m else ""
            depth -= 1
        i -= 1
    return ""


class PreferRateInterval(Rule):
    """In dashboards, a rate window of `$__interval` is as wide as one point of the graph,
    which on a zoomed-in graph is shorter than two scrapes: the panel shows gaps or nothing.
    `$__rate_interval` (Grafana 7.2+) is always at least four scrape intervals. With the
    option `hard-coded: true`, fixed windows such as `[5m]` are reported too.

    ## Bad (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
       "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total[$__interval]))"}]}
    ]}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
       "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total[$__rate_interval]))"}]}
    ]}
    ```

    ## Options
    - `hard-coded` (default false): also report fixed windows (`[5m]`) in dashboard rate queries.
    """

    code, name, severity = "PQ104", "prefer-rate-interval", Severity.WARNING
    summary = "dashboard rate window is `$__interval` (or fixed) instead of `$__rate_interval`"
    options = {"hard-coded": False}
    fixable = "safe"  # `$__interval` windows of rate/irate only; increase() and fixed windows are left as they are

    def check_query(self, query, ctx):
        if query.origin != "panel" or "[" not in query.expr:
            return
        expr = query.expr
        hard_coded = self.opts.get("hard-coded")
        if not hard_coded and "__interval" not in expr:
            return
        pats = [_INTERVAL_WINDOW] + ([_FIXED_WINDOW] if hard_coded else [])
        for pat in pats:
            for m in pat.finditer(expr):
                fn = _enclosing_function(expr, m.start())
                if fn in RATE_LIKE:
                    from obslint.fixes import Fix

                    autofix = Fix(lambda q=query: _rate_interval_fix(q), "safe", "use `[$__rate_interval]`") \
                        if pat is _INTERVAL_WINDOW else None
                    yield self.finding(query.doc, query.path,
                                       f"`{fn}` over `{m.group(0)}`: use `[$__rate_interval]` so the window always "
                                       f"spans several scrapes", fix="replace the window with `[$__rate_interval]`",
                                       scope=query.scope, autofix=autofix)
                    return


def _rate_interval_fix(query):
    """PQ104's edits: every `$__interval` window of a rate-like function -> `$__rate_interval`."""
    from obslint.fixspan import query_edits

    expr = query.expr
    # rate and irate are per second: a wider window only smooths. increase() sums over the
    # window, so `increase(x[$__interval])` (bars of per-interval counts) would change its values.
    pieces = [(m.start(1), m.end(1), "$__rate_interval") for m in _INTERVAL_WINDOW.finditer(expr)
              if _enclosing_function(expr, m.start()) in ("rate", "irate")]
    return query_edits(query, pieces)
