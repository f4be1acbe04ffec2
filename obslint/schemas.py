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

    Most documents are valid: a compiled validator confirms that in microseconds, and
    jsonschema (the reference implementation, with its precise error objects) runs only
    for documents that fail. (jsonschema is imported only then: importing it costs ~70 ms.)"""
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
        keyword = _SIMPLE_KINDS.get(type(e.kind).__name__)
        where = list(e.schema_path)
        if keyword is None or not where or where[-1] != keyword:
            return None
        node = schema
        for step in where[:-1]:
            node = node[step]
        if not isinstance(node, dict) or keyword not in node:
            return None
        if keyword == "required":  # jsonschema's wording, which `describe` reads the key from
            message = f"{e.kind.property!r} is a required property"
        else:
            message = e.message
        out.append(GateError(keyword, node[keyword], e.instance, tuple(e.instance_path), node, message))
    return out


def describe(err) -> str:
    """One sentence: which key, what was expected, what was found."""
    where = _where(err.absolute_path)
    v = err.validator
    inst = err.instance
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return f"{where}is missing the required key `{missing}`"
    if v == "additionalProperties":
        extra = sorted(set(inst) - set(err.schema.get("properties", {}))) if isinstance(inst, dict) else []
        return f"{where}has unknown key{'s' if len(extra) > 1 else ''} {', '.join(f'`{k}`' for k in extra)}"
    if v == "type":
        expected = err.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{where}must be {_article(expected)}, not {_kind(inst)} ({_short(inst)})"
    if v == "enum":
        return f"{where}is {_short(inst)}; expected one of {', '.join(map(_short, err.validator_value))}"
    if v == "pattern":
        return f"{where}{_short(inst)} does not match the pattern `{err.validator_value}`"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{where}{_short(inst)} is out of range ({v} {err.validator_value})"
    if v == "minLength":
        return f"{where}must not be empty"
    if v == "maxLength":
        return f"{where}is longer than {err.validator_value} characters"
    if v == "minItems":
        return f"{where}needs at least {err.validator_value} item{'s' if err.validator_value != 1 else ''}"
    if v == "const":
        return f"{where}must be {_short(err.validator_value)}, not {_short(inst)}"
    return f"{where}{err.message}"


def _where(path) -> str:
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
