"""PromQL habits that real rule sets get wrong: regexes that are not needed or misunderstood,
alert sets that change with `topk`, and divisions that turn a whole sum into NaN."""
from __future__ import annotations

import re

import promql_parser as pp

from obslint import grafanavars, promql
from obslint.findings import Severity
from obslint.registry import Rule

_META = re.compile(r"[.^$*+?()\[\]{}|\\]")
_RATE_LIKE = {"rate", "irate", "increase", "delta", "idelta"}


def _templated(value: str) -> bool:
    return grafanavars.mentions(value)


def _regex_matchers(parsed, ctx) -> list:
    """(selector, label, op, value) of each regex matcher on a literal value; worked out once
    per expression for the checks that share it."""
    memo = ctx.cache.get("hygiene.regex-matchers")
    if memo is None:
        memo = ctx.cache["hygiene.regex-matchers"] = {}
    found = memo.get(parsed.text)
    if found is None:
        found = memo[parsed.text] = [
            (sel, label, op, value) for sel in parsed.selectors for label, op, value in sel.matchers
            if op in ("=~", "!~") and isinstance(value, str) and not _templated(value)]
    return found


def _plain_op(op: str) -> str:
    return "=" if op == "=~" else "!="


def _fix(make, title: str):
    from obslint.fixes import Fix  # only once there is a finding: not on the start-up path

    return Fix(make, "safe", title)


def _query_fix(query, pieces_of: str, matcher, plain: bool = False):
    """The edits of a matcher fix (fixpromql.<pieces_of>) in the query's file; `plain`: also
    the `=~` -> `=` of PQ110."""
    from obslint import fixpromql
    from obslint.fixspan import query_edits

    pieces = getattr(fixpromql, pieces_of)(query.expr, *matcher)
    if plain:
        pieces += fixpromql.plain_matcher_pieces(query.expr, *matcher)
    return query_edits(query, pieces)


class RegexStatic(Rule):
    """A regex matcher on a plain string (`job=~"api"`). Prometheus anchors regexes at both
    ends, so this matches exactly `api`, not `api-gateway`: if a substring match was meant it is
    a bug (`=~".*api.*"`), and if not, `=` says it plainly.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate5m
            expr: sum by (job) (rate(http_requests_total{job=~"api"}[5m]))
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate5m
            expr: sum by (job) (rate(http_requests_total{job="api"}[5m]))
    ```
    """

    code, name, severity = "PQ110", "regex-static", Severity.WARNING
    summary = "regex matcher on a plain string: use `=`/`!=`, or `.*` if a substring was meant"
    fixable = "safe"  # `=~"api"` and `="api"` match the same series

    def check_query(self, query, ctx):
        if "=~" not in query.expr and "!~" not in query.expr:
            return
        parsed = promql.parse(query.expr)
        done = set()
        for sel, label, op, value in _regex_matchers(parsed, ctx):
            if value == "" or _META.search(value) or (label, op, value) in done:
                continue
            done.add((label, op, value))
            plain = _plain_op(op)
            yield self.finding(query.doc, query.path,
                               f"`{label}{op}\"{value}\"` is a regex without regex characters; it matches exactly "
                               f"`{value}` (regexes are anchored)",
                               fix=f"write `{label}{plain}\"{value}\"`, or `{label}{op}\".*{value}.*\"` for a substring",
                               scope=query.scope, autofix=_fix(lambda q=query, a=(label, op, value): _query_fix(
                                   q, "plain_matcher_pieces", a), f"write `{label}{plain}\"{value}\"`"))


class RegexAnchors(Rule):
    """A regex matcher starts with `^` or ends with `$`. Prometheus always anchors label
    regexes, so these are redundant, and they suggest the author expected unanchored matching
    elsewhere in the query.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate5m
            expr: sum by (job) (rate(http_requests_total{job=~"^api-.*$"}[5m]))
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:requests:rate5m
            expr: sum by (job) (rate(http_requests_total{job=~"api-.*"}[5m]))
    ```
    """

    code, name, severity = "PQ111", "regex-anchors", Severity.INFO
    summary = "redundant `^`/`$` anchors in a label regex"
    fixable = "safe"  # label regexes are anchored anyway

    def check_query(self, query, ctx):
        if "=~" not in query.expr and "!~" not in query.expr:
            return
        parsed = promql.parse(query.expr)
        done = set()
        for _sel, label, op, value in _regex_matchers(parsed, ctx):
            if (label, value) in done:
                continue
            starts = value.startswith("^")
            ends = value.endswith("$") and not value.endswith("\\$")
            if not (starts or ends) or "|" in value:
                continue
            done.add((label, value))
            bare = value[1 if starts else 0: len(value) - (1 if ends else 0)]
            # Without its anchors a plain string is PQ110's: fix both at once (fixing twice changes nothing).
            plain = bare != "" and not _META.search(bare) and "PQ110" in ctx.active
            yield self.finding(query.doc, query.path,
                               f"`{label}{op}\"{value}\"` has redundant anchors: label regexes are always anchored",
                               fix=f"write `{label}{op}\"{bare}\"`", scope=query.scope,
                               autofix=_fix(lambda q=query, a=(label, op, value), p=plain: _query_fix(
                                   q, "anchor_pieces", a, p), f"write `{label}{_plain_op(op) if plain else op}\"{bare}\"`"))


class TopkInAlert(Rule):
    """`topk`/`bottomk`/`limitk` in an alert expression. The set of series they return changes
    from one evaluation to the next, so alerts resolve and fire again as series swap places, and
    `for` never completes for any of them. Filter with a comparison instead. The de-duplication
    idiom `topk by (...) (1, ...)` (one series per group) is not reported.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: disk
        rules:
          - alert: DiskAlmostFull
            expr: topk(3, node_filesystem_avail_bytes / node_filesystem_size_bytes) < 0.1
            for: 15m
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: disk
        rules:
          - alert: DiskAlmostFull
            expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1
            for: 15m
    ```
    """

    code, name, severity = "PQ112", "topk-in-alert", Severity.WARNING
    summary = "topk/bottomk in an alert expression makes alerts flap"

    def check_query(self, query, ctx):
        if query.origin == "panel":
            return
        if query.origin == "rule" and not query.owner.is_alert:
            return
        text = query.expr
        if "topk" not in text and "bottomk" not in text and "limitk" not in text:
            return
        parsed = promql.parse(text)
        # `topk by (pod) (1, ...)` keeps one series per group: a common way to de-duplicate before
        # a join, and stable, so it is not reported.
        ops = [op for op, kind, labels, param in parsed.aggregations if op in ("topk", "bottomk", "limitk")
               and not (kind is not None and promql.number(param) == 1)]
        if ops:
            yield self.finding(query.doc, query.path,
                               f"`{ops[0]}` in an alert: the series it returns change between evaluations, so alerts "
                               f"flap and `for` may never complete", fix="select with a comparison (`> threshold`) "
                               "instead; rank in the dashboard", scope=query.scope)


def _contains_rate(node) -> bool:
    return any(isinstance(n, pp.Call) and n.func.name in _RATE_LIKE for n in promql.nodes(node))


def _is_scalar(node) -> bool:
    while isinstance(node, (pp.ParenExpr, pp.UnaryExpr)):
        node = node.expr
    return isinstance(node, pp.NumberLiteral) or (isinstance(node, pp.Call) and node.func.name in ("scalar", "time"))


def _guarded(node) -> bool:
    """A divisor that cannot be 0: `clamp_min(x, 1)`, `clamp(...)`, filtered `(x > 0)`, or an
    aggregation of such (`sum by (x) (rate(b[5m]) > 0)`)."""
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    if isinstance(node, pp.Call) and node.func.name in ("clamp_min", "clamp"):
        return True
    if isinstance(node, pp.AggregateExpr) and str(node.op) in ("sum", "min", "max", "avg"):
        return _guarded(node.expr)
    if isinstance(node, pp.BinaryExpr) and str(node.op) == "+":  # `clamp_min(a, 1) + irate(b[1m])` >= 1
        return _guarded(node.lhs) and _not_negative(node.rhs) or _guarded(node.rhs) and _not_negative(node.lhs)
    return (isinstance(node, pp.BinaryExpr) and str(node.op) in promql.COMPARISONS
            and not (node.modifier is not None and node.modifier.return_bool))


def _not_negative(node) -> bool:
    """A rate-like call of a counter (or a sum of such, or a guarded value): never below 0."""
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    if isinstance(node, pp.Call) and node.func.name in ("rate", "irate", "increase"):
        return True
    if isinstance(node, pp.AggregateExpr) and str(node.op) in ("sum", "min", "max", "avg"):
        return _not_negative(node.expr)
    return _guarded(node)


def _by_labels(node) -> frozenset | None:
    """The `by` labels of an aggregation (through parentheses and one-to-one arithmetic between
    such aggregations or with a number, which keeps the left side's labels), else None."""
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    if isinstance(node, pp.AggregateExpr) and node.modifier is not None and not str(node.modifier.type).endswith(
            "Without"):
        return frozenset(node.modifier.labels)
    if isinstance(node, pp.BinaryExpr) and str(node.op) in _ARITHMETIC and (
            node.modifier is None or str(node.modifier.card).endswith("OneToOne")):
        if _is_scalar(node.lhs):
            return _by_labels(node.rhs)
        left = _by_labels(node.lhs)
        return left if _is_scalar(node.rhs) or _by_labels(node.rhs) is not None else None
    return None


_ARITHMETIC = frozenset(("+", "-", "*", "/", "%", "^"))


def _one_per_group(division, outer: frozenset | None) -> bool:
    """A ratio of two aggregations `by (M)` inside an outer aggregation `by (L)` with M within L:
    each outer group holds one ratio, so a NaN stays in its own group (the advice is followed)."""
    if outer is None:
        return False
    left, right = _by_labels(division.lhs), _by_labels(division.rhs)
    return left is not None and right is not None and (left | right) <= outer


def _nan_divisions(node, inside: tuple | None, out: list) -> None:
    """`inside`: (the enclosing aggregation's operator, its `by` labels or None)."""
    if isinstance(node, pp.AggregateExpr):
        op = str(node.op)
        _nan_divisions(node.expr, (op, _by_labels(node)) if op in ("sum", "avg", "stddev", "stdvar") else inside,
                       out)
    elif isinstance(node, pp.BinaryExpr):
        op = str(node.op)
        if op in promql.COMPARISONS:
            # `avg(a / b >= 0)`: NaN compares false, so NaN series are filtered out (but `!=` keeps
            # them); `a / b > bool 0` turns NaN into 0.
            keeps_nan = op == "!=" and not (node.modifier is not None and node.modifier.return_bool)
            _nan_divisions(node.lhs, inside if keeps_nan else None, out)
            _nan_divisions(node.rhs, inside, out)
            return
        if inside and op == "/" and not _is_scalar(node.rhs) and not _guarded(node.rhs) and _contains_rate(node.rhs) \
                and not _one_per_group(node, inside[1]):
            out.append(inside[0])
        _nan_divisions(node.lhs, inside, out)
        _nan_divisions(node.rhs, inside, out)
    elif isinstance(node, pp.Call):
        args = node.args
        if inside and inside[1] is not None and node.func.name in ("label_replace", "label_join") and args:
            _nan_divisions(args[0], (inside[0], _labels_before(node, inside[1])), out)
            return
        for a in args:
            _nan_divisions(a, inside, out)
    elif isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
        _nan_divisions(node.expr, inside, out)


def _labels_before(call, outer: frozenset) -> frozenset:
    """The labels that decide, before `label_replace`/`label_join`, the outer `by` groups after
    it: a grouping label the call writes comes from its source labels (`label_join(v, "k", "-",
    "a", "b")` inside `sum by (k)` groups by `a` and `b`; a constant replacement has no source).
    Only a join, a constant or a whole copy keeps distinct groups apart; a part of a label
    (`label_replace(v, "cell", "$1", "zone", ".*-(.)")`) may merge them, so nothing changes."""
    strings = [a.val for a in call.args[1:] if type(a) is pp.StringLiteral]
    if len(strings) != len(call.args) - 1 or not strings or strings[0] not in outer:
        return outer
    if call.func.name == "label_join":
        sources = strings[2:]
    elif "$" not in strings[1]:
        sources = []  # a constant
    elif strings[1] in ("$1", "${1}") and len(strings) > 3 and strings[3].strip("^$") in ("(.*)", "(.+)"):
        sources = strings[2:3]  # a copy of the source label
    else:  # a part of the source label (`.*-(.)`): several values may give one, so groups may merge
        return outer
    return (outer - {strings[0]}) | {s for s in sources if s}


class DivisionInAggregation(Rule):
    """A division by a rate inside `sum`/`avg`: whenever one series' rate is 0 (a quiet
    instance), its ratio is 0/0 = NaN and the whole sum or average becomes NaN, so the panel has
    holes and the alert goes silent. Aggregate numerator and denominator first, then divide.
    Divisors guarded against 0 (`clamp_min(..., 1)`, `(... > 0)`, a sum of such), ratios
    filtered inside the aggregation (`avg(a / b >= 0)`: NaN compares false; `a / b > bool 0`:
    NaN becomes 0), and ratios of aggregations `by (M)` inside an aggregation `by` labels that
    include M (one ratio per group; also when `label_replace`/`label_join` build the outer
    labels from M) are not reported.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:errors:ratio5m
            expr: avg by (job) (rate(errors_total[5m]) / rate(requests_total[5m]))
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:errors:ratio5m
            expr: sum by (job) (rate(errors_total[5m])) / sum by (job) (rate(requests_total[5m]))
    ```
    """

    code, name, severity = "PQ113", "division-in-aggregation", Severity.WARNING
    summary = "division by a rate inside sum/avg: one idle series makes the result NaN"

    def check_query(self, query, ctx):
        if "/" not in query.expr:
            return
        parsed = promql.parse(query.expr)
        if not parsed.aggregations or "/" not in parsed.operators or parsed.shape is None:
            return
        found: list = []
        _nan_divisions(parsed.shape, None, found)
        if found:
            yield self.finding(query.doc, query.path,
                               f"division by a rate inside `{found[0]}`: a series whose rate is 0 gives NaN and turns "
                               f"the whole `{found[0]}` into NaN",
                               fix=f"divide the aggregates: `sum by (...) (rate(a[5m])) / sum by (...) (rate(b[5m]))`",
                               scope=query.scope)
