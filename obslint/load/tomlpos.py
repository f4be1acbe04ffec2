"""Positions in a pyproject.toml policy (`[tool.obslint]`), which obslint reads but does not
lint: TOML has no node positions in `tomllib`, so a node is found by its text. An `ignore`
entry is the line of its `[[tool.obslint.ignore]]` header; any other node the first
occurrence of its last key."""
from __future__ import annotations

import re

_IGNORE_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*tool\.obslint\.ignore[ \t]*\]\]", re.M)


class TomlLocator:
    def __init__(self, text: str) -> None:
        self.text = text

    def position(self, path: tuple, at_key: bool = False) -> tuple[int, int]:
        text = self.text
        if len(path) == 2 and path[0] == "ignore" and isinstance(path[1], int):
            headers = [m.start() for m in _IGNORE_HEADER.finditer(text)]
            if 0 <= path[1] < len(headers):
                return self._position(headers[path[1]])
        needle = next((str(p) for p in reversed(path) if isinstance(p, str)), None)
        idx = text.find(needle) if needle else -1
        return self._position(idx) if idx >= 0 else (1, 1)

    def _position(self, idx: int) -> tuple[int, int]:
        text = self.text
        return text.count("\n", 0, idx) + 1, idx - text.rfind("\n", 0, idx)
