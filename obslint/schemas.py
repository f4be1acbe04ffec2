"""Our JSON Schemas (in `schemas/`), loaded once each, with person-readable errors."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from obslint import fastpaths


def schema_dir() -> Path:
    here = Path(__file__).resolve().parent
    # An install has them in the package (obslint/schemadata), a checkout beside it (schemas/).
    for candidate in (here / "schemadata", here / "schemas", here.parent / "schemas"):
        if (candidate / "policy.schema.json").exists():
            return candidate
    try:
        from importlib.resources import files

        return Path(str(files("obslint.schemadata")))
    except (ModuleNotFoundError, TypeError):
        return here.parent / "schemas"


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    with open(schema_dir() / f"{name}.schema.json", encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=None)
def validator(name: str):
    import jsonschema

    schema = load(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@lru_cache(maxsize=None)
def _gate(name: str):
    """A compiled validator (jsonschema-rs) that answers "valid?" fast; None when unavailable."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - optional accelerator
        return None
    try:
        return jsonschema_rs.validator_for(load(name))
    except Exception:  # noqa: BLE001 - any trouble: use jsonschema alone
        return None


def errors(name: str, instance) -> list:
    """Validation errors, the most specific one of each failing branch, in document order.

    Most documents are valid: a compiled validator confirms that in microseconds, and its
    errors describe nearly every invalid one too. jsonschema (the reference implementation,
    with its precise error objects) runs only for an error the compiled validator's cannot
    stand in for exactly. (jsonschema is imported only then: importing it costs ~70-140 ms.)"""
    gate = _gate(name) if fastpaths.ENABLED else None
    if gate is not None:
        try:
            if gate.is_valid(instance):
                return []
            found = _gate_errors(gate, load(name), instance)
            if found is not None:
                found.sort(key=lambda e: [str(p) for p in e.absolute_path])
                return found
        except Exception:  # noqa: BLE001 - values it cannot convert: let jsonschema decide
            pass
    return reference_errors(name, instance)


def reference_errors(name: str, instance) -> list:
    """The same errors from jsonschema, with its best_match choosing inside oneOf/anyOf."""
    from jsonschema.exceptions import best_match

    found = []
    for err in validator(name).iter_errors(instance):
        if err.context:
            err = best_match(err.context) or err
        found.append(err)
    found.sort(key=lambda e: [str(p) for p in e.absolute_path])
    return found


# jsonschema-rs error kinds whose jsonschema counterpart is one keyword with no sub-errors:
# for these the compiled validator's errors say all `describe` needs. Anything else (anyOf,
# oneOf, ...) goes to jsonschema, whose best_match picks the branch a person meant.
_SIMPLE_KINDS = {"Type": "type", "Required": "required", "AdditionalProperties": "additionalProperties",
                 "Enum": "enum", "Pattern": "pattern", "Minimum": "minimum", "Maximum": "maximum",
                 "ExclusiveMinimum": "exclusiveMinimum", "ExclusiveMaximum": "exclusiveMaximum",
                 "MinLength": "minLength", "MaxLength": "maxLength", "MinItems": "minItems", "Constant": "const"}


class GateError:
    """The fields of a jsonschema ValidationError that obslint reads, from a jsonschema-rs error."""

    __slots__ = ("validator", "validator_value", "instance", "absolute_path", "schema", "message")

    def __init__(self, validator, validator_value, instance, absolute_path, schema, message) -> None:
        self.validator, self.validator_value, self.instance = validator, validator_value, instance
        self.absolute_path, self.schema, self.message = absolute_path, schema, message


def _gate_errors(gate, schema: dict, instance) -> list | None:
    """The document's errors from the compiled validator (~0.2 ms, where jsonschema takes
    ~50 ms on a large dashboard and ~70 ms more to import), or None when one of them needs
    jsonschema to be described."""
    out = []
    for e in gate.iter_errors(instance):
        if type(e.kind).__name__ in _BRANCHING:  # jsonschema's best_match(err.context), or err
            e = best_match_rs(e, schema)
            if e is None:
                return None
        err = gate_error(e, schema)
        if err is None:
            return None
        out.append(err)
    return out


def node_at(schema, where):
    """The schema node at a jsonschema-rs schema path (absolute in the root schema: references
    are already followed); None when the path leaves the schema."""
    node = schema
    for step in where:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def gate_error(e, schema: dict) -> GateError | None:
    """One jsonschema-rs error as the fields `describe` reads, or None when its kind is not
    one whose wording obslint can rebuild exactly."""
    keyword = _SIMPLE_KINDS.get(type(e.kind).__name__)
    where = list(e.schema_path)
    if keyword is None or not where or where[-1] != keyword:
        return None
    node = node_at(schema, where[:-1])
    if not isinstance(node, dict) or keyword not in node:
        return None
    if keyword == "required":  # jsonschema's wording, which `describe` reads the key from
        message = f"{e.kind.property!r} is a required property"
    else:
        message = e.message
    return GateError(keyword, node[keyword], e.instance, tuple(e.instance_path), node, message)


_BRANCHING = {"OneOfNotValid": "oneOf", "AnyOf": "anyOf"}
_IS_TYPE = {"array": lambda v: isinstance(v, list), "boolean": lambda v: isinstance(v, bool),
            "null": lambda v: v is None, "object": lambda v: isinstance(v, dict),
            "string": lambda v: isinstance(v, str),
            "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
            or (isinstance(v, float) and v.is_integer())}


def _relevance(e, schema: dict, parent_path: tuple):
    """jsonschema's `relevance` key (exceptions.by_relevance, draft 7 types) for a jsonschema-rs
    error below the error at `parent_path`; None for a kind it cannot rate the same way."""
    name = type(e.kind).__name__
    keyword = _BRANCHING.get(name) or _SIMPLE_KINDS.get(name)
    where = list(e.schema_path)
    if keyword is None or not where or where[-1] != keyword:
        return None
    node = node_at(schema, where[:-1])
    if not isinstance(node, dict):
        return None
    path = tuple(e.instance_path)[len(parent_path):]
    expected = node.get("type")
    if isinstance(expected, str):
        expected = [expected]
    matches = isinstance(expected, list) and any(_IS_TYPE.get(t, lambda v: False)(e.instance) for t in expected)
    return (-len(path), path, keyword not in ("anyOf", "oneOf"), False, not matches)


def _context(e) -> list | None:
    """A branching error's sub-errors with their branch numbers, in branch order."""
    if type(e.kind).__name__ not in _BRANCHING:
        return []
    return [(i, sub) for i, branch in enumerate(e.kind.context or ()) for sub in branch]


def best_match_rs(e, schema: dict):
    """jsonschema's `best_match(err.context)` for a jsonschema-rs oneOf/anyOf error: the most
    relevant sub-error, then down through its own sub-errors while one is clearly the least
    relevant. None where jsonschema's choice hangs on an order jsonschema-rs does not keep (two
    equally relevant errors of one branch) or on a kind this cannot rate."""
    parent = tuple(e.instance_path)
    rated = []
    for branch, sub in _context(e):
        key = _relevance(sub, schema, parent)
        if key is None:
            return None
        rated.append((key, branch, sub))
    if not rated:
        return None
    top = max(r[0] for r in rated)
    tied = [r for r in rated if r[0] == top]
    if sum(1 for r in tied if r[1] == tied[0][1]) > 1:
        return None
    best = tied[0][2]
    while True:
        inner = _context(best)
        if not inner:
            return best
        here = tuple(best.instance_path)
        keys = []
        for _branch, sub in inner:
            key = _relevance(sub, schema, here)
            if key is None:
                return None
            keys.append((key, sub))
        keys.sort(key=lambda k: k[0])
        if len(keys) >= 2 and keys[0][0] == keys[1][0]:
            return best
        best = keys[0][1]


def describe(err) -> str:
    """One sentence: which key, what was expected, what was found."""
    at = where(err.absolute_path)
    v = err.validator
    inst = err.instance
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return f"{at}is missing the required key `{missing}`"
    if v == "additionalProperties":
        extra = sorted(set(inst) - set(err.schema.get("properties", {}))) if isinstance(inst, dict) else []
        return f"{at}has unknown key{'s' if len(extra) > 1 else ''} {', '.join(f'`{k}`' for k in extra)}"
    if v == "type":
        expected = err.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{at}must be {_article(expected)}, not {_kind(inst)} ({_short(inst)})"
    if v == "enum":
        return f"{at}is {_short(inst)}; expected one of {', '.join(map(_short, err.validator_value))}"
    if v == "pattern":
        return f"{at}{_short(inst)} does not match the pattern `{err.validator_value}`"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{at}{_short(inst)} is out of range ({v} {err.validator_value})"
    if v == "minLength":
        return f"{at}must not be empty"
    if v == "maxLength":
        return f"{at}is longer than {err.validator_value} characters"
    if v == "minItems":
        return f"{at}needs at least {err.validator_value} item{'s' if err.validator_value != 1 else ''}"
    if v == "const":
        return f"{at}must be {_short(err.validator_value)}, not {_short(inst)}"
    return f"{at}{err.message}"


def where(path) -> str:
    """"`a.b[0].c` " for a path inside a document ("" for the top)."""
    parts = list(path)
    if not parts:
        return ""
    text = ""
    for p in parts:
        text += f"[{p}]" if isinstance(p, int) else (f".{p}" if text else str(p))
    return f"`{text}` "


def _article(word: str) -> str:
    return {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
            "number": "a number", "boolean": "true or false", "null": "null"}.get(word, word)


def _kind(value) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _short(value) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
