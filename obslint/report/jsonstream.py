"""Write a large JSON report one item at a time.

A report is a small skeleton (tool, summary, rules) with one long list (the findings). The
skeleton is serialised with a placeholder in that list; the items are serialised one by one
into the placeholder's place, at its indentation, so the output is byte for byte what
`json.dump(whole, out, indent=2, ensure_ascii=False)` would write, without a second copy of
every finding in memory. Lone surrogates are written as `\\uXXXX` escapes (text.json_safe)."""
from __future__ import annotations

import json

from obslint.report.text import json_safe

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Iterable, TextIO

PLACEHOLDER = "\x00obslint-items\x00"


def write(skeleton: dict, items: Iterable, out: TextIO) -> None:
    """skeleton: the document, with `[PLACEHOLDER]` where the items go (exactly once)."""
    text = json.dumps(skeleton, indent=2, ensure_ascii=False)
    marker = json.dumps(PLACEHOLDER)
    at = text.index(marker)
    line_start = text.rindex("\n", 0, at) + 1
    indent = text[line_start:at]
    head, tail = text[:line_start].rstrip("\n"), text[at + len(marker):]  # head ends with `[`
    out.write(json_safe(head))
    empty = True
    for item in items:
        body = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n" + indent)
        out.write(("\n" if empty else ",\n") + indent + json_safe(body))
        empty = False
    # tail is the newline and indentation before the list's `]`, and the rest of the document.
    out.write(json_safe(tail if not empty else "]" + tail[tail.index("]") + 1:]))
