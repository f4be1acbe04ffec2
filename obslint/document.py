"""Sources (files as read) and documents (the data trees inside them), with lazy positions."""
from __future__ import annotations

from obslint import fastpaths
from obslint.load.text import LineIndex

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any




class Source:
    """One file: its text, its documents, and a locator that is built only when needed."""

    def __init__(self, path: Path, display: str, text: str | None, fmt: str) -> None:
        self.path = path
        self.display = display
        self.text = text
        self.format = fmt  # "json", "yaml", or "toml" (a pyproject.toml policy)
        self.encoding = "utf-8"  # or "utf-16": a YAML file with a UTF-16 byte order mark (never fixed)
        self.documents: list[Document] = []
        self._lines: LineIndex | None = None
        self._json_index = None
        self._toml = None
        # Set by the JSON loader when no object repeats a key: the locator may then stop at a
        # key's first occurrence instead of reading every object to its end.
        self.unique_keys = False
        self.yaml_nodes: list | None = None
        self._outline = None
        self._seeker = None

    @property
    def lines(self) -> LineIndex:
        if self._lines is None:
            self._lines = LineIndex(self.text or "")
        return self._lines

    def line_text(self, line: int) -> str:
        if not self.text or line < 1:
            return ""
        start = None
        if fastpaths.ENABLED:  # a line a locator has placed a finding on: no index of every line
            known = self._json_index if self._json_index is not None else self._seeker
            if known is not None:
                start = known.line_start(line)
        if start is None:
            if line > len(self.lines):
                return ""
            start = self.lines.starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end == -1 else self.text[start:end]

    def locate(self, doc_index: int, path: tuple, at_key: bool = False) -> tuple[int, int]:
        """1-based line and column of the node at `path` in document `doc_index`: the one
        locator of each format (linted files and the policy file alike)."""
        if self.format == "json":
            return self.json_locator().position(path, at_key)
        if self.format == "yaml":
            return self.yaml_position(doc_index, path, at_key)
        if self._toml is None:
            from obslint.load.tomlpos import TomlLocator

            self._toml = TomlLocator(self.text or "")
        return self._toml.position(path, at_key)

    def json_index(self):
        """A full index of every node (used to find duplicate keys)."""
        from obslint.load.jsonpos import JsonIndex

        return JsonIndex(self.text or "")

    def json_locator(self):
        """Finds the few nodes that have findings without indexing the whole text."""
        if self._json_index is None:
            from obslint.load.jsonpos import JsonLocator

            self._json_index = JsonLocator(self.text or "", unique_keys=self.unique_keys)
        return self._json_index

    def yaml_position(self, doc_index: int, path: tuple, at_key: bool) -> tuple[int, int]:
        """1-based position: the fast line outline when it knows the path, else PyYAML's nodes."""
        if self.yaml_nodes is None and fastpaths.ENABLED:
            from obslint.load.yamlindex import YamlOutline
            from obslint.load.yamlseek import YamlSeeker

            # The seeker resumes from the path heads, sequence items and lines it found before,
            # so a finding on every rule of a big file costs one pass in all, as the outline
            # (one scan of the whole text) would; the outline answers what the seeker cannot.
            if doc_index == 0:
                if self._seeker is None:
                    self._seeker = YamlSeeker(self.text or "")
                found = self._seeker.seek(path, at_key)
                if found is not None:
                    return found
            if self._outline is None:
                self._outline = YamlOutline(self.text or "")
            found = self._outline.lookup(doc_index, path, at_key)
            if found is not None:
                return found
        mark, _node = self.yaml_mark(doc_index, path, at_key)
        if mark is None:
            return 1, 1
        # Counted from the mark's character index: libyaml's own line numbers also break at
        # `\r`, NEL and U+2028, which editors and every other position here do not.
        return self.lines.position(max(0, min(mark.index, len(self.text or ""))))

    def yaml_mark(self, doc_index: int, path: tuple, at_key: bool):
        from obslint.load import yamlload

        if self.yaml_nodes is None:
            self.yaml_nodes = yamlload.compose_all(self.text or "")
        if doc_index >= len(self.yaml_nodes):
            return None, None
        return yamlload.locate(self.yaml_nodes[doc_index], path, at_key)


class Document:
    """A data tree from a source; `base` is where the linted object sits inside it.

    `parent` and `parent_path`: for JSON embedded in a YAML string (a dashboard in a
    ConfigMap), the string's path. Compared by identity."""

    def __init__(self, source: Source, index: int, data: Any, kind: str | None = None, base: tuple = (),
                 parent: Document | None = None, parent_path: tuple = (), text: str | None = None,
                 label: str = "", _json_index: Any = None, _lines: Any = None) -> None:
        self.source = source
        self.index = index
        self.data = data
        self.kind = kind
        self.base = base
        self.parent = parent
        self.parent_path = parent_path
        self.text = text
        self.label = label
        self._json_index = _json_index
        self._lines = _lines

    def __repr__(self) -> str:
        return (f"Document(source={self.source!r}, index={self.index!r}, data={self.data!r}, kind={self.kind!r}, "
                f"base={self.base!r}, parent={self.parent!r}, parent_path={self.parent_path!r}, "
                f"text={self.text!r}, label={self.label!r})")

    @property
    def root(self) -> Any:
        node = self.data
        for step in self.base:
            node = node[step]
        return node

    def locate(self, path: tuple, at_key: bool = False) -> tuple[int, int]:
        """1-based line and column of the node at path (relative to the document root)."""
        if self.parent is not None:
            return self._locate_embedded(path, at_key)
        return self.source.locate(self.index, path, at_key)

    def _locate_embedded(self, path: tuple, at_key: bool) -> tuple[int, int]:
        parent = self.parent
        outer = parent.locate(self.parent_path)
        if parent.source.format != "yaml" or self.text is None:
            return outer
        mark, node = parent.source.yaml_mark(parent.index, self.parent_path, False)
        style = getattr(node, "style", None)
        if mark is None or style not in ("|", ">"):
            return outer
        if self._json_index is None:
            from obslint.load.jsonpos import JsonLocator

            self._json_index = JsonLocator(self.text)
        if self._lines is None:
            self._lines = LineIndex(self.text)
        inner_line, inner_col = self._lines.position(self._json_index.offset(path, at_key))
        src = parent.source
        # Block scalar content starts on the line after `|` (lines counted from the mark's index).
        first_content = src.lines.position(max(0, min(mark.index, len(src.text or ""))))[0] + 1
        indent_line = src.line_text(first_content)
        indent = len(indent_line) - len(indent_line.lstrip(" "))
        line = first_content + inner_line - 1
        if line > len(src.lines):  # line breaks YAML folded inside the scalar: stay in the file
            return outer
        return line, indent + inner_col
