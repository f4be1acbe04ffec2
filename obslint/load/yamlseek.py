"""Seek one node in block-style YAML with regular expressions, skipping everything else.

Placing two findings in a 40,000-line rule file should not cost a Python loop over every
line. Each step of a path is found with a compiled regex over that step's region of the
text (a key at the mapping's indentation, or the N-th `-` at the sequence's), so the
scanning runs in C. Anything unusual (flow collections, anchors, tags, tabs, several
documents, keys that need quoting) answers None and the caller uses the general locators.
"""
from __future__ import annotations

import re
from functools import lru_cache

_CONTENT = re.compile(r"(?m)^([ ]*)(?=[^ \n#])")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/ ]*")


@lru_cache(maxsize=512)
def _key_re(col: int, key: str) -> re.Pattern:
    k = re.escape(key)
    return re.compile(r"(?m)^ {%d}(?:%s|\"%s\"|'%s')[ ]*:(?=[ \n]|$)" % (col, k, k, k))


@lru_cache(maxsize=128)
def _item_re(col: int) -> re.Pattern:
    return re.compile(r"(?m)^ {%d}-(?=[ \n]|$)" % col)


@lru_cache(maxsize=128)
def _end_re(col: int) -> re.Pattern:
    """The next content line indented at most `col` ends a region (comment lines do not)."""
    return re.compile(r"(?m)^ {0,%d}(?=[^ \n#])" % col)


@lru_cache(maxsize=128)
def _end_compact_re(col: int) -> re.Pattern:
    """End of a compact sequence at `col`: a line indented less, or at `col` but not an item."""
    if col == 0:
        return re.compile(r"(?m)^(?=[^ \n#-]|-[^ \n])")
    return re.compile(r"(?m)^(?: {0,%d}(?=[^ \n#])| {%d}(?=[^ \n#-]|-[^ \n]))" % (col - 1, col))


def _unsupported(text: str) -> bool:
    return ("\t" in text or text.startswith(("---", "...", "%")) or "\n---" in text or "\n..." in text
            or "\n%" in text)


class YamlSeeker:
    """Finds nodes by path; the cost is proportional to the distance to the node, not the file."""

    __slots__ = ("text", "ok")

    def __init__(self, text: str) -> None:
        self.text = text
        self.ok = not _unsupported(text)

    def seek(self, path: tuple, at_key: bool = False) -> tuple[int, int] | None:
        """(line, col), 1-based, or None when this text or path needs the general locator."""
        if not self.ok:
            return None
        text = self.text
        n = len(text)
        m = _CONTENT.search(text)
        if not m:
            return None
        pos, inline = m.end(), False
        key_pos = None
        for step in path:
            if pos >= n:
                return None
            c = text[pos]
            if c in "{[|>\"'&*!":  # flow, block scalar, quoted, anchor, alias, tag
                return None
            line_start = text.rfind("\n", 0, pos) + 1
            col = pos - line_start
            eol = text.find("\n", pos)
            eol = n if eol == -1 else eol
            if isinstance(step, int) and not isinstance(step, bool):
                if c != "-" or inline:
                    return None
                found = None
                for i, im in enumerate(_item_re(col).finditer(text, line_start)):
                    if i == step:
                        found = im.start()
                        break
                if found is None or _end_compact_re(col).search(text, eol + 1, found):
                    return None  # the sequence ended before its item `step`
                found += col
                key_pos = None
                ieol = text.find("\n", found)
                ieol = n if ieol == -1 else ieol
                after = found + 1
                while after < ieol and text[after] == " ":
                    after += 1
                if after < ieol and text[after] != "#":
                    pos, inline = after, True
                    continue
                m2 = _CONTENT.search(text, ieol + 1)
                if not m2 or len(m2.group(1)) <= col:
                    return None
                pos, inline = m2.end(), False
                continue
            if not isinstance(step, str) or not _PLAIN_KEY.fullmatch(step) or step != step.strip():
                return None
            head = _key_re(0, step).match(text[pos:eol + 1])
            if head:
                kstart, kend = pos, pos + head.end()
            else:
                km = _key_re(col, step).search(text, eol + 1)
                if not km:
                    return None
                if col and _end_re(col - 1).search(text, eol + 1, km.start()):
                    return None  # the mapping ended before that key
                kstart, kend = km.start() + col, km.end()
            key_pos = kstart
            keol = text.find("\n", kend)
            keol = n if keol == -1 else keol
            value = kend
            while value < keol and text[value] == " ":
                value += 1
            if value < keol and text[value] != "#":
                pos, inline = value, True
                continue
            m2 = _CONTENT.search(text, keol + 1)
            if m2 and (len(m2.group(1)) > col or (
                    len(m2.group(1)) == col and text.startswith("-", m2.end())
                    and text[m2.end() + 1:m2.end() + 2] in (" ", "\n", ""))):
                pos, inline = m2.end(), False
                continue
            pos, inline = text.rfind(":", kstart, kend) + 1, True  # a null: just after the colon
        at = key_pos if (at_key and key_pos is not None) else pos
        line_start = text.rfind("\n", 0, at) + 1
        return text.count("\n", 0, at) + 1, at - line_start + 1
