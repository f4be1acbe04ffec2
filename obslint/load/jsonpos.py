"""Positions inside JSON text, computed only when a finding needs one.

A regex tokenizer walks the text once and records, for every node, the offset of its
key and of its value. Duplicate keys (which `json` silently collapses) are found in
the same pass.
"""
from __future__ import annotations

import json
import json.scanner
import re

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
    every node. Containers already walked are remembered for the next lookup.
    """

    __slots__ = ("text", "_seen")

    def __init__(self, text: str) -> None:
        self.text = text
        start = _skip_ws(text, 0)
        self._seen: dict[tuple, tuple[int, int]] = {(): (start, start)}

    def offset(self, path: tuple, at_key: bool = False) -> int:
        path = tuple(path)
        # Start from the deepest container already visited on this path.
        depth = len(path)
        while depth and path[:depth] not in self._seen:
            depth -= 1
        key_pos, pos = self._seen[path[:depth]]
        for i in range(depth, len(path)):
            found = self._child(pos, path[i])
            if found is None:
                return key_pos if i else pos  # the deepest node that exists
            key_pos, pos = found
            self._seen[path[: i + 1]] = found
        return key_pos if at_key and path else pos

    def _child(self, pos: int, step):
        text = self.text
        n = len(text)
        if pos >= n:
            return None
        c = text[pos]
        scan = _scanner()
        if c == "{" and isinstance(step, str):
            i = _skip_ws(text, pos + 1)
            while i < n and text[i] == '"':
                key, end = json.decoder.scanstring(text, i + 1)
                key_at = i
                j = _skip_ws(text, end)
                if j >= n or text[j] != ":":
                    return None
                j = _skip_ws(text, j + 1)
                if key == step:
                    found = (key_at, j)
                    # A later duplicate wins, as in the loaded data: keep looking.
                    last = found
                    try:
                        _obj, end = scan(text, j)
                    except (StopIteration, ValueError, RecursionError):
                        return last
                    i = _skip_ws(text, end)
                    while i < n and text[i] == ",":
                        i = _skip_ws(text, i + 1)
                        if i < n and text[i] == '"':
                            k2, e2 = json.decoder.scanstring(text, i + 1)
                            j2 = _skip_ws(text, _skip_ws(text, e2) + 1)
                            if k2 == step:
                                last = (i, j2)
                            try:
                                _obj, end = scan(text, j2)
                            except (StopIteration, ValueError, RecursionError):
                                return last
                            i = _skip_ws(text, end)
                        else:
                            break
                    return last
                try:
                    _obj, end = scan(text, j)
                except (StopIteration, ValueError, RecursionError):
                    return None
                i = _skip_ws(text, end)
                if i < n and text[i] == ",":
                    i = _skip_ws(text, i + 1)
                else:
                    return None
            return None
        if c == "[" and isinstance(step, int) and not isinstance(step, bool):
            i = _skip_ws(text, pos + 1)
            index = 0
            while i < n and text[i] != "]":
                if index == step:
                    return i, i
                try:
                    _obj, end = scan(text, i)
                except (StopIteration, ValueError, RecursionError):
                    return None
                i = _skip_ws(text, end)
                if i < n and text[i] == ",":
                    i = _skip_ws(text, i + 1)
                index += 1
            return None
        return None


_WS = re.compile(r"[ \t\n\r]*")


def _skip_ws(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()


_SCAN = None


def _scanner():
    global _SCAN
    if _SCAN is None:
        _SCAN = json.scanner.make_scanner(json.JSONDecoder())
    return _SCAN
