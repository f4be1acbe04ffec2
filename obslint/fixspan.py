"""Where a fix edits: spans of keys and values in a file's text, and the map from a character
of a string value (a query) to its offset in the file, for JSON and YAML alike.

Only asked for while fixing (or rendering a fix), never on an ordinary run. Every answer is
exact or None: a scalar style whose characters cannot be mapped one to one (a folded YAML
scalar, a plain scalar over several lines, an anchored or merged node, a document embedded
in another one's string) gets no fix rather than a wrong one. Paths are relative to the
document's root (`doc.root`), as in findings.
"""
from __future__ import annotations

import json
import re

_BARE_JSON = json.JSONDecoder()


def spans(doc) -> "JsonSpans | YamlSpans | None":
    """The span finder of a document's file (built once per file), or None when edits cannot
    be placed exactly (a document inside another one's string, a file without text)."""
    src = doc.source
    if not src.text:
        return None
    if doc.parent is not None:
        return EmbeddedSpans.of(doc)
    found = getattr(src, "_fix_spans", None)
    if found is None:
        found = JsonSpans(src) if src.format == "json" else YamlSpans(src.text, src.yaml_nodes)
        src._fix_spans = found
    return found.at(doc)


class _Paths:
    """Paths of a document (relative to its root) -> paths in the file's data: the document's
    `base` before them, and for a view of a resource (resources/view.py) its own translation."""

    base: tuple = ()
    real = None

    def full(self, path) -> tuple:
        full = self.base + tuple(path)
        return tuple(self.real(full)) if self.real is not None else full


class JsonSpans(_Paths):
    """Spans in a JSON text, found with the file's JsonLocator (which walks only the paths
    asked for, and has usually walked them already to place the findings)."""

    def __init__(self, source, text: str | None = None) -> None:
        if source is None:  # a JSON text of its own (a document embedded in a YAML string)
            from obslint.load.jsonpos import JsonLocator

            self.text, self.locator = text, JsonLocator(text)
        else:
            self.text = source.text
            self.locator = source.json_locator()
        self.base: tuple = ()

    def at(self, doc) -> "JsonSpans":
        view = object.__new__(JsonSpans)
        view.text, view.locator, view.base = self.text, self.locator, tuple(doc.base)
        view.real = getattr(doc, "real_path", None)
        return view

    def value(self, path) -> tuple[int, int] | None:
        found = self.locator.node(self.full(path))
        if found is None:
            return None
        try:
            return found[1], _BARE_JSON.raw_decode(self.text, found[1])[1]
        except ValueError:
            return None

    def key(self, path) -> tuple[int, int] | None:
        full = self.full(path)
        found = self.locator.node(full) if full else None
        if found is None or found[0] == found[1] or self.text[found[0]] != '"':
            return None  # an array item, or the root
        return found[0], json.decoder.scanstring(self.text, found[0] + 1)[1]

    def string_map(self, path) -> list[int] | None:
        from obslint.fixes import json_string_offsets

        span = self.value(path)
        return None if span is None else json_string_offsets(self.text, span[0])

    def spell(self, path, value) -> str | None:
        """How `value` is written in place of the value at path."""
        return json.dumps(value, ensure_ascii=False)

    def spell_inside(self, path, s: str) -> str:
        """How the characters `s` are written inside the string at path."""
        return json.dumps(s, ensure_ascii=False)[1:-1]

    def spell_key(self, path, key: str) -> str:
        return json.dumps(key, ensure_ascii=False)

    def insert_member(self, path, key: str, value) -> tuple[int, str] | None:
        """(offset, text) that adds `key: value` as the first member of the object at path,
        spelt like its existing first member (indentation)."""
        span = self.value(path)
        if span is None or self.text[span[0]] != "{":
            return None
        brace = span[0]
        first = brace + 1
        while self.text[first] in " \t\r\n":
            first += 1
        member = f"{json.dumps(key, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}"
        if self.text[first] == "}":
            return brace + 1, member
        gap = self.text[brace + 1:first]
        return first, member + "," + (gap if "\n" in gap else " ")


_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_$][A-Za-z0-9_$./-]*\Z")


class YamlSpans(_Paths):
    """Spans in a YAML text from PyYAML's composed nodes (character indexes of their marks)."""

    def __init__(self, text: str, nodes=None) -> None:
        from obslint.load import yamlload

        self.text = text
        self.nodes = nodes if nodes is not None else yamlload.compose_all(text)
        self.shared: dict[int, set] = {}
        self.root = None
        self.base: tuple = ()

    def at(self, doc) -> "YamlSpans | None":
        if doc.index >= len(self.nodes):
            return None
        view = object.__new__(YamlSpans)
        view.text, view.nodes, view.shared, view.base = self.text, self.nodes, self.shared, tuple(doc.base)
        view.real = getattr(doc, "real_path", None)
        view.root = self.nodes[doc.index]
        if doc.index not in self.shared:
            self.shared[doc.index] = _shared_nodes(view.root)
        view.shared = self.shared
        view._doc = doc.index
        return view

    def _walk(self, path):
        """(key node, value node) at path, or None; None too when the way passes through a
        node reached more than once (an anchor: editing it would change every alias)."""
        import yaml

        node, key_node = self.root, None
        shared = self.shared[self._doc]
        for step in self.full(path):
            if id(node) in shared:
                return None
            if isinstance(node, yaml.MappingNode) and isinstance(step, str):
                hit = None
                for k, v in node.value:  # the later key wins, as in the loaded data
                    if isinstance(k, yaml.ScalarNode) and k.value == step and k.tag != "tag:yaml.org,2002:merge":
                        hit = (k, v)
                if hit is None:
                    return None
                key_node, node = hit
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                key_node, node = None, node.value[step]
            else:
                return None
        if id(node) in shared:
            return None
        return key_node, node

    def value(self, path) -> tuple[int, int] | None:
        hit = self._walk(path)
        if hit is None:
            return None
        node = hit[1]
        return node.start_mark.index, node.end_mark.index

    def key(self, path) -> tuple[int, int] | None:
        hit = self._walk(path)
        if hit is None or hit[0] is None:
            return None
        k = hit[0]
        return k.start_mark.index, k.end_mark.index

    def _scalar(self, path):
        import yaml

        hit = self._walk(path)
        if hit is None or not isinstance(hit[1], yaml.ScalarNode):
            return None
        return hit[1]

    def string_map(self, path) -> list[int] | None:
        node = self._scalar(path)
        if node is None:
            return None
        start, end = node.start_mark.index, node.end_mark.index
        style = node.style or ""
        if style == "":
            marks = _plain_map(self.text, start, end)
        elif style == "'":
            marks = _single_map(self.text, start, end)
        elif style == '"':
            marks = _double_map(self.text, start, end)
        elif style == "|":
            marks = _literal_map(self.text, start, end)
        else:
            return None  # folded (`>`): lines join with spaces; no one-to-one map
        if marks is None or not _maps_exactly(self.text, marks, node.value, style):
            return None
        return marks

    def _style(self, path) -> str | None:
        node = self._scalar(path)
        return None if node is None else (node.style or "")

    def spell(self, path, value) -> str | None:
        node = self._scalar(path)
        if node is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return None
        if isinstance(value, (int, float)):
            return repr(value) if node.style in (None, "") else None
        return _yaml_string(value, node.style or "")

    def spell_inside(self, path, s: str) -> str | None:
        style = self._style(path)
        if style == "'":
            return s.replace("'", "''")
        if style == '"':
            return json.dumps(s, ensure_ascii=False)[1:-1]
        if style in ("", "|"):
            return s if "\n" not in s else None
        return None

    def spell_key(self, path, key: str) -> str | None:
        hit = self._walk(path)
        if hit is None or hit[0] is None:
            return None
        return _yaml_string(key, hit[0].style or "")

    def insert_member(self, path, key: str, value) -> tuple[int, str] | None:
        """(offset, text) adding a `key: value` line to the block mapping at path, right after
        its first member when that member fits on one line (`- alert: X`, `uid: x  # note`),
        at the first key's column."""
        import yaml

        hit = self._walk(path) if self.full(path) else (None, self.root)
        if hit is None or not isinstance(hit[1], yaml.MappingNode) or hit[1].flow_style or not hit[1].value:
            return None
        first_key, first_value = hit[1].value[0]
        if not isinstance(first_value, yaml.ScalarNode) or first_value.style in ("|", ">"):
            return None
        if id(first_value) in self.shared[self._doc] or id(first_key) in self.shared[self._doc]:
            return None  # an alias: its marks are those of the anchor, elsewhere in the file
        start, end = first_key.start_mark.index, first_value.end_mark.index
        line_end = self.text.find("\n", end)
        if "\n" in self.text[start:end] or line_end == -1:
            return None  # the first member spans lines, or ends the file without a newline
        spelt = _yaml_string(value, "") if isinstance(value, str) else None
        if spelt is None:
            return None
        column = start - (self.text.rfind("\n", 0, start) + 1)
        newline = "\r\n" if self.text[line_end - 1:line_end] == "\r" else "\n"
        return line_end + 1, f"{' ' * column}{_yaml_string(key, '')}: {spelt}{newline}"


class EmbeddedSpans(_Paths):
    """Spans of a JSON document held in a YAML string (a dashboard in a ConfigMap or an
    operator's `spec.json`): found in the JSON text, then carried to the file through the
    exact map of the string's characters (literal, quoted or one-line plain scalars only).
    What an edit writes must fit the scalar too: no new line inside a block scalar."""

    @classmethod
    def of(cls, doc) -> "EmbeddedSpans | None":
        cached = getattr(doc, "_fix_spans", False)
        if cached is False:
            cached = doc._fix_spans = cls._make(doc)
        return cached

    @classmethod
    def _make(cls, doc) -> "EmbeddedSpans | None":
        parent = doc.parent
        if doc.text is None or parent.parent is not None or parent.source.format != "yaml":
            return None
        outer = spans(parent)
        if outer is None:
            return None
        outer.base, outer.real = (), None  # parent_path is a path in the file's data
        if value_at(parent.data, doc.parent_path) != doc.text:
            return None
        marks = outer.string_map(doc.parent_path)
        if marks is None or len(marks) != len(doc.text) + 1:
            return None
        view = object.__new__(cls)
        view.inner = JsonSpans(None, doc.text).at(doc)
        view.outer, view.marks, view.path = outer, marks, tuple(doc.parent_path)
        view.base, view.real = tuple(doc.base), getattr(doc, "real_path", None)
        return view

    def _span(self, span):
        return None if span is None else (self.marks[span[0]], self.marks[span[1]])

    def _outer(self, s: str | None) -> str | None:
        return None if s is None else self.outer.spell_inside(self.path, s)

    def value(self, path):
        return self._span(self.inner.value(path))

    def key(self, path):
        return self._span(self.inner.key(path))

    def string_map(self, path):
        inner = self.inner.string_map(path)
        return None if inner is None else [self.marks[i] for i in inner]

    def spell(self, path, value):
        return self._outer(self.inner.spell(path, value))

    def spell_inside(self, path, s: str):
        return self._outer(self.inner.spell_inside(path, s))

    def spell_key(self, path, key: str):
        return self._outer(self.inner.spell_key(path, key))

    def insert_member(self, path, key: str, value):
        placed = self.inner.insert_member(path, key, value)
        if placed is None:
            return None
        at, text = placed
        if "\n" in text:  # keep it on the first member's line: the block's indentation stays
            text = text[:text.index(",") + 1] + " "
        spelt = self._outer(text)
        return None if spelt is None else (self.marks[at], spelt)

    def wrap(self, expectations: list) -> list:
        """Expectations inside the JSON text, as one expectation on the YAML string."""
        return [(self.path, Embedded(expectations))]


class Embedded(list):
    """The expectations of a fix inside a JSON text held in a string at some path."""


def _shared_nodes(root) -> set:
    """ids of nodes reached more than once (anchors with aliases, merged mappings)."""
    import yaml

    seen, shared, stack = set(), set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            shared.add(id(node))
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag == "tag:yaml.org,2002:merge":
                    shared.add(id(v))
                stack.append(k)
                stack.append(v)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return shared


def _yaml_string(s: str, style: str) -> str:
    """A YAML scalar spelling of `s`: the style it had where that is exact, else quoted."""
    if style == "" and _PLAIN_SAFE.match(s) and not _resolves_to_other(s):
        return s
    if style == '"':
        return json.dumps(s, ensure_ascii=False)
    return "'" + s.replace("'", "''") + "'"


def _resolves_to_other(s: str) -> bool:
    """Would a plain `s` load as something else than this string (a number, bool, null)?"""
    from obslint.load import yamlload

    import yaml

    return yaml.load(s, Loader=yamlload.go_like_loader()) != s


def _plain_map(text: str, start: int, end: int) -> list[int] | None:
    raw = text[start:end]
    if "\n" in raw or "\r" in raw:
        return None  # a plain scalar over several lines is folded
    return list(range(start, end + 1))


def _single_map(text: str, start: int, end: int) -> list[int] | None:
    if text[start] != "'" or text[end - 1] != "'":
        return None
    marks, i = [], start + 1
    while i < end - 1:
        c = text[i]
        if c in "\r\n":
            return None
        marks.append(i)
        i += 2 if c == "'" else 1
    marks.append(end - 1)
    return marks


_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "t": "\t", "n": "\n", "r": "\r", "0": "\0", "a": "\a",
                   "b": "\b", "e": "\x1b", "f": "\f", "v": "\v", " ": " "}
_HEX = {"x": 2, "u": 4, "U": 8}


def _double_map(text: str, start: int, end: int) -> list[int] | None:
    if text[start] != '"' or text[end - 1] != '"':
        return None
    marks, i = [], start + 1
    while i < end - 1:
        c = text[i]
        if c in "\r\n":
            return None  # line folding inside the quotes
        marks.append(i)
        if c == "\\":
            e = text[i + 1] if i + 1 < end else ""
            if e in _SIMPLE_ESCAPES:
                i += 2
            elif e in _HEX:
                i += 2 + _HEX[e]
            else:
                return None
        else:
            i += 1
    marks.append(end - 1)
    return marks


def _literal_map(text: str, start: int, end: int) -> list[int] | None:
    """A `|` block scalar: each content line minus the block's indentation, then its newline."""
    header_end = text.find("\n", start)
    if header_end == -1 or header_end >= end:
        return None
    header = text[start:header_end].split("#", 1)[0].strip()
    if any(ch.isdigit() for ch in header):
        return None  # an explicit indentation indicator: rare, not mapped
    lines = []
    pos = header_end + 1
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl == -1 else nl
        lines.append((pos, stop))
        pos = stop + 1
    indent = None
    for a, b in lines:
        body = text[a:b]
        if body.strip(" "):
            indent = len(body) - len(body.lstrip(" "))
            break
    if indent is None:
        return None
    marks = []
    for a, b in lines:
        if b - a > indent:
            marks.extend(range(a + indent, b))
        if b < len(text) and b < end:
            marks.append(b)  # the newline
    marks.append(marks[-1] + 1 if marks else end)
    return marks


def _maps_exactly(text: str, marks: list[int], value: str, style: str) -> bool:
    """The characters the map points at spell the loaded value (escapes aside)."""
    if len(marks) < len(value) + 1:
        return False
    if style == '"':
        return len(marks) == len(value) + 1
    if style == "|":
        # Chomping may drop final newlines: the value is a prefix of the mapped characters.
        got = "".join(text[m] for m in marks[:len(value)])
        if got != value:
            return False
        del marks[len(value) + 1:]
        marks[len(value)] = marks[len(value) - 1] + 1 if value else marks[0]
        return True
    return len(marks) == len(value) + 1 and all(
        text[m] == ch or (style == "'" and ch == "'") for m, ch in zip(marks, value))


class _Missing:
    """The expectation that the key at a path is gone (one object, also after pickling)."""

    def __reduce__(self):
        return "MISSING"

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _MISSING = _Missing()


def replace_in_string(doc, path, expected: str, pieces) -> tuple[list, list] | None:
    """Edits replacing parts of the string value at path (`pieces`: (start, end, new) in the
    string's own characters), and the expectation the fixer checks: the new string. None
    when the value is not `expected` or its characters cannot be mapped exactly."""
    from obslint.fixes import Edit

    sp = spans(doc)
    if sp is None or not pieces:
        return None
    node = value_at(doc.root, path)
    if node != expected:
        return None
    marks = sp.string_map(path)
    if marks is None or len(marks) != len(expected) + 1:
        return None
    edits, pos = [], 0
    for a, b, repl in sorted(pieces):
        if a < pos:
            return None  # overlapping pieces
        spelt = sp.spell_inside(path, repl)
        if spelt is None:
            return None
        edits.append(Edit(marks[a], marks[b], spelt))
        pos = b
    return edits, _expect(sp, [(sp.full(path), Pieces(sorted(pieces)))])


def _expect(sp, expectations: list) -> list:
    return sp.wrap(expectations) if isinstance(sp, EmbeddedSpans) else expectations


class Pieces(list):
    """An expectation that a string changes by these (start, end, new) pieces only; the
    pieces of several fixes of one string combine."""

    def apply(self, value: str) -> str | None:
        out, pos = [], 0
        for a, b, repl in sorted(self):
            if a < pos or b > len(value):
                return None
            out.append(value[pos:a] + repl)
            pos = b
        out.append(value[pos:])
        return "".join(out)


def replace_value(doc, path, value) -> tuple[list, list] | None:
    """Edits setting the scalar at path to `value` (spelt in the node's own style)."""
    from obslint.fixes import Edit

    sp = spans(doc)
    span = sp.value(path) if sp is not None else None
    if span is None:
        return None
    spelt = sp.spell(path, value)
    if spelt is None:
        return None
    return [Edit(span[0], span[1], spelt)], _expect(sp, [(sp.full(path), value)])


def rename_key(doc, path, new_key: str) -> tuple[list, list] | None:
    """Edits renaming the key at path (path ends with the old key) to `new_key`."""
    from obslint.fixes import Edit

    sp = spans(doc)
    span = sp.key(path) if sp is not None else None
    if span is None:
        return None
    parent = value_at(doc.root, tuple(path)[:-1])
    if not isinstance(parent, dict) or new_key in parent:
        return None  # the right key is there already: renaming would make a duplicate
    spelt = sp.spell_key(path, new_key)
    if spelt is None:
        return None
    moved = parent[path[-1]]
    return [Edit(span[0], span[1], spelt)], _expect(sp, [(sp.full(path), MISSING),
                                              (sp.full(tuple(path)[:-1] + (new_key,)), moved)])


def add_member(doc, path, key: str, value) -> tuple[list, list] | None:
    """Edits adding `key: value` to the mapping at path."""
    from obslint.fixes import Edit

    sp = spans(doc)
    if sp is None:
        return None
    placed = sp.insert_member(path, key, value)
    if placed is None:
        return None
    return [Edit(placed[0], placed[0], placed[1])], _expect(sp, [(sp.full(tuple(path) + (key,)), value)])


def value_at(root, path):
    """The node at `path` in a data tree, or MISSING."""
    node = root
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return node


def query_edits(query, pieces) -> tuple[list, list] | None:
    """Edits replacing `pieces` ((start, end, new) in the query's expression) in the file."""
    return replace_in_string(query.doc, query.path, query.expr, pieces) if pieces else None
