"""Positions inside JSON text, computed only when a finding needs one.

A regex tokenizer walks the text once and records, for every node, the offset of its
key and of its value. Duplicate keys (which `json` silently collapses) are found in
the same pass.
"""
from __future__ import annotations

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
