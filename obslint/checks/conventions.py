"""Counters and units by naming convention, for sets without a metric catalog: a `_total`
series read raw, a `_seconds`/`_bytes` series shown with another unit."""
from __future__ import annotations

import re

from obslint import metriccatalog
from obslint import promql
from obslint.findings import Severity
from obslint.registry import Rule

# Functions and aggregations that may read a raw counter (resets, presence, counts, timestamps).
_COUNTER_OK = {"rate", "irate", "increase", "resets", "changes", "absent", "absent_over_time", "present_over_time",
               "count_over_time", "timestamp", "count", "group", "count_values", "xrate", "xincrease",
               "rate_over_sum", "increase_pure", "increase_prometheus", "running_sum", "range_first", "last_over_time"}
# Wrappers that pass series through unchanged: the reader is the next function out.
_PASS = {"subquery", "label_replace", "label_join", "sort", "sort_desc", "sort_by_label", "sort_by_label_desc"}
_COUNTER_ENDINGS = ("_total", "_bucket")  # what `_(total|bucket)$` matches


def _recorded(ctx) -> set:
    memo = ctx.cache.get("conventions.recorded")
    if memo is None:
        memo = ctx.cache["conventions.recorded"] = {r.data.get("record") for r in ctx.project.rules
                                                      if isinstance(r.data.get("record"), str)}
    return memo


_RATED = {"rate", "irate", "increase", "xrate", "xincrease"}
# Outer functions that count series or test presence: the values inside do not matter.
_COUNTING = {"count", "group", "count_values", "absent", "absent_over_time", "present_over_time", "count_over_time"}


# `rate(metric`, `increase(metric{`...: how counters are read, found in the text without parsing.
_RATED_NAME = re.compile(r"\b(?:i?rate|increase|xrate|xincrease)\s*\(\s*([A-Za-z_:][A-Za-z0-9_:]*)")
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
# What follows a rate function's name in `_RATED_NAME`: the call's paren and the metric.
_CALLED_NAME = re.compile(r"\s*\(\s*([A-Za-z_:][A-Za-z0-9_:]*)")
_RATED_ENDINGS = ("rate", "increase")  # every name in _RATED ends with one of these


def rated_names(text: str) -> list[str]:
    """What `_RATED_NAME.findall(text)` finds, from the few places `str.find` finds `rate`/
    `increase` at, each checked for a whole word of `_RATED` and then, by one anchored match,
    for `(` and a metric name: the regex tries every position of every query (tests hold the
    two equal)."""
    hits = []
    for literal in _RATED_ENDINGS:
        i = text.find(literal)
        while i != -1:
            hits.append((i, i + len(literal)))
            i = text.find(literal, i + 4)  # neither word overlaps itself
    if len(hits) > 1:
        hits.sort()
    out = []
    after = _CALLED_NAME.match
    for start, end in hits:
        m = after(text, end)
        if m is None:
            continue
        while start and (text[start - 1] in _WORD or text[start - 1].isalnum()):  # `\w`, Unicode too
            start -= 1
        if text[start:end] in _RATED:
            out.append(m.group(1))
    return out


def _rated(ctx) -> set:
    """Metric names some query of the project reads through rate/irate/increase: counters by
    their users' own account. One regex scan over the query texts, once per run (cached
    files contribute what the cache kept: obslint.scalefacts)."""
    memo = ctx.cache.get("conventions.rated")
    if memo is None:
        from obslint.scalefacts import project_rated

        memo = ctx.cache["conventions.rated"] = project_rated(ctx)
    return memo


def _reader(funcs: tuple) -> str | None:
    return next((f for f in funcs if f not in _PASS), None)


class CounterNamedWithoutRate(Rule):
    """A series named like a counter (`_total`, `_bucket`) is read without `rate`,
    `irate` or `increase`: its value is a running total since the process started and drops
    to zero on every restart, so sums, averages, comparisons and graphs of it mean little
    (`histogram_quantile` over raw buckets gives the quantile since start). Counting series
    (`count`, `group`), `absent`, `resets`, `changes` and `timestamp` are fine. Because some
    exporters name gauges `_total`, a series is reported only when another query of the linted
    files reads it through `rate`/`increase` (so it is a counter by its users' own account).
    Runs only without a metric catalog: with one, PL004 decides by the declared type.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrors
            expr: sum by (job) (http_requests_errors_total) > 100
            for: 5m
          - record: job:http_requests_errors:rate5m
            expr: sum by (job) (rate(http_requests_errors_total[5m]))
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrors
            expr: sum by (job) (increase(http_requests_errors_total[10m])) > 100
            for: 5m
    ```
    """

    code, name, severity = "PQ125", "counter-name-without-rate", Severity.INFO
    summary = "series named like a counter (`_total`, `_bucket`) read without rate/increase"

    def check_query(self, query, ctx):
        # A plain function, not a generator: most queries leave at the first tests.
        expr = query.expr
        if "_total" not in expr and "_bucket" not in expr:
            return None
        if metriccatalog.has_catalog(ctx):
            return None
        parsed = promql.parse(expr)
        if parsed.error:
            return None
        rated = None
        for sel in parsed.selectors:
            name = sel.name
            if not name or not name.endswith(_COUNTER_ENDINGS) or ":" in name:
                continue
            if rated is None:
                rated = _rated(ctx)
            if name not in rated or name in _recorded(ctx):
                continue  # `_total` gauges exist (`..._resource_total`): only counters others rate
            reader = _reader(sel.funcs)
            if reader in _COUNTER_OK or any(f in _RATED or f in _COUNTING for f in sel.funcs):
                continue  # a rate of a subquery over it is PQ122's
            how = f"through `{reader}`" if reader else "as a raw value"
            fn = "increase" if query.origin != "panel" else "rate"
            window = "[$__rate_interval]" if query.origin == "panel" else "[5m]"
            return [self.finding(query.doc, query.path,
                                 f"`{name}` is named like a counter but is read {how}; its value is a running total "
                                 f"that resets to zero on restart", fix=f"use `{fn}({name}{window})`",
                                 scope=query.scope, metric=name)]
        return None


# Unit families of Grafana's unit ids and of metric name suffixes.
_PANEL_UNITS = {
    "time": {"ns", "µs", "us", "ms", "s", "m", "h", "d", "dtdurationms", "dtdurations", "dthms", "dtdhms",
             "timeticks", "clockms", "clocks"},
    "bytes": {"bytes", "decbytes", "bits", "decbits", "kbytes", "deckbytes", "mbytes", "decmbytes", "gbytes",
              "decgbytes", "tbytes", "dectbytes", "pbytes", "decpbytes"},
    "rate-bytes": {"Bps", "binBps", "bps", "binbps", "KBs", "KiBs", "Kbits", "Kibits", "MBs", "MiBs", "Mbits",
                   "Mibits", "GBs", "GiBs", "Gbits", "Gibits", "TBs", "TiBs", "Tbits", "Tibits", "PBs", "PiBs",
                   "Pbits", "Pibits"},
    "percent": {"percent", "percentunit"},
}
_SUFFIX_FAMILY = (("_seconds", "time"), ("_bytes", "bytes"))
# Operations after which the unit of the series is no longer the unit of the result.
_UNIT_CHANGING = {"count", "count_over_time", "count_values", "group", "absent", "absent_over_time",
                  "present_over_time", "changes", "resets", "timestamp", "stddev", "stdvar", "topk", "bottomk"}


_UNIT_FAMILY: dict = {}
for _fam, _units in _PANEL_UNITS.items():
    for _unit in _units:
        _UNIT_FAMILY.setdefault(_unit, _fam)


def _family(unit: str) -> str | None:
    return _UNIT_FAMILY.get(unit)


def _panel_unit(panel) -> str | None:
    fc = panel.data.get("fieldConfig")
    unit = fc.get("defaults", {}).get("unit") if isinstance(fc, dict) and isinstance(fc.get("defaults"), dict) else None
    if unit is None and isinstance(panel.data.get("yaxes"), list) and panel.data["yaxes"]:
        first = panel.data["yaxes"][0]
        unit = first.get("format") if isinstance(first, dict) else None
    if isinstance(fc, dict) and isinstance(fc.get("overrides"), list) and fc["overrides"]:
        return None  # per-series units: not comparable to one query
    return unit if isinstance(unit, str) and unit else None


def _expected_family(parsed) -> tuple[str, str] | None:
    """(family, metric) when every selector of a single-metric query carries one unit suffix
    and the query neither combines metrics nor counts series."""
    if parsed.error or len(parsed.selectors) != 1 or parsed.operators:
        return None
    sel = parsed.selectors[0]
    name = sel.name or ""
    if any(f in _UNIT_CHANGING or f.startswith("histogram") for f in sel.funcs):
        return None
    if name.endswith(("_count", "_bucket")):
        return None  # observations counted, not seconds or bytes
    base = name[:-6] if name.endswith("_total") else name[:-4] if name.endswith("_sum") else name
    for suffix, fam in _SUFFIX_FAMILY:
        if base.endswith(suffix):
            rate = any(f in ("rate", "irate", "deriv") for f in sel.funcs)
            if fam == "bytes" and rate:
                return "rate-bytes", name
            if fam == "time" and (rate or name.endswith("_total")):
                return None  # seconds per second is a ratio
            return fam, name
    return None


# Words of a gauge that holds a throughput (bytes per second) despite its `_bytes` name.
_THROUGHPUT = re.compile(r"(?:^|_)(?:ingress|egress|throughput|bandwidth|rx|tx|rate|persec)(?:_|$)")


class UnitMismatch(Rule):
    """A panel shows a single metric whose name says its unit (`_seconds`, `_bytes`, by the
    Prometheus naming convention) with a panel unit of another kind: a latency in `bytes`, a size
    in `percent`. The axis and the legend are wrong by construction. Only panels with one query,
    one metric and no arithmetic are compared, and only when the panel sets a unit. A `_bytes`
    gauge named for a throughput (`ingress`, `egress`, `rx`, `tx`, ...) shown in bytes per
    second is info: some exporters publish throughput gauges so.

    ## Bad (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Memory", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
       "fieldConfig": {"defaults": {"unit": "s"}},
       "targets": [{"refId": "A", "expr": "max by (pod) (container_memory_working_set_bytes)"}]}
    ]}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Memory", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
       "fieldConfig": {"defaults": {"unit": "bytes"}},
       "targets": [{"refId": "A", "expr": "max by (pod) (container_memory_working_set_bytes)"}]}
    ]}
    ```
    """

    code, name, severity = "DB043", "unit-mismatch", Severity.WARNING
    summary = "panel unit contradicts the `_seconds`/`_bytes` suffix of the metric it shows"

    def check_panel(self, panel, ctx):
        # A plain function, not a generator, cheapest tests first: nearly every panel leaves early.
        queries = panel.queries
        if len(queries) != 1:
            return None
        expr = queries[0].expr
        if "_bytes" not in expr and "_seconds" not in expr:
            return None
        unit = _panel_unit(panel)
        if unit is None:
            return None
        have = _UNIT_FAMILY.get(unit)
        if have is None:
            return None
        want = _expected_family(promql.parse(expr))
        if want is None or want[0] == have:
            return None
        fam, metric = want
        if fam == "rate-bytes" and metriccatalog.has_catalog(ctx):
            known = metriccatalog.catalog(ctx).lookup(metric)
            if known is not None and not known.is_counter:
                return None  # a rate of a gauge: PL003's, and the catalog wins
        examples = {"time": "`s`", "bytes": "`bytes`", "rate-bytes": "`Bps`"}[fam]
        # A gauge shown per second: some exporters publish throughput gauges named `_bytes`
        # (Redis Enterprise's `bdb_ingress_bytes`); the author chose the finer unit on purpose.
        throughput = fam == "bytes" and have == "rate-bytes" and _THROUGHPUT.search(metric) is not None
        return [self.finding(panel.doc, panel.path + ("fieldConfig", "defaults", "unit")
                           if isinstance(panel.data.get("fieldConfig"), dict) else panel.path,
                           f"panel `{panel.title}` shows `{metric}` with unit `{unit}`, but "
                           + (("a rate of a bytes counter is in bytes per second"
                               if metric.endswith(("_total", "_sum", "_count", "_bucket")) else
                               "its rate is in bytes per second (and without `_total` the name says a gauge, "
                               "whose rate is rarely meant)") if fam == "rate-bytes" else
                              f"the metric's name says {fam}" + (
                                  ", not bytes per second (right only if the exporter's gauge holds a throughput)"
                                  if throughput else "")),
                           fix=f"set the unit to {examples} (or one of its scaled forms)", metric=metric,
                           severity=Severity.INFO if throughput else None)]
