"""Reading alert templates: which labels of the alert a template refers to.

Inside `{{ range query "..." }} ... {{ end }}` (or `with query`), the dot is a sample of
that query's result: `.Labels.X` there are the query's labels, not the alert's; `$labels`
still means the alert's."""
from __future__ import annotations

import re

_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_OPENS = re.compile(r"(?:if|range|with|define|block)\b")
_QUERY_BLOCK = re.compile(r"(?:range|with)\s+(?:\$\w+\s*(?:,\s*\$\w+\s*)?:=\s*)?(?:query\b|\(\s*query\b)")


def split_query_blocks(text: str) -> tuple[str, str]:
    """(outside, inside): the template's text outside and inside `range/with query` blocks."""
    if "query" not in text:
        return text, ""
    outside: list[str] = []
    inside: list[str] = []
    depth = 0  # open blocks; `query_at` is the depth of the outermost query block, or -1
    query_at = -1
    last = 0
    for m in _ACTION.finditer(text):
        body = m.group(1)
        (inside if query_at >= 0 else outside).append(text[last:m.start()])
        last = m.end()
        if _OPENS.match(body):
            if query_at < 0 and _QUERY_BLOCK.match(body):
                query_at = depth
                outside.append(m.group())
                depth += 1
                continue
            depth += 1
        elif body == "end" or body.startswith("end "):
            depth = max(0, depth - 1)
            if query_at >= 0 and depth == query_at:
                query_at = -1
                outside.append(m.group())
                continue
        (inside if query_at >= 0 else outside).append(m.group())
    (inside if query_at >= 0 else outside).append(text[last:])
    return "".join(outside), "".join(inside)
