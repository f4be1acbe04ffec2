"""Spans inside a PromQL expression for the query fixes (PQ104, PQ110, PQ111): where a label
matcher's operator and string literal are, found in the text and checked against the
parser's decoded value, so an edit never lands on a look-alike."""
from __future__ import annotations

import re

_STRING = r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`[^`]*`'
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"',
            "'": "'"}


def decode(literal: str) -> str | None:
    """The value of a PromQL string literal (Go's escapes), or None for one we do not read."""
    q, body = literal[0], literal[1:-1]
    if q == "`":
        return body
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1:i + 2]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 2
        else:
            return None  # \x, \u, octal: not needed for the fixes, not guessed
    return "".join(out)


def matchers(expr: str, label: str, op: str, value: str) -> list[tuple[int, int, int, int]]:
    """(op start, op end, literal start, literal end) of every matcher `label op "value"` in
    expr: inside braces, outside any other string literal."""
    pat = re.compile(r"(?<![\w.:])" + re.escape(label) + r"\s*(" + re.escape(op) + r")\s*(" + _STRING + ")")
    found = []
    strings = [m.span() for m in re.finditer(_STRING, expr)]
    for m in pat.finditer(expr):
        if any(a <= m.start() < b for a, b in strings):
            continue  # the label name sits inside another string
        if decode(m.group(2)) != value or not _in_braces(expr, m.start(), strings):
            continue
        found.append((m.start(1), m.end(1), m.start(2), m.end(2)))
    return found


def _in_braces(expr: str, pos: int, strings) -> bool:
    """Is pos inside `{...}` (a selector's matchers), not counting braces in string literals?"""
    depth = 0
    i = 0
    for a, b in strings:
        if a >= pos:
            break
        depth += expr.count("{", i, a) - expr.count("}", i, a)
        i = b
    depth += expr.count("{", i, pos) - expr.count("}", i, pos)
    return depth > 0


def plain_matcher_pieces(expr: str, label: str, op: str, value: str) -> list[tuple[int, int, str]]:
    """PQ110: `=~`/`!~` -> `=`/`!=` at every occurrence of the matcher."""
    plain = "=" if op == "=~" else "!="
    return [(a, b, plain) for a, b, _s, _e in matchers(expr, label, op, value)]


def anchor_pieces(expr: str, label: str, op: str, value: str) -> list[tuple[int, int, str]]:
    """PQ111: drop the leading `^` and the trailing `$` inside the matcher's literal."""
    pieces = []
    for _a, _b, s, e in matchers(expr, label, op, value):
        if value.startswith("^") and expr[s + 1] == "^":
            pieces.append((s + 1, s + 2, ""))
        if value.endswith("$") and not value.endswith("\\$") and expr[e - 2] == "$":
            pieces.append((e - 2, e - 1, ""))
    return pieces
