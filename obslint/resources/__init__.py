"""Grafana 12 resources, grafana-operator custom resources, library panels and Perses.

`classify(doc)` is called by `obslint.classify` for documents with a `kind` (or a list of
them); it returns the documents to model (views and embedded dashboards), or None when the
document is none of these. `link(project)` runs once after loading: it resolves what one file
says about another (library panels, ConfigMap references, folder titles)."""
from __future__ import annotations

import os

RESOURCE = "grafana-resource"           # a dashboard.grafana.app / folder.grafana.app resource
DASHBOARD_V2 = "grafana-dashboard-v2"   # the raw v2 resource (its view is a grafana-dashboard)
OPERATOR = "grafana-operator"           # a grafana-operator CR
LIBRARY_PANEL = "grafana-library-panel"  # a library panel model (file, resource or CR content)
FOLDER = "grafana-folder"
KUSTOMIZATION = "kustomization"         # a kustomization.yaml with a configMapGenerator
_KINDS = (RESOURCE, DASHBOARD_V2, OPERATOR, LIBRARY_PANEL, FOLDER)


def _load() -> None:
    """The modules that read resources, imported on first use: a run without resources
    never pays for them."""
    global kinds, dash, notes, operator, perses
    if "perses" not in globals():
        from obslint import classify as kinds
        from obslint.resources import dashboards as dash
        from obslint.resources import notes, operator, perses


def classify(doc) -> list | None:
    _load()
    obj = doc.data
    if perses.is_perses(obj):
        doc.skip_reason = perses.REASON
        return []
    if not isinstance(obj, dict):
        return None
    found = dash.version_of(obj.get("apiVersion"))
    if found is not None:
        group, version = found
        if group == dash.GROUP:
            return _dashboard_group(doc, obj, version, ())
        if group == "folder.grafana.app" and obj.get("kind") == "Folder":
            doc.kind = FOLDER
            return []
        if group == operator.GROUP:
            return _operator(doc, obj)
        if group == "kustomize.config.k8s.io" and isinstance(obj.get("configMapGenerator"), list):
            doc.kind = KUSTOMIZATION  # read for the ConfigMaps a GrafanaDashboard's configMapRef names
            return []
        return None
    if _is_library_model(obj):
        doc.kind = LIBRARY_PANEL
        doc.library = _library_entry(obj, ())
        return []
    return None


def _dashboard_group(doc, obj: dict, version: str, base: tuple, parent=None) -> list | None:
    kind = obj.get("kind")
    if kind == "LibraryPanel" and isinstance(obj.get("spec"), dict):
        doc.kind = LIBRARY_PANEL
        doc.library = _library_resource(obj, base)
        return []
    # DashboardWithAccessInfo: what Grafana's API answers for a dashboard (the resource plus
    # `access`); its Import page takes it as the dashboard it holds.
    if kind not in ("Dashboard", "DashboardWithAccessInfo"):
        return None
    doc.kind = DASHBOARD_V2 if dash.is_v2(version) else RESOURCE
    make = dash.v2_view if dash.is_v2(version) else dash.classic_view
    view = make(doc, obj, base, kind=kinds.DASHBOARD, label=f"{version} Dashboard")
    if view is None:
        return []
    doc.resource_base = base
    doc.resource_version = version
    doc.resource_spec = base + ("spec",)
    return [view]


def bare_v2(doc) -> list | None:
    """A v2 spec without its envelope (Grafana's Import page takes one): modelled as the v2
    resource it would become, in the version its shape says."""
    _load()
    obj = doc.data
    if not dash.is_bare_v2(obj):
        return None
    version = dash.shape_version(obj)
    view = dash.v2_view(doc, obj, (), bare=True, kind=kinds.DASHBOARD, label=f"{version} Dashboard spec")
    doc.kind = DASHBOARD_V2
    if view is None:
        return []
    doc.resource_base, doc.resource_version, doc.resource_spec = (), version, ()
    return [view]


def _operator(doc, obj: dict) -> list:
    kind = obj.get("kind")
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else None
    doc.kind = OPERATOR
    if spec is None:
        doc.kind = None
        doc.skip_reason = operator.UNCHECKED_REASON.format(kind=kind) + " (it has no `spec`)"
        return []
    if kind == "GrafanaDashboard":
        return _operator_dashboard(doc, obj, spec)
    if kind == "GrafanaLibraryPanel":
        got = operator.content(doc, spec, "GrafanaLibraryPanel")
        if got is not None:
            how, path, data, text = got
            sub = operator.embedded(doc, how, path, data, text, "GrafanaLibraryPanel")
            if isinstance(data, dict):
                sub.kind = LIBRARY_PANEL
                sub.library = _library_entry(data, ())
                return [sub]
        return []
    if kind == "GrafanaAlertRuleGroup":
        view = operator.alert_rule_group(doc, obj)
        if view is not None:
            view.kind = kinds.GRAFANA_ALERTING
            return [view]
        return []
    if kind == "GrafanaFolder":
        return []
    if kind == "GrafanaManifest" and isinstance(spec.get("template"), dict):
        tmpl = spec["template"]
        found = dash.version_of(tmpl.get("apiVersion"))
        if found is not None and found[0] == dash.GROUP and tmpl.get("kind") == "Dashboard":
            return _dashboard_group(doc, tmpl, found[1], ("spec", "template")) or []
    if kind == "GrafanaDatasource":
        return []
    doc.kind = None
    doc.skip_reason = operator.UNCHECKED_REASON.format(kind=kind or "resource")
    return []


def _operator_dashboard(doc, obj: dict, spec: dict) -> list:
    ref = spec.get("configMapRef")
    if isinstance(ref, dict):
        if isinstance(ref.get("name"), str) and isinstance(ref.get("key"), str):
            doc.configmap_ref = (ref["name"], ref["key"])
        return []
    got = operator.content(doc, spec, "GrafanaDashboard")
    if got is None:
        return []
    how, path, data, text = got
    # Without a folder the operator puts the dashboard in Grafana's General folder: checked
    # for duplicate titles with the other operator dashboards of its directory.
    folder = operator.folder_ref(spec) or ("general", os.path.dirname(os.path.normpath(doc.source.display)))
    if isinstance(data, dict):
        found = dash.version_of(data.get("apiVersion"))
        if found is not None and found[0] == dash.GROUP and data.get("kind") == "Dashboard":
            make = dash.v2_view if dash.is_v2(found[1]) else dash.classic_view
            view = make(doc, data, (), kind=kinds.DASHBOARD, parent=doc, parent_path=path,
                        text=text if how == "json" else None, label="GrafanaDashboard")
            if view is not None:
                view.folder = view.folder or folder
                _custom_uid(view, spec)
                return [view]
            return []
        # The operator posts any JSON object as the dashboard model: one without panels is an
        # empty dashboard (its own tests apply `{"title": "Minimal Dashboard", "links": []}`),
        # and one without a title is refused by Grafana, which the dashboard checks report.
        # Only a Kubernetes object pasted in its place is no dashboard at all.
        if kinds.is_dashboard(data) or not ("apiVersion" in data and "kind" in data):
            sub = operator.embedded(doc, how, path, data, text, "GrafanaDashboard")
            sub.kind = kinds.DASHBOARD
            sub.folder = folder
            _custom_uid(sub, spec)
            return [sub]
    notes.add(doc, "RS003", path, "the content of this GrafanaDashboard is not a Grafana dashboard (not a JSON "
              "object, or a Kubernetes resource)", fix="put the dashboard model itself in the resource")
    return []


def _custom_uid(doc, spec: dict) -> None:
    """`spec.uid` of a GrafanaDashboard: the operator gives the dashboard this uid before the
    model's own (controllers/content GetGrafanaUID)."""
    uid = spec.get("uid")
    if isinstance(uid, str) and uid.strip():
        doc.custom_uid = uid


def _is_library_model(obj: dict) -> bool:
    model = obj.get("model")
    return (isinstance(model, dict) and isinstance(model.get("type"), str) and "panels" not in obj
            and isinstance(obj.get("uid"), str) and isinstance(obj.get("name"), str))


def _library_entry(obj: dict, base: tuple) -> tuple:
    """(uid, name, panel model, path of the model) of a library panel export."""
    if isinstance(obj.get("model"), dict):
        return obj.get("uid"), obj.get("name"), obj["model"], base + ("model",)
    return obj.get("uid"), obj.get("name"), obj, base


def _library_resource(obj: dict, base: tuple) -> tuple:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    spec = obj["spec"]
    uid, name, model, path = _library_entry(spec, base + ("spec",))
    return uid or meta.get("name"), name or spec.get("title"), model, path


def link(project) -> None:
    """Cross-file facts, once per run; nothing to do (and no cost) without resources."""
    if any(d.kind in _KINDS for d in project.documents):
        from obslint.resources import linking

        linking.link(project)
