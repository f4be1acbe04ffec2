"""Expressions that look alive but cannot work: comparisons that never hold, chained rates
over aggregated subqueries, offsets into the future, `absent()` alerts that fire on one gap."""
from __future__ import annotations

import math
import re

import promql_parser as pp

from obslint import promql
from obslint.durations import format_duration, parse_duration
from obslint.findings import Severity
from obslint.registry import Rule

_INF = math.inf
# Functions whose value is never negative, and those whose value is always exactly 1.
_NON_NEGATIVE = {"count", "count_values", "count_over_time", "rate", "irate", "increase", "resets", "changes",
                 "histogram_count", "abs", "sqrt", "time", "timestamp", "absent", "absent_over_time",
                 "present_over_time", "group", "stddev", "stdvar", "stddev_over_time", "stdvar_over_time",
                 "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year"}
_ONE = {"absent", "absent_over_time", "present_over_time", "group"}
# Aggregations and functions that keep their input's range (or its non-negativity).
_HULL = {"min", "max", "avg", "topk", "bottomk", "limitk", "limit_ratio", "quantile", "min_over_time",
         "max_over_time", "avg_over_time", "quantile_over_time", "last_over_time", "first_over_time", "sort",
         "sort_desc", "label_replace", "label_join", "sort_by_label", "sort_by_label_desc", "ceil", "floor",
         "round"}
_SUMS = {"sum", "sum_over_time"}
_FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}


class Range:
    """The values an expression can take: [lo, hi] with open or closed ends, and why."""

    __slots__ = ("lo", "lo_in", "hi", "hi_in", "why")

    def __init__(self, lo=-_INF, lo_in=False, hi=_INF, hi_in=False, why: str = "") -> None:
        self.lo, self.lo_in, self.hi, self.hi_in, self.why = lo, lo_in, hi, hi_in, why

    @property
    def empty(self) -> bool:
        return self.lo > self.hi or (self.lo == self.hi and not (self.lo_in and self.hi_in))

    @property
    def known(self) -> bool:
        return self.lo != -_INF or self.hi != _INF

    def limit(self, op: str, value: float, why: str) -> "Range":
        lo, lo_in, hi, hi_in = self.lo, self.lo_in, self.hi, self.hi_in
        if op in (">", ">="):
            if value > lo or (value == lo and op == ">"):
                lo, lo_in = value, op == ">="
        elif op in ("<", "<="):
            if value < hi or (value == hi and op == "<"):
                hi, hi_in = value, op == "<="
        elif op == "==":
            inside = (lo < value < hi) or (value == lo and lo_in) or (value == hi and hi_in)
            lo, lo_in, hi, hi_in = (value, True, value, True) if inside else (1.0, False, 0.0, False)
        # `!=` never empties an interval wider than one point: nothing learnt
        return Range(lo, lo_in, hi, hi_in, why if not self.why else f"{self.why} and {why}" if why else self.why)


_COUNTER_READERS = {"rate", "increase", "irate"}


def _ratio_side(node):
    """(skeleton, matchers) of `agg by (...) (rate(m{...}[w]))` and its parts, else None: the
    shape of one side of an error ratio."""
    while type(node) is pp.ParenExpr:
        node = node.expr
    t = type(node)
    if t is pp.AggregateExpr and str(node.op) == "sum":
        inner = _ratio_side(node.expr)
        mod = node.modifier
        key = (str(mod.type), tuple(sorted(mod.labels))) if mod is not None else None
        return None if inner is None else ((f"sum{key}",) + inner[0], inner[1])
    if t is pp.Call and node.func.name in _COUNTER_READERS and len(node.args) == 1 \
            and type(node.args[0]) is pp.MatrixSelector:
        ms = node.args[0]
        vs = ms.vector_selector
        if vs.offset is not None or vs.at is not None:
            return None
        matchers = frozenset(promql._matchers(vs))
        return (node.func.name, vs.name, ms.range.total_seconds()), matchers
    return None


def _part_of_whole(lhs, rhs) -> bool:
    """`sum(rate(x{code=~"5.."}[5m])) / sum(rate(x[5m]))`: the same shape on both sides and
    the numerator's matchers include all of the denominator's, so it selects a subset."""
    a, b = _ratio_side(lhs), _ratio_side(rhs)
    return a is not None and b is not None and a[0] == b[0] and a[1] > b[1]


def _value_range(node) -> Range:
    """What we can prove about the values of an instant-vector expression."""
    t = type(node)
    if t is pp.ParenExpr:
        return _value_range(node.expr)
    if t is pp.Call:
        name = node.func.name
        if name in _ONE:
            return Range(1.0, True, 1.0, True, f"`{name}(...)` is always 1")
        if name in _NON_NEGATIVE:
            return Range(0.0, True, why=f"`{name}(...)` is never negative")
        if name in ("clamp_min", "clamp_max", "clamp") and len(node.args) >= 2:
            inner = _value_range(node.args[0])
            lo = promql.number(node.args[1])
            if name == "clamp_min" and lo is not None:
                return inner.limit(">=", lo, f"`clamp_min(..., {lo:g})` is at least {lo:g}")
            hi = promql.number(node.args[-1])
            if name == "clamp_max" and hi is not None:
                return inner.limit("<=", hi, f"`clamp_max(..., {hi:g})` is at most {hi:g}")
            return Range()
        if name in _HULL and node.args:
            vec = next((a for a in node.args if promql.number(a) is None and type(a) is not pp.StringLiteral), None)
            return _value_range(vec) if vec is not None else Range()
        return Range()
    if t is pp.AggregateExpr:
        op = str(node.op)
        if op in _ONE:
            return Range(1.0, True, 1.0, True, f"`{op}(...)` is always 1")
        if op in _NON_NEGATIVE:
            return Range(0.0, True, why=f"`{op}(...)` is never negative")
        inner = _value_range(node.expr)
        if op in _HULL:
            return inner
        if op in _SUMS and inner.lo >= 0:
            return Range(0.0, True, why=inner.why.replace("is always 1", "is never negative"))
        return Range()
    if t is pp.BinaryExpr:
        op = str(node.op)
        mod = node.modifier
        if op in ("and", "unless"):
            return _value_range(node.lhs)
        if op == "/" and _part_of_whole(node.lhs, node.rhs):
            return Range(0.0, True, 1.0, True, "a part divided by its whole is at most 1")
        if op == "*" and mod is None:
            factor, other = promql.number(node.rhs), node.lhs
            if factor is None:
                factor, other = promql.number(node.lhs), node.rhs
            if factor is not None and factor > 0:
                inner = _value_range(other)
                return Range(inner.lo * factor, inner.lo_in, inner.hi * factor, inner.hi_in,
                             f"{inner.why}, times {factor:g}" if inner.why else "")
        if op in _FLIP and not (mod is not None and mod.return_bool):
            lv, rv = promql.number(node.rhs), promql.number(node.lhs)
            if lv is not None and rv is None:
                return _value_range(node.lhs).limit(op, lv, f"`{op} {lv:g}`")
            if rv is not None and lv is None:
                return _value_range(node.rhs).limit(_FLIP[op], rv, f"`{rv:g} {op}`")
            if rv is None and lv is None:
                return _value_range(node.lhs)
        return Range()
    return Range()


_AT_MOST_ZERO = re.compile(r"(?:<=?|==)\s*(?:-|0*\.?0+\b(?!\.\d*[1-9]))")


# Number literals (not durations, names or parts of them), and what may hide a sign or a scale.
_NUMBER = re.compile(r"(?<![\w.])(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![\w.])")
_SPECIAL_NUMBER = re.compile(r"(?i)\b(?:inf|nan)\b|0x")


def _bound_crossed(parsed) -> bool:
    """Whether the one comparison of a ratio can hold a threshold the ratio's [0, 1] range
    decides: any number outside the open (0, 1) (a literal, perhaps a label value), a `-`
    (a negative threshold), or a `*` (a scaled ratio). Only thresholds like `> 0.05` are
    ruled out, the common alert; tests hold it to `never_true` on the corpus."""
    text = parsed.text
    if "*" in parsed.operators or "-" in text or _SPECIAL_NUMBER.search(text):
        return True
    return any(not 0 < float(n) < 1 for n in _NUMBER.findall(text))


def _may_be_empty(parsed) -> bool:
    """Whether a comparison of this expression can be unsatisfiable, from the facts alone:
    a comparison inside another's operand (`x > 5 < 3`; siblings such as `a > 1 and b < 2`
    narrow no common value), or a never-negative value compared with zero or less, or a value
    that is always 1 compared at all."""
    if parsed.nested:
        return True
    if not any(op in _FLIP for op in parsed.operators):
        return False
    sources = set(parsed.calls) | {a[0] for a in parsed.aggregations}
    if "/" in parsed.operators and sources & _COUNTER_READERS and _bound_crossed(parsed):
        return True  # a part over its whole (at most 1) compared with a number outside (0, 1)
    if sources & _ONE or "clamp_min" in sources or "clamp_max" in sources or "clamp" in sources:
        return True
    return bool(sources & _NON_NEGATIVE) and _AT_MOST_ZERO.search(parsed.text) is not None


def never_true(ast):
    """(comparison text, why) of the first filtering comparison whose value range is empty."""
    for n in promql.nodes(ast):
        if type(n) is not pp.BinaryExpr:
            continue
        op = str(n.op)
        if op not in _FLIP or (n.modifier is not None and n.modifier.return_bool):
            continue
        r = _value_range(n)
        if r.empty:
            return op, r.why
    return None


def _is_alerting(query) -> bool:
    return query.origin == "grafana-alert" or (query.origin == "rule" and query.owner.is_alert)


class ComparisonNeverTrue(Rule):
    """A filtering comparison that no value can pass: `x > 5 < 3`, `count(...) < 0`,
    `rate(...) < 0`, `absent(...) > 1`, a part over its whole (`sum(rate(x{code=~"5.."}[5m])) /
    sum(rate(x[5m]))`, at most 1) `> 1`. The expression always returns nothing, so the alert can
    never fire and the panel stays empty. Usually a flipped operator or a lost `bool`.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiInstancesMissing
            expr: count(up{job="api"} == 1) < 0
            for: 5m
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiInstancesMissing
            expr: count(up{job="api"} == 1) < 2
            for: 5m
    ```
    """

    code, name, severity = "PQ121", "comparison-never-true", Severity.WARNING
    summary = "comparison that no value can pass: the expression is always empty"

    def check_query(self, query, ctx):
        # A plain function, not a generator: nearly every query leaves at the first tests.
        expr = query.expr
        if "<" not in expr and ">" not in expr and "==" not in expr:
            return None
        parsed = promql.parse(expr)
        if parsed.error or not _may_be_empty(parsed):
            return None
        # The regex-free tree first (no second parse); a hit is confirmed on the exact tree,
        # whose matcher operators the part-of-whole test reads.
        hit = never_true(parsed.shape)
        if hit is not None:
            hit = never_true(parsed.ast)
        if hit is None:
            return None
        _op, why = hit
        return [self.finding(query.doc, query.path,
                             f"this comparison can never hold: {why}, so the expression always returns nothing",
                             fix="check the operator and the threshold (or add `bool` to get 0/1 instead of a "
                                 "filter)", scope=query.scope)]


_RATES = {"rate", "irate", "increase"}
_SUBQUERY_BRACKET = re.compile(r"\[[^\]\[]*:[^\]\[]*\]")
_AGGREGATING = {"sum", "avg", "min", "max", "count", "quantile", "stddev", "stdvar", "group"}


def _chained_rate(ast):
    """(rate function, what the subquery aggregates) for `rate(sum(x)[5m:])` and the like."""
    for n in promql.nodes(ast):
        if type(n) is not pp.Call or n.func.name not in _RATES or not n.args:
            continue
        sub = n.args[0]
        if type(sub) is not pp.SubqueryExpr:
            continue
        inner = sub.expr
        while type(inner) is pp.ParenExpr:
            inner = inner.expr
        if type(inner) is pp.AggregateExpr and str(inner.op) in _AGGREGATING:
            return n.func.name, f"`{inner.op}`"
        if type(inner) is pp.Call and inner.func.name in _RATES | {"deriv", "delta", "idelta"}:
            return n.func.name, f"`{inner.func.name}`"
    return None


class RateOfAggregate(Rule):
    """`rate`, `irate` and `increase` need a counter: one series that only goes up and
    resets to zero. A subquery over `sum`/`avg`/... is not one: when any single series of the
    sum restarts, the sum drops, the rate takes it for a reset of the whole and adds the whole
    sum back (a huge spike). Over another rate it differentiates a gauge. Take the rate first,
    then aggregate: `sum(rate(x[5m]))`; for a rate of change of a gauge use `deriv`.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate5m
            expr: rate(sum by (job) (http_requests_total)[5m:1m])
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate5m
            expr: sum by (job) (rate(http_requests_total[5m]))
    ```
    """

    code, name, severity = "PQ122", "rate-of-aggregate", Severity.WARNING
    summary = "rate/increase of a subquery over an aggregation or a rate: resets are misread"

    def check_query(self, query, ctx):
        # A plain function, not a generator: nearly every query leaves at the first test.
        if ":" not in query.expr or _SUBQUERY_BRACKET.search(query.expr) is None:
            return None  # no subquery without `[range:step]`
        parsed = promql.parse(query.expr)
        if parsed.error or not any(f in _RATES for f in parsed.calls) or parsed.shape is None:
            return None
        hit = _chained_rate(parsed.shape)  # structure only
        if hit is None:
            return None
        fn, what = hit
        return [self.finding(query.doc, query.path,
                             f"`{fn}` of a subquery over {what}: the subquery is not a counter, so every restart "
                             f"of one input series is read as a reset of the whole and the result spikes",
                             fix=f"apply `{fn}` to the raw counter first and aggregate after: "
                                 f"`sum by (...) ({fn}(x[5m]))`", scope=query.scope)]


def _future(ast):
    """The first offset/@ that makes a rule look past its evaluation time: a negative offset,
    or `@` a fixed timestamp."""
    for n in promql.nodes(ast):
        t = type(n)
        vs = n.vector_selector if t is pp.MatrixSelector else n if t is pp.VectorSelector else None
        holder = vs if vs is not None else n if t is pp.SubqueryExpr else None
        if holder is None:
            continue
        off = holder.offset
        if off is not None and off.total_seconds() < 0:
            return f"`offset -{format_duration(-off.total_seconds())}` reads samples after the evaluation time"
        at = holder.at
        if at is not None and str(at.type).endswith(".At"):
            return "`@` a fixed timestamp reads the same instant at every evaluation"
    return None


class RuleLooksAtFuture(Rule):
    """A rule or alert expression with a negative `offset` asks for samples newer than the
    evaluation time, which do not exist yet: the result is empty or stale. `@` with a fixed
    Unix timestamp freezes the rule at that instant, so it returns the same value forever.
    (`@ start()`/`@ end()` are the evaluation time in a rule and fine; dashboards may shift
    graphs on purpose and are not checked.)

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate5m_tomorrow
            expr: sum by (job) (rate(http_requests_total[5m] offset -1d))
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate5m_yesterday
            expr: sum by (job) (rate(http_requests_total[5m] offset 1d))
    ```
    """

    code, name, severity = "PQ123", "rule-looks-at-future", Severity.WARNING
    summary = "negative offset or fixed `@` timestamp in a rule: it reads the future or a frozen instant"

    def check_query(self, query, ctx):
        # A plain function, not a generator: nearly every query leaves at the first tests.
        if query.origin == "panel":
            return None
        expr = query.expr
        if "@" not in expr and "offset" not in expr.lower():
            return None
        parsed = promql.parse(expr)
        if parsed.error or parsed.shape is None:
            return None
        why = _future(parsed.shape)  # offsets and `@` only
        if not why:
            return None
        return [self.finding(query.doc, query.path, f"{why}, so the rule sees no current data",
                             fix="use a positive `offset` (the past), or drop the `@` modifier", scope=query.scope)]


def _absent_call(ast) -> str | None:
    for n in promql.comparisons(ast):
        if type(n) is pp.Call and n.func.name in ("absent", "absent_over_time"):
            return n.func.name
    return None


_WORDS = {2: "two", 3: "three"}


class AbsentWithoutFor(Rule):
    """An alert on `absent(...)` without `for` fires on a single evaluation that finds no
    sample, and with a `for` of up to one evaluation interval on two in a row: one slow
    scrape, one restarting target, one rule evaluated during a deploy. Give it at least two intervals (the
    group's `interval`, else the option `evaluation-interval`), as it is meant to say "gone",
    not "late".

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiMetricsMissing
            expr: absent(up{job="api"})
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiMetricsMissing
            expr: absent(up{job="api"})
            for: 5m
    ```

    ## Options
    - `evaluation-interval` (default `1m`, Prometheus' default): used for groups without `interval`.
    """

    code, name, severity = "AL020", "absent-without-for", Severity.WARNING
    summary = "absent() alert without a `for` of two evaluation intervals fires on one gap"
    options = {"evaluation-interval": "1m"}
    applies_to = ("prometheus-rules",)

    def check_alert(self, rule, ctx):
        q = rule.query
        if q is None or "absent" not in q.expr:
            return None  # (most alerts leave here; the rest of the check yields)
        return self._check(rule, q)

    def _check(self, rule, q):
        parsed = promql.parse(q.expr)
        if parsed.error or parsed.shape is None:
            return
        fn = _absent_call(parsed.shape)  # exact when absent() is in it
        if fn is None:
            return
        interval = parse_duration(rule.group.data.get("interval")) if isinstance(
            rule.group.data.get("interval"), str) else None
        interval = interval or parse_duration(str(self.opts.get("evaluation-interval") or "1m")) or 60.0
        raw = rule.data.get("for")
        have = parse_duration(raw) if isinstance(raw, str) else None
        if have is not None and have >= 2 * interval:
            return
        want = format_duration(2 * interval)
        if raw is None or have is None:
            if raw is not None:
                return  # an unparsable `for` is RF007's
            yield self.finding(rule.doc, rule.path, f"alert `{rule.name}` on `{fn}(...)` has no `for`: one "
                               f"evaluation without a sample fires it", fix=f"add `for: {want}` or longer",
                               scope=rule.path)
        else:
            # Pending at the first evaluation that finds nothing, firing at the first one at least
            # `for` later: 1 + ceil(for / interval) evaluations in a row.
            n = 1 + math.ceil(have / interval) if have > 0 else 1
            gap = "one evaluation" if n == 1 else f"{_WORDS.get(n, str(n))} evaluations in a row"
            yield self.finding(rule.doc, rule.path + ("for",),
                               f"alert `{rule.name}` on `{fn}(...)` has `for: {raw}`, shorter than two evaluation "
                               f"intervals ({want}): {gap} without a sample fire{'s' if n == 1 else ''} it",
                               fix=f"use `for: {want}` or longer", scope=rule.path)
