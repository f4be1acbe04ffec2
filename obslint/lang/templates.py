"""Reading alert templates: which labels of the alert a template refers to.

Inside `{{ range ... }} ... {{ end }}` and `{{ with ... }} ... {{ end }}` the dot is bound to
something else: a sample of a query's result (`range query "..."`, `range printf "..." .Labels.x
| query`), an item, a value. `.Labels.X` there are that thing's labels, not the alert's;
`$labels` still means the alert's, and so does `.Labels` in the block's own pipeline."""
from __future__ import annotations

import re

_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_OPENS = re.compile(r"(?:if|range|with|define|block)\b")
_REBINDS = re.compile(r"(?:range|with)\b")


def split_rebinding_blocks(text: str) -> tuple[str, str]:
    """(outside, inside): the template's text outside and inside `range`/`with` blocks."""
    if "range" not in text and "with" not in text:
        return text, ""
    outside: list[str] = []
    inside: list[str] = []
    depth = 0  # open blocks; `bound_at` is the depth of the outermost range or with block, or -1
    bound_at = -1
    last = 0
    for m in _ACTION.finditer(text):
        body = m.group(1)
        (inside if bound_at >= 0 else outside).append(text[last:m.start()])
        last = m.end()
        if _OPENS.match(body):
            if bound_at < 0 and _REBINDS.match(body):
                bound_at = depth
                outside.append(m.group())
                depth += 1
                continue
            depth += 1
        elif body == "end" or body.startswith("end "):
            depth = max(0, depth - 1)
            if bound_at >= 0 and depth == bound_at:
                bound_at = -1
                outside.append(m.group())
                continue
        (inside if bound_at >= 0 else outside).append(m.group())
    (inside if bound_at >= 0 else outside).append(text[last:])
    return "".join(outside), "".join(inside)
