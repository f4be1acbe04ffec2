"""Reading the policy (obslint.yaml, or [tool.obslint] in pyproject.toml) through the same
guards as linted files.

The policy is input like any other: an alias bomb (nine aliases of nine), a recursive alias
(`exclude: &x [*x]`), a 50,000-deep TOML array, a 5,000-digit integer, a key that is not a
string (`checks: {severity: {1: error}}`) or `tool = 5` must each end in one clear line and
exit 2, never in a traceback or gigabytes of memory. YAML goes through obslint.load.yamlload
(alias expansion bounded, recursion refused, values PyYAML cannot construct located); TOML
through tomllib with its recursion and integer errors caught; the result is then checked to
be JSON-like data (string keys, bounded depth) before the schema sees it."""
from __future__ import annotations

MAX_POLICY_BYTES = 5 * 2**20
MAX_DEPTH = 64  # the policy schema needs 6 levels; deeper is not a policy


def read(path, text: str):
    """The policy file as a Source with one Document (the policy data), located by the same
    per-format locator as linted files; ValueError as `parse`."""
    from obslint.config import relative
    from obslint.document import Document, Source

    data = parse(path, text)
    source = Source(path, relative(path), text, "toml" if str(path).endswith("pyproject.toml") else "yaml")
    source.documents.append(Document(source, 0, data, kind="obslint-policy"))
    return source


def parse(path, text: str):
    """The policy data of the file's text; ValueError with `path[:line:col]: what` otherwise."""
    if len(text) > MAX_POLICY_BYTES:
        raise ValueError(f"{path}: {len(text):,} characters, more than a policy can be "
                         f"({MAX_POLICY_BYTES:,})")
    data = _toml(path, text) if str(path).endswith("pyproject.toml") else _yaml(path, text)
    _check_shape(path, data)
    return data


def _yaml(path, text: str):
    from obslint.load.yamlload import parse_yaml

    result = parse_yaml(text)
    if result.problems:
        p = result.problems[0]
        message = p.message if p.kind != "syntax" else f"invalid YAML: {p.message}"
        raise ValueError(f"{path}:{p.line}:{p.col}: {message}")
    documents = [d for d in result.documents if d is not None]
    if len(result.documents) > 1:
        raise ValueError(f"{path}: the policy must be one YAML document, not {len(result.documents)}")
    return documents[0] if documents else {}


def _toml(path, text: str):
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ValueError(f"{path}: invalid TOML: it nests too deeply to be read") from None
    except ValueError as exc:  # an integer past Python's digit limit
        raise ValueError(f"{path}: invalid TOML: {str(exc).splitlines()[0][:160]}") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ValueError(f"{path}: `tool` must be a table, not {_kind(tool)}")
    section = tool.get("obslint", {})
    if not isinstance(section, dict):
        raise ValueError(f"{path}: `tool.obslint` must be a table, not {_kind(section)}")
    return section


def _check_shape(path, data) -> None:
    """String keys only, at most MAX_DEPTH levels (iteratively: no recursion on hostile data)."""
    stack = [(data, (), 0)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"{path}: `{_dotted(where)}` nests more than {MAX_DEPTH} levels deep")
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    raise ValueError(f"{path}: `{_dotted(where)}` has the key {key!r} ({_kind(key)}); "
                                     f"keys must be strings")
                stack.append((value, where + (key,), depth + 1))
        elif isinstance(node, list):
            stack.extend((value, where + (i,), depth + 1) for i, value in enumerate(node))


def _dotted(where: tuple) -> str:
    return ".".join(str(p) for p in where) or "(top level)"


def _kind(value) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            type(None): "null"}.get(type(value), type(value).__name__)
