"""A fast path for the commonest PromQL shapes: checked and described by one regular
expression, without building a syntax tree.

Half of real dashboard queries are `AGG [by|without (labels)] (FUNC(metric{matchers}[window]))`
or a part of it. For those, one C-level match proves the expression valid and yields every
fact obslint keeps (selectors, calls, aggregations, ranges), where promql-parser would build a
Python object per node (~45 us an expression). The grammar is deliberately narrower than
PromQL: anything it is not sure of (escapes in strings, regex syntax beyond the plainest,
keywords as names, modifiers, arithmetic) returns None and takes the full parser. Tests check
that every expression this path accepts, promql-parser accepts too, with the same facts.
"""
from __future__ import annotations

import re

import promql_parser

_WS = r"[ \t\r\n]*"
_LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
_METRIC = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
# Strings without escapes, so the text between the quotes is the value. A regex value uses
# only literal characters, `.`, `.*`, `.+`, `^`, `$` and `|`: always a valid RE2 pattern.
_EQ_VALUE = r'"[^"\\\n]*"'
_RE_VALUE = r'"(?:[A-Za-z0-9_:/ ,@=%-]|\.[*+]?|[$^|])*"'
_MATCHER = rf"{_LABEL}{_WS}(?:!?={_WS}{_EQ_VALUE}|[=!]~{_WS}{_RE_VALUE})"
# Every run of whitespace is followed by a token that ends it, never by another optional run:
# a text that does not match fails in linear time (two adjacent optional runs would be tried
# in every split, quadratic in the length of the whitespace).
_MATCHERS = rf"\{{{_WS}(?:{_MATCHER}{_WS}(?:,{_WS}{_MATCHER}{_WS})*(?:,{_WS})?)?\}}"
_SELECTOR = rf"(?P<metric>{_METRIC})(?P<matchers>{_MATCHERS})?"
_RANGE_FUNCS = ("rate", "irate", "increase", "delta", "idelta", "deriv", "changes", "resets",
                "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
                "last_over_time", "stddev_over_time", "stdvar_over_time", "present_over_time")
_AGGREGATIONS = ("sum", "avg", "min", "max", "count", "group", "stddev", "stdvar")
_LABELS = rf"\({_WS}(?:{_LABEL}{_WS}(?:,{_WS}{_LABEL}{_WS})*(?:,{_WS})?)?\)"
_INNER = (rf"(?:(?P<func>{'|'.join(_RANGE_FUNCS)}){_WS}\({_WS})?{_SELECTOR}"
          rf"(?(func){_WS}\[{_WS}(?P<num>[1-9][0-9]{{0,5}})(?P<unit>ms|s|m|h|d|w|y){_WS}\]{_WS}\))")
_SHAPE = re.compile(
    rf"{_WS}(?:(?P<agg>{'|'.join(_AGGREGATIONS)})(?:[ \t\r\n]+(?P<k1>by|without){_WS}(?P<l1>{_LABELS}))?{_WS}\({_WS})?"
    rf"{_INNER}{_WS}(?(agg)\){_WS}(?:(?P<k2>by|without){_WS}(?P<l2>{_LABELS}){_WS})?)")
_ONE_MATCHER = re.compile(rf"({_LABEL}){_WS}(=~|!~|!=|=){_WS}\"([^\"]*)\"")
_ONE_LABEL = re.compile(_LABEL)
# Words the lexer reads as something else than a name; a name spelled like one goes to the parser.
_RESERVED = frozenset(("by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
                       "and", "or", "unless", "atan2", "start", "end", "inf", "nan", "limitk", "limit_ratio",
                       "topk", "bottomk", "quantile", "count_values") + _AGGREGATIONS + _RANGE_FUNCS)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def facts(text: str):
    """(selector, calls, aggregations, ranges) as promql.Parsed holds them, or None when the
    text is not one of the shapes this path knows (which says nothing about its validity)."""
    if text.count("(") > 3:  # the shape has at most three: aggregation, label list, function
        return None
    m = _SHAPE.fullmatch(text)
    if m is None:
        return None
    metric = m.group("metric")
    if metric.lower() in _RESERVED or (m.group("k1") and m.group("k2")):
        return None
    matchers = []
    block = m.group("matchers")
    if block:
        for label, op, value in _ONE_MATCHER.findall(block):
            if label.lower() in _RESERVED or label == "__name__":
                return None
            matchers.append((label, op, value))
    funcs: tuple = ()
    aggregations = []
    agg = m.group("agg")
    if agg:
        kind = m.group("k1") or m.group("k2")
        labels = _ONE_LABEL.findall(m.group("l1") or m.group("l2") or "")
        if any(label.lower() in _RESERVED for label in labels):
            return None
        aggregations.append((agg, kind, labels, None))
        funcs = (agg,)
    func = m.group("func")
    calls, ranges = [], []
    seconds = None
    if func:
        calls.append(func)
        funcs = (func,) + funcs
        n, unit = int(m.group("num")), m.group("unit")
        seconds = n / 1000 if unit == "ms" else float(n * _UNIT_SECONDS[unit])
        ranges.append((seconds, funcs))
    return (metric, matchers, seconds, funcs), calls, aggregations, ranges


# --- parsing without compiling regexes ---------------------------------------------------
# promql-parser compiles every `=~`/`!~` value as a regex while it parses, and that is most
# of its time on real dashboards (`job=~"$job"` in nearly every query: 0.21 s of 0.27 s on
# the corpus). Those values repeat across expressions (332 distinct in 3,400 dashboard
# queries), so each is checked once, and the expression is parsed with `=`/`!=` in their
# place (same length, so error positions do not move); promql.py then restores the
# operators in the facts.
_MATCHER_SCAN = re.compile(r"""
    "[^"\\]*(?:\\.[^"\\]*)*"? | '[^'\\]*(?:\\.[^'\\]*)*'? | `[^`]*`? | \#[^\n]*     # strings and comments
  | (?<![a-zA-Z0-9_:])(?P<label>[a-zA-Z_][a-zA-Z0-9_]*)(?![a-zA-Z0-9_:])       # a whole name, then
    [ \t\r\n]*(?P<op>=~|!~|!=|=(?![=~]))[ \t\r\n]*                            # a matcher's operator
    (?P<value>"[^"\\]*(?:\\.[^"\\]*)*"|'[^'\\]*(?:\\.[^'\\]*)*'|`[^`]*`)
  | (?P<brace>\{)
""", re.X)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:")
_PLAIN_OPS = {"=~": "= ", "!~": "!="}


def without_regexes(text: str, checked: dict):
    """(text with every regex matcher's operator made `=`/`!=`, [(label, op, literal)] of all
    matchers in text order), or None when the text has no regex matcher or something that
    would make the two parses disagree on validity or facts: a regex value promql-parser
    rejects (its own message is wanted), a selector without a metric name (whether a regex
    can match "" decides its validity), `__name__` matchers (part of the name). `checked`
    memoises each regex value's verdict for the run (promql.Service.regexes)."""
    if "~" not in text:
        return None
    matchers = []
    pieces = []
    last = 0
    for m in _MATCHER_SCAN.finditer(text):
        if m.lastgroup == "brace":
            i = m.start() - 1
            while i >= 0 and text[i] in " \t\r\n":
                i -= 1
            if i < 0 or text[i] not in _NAME_CHARS:
                return None
            continue
        label = m.group("label")
        if label is None:
            continue
        op, literal = m.group("op"), m.group("value")
        if label == "__name__":
            return None
        matchers.append((label, op, literal))
        if op in _PLAIN_OPS:
            ok = checked.get((op, literal))
            if ok is None:
                ok = checked[(op, literal)] = _valid_regex(op, literal)
            if not ok:
                return None
            pieces.append(text[last:m.start("op")])
            pieces.append(_PLAIN_OPS[op])
            last = m.end("op")
    if not pieces:
        return None
    pieces.append(text[last:])
    return "".join(pieces), matchers


def _valid_regex(op: str, literal: str) -> bool:
    try:
        promql_parser.parse("x{a" + op + literal + "}")
    except BaseException as exc:  # noqa: BLE001 - any refusal: let the full parse report it
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return False
    return True
