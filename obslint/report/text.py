"""Text from linted files made safe for a terminal or a log viewer.

Rule names, titles, messages and source lines come from files obslint does not trust. Written
raw, an ESC starts a terminal control sequence (colours, cursor moves, a rewritten title, a
hidden line), BEL rings, backspace and CR overwrite what came before, a bidirectional override
reorders what the reader sees, and a lone surrogate (from a JSON `\\ud800` escape or a file
name that is not UTF-8) cannot be encoded at all. `printable` shows each such character as a
visible escape (`\\x1b`, `\\u202e`); a byte of a non-UTF-8 file name, which Python carries as
a surrogate `\\udcXX`, is shown as the byte `\\xXX`."""
from __future__ import annotations

import re

# C0 controls but tab, DEL, C1 controls, line/paragraph separators, bidi embeddings, overrides
# and isolates, surrogates.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(m: re.Match) -> str:
    c = ord(m.group())
    if 0xDC80 <= c <= 0xDCFF:  # surrogateescape: one undecodable byte
        return f"\\x{c - 0xDC00:02x}"
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def printable(text: str) -> str:
    """text with every character that could act on a terminal shown as an escape. A text
    Python calls printable has none of them (each is a control, format, separator or
    surrogate character): one C-level scan, without the regex, for nearly every text."""
    if not text or text.isprintable() or _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


def printable_lines(text: str) -> str:
    """Like printable, but newlines stay (multi-line bodies such as message + fix)."""
    if not text or _UNSAFE.search(text) is None:
        return text
    return "\n".join(printable(line) for line in text.split("\n"))


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_safe(text: str) -> str:
    """A JSON document written with ensure_ascii=False, with each lone surrogate written as the
    `\\uXXXX` escape ensure_ascii=True would give it: the same JSON value, and text that
    can be encoded as UTF-8. (Surrogates occur only inside JSON strings.)"""
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
