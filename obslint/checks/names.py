"""Names that are not what they seem: a metric name with dashes, read as a subtraction."""
from __future__ import annotations

import re

import promql_parser as pp

from obslint import grafanavars, promql
from obslint.findings import Severity
from obslint.registry import Rule


_TIGHTER = {"*", "/", "%", "^", "atan2"}  # bind tighter than `-`: `a-b * c` is `a - (b * c)`
_DASHED = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*(?:-[A-Za-z_:][A-Za-z0-9_:]*)+")
# Whether `_DASHED` matches anywhere, without its backtracking (it rescans every identifier
# from each of its characters: 200 us on a long query): a `-` between a name start and a name
# whose last non-digit before the `-` is a name character. Tests hold the two equal.
_DASH_IN_NAME = re.compile(r"[A-Za-z_:][0-9]*-[A-Za-z_:]")


def _bare(node) -> str | None:
    """The name of a bare selector (no matchers but the name, no offset or `@`), or None."""
    if type(node) is not pp.VectorSelector or not node.name or node.offset is not None or node.at is not None:
        return None
    if any(label != "__name__" for label, _op, _v in promql._matchers(node)):
        return None
    return node.name


def _edge(node, side: str):
    """The operand next to a `-`: the rightmost one of a `-` chain on its left, the leftmost
    one of tighter-binding operations on its right."""
    while type(node) is pp.BinaryExpr and node.modifier is None and (
            (side == "right" and str(node.op) == "-") or (side == "left" and str(node.op) in _TIGHTER)):
        node = node.rhs if side == "right" else node.lhs
    return _bare(node)


def dashed_names(parsed) -> list[str]:
    """Every `a-b` written without spaces in the text that parses as `a - b` of bare metrics,
    as the whole dashed word (`a-b-c`)."""
    found: list[str] = []
    for n in promql.nodes(parsed.shape):  # names and `-` only
        if type(n) is not pp.BinaryExpr or str(n.op) != "-" or n.modifier is not None:
            continue
        left, right = _edge(n.lhs, "right"), _edge(n.rhs, "left")
        if not left or not right or f"{left}-{right}" not in parsed.text:
            continue
        for m in _DASHED.finditer(parsed.text):
            if f"{left}-{right}" in m.group() and m.group() not in found:
                found.append(m.group())
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
        # A plain function, not a generator: nearly every query leaves at the first test.
        expr = query.expr
        if "-" not in expr:
            return None
        parsed = promql.parse(expr)
        if parsed.error or "-" not in parsed.operators or not _DASH_IN_NAME.search(parsed.text) \
                or parsed.shape is None:
            return None
        for name in dashed_names(parsed):
            if _meant(name, ctx):
                continue
            spaced = " - ".join(name.split("-"))
            return [self.finding(query.doc, query.path,
                                 f"`{name}` parses as the subtraction `{spaced}` of {name.count('-') + 1} metrics, "
                                 f"not as one metric name", fix=f"quote the name: `{{\"{name}\"}}`; or, if a "
                                 f"subtraction was meant, write `{spaced}`", scope=query.scope, metric=name)]
        return None


# Ends of names that are whole metrics (a unit or a type): `a_bytes-b_bytes` is two of them.
_WHOLE_METRIC = re.compile(r"_(?:total|bytes|seconds|count|sum|bucket|ratio|info|percent|celsius|volts|watts|"
                           r"joules|grams|meters|amperes|hertz|bytes_total|seconds_total)$")


def named_in(queries) -> set:
    """Metric names these queries select on their own: not the parts of a dashed word (`a-b`
    names neither). What PQ124 counts as names the project uses (obslint.scalefacts keeps them
    for cached files)."""
    known: set = set()
    for q in queries:
        if q.language != "promql":
            continue
        parsed = promql.parse(q.expr)
        if parsed.error is not None:
            continue
        dashed = {p for m in _DASHED.finditer(parsed.text) for p in m.group().split("-")} \
            if _DASH_IN_NAME.search(parsed.text) else ()
        known.update(sel.name for sel in parsed.selectors if sel.name and sel.name not in dashed)
    return known


def _meant(name: str, ctx) -> bool:
    """Whether `a-b` reads as a subtraction that was meant: every part is a whole metric name,
    by its unit suffix, its shape, or because the project queries or records it on its own
    (ceph-mixin's `ceph_pool_max_avail-ceph_pool_stored`-style differences)."""
    parts = name.split("-")
    if all(_WHOLE_METRIC.search(p) for p in parts):
        return True
    # Metric-like on every side: one last word (`slotclock_present_slot-beacon_head_slot`, two
    # slot numbers), or three words or more each; a dashed product name has a bare word (`kube-`).
    if all("_" in p for p in parts) and (len({p.rsplit("_", 1)[1] for p in parts}) == 1
                                         or all(p.count("_") >= 2 for p in parts)):
        return True
    known = ctx.cache.get("names.metrics")
    if known is None:
        from obslint.scalefacts import project_named

        known = set(project_named(ctx))
        for r in ctx.project.rules:
            rec = r.data.get("record") if isinstance(r.data, dict) else None
            if isinstance(rec, str):
                known.add(rec)
        ctx.cache["names.metrics"] = known
    return all(p in known for p in parts)


# Characters no metric name has in practice (classic names are [a-zA-Z_:][a-zA-Z0-9_:]*, and
# even UTF-8 names, which need quoting, do not carry these): a regex that needs one matches none.
_NEVER_IN_NAMES = set(" \t\n\"'={},()[]/")


def _impossible(items) -> bool:
    """Whether a parsed regex sequence can only match strings with a forbidden character, or
    only the empty string."""
    sre = _sre()
    for op, arg in items:
        if op is sre.LITERAL and chr(arg) in _NEVER_IN_NAMES:
            return True
        if op is sre.SUBPATTERN and _impossible(arg[-1]):
            return True
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and arg[0] >= 1 and _impossible(arg[2]):
            return True
        if op is sre.BRANCH and all(_impossible(alt) for alt in arg[1]):
            return True
    return False


def _sre():
    """The standard library's regex parser (imported only for the rare `__name__` regexes)."""
    try:
        from re import _parser as sre  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_parse as sre
    return sre


def _only_empty(items) -> bool:
    return all(op is _sre().AT for op, _arg in items)


def name_matches_nothing(op: str, value: str) -> bool:
    if _templated_value(value):  # `$x`, `${x}`, `[[x]]`
        return False
    if op == "=":
        return value == ""
    if op != "=~":
        return False
    try:
        parsed = _sre().parse(value)
    except Exception:  # noqa: BLE001 - an invalid regex is PQ001's
        return False
    items = list(parsed)
    return _only_empty(items) or _impossible(items)


def _templated_value(value: str) -> bool:
    return grafanavars.mentions(value)


class NameRegexMatchesNothing(Rule):
    """A `__name__` matcher that no metric name can satisfy: `{__name__=""}`, a regex that
    only matches the empty string, or one that needs a character metric names never have
    (`{__name__=~"up{job='api'}"}`, a selector pasted into a regex). The selector returns
    nothing, silently.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:up:sum
            expr: sum by (job) ({__name__=~"up{job='api'}"})
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:up:sum
            expr: sum by (job) ({__name__="up", job="api"})
    ```
    """

    code, name, severity = "PQ126", "name-regex-matches-nothing", Severity.WARNING
    summary = "`__name__` matcher that no metric name can match"

    def check_query(self, query, ctx):
        if "__name__" not in query.expr:
            return None  # (a plain function: nearly every query leaves here)
        parsed = promql.parse(query.expr)
        if parsed.error:
            return None
        for sel in parsed.selectors:
            for label, op, value in sel.matchers:
                if label == "__name__" and name_matches_nothing(op, value):
                    return [self.finding(query.doc, query.path,
                                         f"`__name__{op}\"{value}\"` matches no metric name, so the selector is "
                                         f"always empty", fix="name the metric (`{__name__=\"up\"}`) and put other "
                                         "labels in their own matchers", scope=query.scope)]
        return None
