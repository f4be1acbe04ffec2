"""The official v2 dashboard schema (vendored from grafana-foundation-sdk, see
schemas/README.md), read the way Grafana applies it, with errors a person can act on."""
from __future__ import annotations

import json
from functools import lru_cache

from obslint import fastpaths, schemas

_FILES = {"v2": "foundation-sdk-dashboardv2.jsonschema.json",
          "v2beta1": "foundation-sdk-dashboardv2beta1.jsonschema.json"}
_ANY_OBJECT = {"type": "object", "additionalProperties": {}}
# A wrong type or kind: Grafana cannot decode the object. Anything else: a warning.
HARD = ("type", "const", "kind")


def schema_file(version: str) -> str | None:
    """The vendored schema of a v2 version; None for one with no published JSON schema
    (v2alpha1 names plugins and datasource types in `kind`, where v2beta1 has fixed kinds:
    checking it against v2beta1 would call every panel wrong)."""
    if version == "v2" or version.startswith("v2."):
        return _FILES["v2"]
    return _FILES.get(version)


@lru_cache(maxsize=None)
def schema(version: str) -> dict:
    with open(schemas.schema_dir() / schema_file(version), encoding="utf-8") as fh:
        raw = json.load(fh)
    out = _relax(raw)
    out["$ref"] = "#/definitions/Dashboard"
    return out


def _relax(node):
    """CUE's "any" (written by the generator as an open object) becomes any value; closed
    objects are opened (CUE structs are open)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "additionalProperties" and value is False:
                continue
            if key != "definitions" and isinstance(value, dict) and \
                    {k: v for k, v in value.items() if k != "description"} == _ANY_OBJECT:
                out[key] = {}
            elif key == "additionalProperties" and isinstance(value, dict) and \
                    {k: v for k, v in value.items() if k != "description"} == _ANY_OBJECT:
                out[key] = {}
            else:
                out[key] = _relax(value)
        return out
    if isinstance(node, list):
        return [_relax(v) for v in node]
    return node


@lru_cache(maxsize=None)
def _validator(version: str):
    import jsonschema

    return jsonschema.Draft7Validator(schema(version))


@lru_cache(maxsize=None)
def _gate(version: str):
    try:
        import jsonschema_rs

        return jsonschema_rs.validator_for(schema(version))
    except Exception:  # noqa: BLE001 - optional accelerator
        return None


class V2Error:
    __slots__ = ("path", "message", "hard", "at_key")

    def __init__(self, path: tuple, message: str, hard: bool, at_key: bool = False) -> None:
        self.path, self.message, self.hard, self.at_key = path, message, hard, at_key

    def __repr__(self) -> str:
        return f"V2Error({self.path!r}, {self.message!r}, hard={self.hard})"


def has_schema(version: str) -> bool:
    return schema_file(version) is not None


def errors(version: str, spec) -> list[V2Error]:
    """Errors of a v2 `spec`, each at the most specific place, in document order.

    The compiled validator (jsonschema-rs) answers "valid?" and, for almost every invalid
    document, also gives errors detailed enough to explain (~1 ms). jsonschema, the reference
    (~140 ms to import, ~50 ms per document), runs only when an error needs its heuristics
    in a case the fast reading cannot settle (tests/resources/test_v2_explain.py holds both
    to the same answers)."""
    root = schema(version)
    gate = _gate(version) if fastpaths.ENABLED else None
    if gate is not None:
        try:
            if gate.is_valid(spec):
                return []
            out = []
            if all(_explain_rs(e, root, out) for e in gate.iter_errors(spec)):
                return _ordered(out)
        except Exception:  # noqa: BLE001 - values it cannot convert: let jsonschema decide
            pass
    return reference_errors(version, spec)


def reference_errors(version: str, spec) -> list[V2Error]:
    """The same errors, read from jsonschema's error objects."""
    root = schema(version)
    out: list[V2Error] = []
    for err in _validator(version).iter_errors(spec):
        _explain(err, root, out)
    return _ordered(out)


def _ordered(out: list) -> list:
    out.sort(key=lambda e: ([str(p) for p in e.path], e.message))
    return out


def _explain(err, root: dict, out: list) -> None:
    path = tuple(err.absolute_path)
    if err.validator in ("oneOf", "anyOf") and err.context:
        index = _branch_by_kind(path, err.instance, err.validator_value, root, out)
        if index == -1:
            return
        if index is not None:
            for sub in err.context:
                if sub.relative_schema_path and sub.relative_schema_path[0] == index:
                    _explain(sub, root, out)
            return
        from jsonschema.exceptions import best_match

        best = best_match(err.context)
        if best is not None:
            _explain(best, root, out)
            return
    out.append(V2Error(path, schemas.describe(err), err.validator in HARD))


def _explain_rs(e, root: dict, out: list) -> bool:
    """`_explain` for a jsonschema-rs error; False when only jsonschema can say it the same way."""
    kind_name = type(e.kind).__name__
    path = tuple(e.instance_path)
    if kind_name in ("OneOfNotValid", "AnyOf"):
        branches = schemas.node_at(root, e.schema_path)
        context = e.kind.context
        if not isinstance(branches, list) or not context or len(context) != len(branches):
            return False
        index = _branch_by_kind(path, e.instance, branches, root, out)
        if index == -1:
            return True
        if index is not None:
            return all(_explain_rs(sub, root, out) for sub in context[index])
        best = schemas.best_match_rs(e, root)
        if best is None:
            return False
        return _explain_rs(best, root, out)
    err = schemas.gate_error(e, root)
    if err is None:
        return False
    out.append(V2Error(path, schemas.describe(err), err.validator in HARD))
    return True


def _branch_by_kind(path: tuple, inst, branches: list, root: dict, out: list) -> int | None:
    """The oneOf/anyOf branch whose `kind` the object names; -1 when it names a kind no
    branch has (reported into `out`); None when the branches are not told apart by kind."""
    kinds = [_kind_const(b, root) for b in branches]
    if not isinstance(inst, dict) or not any(kinds):
        return None
    if inst.get("kind") not in kinds:
        out.append(_wrong_kind(path, inst, kinds))
        return -1
    return kinds.index(inst.get("kind"))


def _wrong_kind(path: tuple, inst: dict, kinds: list) -> V2Error:
    wanted = ", ".join(f"`{k}`" for k in kinds if k)
    where = path + ("kind",) if "kind" in inst else path
    return V2Error(where, f"{_where(path)}has kind {_show(inst.get('kind'))}; Grafana expects one of {wanted}", True)


def _kind_const(branch, root: dict):
    node = branch
    for _ in range(4):
        if not isinstance(node, dict):
            return None
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/definitions/"):
            break
        node = root["definitions"].get(ref.rsplit("/", 1)[1])
    kind = node.get("properties", {}).get("kind") if isinstance(node, dict) else None
    return kind.get("const") if isinstance(kind, dict) else None


def _where(path: tuple) -> str:
    return schemas.where(path)


def _show(value) -> str:
    return schemas._short(value)
