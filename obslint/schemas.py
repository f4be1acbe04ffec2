"""Our JSON Schemas (in `schemas/`), loaded once each, with person-readable errors."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path


def schema_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "schemas", here.parent / "schemas"):
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
    gate = _gate(name)
    if gate is not None:
        try:
            if gate.is_valid(instance):
                return []
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
