"""Positions in block-style YAML from one pass over its lines, without building nodes.

Composing a 1 MB rule file with PyYAML just to place a handful of findings costs most of a
second; nearly every rule file is plain block style, whose structure shows in its
indentation. This outline maps node paths to (line, column) for that common case. Any
path it does not know (flow collections, merge keys, odd layouts) is answered by the
exact PyYAML locator instead, so a wrong guess is never reported.
"""
from __future__ import annotations

import re

_KEY = re.compile(r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([^\s#'"{\[\]}&*!|>%@`,?:-][^#]*?|-[^\s#][^#]*?|\?[^\s][^#]*?))\s*:(?:\s+|$)""")
_ANCHOR = re.compile(r"(?:&[^\s]+|![^\s]*)\s*")


class YamlOutline:
    """path (per document) -> ((key line, key col) | None, (value line, value col)); 1-based."""

    def __init__(self, text: str) -> None:
        self.docs: list[dict] = []
        self._build(text)

    def lookup(self, doc: int, path: tuple, at_key: bool):
        if doc >= len(self.docs):
            return None
        entry = self.docs[doc].get(tuple(str(p) if not isinstance(p, int) else p for p in path))
        if entry is None:
            return None
        key_pos, value_pos = entry
        return key_pos if at_key and key_pos else value_pos

    @staticmethod
    def _resolve(index: dict, path: tuple, lineno: int, col: int) -> None:
        """A nested block's value starts at its first child, as PyYAML marks it."""
        key_pos = index.get(path, (None, None))[0]
        index[path] = (key_pos, (lineno, col + 1))

    def _build(self, text: str) -> None:
        index: dict = {}
        self.docs.append(index)
        frames: list[list] = []  # [indent, kind ('map'/'seq'), path, next item index]
        pending = None  # (path, indent) of a key or item whose value is a nested block
        skip_deeper = -1  # lines indented more than this belong to a scalar
        started = False
        for lineno, raw in enumerate(text.split("\n"), 1):
            line = raw.rstrip("\r")
            stripped = line.lstrip(" ")
            if not stripped or stripped.startswith("#"):
                continue
            n = len(line) - len(stripped)
            if skip_deeper >= 0:
                if n > skip_deeper:
                    continue
                skip_deeper = -1
            if n == 0 and (stripped.startswith("---") or stripped.startswith("...")):
                rest = stripped[3:].strip()
                if stripped.startswith("---") and (started or index):
                    index = {}
                    self.docs.append(index)
                frames, pending = [], None
                started = True
                if rest and not rest.startswith("#"):
                    return  # content on the marker line: leave it to the exact locator
                continue
            if stripped.startswith("%"):
                continue
            started = True
            col = n
            # Sequence items, possibly several on one line ("- - x") are not handled: stop there.
            while stripped.startswith("- ") or stripped == "-":
                while frames and frames[-1][0] > col:
                    frames.pop()
                top = frames[-1] if frames else None
                if top is not None and top[1] == "seq" and top[0] == col:
                    seq = top
                elif pending is not None and col >= pending[1]:  # pending: (path, min seq col, min map col)
                    seq = [col, "seq", pending[0], 0]
                    frames.append(seq)
                    self._resolve(index, pending[0], lineno, col)
                    pending = None
                elif not frames and not index:
                    seq = [col, "seq", (), 0]
                    frames.append(seq)
                else:
                    seq = None
                if seq is None:
                    break
                item = seq[2] + (seq[3],)
                seq[3] += 1
                after = stripped[1:]
                body = after.lstrip(" ")
                col = col + 1 + (len(after) - len(body))
                anchor = _ANCHOR.match(body)
                if anchor and anchor.end() < len(body) and body[0] == "&":
                    col += anchor.end()
                    body = body[anchor.end():]
                index[item] = (None, (lineno, col + 1))
                if not body or body.startswith("#") or (body[0] == "&" and " " not in body.strip()):
                    pending = (item, seq[0] + 1, seq[0] + 1)
                    stripped = ""
                    break
                if body.startswith("- "):
                    pending = (item, col, col + 1)
                    stripped = body
                    continue
                m = _KEY.match(body)
                if not m:
                    skip_deeper = seq[0]
                    stripped = ""
                    break
                frames.append([col, "map", item, 0])
                stripped = body
                break
            if not stripped:
                continue
            m = _KEY.match(stripped)
            if not m:
                continue  # a continuation line of a scalar, or something we do not model
            while frames and frames[-1][0] > col:
                frames.pop()
            top = frames[-1] if frames else None
            if top is not None and top[1] == "map" and top[0] == col:
                owner = top
            elif pending is not None and col >= pending[2]:
                owner = [col, "map", pending[0], 0]
                frames.append(owner)
                self._resolve(index, pending[0], lineno, col)
            elif not frames and col == 0:
                owner = [0, "map", (), 0]
                frames.append(owner)
            else:
                pending = None
                continue
            pending = None
            key = m.group(1) if m.group(1) is not None else (
                m.group(2).replace("''", "'") if m.group(2) is not None else m.group(3).rstrip())
            path = owner[2] + (key,)
            rest = stripped[m.end():]
            value = rest.lstrip(" ")
            vcol = col + m.end() + (len(rest) - len(value))
            anchor = _ANCHOR.match(value) if value[:1] in "&!" else None
            if anchor:
                vcol += anchor.end()
                value = value[anchor.end():]
            if not value or value.startswith("#"):
                # A null value (unless a nested block follows): PyYAML marks it after the colon.
                index[path] = ((lineno, col + 1), (lineno, col + len(stripped[:m.end()].rstrip()) + 1))
                pending = (path, col, col + 1)
                continue
            index[path] = ((lineno, col + 1), (lineno, vcol + 1))
            skip_deeper = col  # block scalars, flow collections and multi-line scalars: nothing deeper
