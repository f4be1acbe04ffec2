"""grafana-operator custom resources (`grafana.integreatly.org`).

GrafanaDashboard and GrafanaLibraryPanel carry their content in `spec.json` (a JSON string,
usually a YAML block scalar: positions point inside it), `spec.gzipJson` (base64 of gzip;
decoded with a size cap), or a reference obslint cannot follow offline (`url`, `grafanaCom`,
`jsonnet`, `jsonnetLib`, `oci`), reported as not checkable; `spec.configMapRef` is resolved
against the ConfigMaps of the run. GrafanaAlertRuleGroup becomes a view in the shape of a
Grafana alerting provisioning file, so the Grafana alerting checks apply to its rules."""
from __future__ import annotations

import json
import re

from obslint.document import Document
from obslint.resources import notes
from obslint.resources.view import ViewDocument

GROUP = "grafana.integreatly.org"
# Decoded gzipJson larger than this is refused (a gzip bomb must not exhaust memory): the
# same limit as for files (load.DEFAULT_MAX_BYTES).
MAX_DECODED = 5 * 1024 * 1024
_UNCHECKABLE = {"url": "a URL", "grafanaCom": "grafana.com", "jsonnet": "Jsonnet", "jsonnetLib": "a Jsonnet project",
                "oci": "an OCI artifact"}
# Operator rule keys (camelCase in the CRD) and the provisioning-file keys they stand for.
_RULE_KEYS = {"notificationSettings": "notification_settings",
              "missingSeriesEvalsToResolve": "missing_series_evals_to_resolve"}
# Kinds obslint reads nothing from (the Grafana instance, notification resources...).
UNCHECKED_REASON = "a grafana-operator {kind}: nothing in it that obslint checks"


# A value some tool fills in before the resource is applied (a Helm/Go template action, a
# chainsaw binding `($name)`, an envsubst `${NAME}`): asked only of values that do not decode.
_PLACEHOLDER = re.compile(r"\s*(?:\{\{.*?\}\}|\(\$[\w.]+\)|\$\{?\w+\}?)\s*|.*^\s*\{\{-?\s*[\w.(].*", re.S | re.M)


def _templated(doc, value: str, key: str, what: str) -> bool:
    if not _PLACEHOLDER.fullmatch(value):
        return False
    shown = " ".join(value.split())[:40]
    notes.add(doc, "RS002", ("spec", key), f"`spec.{key}` of this {what} is filled in by a template (`{shown}`) "
              "before it is applied: obslint cannot check it", fix="lint the rendered resource", at_key=True)
    return True


def content(doc, spec: dict, what: str) -> tuple[str, tuple, object, str | None] | None:
    """(how, path, data, text) of the JSON model a GrafanaDashboard/GrafanaLibraryPanel holds:
    how is "json" or "gzip"; None when it has none obslint can read (noted on the doc). An empty
    `json: ""` next to another source is unset: the operator takes the other one."""
    if isinstance(spec.get("json"), str) and not (spec["json"] == "" and _other_source(spec)):
        text = spec["json"]
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            if _templated(doc, text, "json", what):
                return None
            notes.add(doc, "RS003", ("spec", "json"), f"`spec.json` of this {what} is not valid JSON ({_short(exc)}); "
                      "the operator cannot import it", fix="fix the JSON inside `spec.json`")
            return None
        return None if _too_deep(doc, data, "json", what) else ("json", ("spec", "json"), data, text)
    if isinstance(spec.get("gzipJson"), str):
        data = decode_gzip_json(doc, spec["gzipJson"], what)
        return None if data is None else ("gzip", ("spec", "gzipJson"), data, None)
    for key, label in _UNCHECKABLE.items():
        if spec.get(key):
            notes.add(doc, "RS002", ("spec", key), f"this {what} is loaded from {label} (`spec.{key}`) when the operator "
                      "runs: obslint cannot check it offline", fix="lint the source it is built from as well", at_key=True)
            return None
    return None


def _other_source(spec: dict) -> bool:
    """A source besides `json` (the operator's content.GetSourceTypes: a non-empty string or a
    set object)."""
    return any(spec.get(key) not in (None, "") for key in ("gzipJson", "configMapRef", *_UNCHECKABLE))


def decode_gzip_json(doc, value: str, what: str):
    import base64
    import binascii
    import zlib

    path = ("spec", "gzipJson")
    fix = "regenerate it with `gzip -c dashboard.json | base64 -w0`"
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        if _templated(doc, value, "gzipJson", what):
            return None
        notes.add(doc, "RS003", path, f"`spec.gzipJson` of this {what} is not valid base64 ({_short(exc)}); the "
                  "operator cannot import it", fix=fix)
        return None
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip framing only
    try:
        out = inflater.decompress(raw, MAX_DECODED + 1)
    except zlib.error as exc:
        notes.add(doc, "RS003", path, f"`spec.gzipJson` of this {what} is not gzip data ({_short(exc)}); the operator "
                  "cannot import it", fix=fix)
        return None
    if len(out) > MAX_DECODED or inflater.unconsumed_tail:
        notes.add(doc, "RS003", path, f"`spec.gzipJson` of this {what} decompresses to more than {MAX_DECODED:,} bytes; "
                  "obslint did not read it", fix="keep the dashboard smaller, or check it as a plain file")
        return None
    if not inflater.eof:
        notes.add(doc, "RS003", path, f"`spec.gzipJson` of this {what} is cut short (the gzip stream does not end); the "
                  "operator cannot import it", fix=fix)
        return None
    try:
        data = json.loads(out.decode("utf-8"))
        return None if _too_deep(doc, data, "gzipJson", what) else data
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        notes.add(doc, "RS003", path, f"`spec.gzipJson` of this {what} decodes, but not to JSON ({_short(exc)}); "
                  "the operator cannot import it", fix=fix)
        return None


def _too_deep(doc, data, key: str, what: str) -> bool:
    """Embedded JSON gets the loader's depth limit too: checks may recurse over it."""
    from obslint.load import MAX_DEPTH, _json_nests_deeper

    if not _json_nests_deeper(data, MAX_DEPTH):
        return False
    notes.add(doc, "RS003", ("spec", key), f"`spec.{key}` of this {what} nests more than {MAX_DEPTH} levels deep; "
              "obslint did not read it (real dashboards nest a dozen levels at most)", fix="flatten the model")
    return True


def embedded(doc, how: str, path: tuple, data, text: str | None, label: str) -> Document:
    """The model as a document of its own; for gzip there is no text to point into, so its
    findings sit on the `gzipJson` key."""
    return Document(doc.source, doc.index, data, parent=doc, parent_path=path,
                    text=text if how == "json" else None, label=label)


def folder_ref(spec: dict) -> tuple | None:
    """How a dashboard or rule group names its folder: ("title"|"uid"|"ref", value)."""
    for key, how in (("folderUID", "uid"), ("folderRef", "ref"), ("folder", "title")):
        v = spec.get(key)
        if isinstance(v, str) and v:
            return how, v
    return None


def alert_rule_group(doc, obj: dict) -> ViewDocument | None:
    """A GrafanaAlertRuleGroup in the shape of an alerting provisioning file (apiVersion 1)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return None
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    group: dict = {"orgId": 1}
    paths: dict = {("apiVersion",): ("apiVersion",), ("groups",): ("spec",), ("groups", 0): ("spec",)}
    name = spec.get("name") or meta.get("name")
    if name is not None:
        group["name"] = name
        paths[("groups", 0, "name")] = ("spec", "name") if spec.get("name") else ("metadata", "name")
    for key in ("folderUID", "folderRef"):
        if key in spec:
            group["folder"] = spec[key]
            paths[("groups", 0, "folder")] = ("spec", key)
            break
    if "interval" in spec:
        group["interval"] = spec["interval"]
    rules = spec.get("rules")
    if isinstance(rules, list):
        group["rules"] = [_rule(r, i, paths) for i, r in enumerate(rules)]
    view = {"apiVersion": 1, "groups": [group]}
    return ViewDocument(doc.source, doc.index, view, paths, label="GrafanaAlertRuleGroup")


def _rule(rule, i: int, paths: dict):
    record = rule.get("record") if isinstance(rule, dict) else None
    operator_only = isinstance(record, dict) and "targetDatasourceUid" in record
    if not isinstance(rule, dict) or not (operator_only or any(k in rule for k in _RULE_KEYS)):
        return rule
    out = {}
    for key, value in rule.items():
        new = _RULE_KEYS.get(key, key)
        out[new] = value
        if new != key:
            paths[("groups", 0, "rules", i, new)] = ("spec", "rules", i, key)
    if operator_only:  # the operator sends it to Grafana's API; files have no such key
        out["record"] = {k: v for k, v in record.items() if k != "targetDatasourceUid"}
    return out


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 80 else text[:77] + "..."
