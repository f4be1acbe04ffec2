"""Prometheus PromQL that a server accepts only with a feature flag (or from a recent version on),
which promql-parser does not read or reads without a word: duration expressions
(`rate(x[1m * 2])`, `offset (1h + 5m)`, `step()`), extended range selectors (`x[5m] anchored`),
experimental functions (`sort_by_label`, `limitk`) and fill modifiers of operators (`+ fill(0)`).

Syntax promql-parser refuses is found by writing the expression again without it and parsing
that: only when the rest parses is the expression taken as using the feature, so a real syntax
error is never excused."""
from __future__ import annotations

import re

DURATION_EXPR = "promql-duration-expr"
EXTENDED_RANGE = "promql-extended-range-selectors"
EXPERIMENTAL_FUNCTIONS = "promql-experimental-functions"
FILL_MODIFIERS = "promql-binop-fill-modifiers"
FEATURES = (DURATION_EXPR, EXTENDED_RANGE, EXPERIMENTAL_FUNCTIONS, FILL_MODIFIERS)

# What Prometheus' own parser says of each (promql/parser/features.go, parse.go; CHANGELOG.md).
WHAT = {
    DURATION_EXPR: "a duration expression, which Prometheus parses from 3.14 on (3.6-3.13: only with "
                   "`--enable-feature=promql-duration-expr`; 2.x never)",
    EXTENDED_RANGE: "an extended range selector, which Prometheus (3.7 and later) parses only with "
                    "`--enable-feature=promql-extended-range-selectors`",
    EXPERIMENTAL_FUNCTIONS: "an experimental function, which Prometheus refuses unless started with "
                            "`--enable-feature=promql-experimental-functions`",
    FILL_MODIFIERS: "a fill modifier of an operator, which Prometheus parses only with "
                    "`--enable-feature=promql-binop-fill-modifiers`",
}

# Experimental functions and aggregations (`Experimental: true` in promql/parser/functions.go,
# IsExperimentalAggregator in lex.go), those written as calls outside duration expressions.
EXPERIMENTAL = frozenset({
    "double_exponential_smoothing", "histogram_quantiles", "info", "mad_over_time", "sort_by_label",
    "sort_by_label_desc", "start_timestamp", "ts_of_first_over_time", "ts_of_last_over_time",
    "ts_of_max_over_time", "ts_of_min_over_time", "limitk", "limit_ratio",
})

_DURATION = re.compile(r"\s*(?:\d+(?:\.\d+)?(?:ms|[smhdwy])?)+\s*$")
_DURATION_EXPR = re.compile(r"[\w\s.+\-*/%^(),]+$")
_MODIFIER = re.compile(r"(?<=[\w\]}])(\s+)(anchored|smoothed)\b")
_OFFSET = re.compile(r"\boffset\s*(?=[(\-+]|step\s*\(|range\s*\(|m(?:in|ax)_of\s*\()")
_FILL = re.compile(r"\b(?:fill|fill_left|fill_right)\s*\(")


def rewritten(text: str) -> tuple[str, list[tuple[str, int]]]:
    """The text with duration expressions replaced by `1m` and range modifiers removed, and the
    features met with the offset of their first use; strings are left alone."""
    out: list[str] = []
    found: list[tuple[str, int]] = []
    i, n = 0, len(text)
    plain_from = 0
    subqueries: set[int] = set()  # where each subquery's `[...]` ends

    def plain(upto: int) -> None:
        # Code outside strings and brackets: modifiers and offset expressions.
        nonlocal plain_from
        chunk = text[plain_from:upto]
        pos = 0
        pieces = []
        for m in _MODIFIER.finditer(text, plain_from, upto):  # the lookbehind sees the `]` before
            if m.start() in subqueries:
                continue  # Prometheus refuses the modifiers on a subquery
            pieces.append(chunk[pos:m.start() - plain_from])
            found.append((EXTENDED_RANGE, m.start(2)))
            pos = m.end() - plain_from
        pieces.append(chunk[pos:])
        out.append(_offsets("".join(pieces), plain_from, found) if "offset" in chunk else "".join(pieces))
        plain_from = upto

    while i < n:
        c = text[i]
        if c in "\"'`":
            plain(i)
            end = _string_end(text, i)
            out.append(text[i:end])
            i = plain_from = end
            continue
        if c == "{":  # label matchers: strings and names only
            end = _skip_braces(text, i)
            plain(i)
            out.append(text[i:end])
            i = plain_from = end
            continue
        if c == "[":
            close = text.find("]", i)
            if close < 0:
                break
            plain(i)
            parts = text[i + 1:close].split(":")
            if len(parts) == 2:
                subqueries.add(close + 1)
            if len(parts) <= 2:
                new = []
                for part in parts:
                    if part.strip() == "" or _DURATION.match(part) or not _arithmetic(part):
                        new.append(part)
                    else:
                        found.append((DURATION_EXPR, i + 1 + len(":".join(new)) + (1 if new else 0)))
                        new.append("1m")
                out.append("[" + ":".join(new) + "]")
            else:
                out.append(text[i:close + 1])
            i = plain_from = close + 1
            continue
        i += 1
    plain(n)
    found.sort(key=lambda f: f[1])
    return "".join(out), found


_UNIT = re.compile(r"(\d+(?:\.\d+)?)(?:ms|[smhdwy])")
_DURATION_CALL = re.compile(r"\b(?:step|range)\s*\(\s*\)")
_MIN_MAX_OF = re.compile(r"\bm(?:in|ax)_of\b")


def _arithmetic(part: str) -> bool:
    """Whether `part` is a duration expression Prometheus reads: durations, numbers, `step()`,
    `range()`, `min_of`/`max_of` and arithmetic, well formed (checked by parsing it as numbers)."""
    if not _DURATION_EXPR.match(part):
        return False
    numbers = _MIN_MAX_OF.sub("", _DURATION_CALL.sub("1", _UNIT.sub(r"\1", part))).replace(",", "+")
    if re.search(r"[A-Za-z_]", numbers):
        return False
    import promql_parser

    try:
        promql_parser.parse(numbers)
    except Exception:  # noqa: BLE001 - any refusal means it is not arithmetic
        return False
    return True


def _offsets(chunk: str, base: int, found: list) -> str:
    """`offset (1h + 5m)`, `offset -step()`: the duration expression after `offset` becomes `1m`."""
    pieces, pos = [], 0
    for m in _OFFSET.finditer(chunk):
        start = m.end()
        end = _expression_end(chunk, start)
        if end is None or not _arithmetic(chunk[start:end]):
            continue
        pieces.append(chunk[pos:start])
        pieces.append("1m")
        found.append((DURATION_EXPR, base + start))
        pos = end
    pieces.append(chunk[pos:])
    return "".join(pieces)


def _expression_end(chunk: str, start: int) -> int | None:
    """The end of the duration expression that starts at `start`: a sign, then a parenthesised
    group or a call such as `step()`; None when it is something else."""
    i = start
    while i < len(chunk) and chunk[i] in "-+ \t":
        i += 1
    m = re.match(r"(?:step|range|m(?:in|ax)_of)\s*", chunk[i:])
    if m:
        i += m.end()
    if i >= len(chunk) or chunk[i] != "(":
        return None
    depth = 0
    for j in range(i, len(chunk)):
        if chunk[j] == "(":
            depth += 1
        elif chunk[j] == ")":
            depth -= 1
            if depth == 0:
                return j + 1
    return None


def _string_end(text: str, i: int) -> int:
    quote, j = text[i], i + 1
    while j < len(text):
        if text[j] == "\\" and quote != "`":
            j += 2
            continue
        if text[j] == quote:
            return j + 1
        j += 1
    return len(text)


def _skip_braces(text: str, i: int) -> int:
    j = i + 1
    while j < len(text):
        c = text[j]
        if c in "\"'`":
            j = _string_end(text, j)
            continue
        if c == "}":
            return j + 1
        j += 1
    return len(text)


def excused(text: str, parses) -> tuple[str, int] | None:
    """(feature, offset) of the first flag-gated construct of a text promql-parser refused,
    when the text without them parses (`parses(text) -> bool`); None otherwise."""
    if "[" not in text and "anchored" not in text and "smoothed" not in text and "offset" not in text:
        return None
    new, found = rewritten(text)
    if not found or new == text or not parses(new):
        return None
    return found[0]


def used(text: str, calls) -> tuple[str, str] | None:
    """(feature, name) of a flag-gated construct in a text that parsed: an experimental function
    among its `calls` (including aggregations), or a fill modifier."""
    for name in calls:
        if name in EXPERIMENTAL:
            return EXPERIMENTAL_FUNCTIONS, name
    if "fill" in text:
        for m in _FILL.finditer(text):
            if _outside_strings(text, m.start()):
                return FILL_MODIFIERS, m.group(0).rstrip("( \t")
    return None


def _outside_strings(text: str, at: int) -> bool:
    i = 0
    while i < at:
        c = text[i]
        if c in "\"'`":
            i = _string_end(text, i)
            if i > at:
                return False
            continue
        i += 1
    return True
