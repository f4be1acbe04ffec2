"""YAML to Python data, fast when the file is ordinary and exact when it is not.

The fast path is yaml_rs (Rust, YAML 1.2, rejects duplicate keys, bounds alias
expansion). Anything it refuses, and anything it cannot represent (several documents,
merge keys), goes through PyYAML's C loader, which gives exact marks for errors and
lets us report duplicate keys, alias bombs and recursive aliases as findings.

Both paths read scalars as Prometheus and Grafana do (Go's YAML: `yes` is a string,
`2024-01-01` is a string, `10:30` is a string).
"""
from __future__ import annotations

import re
import sys

from obslint import fastpaths
from obslint.record import Record

try:  # pragma: no cover - depends on the platform's wheels
    import yaml_rs
except ImportError:  # pragma: no cover
    yaml_rs = None


class _LazyYaml:
    """PyYAML, imported on first attribute access: ordinary files never need it (yaml_rs
    reads them and positions come from the text), and importing it costs ~20 ms a run. (A
    plain proxy rather than importlib.util.LazyLoader, whose import costs ~2 ms itself.)"""

    __slots__ = ()

    def __getattr__(self, name: str):
        global yaml
        import yaml as module

        yaml = module  # later uses in this module go straight to PyYAML
        return getattr(module, name)


yaml = _LazyYaml()

MAX_EXPANDED_NODES = 1_000_000
_LOADER = None


def go_like_loader():
    """Safe loader whose implicit scalar types follow YAML 1.2 core, as Go's yaml.v3 does
    (built on first use, from PyYAML's C loader when it has one)."""
    global _LOADER
    if _LOADER is None:
        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        loader = type("GoLikeLoader", (base,), {"__doc__": go_like_loader.__doc__})
        loader.yaml_implicit_resolvers = {}
        for tag, regexp, first in [
            ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
            ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
            (
                "tag:yaml.org,2002:float",
                r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
                "-+0123456789.",
            ),
            ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
            ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
        ]:
            loader.add_implicit_resolver(tag, re.compile(regexp), list(first))
        _LOADER = loader
    return _LOADER


def __getattr__(name: str):
    if name == "GoLikeLoader":
        return go_like_loader()
    raise AttributeError(name)


class Marks:
    """1-based (line, column) of PyYAML marks, in the `\n`-separated lines every other
    position uses. libyaml also breaks lines at `\r`, NEL and U+2028, and puts the end of a
    file without a final newline on a line of its own; its character index has neither quirk."""

    __slots__ = ("text", "_lines")

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines = None

    def __call__(self, mark) -> tuple[int, int]:
        if mark is None:
            return 1, 1
        if self._lines is None:
            from obslint.load.text import LineIndex

            self._lines = LineIndex(self.text)
        index = getattr(mark, "index", None)
        if not isinstance(index, int):
            return mark.line + 1, mark.column + 1
        return self._lines.position(max(0, min(index, len(self.text))))


class YamlProblem(Record):
    __slots__ = _fields = ("kind", "message", "line", "col", "document")

    def __init__(self, kind: str, message: str, line: int, col: int, document: int = 0) -> None:
        self.kind = kind  # "syntax", "duplicate-key", "alias-bomb", "recursive-alias", "too-deep"
        self.message = message
        self.line = line
        self.col = col
        self.document = document


class YamlResult(Record):
    __slots__ = _fields = ("documents", "problems", "nodes")

    def __init__(self, documents: list, problems: list, nodes: list | None = None) -> None:
        self.documents = documents
        self.problems = problems
        self.nodes = nodes  # composed nodes when the slow path ran (reused for positions)


_DOC_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.M)


def _single_document(text: str) -> bool:
    markers = list(_DOC_MARKER.finditer(text))
    if not markers:
        return True
    if len(markers) > 1 or markers[0].group() == "...":
        return False
    before = text[: markers[0].start()]
    return all(not ln.strip() or ln.lstrip().startswith(("#", "%")) for ln in before.splitlines())


# --- nesting guard -------------------------------------------------------------------
# Both native parsers recurse once per nesting level and die on a deep enough document
# (a segfault, nothing to catch): yaml_rs at about 10,000 levels of block nesting (it
# refuses flow nesting past ~255 by itself), PyYAML's C composer at about 20,000. Real
# files nest at most 13 levels. Cheap text checks prove most files shallow; the rest are
# measured with libyaml's event stream, which is iterative, before any parser builds them.
MAX_DEPTH = 100  # levels of nested mappings and sequences a document may have
_SHORT = 1024  # a text this short cannot nest deep enough to matter
_INDENT = 256  # no line indented this far: indentation nests at most ~2x this
_LONG_LINE = 512  # only a line this long can hold a long run of `- - - ...`
_RUN = re.compile(r"[ \t]*(?:[-?:]+[ \t]+){200}")
_FLOW = 1000  # at most this many `[`/`{` in all: flow nesting is at most this


def _shallow(text: str, flow: bool) -> bool:
    """True when block nesting (and, with `flow`, flow nesting) is certainly far below
    the depth that crashes a parser. False means "measure it"."""
    if len(text) <= _SHORT:
        return True
    if "\r" in text:
        text = text.replace("\r", "\n")
    if text.startswith(" " * _INDENT) or ("\n" + " " * _INDENT) in text:
        return False
    # A block collection nested on the same line (`- - - x`, `? - x`) starts at the start
    # of a line; everything else nests through indentation, which was bounded above.
    lines = text.split("\n")
    if len(max(lines, key=len)) > _LONG_LINE:
        if any(_RUN.match(line) for line in lines if len(line) > _LONG_LINE):
            return False
    return not flow or text.count("[") + text.count("{") <= _FLOW


def depth_problem(text: str) -> YamlProblem | None:
    """A "too-deep" problem when some document nests more than MAX_DEPTH levels; found
    with libyaml's event stream, which does not recurse."""
    loader = go_like_loader()(text)
    depth = 0
    doc = 0
    marks = Marks(text)
    try:
        while True:
            event = loader.get_event()
            if event is None:
                return None
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return YamlProblem("too-deep", f"YAML nests more than {MAX_DEPTH} levels deep; it was not read "
                                       "(real files nest a dozen levels at most)", *marks(event.start_mark), doc)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.DocumentEndEvent):
                doc += 1
    except yaml.MarkedYAMLError as exc:
        if _libyaml_depth_limit(exc):  # newer libyaml stops at its own depth limit
            return YamlProblem("too-deep", f"YAML nests more than {MAX_DEPTH} levels deep; it was not read "
                               "(real files nest a dozen levels at most)",
                               *marks(exc.problem_mark or exc.context_mark), doc)
        return None  # a syntax error before any deep nesting: the parsers report it safely
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


def parse_yaml(text: str) -> YamlResult:
    measured = False
    if not _shallow(text, flow=False):
        problem = depth_problem(text)
        if problem is not None:
            return YamlResult([], [problem])
        measured = True
    if fastpaths.ENABLED and yaml_rs is not None and "<<" not in text and _single_document(text):
        try:
            data = yaml_rs.loads(text, parse_datetime=False)
        except Exception:  # noqa: BLE001 - any refusal goes to the exact path below
            pass
        else:
            return YamlResult([data] if data is not None or text.strip() else [], [])
    if not measured and not _shallow(text, flow=True):
        problem = depth_problem(text)
        if problem is not None:
            return YamlResult([], [problem])
    return _parse_exact(text)


def compose_all(text: str) -> list:
    """Composed root nodes of every document (positions), best effort on broken text."""
    if not _shallow(text, flow=True) and depth_problem(text) is not None:
        return []  # too deep to compose safely (parse_yaml reported it)
    loader = go_like_loader()(text)
    nodes = []
    try:
        while loader.check_node():
            nodes.append(loader.get_node())
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return nodes


# Composed nodes cost ~25 bytes of memory per byte of YAML; beyond this size they are not
# kept for positions (the line outline, or composing again, answers the rare lookups).
_KEEP_NODES = 1024 * 1024


def _parse_exact(text: str) -> YamlResult:
    loader = go_like_loader()(text)
    marks = Marks(text)
    documents: list = []
    problems: list[YamlProblem] = []
    nodes: list = []
    keep = len(text) <= _KEEP_NODES
    try:
        while loader.check_node():
            node = loader.get_node()
            index = len(documents)
            if keep:
                nodes.append(node)
            bad = _inspect(node, index, problems, marks)
            if bad:
                documents.append(None)
                continue
            try:
                documents.append(loader.construct_document(node))
            except RecursionError:
                problems.append(_at(marks, node, "too-deep", "YAML nests too deeply to be read", index))
                documents.append(None)
            except yaml.constructor.ConstructorError as exc:
                problems.append(YamlProblem("syntax", _yaml_message(exc), *marks(exc.problem_mark or node.start_mark),
                                            index))
                documents.append(None)
            except (ValueError, TypeError, AttributeError, OverflowError) as exc:  # `!!int abc`, `!!timestamp x`
                bad, why = _unconstructable(loader, node, exc)
                problems.append(_at(marks, bad, "syntax", why, index))
                documents.append(None)
    except yaml.MarkedYAMLError as exc:
        line, col = marks(exc.problem_mark or exc.context_mark)
        message = _yaml_message(exc)
        bad_line = text.split("\n", line)[line - 1] if line <= text.count("\n") + 1 else ""
        if "\t" in bad_line[: len(bad_line) - len(bad_line.lstrip(" \t"))] and "tab" not in message:
            message += " (a tab in the indentation: YAML allows only spaces there)"
        kind = "too-deep" if _libyaml_depth_limit(exc) else "syntax"
        problems.append(YamlProblem(kind, message, line, col, len(documents)))
    except yaml.YAMLError as exc:  # e.g. ReaderError for control characters
        line, col = _reader_position(text, exc)
        problems.append(YamlProblem("syntax", str(exc).splitlines()[0], line, col, len(documents)))
    except RecursionError:
        problems.append(YamlProblem("too-deep", "YAML nests too deeply to be read", 1, 1, len(documents)))
    finally:
        loader.dispose()
    return YamlResult(documents, problems, nodes if keep else None)


def _unconstructable(loader, root, exc: Exception) -> tuple:
    """(node, message) for the first scalar PyYAML cannot turn into a value (a tag that does
    not fit the text: `!!int abc`, `!!timestamp nope`; an integer past Python's digit limit).
    Walks the document's nodes iteratively and constructs each scalar alone."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            loader.constructed_objects, loader.recursive_objects = {}, {}  # left over by the failure
            try:
                loader.construct_object(node)
            except Exception as inner:  # noqa: BLE001 - any refusal is this value's problem
                tag = node.tag.rsplit(":", 1)[-1] if node.tag.startswith("tag:yaml.org,2002:") else node.tag
                text = node.value if len(node.value) <= 40 else node.value[:37] + "..."
                if "digits" in str(inner) and tag == "int":
                    return node, (f"an integer of {len(node.value):,} digits, more than obslint reads "
                                  f"({getattr(sys, 'get_int_max_str_digits', lambda: 4300)():,}); "
                                  "quote it if it is text")
                return node, f"{text!r} is tagged !!{tag} but is not one"

        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack.extend((value, key))
    return root, f"a value cannot be read ({_first_line(exc)})"


def _first_line(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _libyaml_depth_limit(exc) -> bool:
    """libyaml 0.2.5+ (bundled with PyYAML 6.0.4 wheels) refuses nesting past its own limit."""
    return "maximum nesting depth" in (getattr(exc, "problem", None) or "")


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    msg = "; ".join(parts) or "invalid YAML"
    if "\t" in msg or "'\\t'" in msg:
        msg = msg.replace("\t", "\\t")
        msg += " (YAML does not allow tabs for indentation: use spaces)"
    return msg


def _reader_position(text: str, exc: Exception) -> tuple[int, int]:
    pos = getattr(exc, "position", None)
    if pos is None:
        return 1, 1
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _at(marks: Marks, node, kind: str, message: str, doc: int) -> YamlProblem:
    return YamlProblem(kind, message, *marks(node.start_mark), doc)


def _inspect(root, doc: int, problems: list, marks: Marks) -> bool:
    """Find duplicate keys; return True when the document cannot be constructed safely
    (recursive alias or an expansion that would explode memory). One iterative pass over the
    collections; only a document where some collection is reached twice (an alias) gets the
    second, costlier walk that measures the expansion."""
    Mapping, Sequence, Scalar = yaml.MappingNode, yaml.SequenceNode, yaml.ScalarNode
    seen: set[int] = set()
    shared = False
    stack: list = [root]
    while stack:
        node = stack.pop()
        nid = id(node)
        if nid in seen:
            shared = True
            continue
        seen.add(nid)
        if isinstance(node, Mapping):
            keys: dict[str, object] = {}
            for k, v in node.value:
                if isinstance(k, Scalar):
                    if k.tag != "tag:yaml.org,2002:merge":
                        first = keys.get(k.value)
                        if first is None:
                            keys[k.value] = k
                        else:
                            problems.append(_at(marks, k, "duplicate-key",
                                                f"duplicate key {k.value!r} (first at line {marks(first.start_mark)[0]}); "
                                                "the later value silently wins", doc))
                else:
                    stack.append(k)
                if not isinstance(v, Scalar):
                    stack.append(v)
        elif isinstance(node, Sequence):
            stack.extend(c for c in node.value if not isinstance(c, Scalar))
    return shared and _expansion_problem(root, doc, problems, marks)


def _expansion_problem(root, doc: int, problems: list, marks: Marks) -> bool:
    """A recursive alias, or aliases expanding past MAX_EXPANDED_NODES: reported, True."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    # Iterative post-order walk, so deep nesting does not hit Python's recursion limit.
    stack: list = [(root, False)]
    while stack:
        node, done = stack.pop()
        nid = id(node)
        if done:
            visiting.discard(nid)
            total = 1
            for child in _children(node):
                total += sizes.get(id(child), 1)
            sizes[nid] = total
            if total > MAX_EXPANDED_NODES:
                problems.append(_at(marks, node, "alias-bomb",
                                    f"aliases expand this YAML to more than {MAX_EXPANDED_NODES:,} nodes "
                                    "(a 'billion laughs' document); it was not read", doc))
                return True
            continue
        if nid in visiting:
            problems.append(_at(marks, node, "recursive-alias", "an alias refers to the node that contains it; "
                                "the document was not read", doc))
            return True
        if nid in sizes:
            continue
        visiting.add(nid)
        stack.append((node, True))
        for child in _children(node):
            stack.append((child, False))
    return False


def _children(node):
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            yield k
            yield v
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value


def locate(root, path: tuple, at_key: bool = False):
    """The mark (0-based line, column) of the node at path under a composed root."""
    node = root
    key_node = None
    for step in path:
        nxt = None
        if isinstance(node, yaml.MappingNode):
            nxt = _lookup(node, step)
            if nxt is not None:
                key_node, nxt = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            key_node, nxt = None, node.value[step]
        if nxt is None:
            return (key_node or node).start_mark, node
        node = nxt
    target = key_node if (at_key and key_node is not None) else node
    return target.start_mark, node


def _lookup(node, step):
    want = step if isinstance(step, str) else str(step).lower()
    merged = []
    for k, v in reversed(node.value):  # the later key wins, as in the loaded data
        if not isinstance(k, yaml.ScalarNode):
            continue
        if k.tag == "tag:yaml.org,2002:merge":
            merged.append(v)
            continue
        if k.value == want or (not isinstance(step, str) and k.value.lower() == want):
            return k, v
    for m in merged:
        for sub in (m.value if isinstance(m, yaml.SequenceNode) else [m]):
            if isinstance(sub, yaml.MappingNode):
                found = _lookup(sub, step)
                if found:
                    return found
    return None
