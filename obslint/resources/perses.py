"""Perses (perses.dev) resources look like Kubernetes objects with `kind: Dashboard`, but are
not Grafana's: they have no `apiVersion`, a `metadata.project`, and `spec.display`,
`spec.layouts`, `spec.duration`. obslint recognises them only to say why it skips them."""
from __future__ import annotations

_KINDS = {"Dashboard", "Folder", "Project", "Datasource", "GlobalDatasource", "Variable", "GlobalVariable",
          "Secret", "GlobalSecret", "Role", "RoleBinding", "User", "EphemeralDashboard"}
REASON = "a Perses resource (perses.dev), not a Grafana dashboard: obslint does not check Perses"


def is_perses(obj) -> bool:
    if isinstance(obj, list):
        return bool(obj) and all(is_perses(o) for o in obj)
    kind = obj.get("kind") if isinstance(obj, dict) else None
    if not isinstance(kind, str) or kind not in _KINDS or "apiVersion" in obj:
        return False
    meta, spec = obj.get("metadata"), obj.get("spec")
    if obj["kind"] == "Project" and isinstance(meta, dict):
        return True
    if not isinstance(meta, dict) or not isinstance(spec, dict):
        return False
    if "project" in meta:
        return True
    return obj["kind"] != "Dashboard" or any(k in spec for k in ("display", "layouts", "duration"))
