"""Positions inside JSON text, computed only when a finding needs one.

JsonIndex: a regex tokenizer walks the text once and records, for every node, the offset
of its key and of its value. Duplicate keys (which `json` silently collapses) are found
in the same pass; the loader builds it only for a text that has some.

JsonLocator: walks only the paths asked for, resuming where earlier lookups stopped, and
turns offsets into line:column without indexing every line.
"""
from __future__ import annotations

import json
import json.scanner
import re
from bisect import bisect_left, bisect_right

from obslint.load.text import LineIndex

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.S)


class JsonIndex:
    """Maps node paths to (key offset, value offset) for one JSON text."""

    __slots__ = ("values", "keys", "duplicates")

    def __init__(self, text: str) -> None:
        self.values: dict[tuple, int] = {}
        self.keys: dict[tuple, int] = {}
        self.duplicates: list[tuple[tuple, int]] = []  # (path of the repeated key, offset)
        self._scan(text)

    def _scan(self, text: str) -> None:
        import json

        decode = json.decoder.scanstring
        values, keys = self.values, self.keys
        # Stack entries: [container path, kind ('{' or '['), next index, pending key, seen keys]
        stack: list[list] = []
        path: tuple = ()
        expect_key = False
        pending_key: str | None = None
        for m in _TOKEN.finditer(text):
            tok = m.group()
            pos = m.start()
            c = tok[0]
            if c in ",:":
                continue
            if c in "}]":
                if stack:
                    stack.pop()
                expect_key = bool(stack) and stack[-1][1] == "{"
                continue
            top = stack[-1] if stack else None
            if top is not None and top[1] == "{" and expect_key:
                # An object key.
                try:
                    key = decode(tok, 1)[0] if c == '"' else tok
                except ValueError:
                    key = tok.strip('"')
                child = top[0] + (key,)
                if key in top[4]:
                    self.duplicates.append((child, pos))
                top[4].add(key)
                keys[child] = pos
                pending_key = key
                expect_key = False
                continue
            # A value.
            if top is None:
                node = ()
            elif top[1] == "{":
                node = top[0] + (pending_key,)
                expect_key = True
            else:
                node = top[0] + (top[2],)
                top[2] += 1
            values[node] = pos
            if c == "{":
                stack.append([node, "{", 0, None, set()])
                expect_key = True
            elif c == "[":
                stack.append([node, "[", 0, None, None])
                expect_key = False

    def offset(self, path: tuple, at_key: bool = False) -> int:
        """Offset of the node at path, or of its deepest existing ancestor."""
        path = tuple(path)
        while True:
            if at_key and path in self.keys:
                return self.keys[path]
            if path in self.values:
                return self.values[path]
            if not path:
                return 0
            path = path[:-1]
            at_key = True


class JsonLocator:
    """Offsets of a few nodes in a large JSON text, found by walking only the path to each.

    Sibling values on the way are skipped with the C scanner of the `json` module, so
    placing a finding deep in a 2 MB dashboard costs a few milliseconds and no index of
    every node. Every container walked keeps a cursor (the members or items read so far
    and where reading stopped), so later lookups resume instead of re-reading from the
    container's start: findings on panels 1, 2, ... 40 read the panel list once.

    `unique_keys=True` is a promise (from the loader, which proved it) that no object in
    the text repeats a key: the first occurrence of a key is then the one the loaded data
    kept, and the rest of the object need not be read. Without it a key is looked for up
    to the end of its object, as a later duplicate wins in the data.
    """

    __slots__ = ("text", "unique_keys", "_seen", "_cursors", "_marks")

    def __init__(self, text: str, unique_keys: bool = False) -> None:
        self.text = text
        self.unique_keys = unique_keys
        start = _skip_ws(text, 0)
        self._seen: dict[tuple, tuple[int, int]] = {(): (start, start)}
        self._cursors: dict[int, _Cursor] = {}  # by the offset of the container's bracket
        self._marks: _LineMarks | LineIndex | None = None  # built on the first line_col()

    def offset(self, path: tuple, at_key: bool = False) -> int:
        """Offset of the node at path (its key with at_key), or of its deepest existing ancestor."""
        path = tuple(path)
        seen = self._seen
        # Start from the deepest container already visited on this path.
        depth = len(path)
        while depth and path[:depth] not in seen:
            depth -= 1
        key_pos, pos = seen[path[:depth]]
        for i in range(depth, len(path)):
            found = self._child(pos, path[i])
            if found is None:
                return key_pos if i else pos  # the deepest node that exists
            key_pos, pos = found
            seen[path[: i + 1]] = found
        return key_pos if at_key and path else pos

    def node(self, path: tuple) -> tuple[int, int] | None:
        """(key offset, value offset) of the node at exactly this path, or None (fixes.py
        needs to know, where `offset` falls back to an ancestor)."""
        path = tuple(path)
        self.offset(path)
        return self._seen.get(path)

    def position(self, path: tuple, at_key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of `offset(path, at_key)`."""
        return self.line_col(self.offset(path, at_key))

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset, as LineIndex.position gives it, but
        counting line breaks (at C speed) only between the offset and the nearest offset
        asked before, instead of indexing every line of a large text for a few findings.
        Past _MARKS lookups (a finding on every line) the full line index is cheaper."""
        text = self.text
        offset = max(0, offset)
        marks = self._marks
        if marks is None:
            marks = self._marks = _LineMarks()
        if isinstance(marks, LineIndex):
            return marks.position(offset)
        if len(marks.offsets) > _MARKS:
            self._marks = LineIndex(text)
            return self._marks.position(offset)
        return marks.line(text, offset), offset - text.rfind("\n", 0, offset)

    def line_start(self, line: int) -> int | None:
        """Offset where 1-based `line` starts, when a position asked before lies on it (the
        line of every finding placed here), else None: the console shows a finding's line
        without indexing every line of the file (~0.6 ms per dashboard)."""
        marks = self._marks
        if marks is None:
            return None
        if isinstance(marks, LineIndex):
            return marks.starts[line - 1] if 0 < line <= len(marks.starts) else None
        k = bisect_left(marks.lines, line)
        if k < len(marks.lines) and marks.lines[k] == line:
            return self.text.rfind("\n", 0, marks.offsets[k]) + 1
        return None

    def _child(self, pos: int, step):
        cursor = self._cursors.get(pos)
        if cursor is None:
            cursor = self._cursors[pos] = _Cursor(self.text, pos)
        if cursor.kind == "{":
            if not isinstance(step, str):
                return None
            return cursor.member(self.text, step, self.unique_keys)
        if cursor.kind == "[":
            if not isinstance(step, int) or isinstance(step, bool) or step < 0:
                return None
            start = cursor.item(self.text, step)
            return None if start is None else (start, start)
        return None


class _Cursor:
    """How far one object or array has been read: its members (key -> (key offset, value
    offset), a later duplicate replacing an earlier one) or item offsets, and where to go on."""

    __slots__ = ("kind", "table", "pos", "pending", "done")

    def __init__(self, text: str, pos: int) -> None:
        c = text[pos] if pos < len(text) else ""
        self.kind = c if c in ("{", "[") else None
        self.table = {} if c == "{" else []
        self.pos = _skip_ws(text, pos + 1)  # the next key or item, or the closing bracket
        self.pending = False  # True: self.pos is the start of a value still to be skipped
        self.done = self.kind is None

    def _skip_pending(self, text: str) -> int | None:
        """Offset after the pending value and its comma; None (and done) at the end or on an error."""
        try:
            _obj, end = _scanner()(text, self.pos)
        except (StopIteration, ValueError, RecursionError):
            self.done = True
            return None
        i = _skip_ws(text, end)
        if i < len(text) and text[i] == ",":
            return _skip_ws(text, i + 1)
        if self.kind == "{":  # "}" (or junk): no more members
            self.done = True
            return None
        return i  # an array goes on without a comma, as before; "]" is seen by the caller

    def _next_start(self, text: str):
        """Where the next member or item starts: past the value read last, if any (None when
        the container ended or the text broke off)."""
        return self._skip_pending(text) if self.pending else self.pos

    def member(self, text: str, key: str, unique: bool):
        table = self.table
        found = table.get(key)
        if found is not None and (unique or self.done):
            return found
        n = len(text)
        scanstring = json.decoder.scanstring
        while not self.done:
            i = self._next_start(text)
            if i is None:
                break
            if i >= n or text[i] != '"':
                self.done = True
                break
            try:
                name, end = scanstring(text, i + 1)
            except ValueError:
                self.done = True
                break
            j = _skip_ws(text, end)
            if j >= n or text[j] != ":":
                self.done = True
                break
            j = _skip_ws(text, j + 1)
            table[name] = (i, j)
            self.pos, self.pending = j, True
            if unique and name == key:
                return table[name]
        return table.get(key)

    def item(self, text: str, index: int):
        table = self.table
        if index < len(table):
            return table[index]
        n = len(text)
        while not self.done:
            i = self._next_start(text)
            if i is None:
                break
            if i >= n or text[i] == "]":
                self.done = True
                break
            table.append(i)
            self.pos, self.pending = i, True
            if index < len(table):
                return table[index]
        return None


class _LineMarks:
    """Offsets whose line numbers are known, sorted; a new offset counts the line breaks
    between it and its nearest known neighbour."""

    __slots__ = ("offsets", "lines")

    def __init__(self) -> None:
        self.offsets = [0]
        self.lines = [1]

    def line(self, text: str, offset: int) -> int:
        offsets, lines = self.offsets, self.lines
        k = bisect_right(offsets, offset)  # offsets[k - 1] <= offset
        below = offsets[k - 1]
        if below == offset:
            return lines[k - 1]
        if k < len(offsets) and offsets[k] - offset < offset - below:
            line = lines[k] - text.count("\n", offset, offsets[k])
        else:
            line = lines[k - 1] + text.count("\n", below, offset)
        offsets.insert(k, offset)
        lines.insert(k, line)
        return line


_MARKS = 2000  # offsets a JsonLocator counts lines for before it indexes every line

_WS = re.compile(r"[ \t\n\r]*")


def _skip_ws(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()


_SCAN = None


def _scanner():
    global _SCAN
    if _SCAN is None:
        _SCAN = json.scanner.make_scanner(json.JSONDecoder())
    return _SCAN
