"""Seek one node in block-style YAML with regular expressions, skipping everything else.

Placing two findings in a 40,000-line rule file should not cost a Python loop over every
line. Each step of a path is found with a compiled regex over that step's region of the
text (a key at the mapping's indentation, or the N-th `-` at the sequence's), so the
scanning runs in C. Anything unusual (flow collections, anchors, tags, tabs, several
documents, keys that need quoting) answers None and the caller uses the general locators.
"""
from __future__ import annotations

import re
from bisect import bisect_right, insort
from functools import lru_cache
from itertools import islice

_CONTENT = re.compile(r"(?m)^([ ]*)(?=[^ \n#])")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/ ]*")
# A whole key on one line (`"rules":`, `'expr':`, as jsonnet and other generators write them).
_QUOTED_KEY = re.compile(r"(?:\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\n]|'')*')[ ]*:(?=[ \n]|$)")


def _eol(text: str, pos: int, n: int) -> int:
    eol = text.find("\n", pos)
    return n if eol == -1 else eol


# The patterns below start with a newline rather than `(?m)^`: a multiline `^` is tried at
# every character, a literal newline is found by a fast scan (5x faster on a 1 MB file).
# A search for "a line that ..." therefore starts at the newline before that line, and
# `_line_search` handles the first line of the text, which has none.


@lru_cache(maxsize=512)
def _key_re(col: int, key: str) -> re.Pattern:
    k = re.escape(key)
    return re.compile(r"\n {%d}(?:%s|\"%s\"|'%s')[ ]*:(?=[ \n]|$)" % (col, k, k, k))


@lru_cache(maxsize=512)
def _head_re(key: str) -> re.Pattern:
    """The key at the very start of the given text."""
    k = re.escape(key)
    return re.compile(r"(?:%s|\"%s\"|'%s')[ ]*:(?=[ \n]|$)" % (k, k, k))


@lru_cache(maxsize=128)
def _item_re(col: int) -> re.Pattern:
    return re.compile(r"\n {%d}-(?=[ \n]|$)" % col)


@lru_cache(maxsize=128)
def _end_re(col: int) -> re.Pattern:
    """The next content line indented at most `col` ends a region (comment lines do not)."""
    return re.compile(r"\n {0,%d}(?=[^ \n#])" % col)


@lru_cache(maxsize=128)
def _end_compact_re(col: int) -> re.Pattern:
    """End of a compact sequence at `col`: a line indented less, or at `col` but not an item."""
    if col == 0:
        return re.compile(r"\n(?=[^ \n#-]|-[^ \n])")
    return re.compile(r"\n(?: {0,%d}(?=[^ \n#])| {%d}(?=[^ \n#-]|-[^ \n]))" % (col - 1, col))


def _nth_item(col: int, text: str, start: int, n: int) -> int | None:
    """Offset of the line holding the n-th `-` item at `col`, counting from `start` (a line
    start), or None. The items before it are skipped in C (islice), not in a Python loop."""
    if start == 0:  # no newline before the first line: read it with one in front
        m = next(islice(_item_re(col).finditer("\n" + text), n, None), None)
        return None if m is None else m.start()
    m = next(islice(_item_re(col).finditer(text, start - 1), n, None), None)
    return None if m is None else m.start() + 1


def _inline_value(text: str, start: int, n: int) -> tuple[int | None, int]:
    """(where a value written on the same line from `start` begins, or None when the rest of
    the line is blank or a comment; where that line ends)."""
    eol = text.find("\n", start)
    eol = n if eol == -1 else eol
    i = start
    while i < eol and text[i] == " ":
        i += 1
    return (i if i < eol and text[i] != "#" else None), eol


# A lone `---` line (Sloth and other generators start with one), after blank or comment lines.
_LEADING_MARKER = re.compile(r"(?:[ ]*(?:#[^\n]*)?\n)*---[ ]*(?:#[^\n]*)?(?:\n|$)")


def _body_start(text: str) -> int | None:
    """Where the one document's content may start (after a leading `---` line), or None when
    the text needs the general locators: tabs, directives, several documents, `...`."""
    if "\t" in text:
        return None
    m = _LEADING_MARKER.match(text)
    start = m.end() if m else 0
    if not start and text.startswith(("---", "...", "%")):
        return None
    after = max(0, start - 1)  # the newline that ends the marker line: a second `---` right after it counts
    if any(text.find(mark, after) != -1 for mark in ("\n---", "\n...", "\n%")):
        return None
    return start


class YamlSeeker:
    """Finds nodes by path; the cost is proportional to the distance to the node, not the file."""

    __slots__ = ("text", "ok", "body", "starts", "prefixes", "known", "items")

    def __init__(self, text: str) -> None:
        self.text = text
        self.body = _body_start(text)
        self.ok = self.body is not None
        self.starts: dict[int, int] = {}  # line -> its offset, for every position answered
        self.prefixes: dict[tuple, tuple] = {}  # path head -> (pos, inline, key position) after it
        self.known: list[tuple[int, int]] = []  # (line start, line), sorted: lines counted so far
        self.items: dict[tuple, list[int]] = {}  # (first item's line, col) -> item lines found in order

    def line_start(self, line: int) -> int | None:
        """Offset where 1-based `line` starts when a position answered before lies on it (the
        line of every finding placed here), else None: the console shows a finding's line
        without indexing every line of the file (~5 ms on a 40,000-line rule file)."""
        return self.starts.get(line)

    def seek(self, path: tuple, at_key: bool = False) -> tuple[int, int] | None:
        """(line, col), 1-based, or None when this text or path needs the general locator."""
        if not self.ok:
            return None
        text = self.text
        n = len(text)
        memo = self.prefixes
        # Findings of one file share their paths' heads (`groups.3.rules`): resume after the
        # longest head answered before instead of scanning from the top of the file again.
        k = len(path)
        while k and path[:k] not in memo:
            k -= 1
        if k:
            state = memo[path[:k]]
        else:
            m = _CONTENT.search(text, self.body)
            if not m:
                return None
            state = (m.end(), False, None)
        for i in range(k, len(path)):
            state = _step(text, n, state[0], state[1], path[i], self.items)
            if state is None:
                return None
            memo[path[:i + 1]] = state
        pos, _inline, key_pos = state
        at = key_pos if (at_key and key_pos is not None) else pos
        line_start = text.rfind("\n", 0, at) + 1
        line = self._line_of(line_start)
        self.starts[line] = line_start
        return line, at - line_start + 1

    def _line_of(self, line_start: int) -> int:
        """1-based line of a line start, counting newlines from the nearest line answered
        before (findings come roughly in file order), not from the top of the file."""
        known = self.known
        k = bisect_right(known, (line_start, 1 << 62))
        if k:
            off, line = known[k - 1]
            line += self.text.count("\n", off, line_start)
        else:
            line = self.text.count("\n", 0, line_start) + 1
        if not k or known[k - 1][0] != line_start:
            insort(known, (line_start, line))
        return line


def _item_line(text: str, items: dict, line_start: int, col: int, eol: int, step: int) -> int | None:
    """Offset of the line of item `step` of the block sequence whose first item is the `-` at
    `col` on the line at `line_start`, or None when the sequence ends before it. The items
    found so far are kept (`items`), so a lookup goes on from the last one instead of
    counting and checking every item from the first again (a finding on every rule)."""
    found = items.get((line_start, col))
    if found is None:
        found = items[(line_start, col)] = [line_start]
    if step < len(found):
        return found[step]
    last = found[-1]
    at = _nth_item(col, text, last, step - len(found) + 1)
    if at is None:
        return None
    since = eol if last == line_start else text.find("\n", last)
    if since != -1 and _end_compact_re(col).search(text, since, at):
        return None  # the sequence ended before its item `step`
    # Only the item itself is kept: the ones between were not checked one by one.
    if step == len(found):
        found.append(at)
    return at


def _step(text: str, n: int, pos: int, inline: bool, step, items: dict) -> tuple | None:
    """(pos, inline, key position) after one step of a path from `pos`, or None."""
    if pos >= n:
        return None
    c = text[pos]
    if c in "{[|>&*!":  # flow, block scalar, anchor, alias, tag
        return None
    if c in "\"'" and not _QUOTED_KEY.match(text, pos, _eol(text, pos, n)):
        return None  # a quoted scalar (perhaps of several lines), not a mapping whose first key is quoted
    line_start = text.rfind("\n", 0, pos) + 1
    col = pos - line_start
    eol = text.find("\n", pos)
    eol = n if eol == -1 else eol
    if isinstance(step, int) and not isinstance(step, bool):
        if c != "-" or inline:
            return None
        found = _item_line(text, items, line_start, col, eol, step) if step >= 0 else None
        if found is None:
            return None
        found += col
        after, ieol = _inline_value(text, found + 1, n)
        if after is not None:
            return after, True, None
        m2 = _CONTENT.search(text, ieol + 1)
        if not m2 or len(m2.group(1)) <= col:
            return None
        return m2.end(), False, None
    if not isinstance(step, str) or not _PLAIN_KEY.fullmatch(step) or step != step.strip():
        return None
    head = _head_re(step).match(text, pos, eol + 1)
    if head:
        kstart, kend = pos, head.end()
    else:
        km = _key_re(col, step).search(text, eol)
        if not km:
            return None
        if col and _end_re(col - 1).search(text, eol, km.start()):
            return None  # the mapping ended before that key
        kstart, kend = km.start() + 1 + col, km.end()
    value, keol = _inline_value(text, kend, n)
    if value is not None:
        return value, True, kstart
    m2 = _CONTENT.search(text, keol + 1)
    if m2 and (len(m2.group(1)) > col or (
            len(m2.group(1)) == col and text.startswith("-", m2.end())
            and text[m2.end() + 1:m2.end() + 2] in (" ", "\n", ""))):
        return m2.end(), False, kstart
    return text.rfind(":", kstart, kend) + 1, True, kstart  # a null: just after the colon
