"""Where a character of a query lies in its file: line and column inside the expression.

A query's text is the decoded scalar (JSON string, YAML plain, quoted or block scalar).
Its characters appear in the file in the same order, apart from quotes, escapes, block
headers, indentation and folded line breaks; walking both side by side finds the file
offset of a decoded offset, whatever the quoting style.
"""
from __future__ import annotations

_SPACE = " \t\r\n"


def inside(doc, path: tuple, value: str, offset: int) -> tuple[int, int] | None:
    """1-based (line, column) in the file of `value[offset]`, where `value` is the string at
    `path` (relative to the document root); None when it cannot be placed."""
    src = doc.source
    text = src.text
    if not text or offset < 0:
        return None
    try:
        line, col = doc.locate(tuple(doc.base) + tuple(path))
    except Exception:  # noqa: BLE001 - no position inside: the caller keeps the value's
        return None
    starts = src.lines.starts
    if line < 1 or line > len(starts):
        return None
    i = starts[line - 1] + col - 1
    end = _walk(text, i, value, min(offset, len(value)))
    if end is None:
        return None
    return src.lines.position(end)


def _walk(raw: str, i: int, value: str, k: int) -> int | None:
    n = len(raw)
    if i >= n:
        return None
    quote = raw[i] if raw[i] in "\"'" else None
    if quote:
        i += 1
    elif raw[i] in "|>":  # a block scalar: its content starts on the next line
        nl = raw.find("\n", i)
        if nl < 0:
            return None
        i = nl + 1
    for j in range(k):
        c = value[j]
        if i >= n:
            return None
        r = raw[i]
        if r == c and not (r == "\\" and quote == '"') and not (r == "'" and quote == "'"):
            i += 1
            continue
        if quote == '"' and r == "\\":
            i += _escape_length(raw, i)
            continue
        if quote == "'" and r == "'" and raw.startswith("''", i):
            i += 2
            continue
        if r in _SPACE:  # indentation or a folded line break
            while i < n and raw[i] in _SPACE and raw[i] != c:
                i += 1
            if c in _SPACE:
                if i < n and raw[i] == c:
                    i += 1
                continue
            if i < n and raw[i] == c:
                i += 1
                continue
        return None  # the texts do not line up: give up rather than guess
    # Skip indentation before the character itself (the start of a block scalar's line).
    while i < n and raw[i] in " \t" and (k >= len(value) or value[k] not in " \t"):
        i += 1
    return i


def _escape_length(raw: str, i: int) -> int:
    nxt = raw[i + 1:i + 2]
    if nxt == "u":
        return 6
    if nxt == "U":
        return 10
    if nxt == "x":
        return 4
    return 2


def place(finding, doc, path: tuple, value: str, offset: int):
    """Put `finding` at `value[offset]` in the file (it stays at the value when that fails)."""
    pos = inside(doc, path, value, offset)
    if pos is not None:
        finding.line, finding.col = pos
    return finding


def excerpt(expr: str, limit: int = 120) -> str:
    """The user's query on one line, cut to `limit` characters."""
    text = " ".join(expr.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
