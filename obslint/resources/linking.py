"""What one file says about another, settled once after every file is loaded: folder titles
(for DB005), library panels used by dashboards (checked as panels of the dashboard), and the
ConfigMaps that GrafanaDashboards point to."""
from __future__ import annotations

import os

from obslint.model import Panel, Project, Query
from obslint.resources import notes
from obslint.resources.view import ViewDocument


class LibraryPanelUse(Panel):
    """A library panel as used by one dashboard: its model (in the library panel's file) is
    checked with that dashboard's variables. `data` leaves out the model's `id` and `gridPos`:
    those of the dashboard's reference count."""

    __slots__ = ("_doc", "ref")

    def __init__(self, dashboard, path: tuple, data: dict, doc, ref: Panel) -> None:
        super().__init__(dashboard, path, data)
        self._doc = doc
        self.ref = ref

    @property
    def doc(self):
        return self._doc


def link(project) -> None:
    folders, library, configmaps, wanted, resources = {}, {}, {}, [], []
    from obslint.resources import FOLDER, KUSTOMIZATION, LIBRARY_PANEL, OPERATOR

    generated: dict = {}  # (directory, ConfigMap name) -> {key: file path}, from kustomize generators

    any_resource = False
    for doc in project.documents:
        kind = doc.kind
        if kind == FOLDER or kind == OPERATOR and _kind(doc) == "GrafanaFolder":
            _add_folder(folders, doc)
        elif kind == LIBRARY_PANEL:
            entry = doc.library
            for key in entry[:2]:
                if isinstance(key, str) and key:
                    library.setdefault(key, (doc, entry))
        elif kind == KUSTOMIZATION:
            _add_generators(generated, doc)
        elif kind == "configmap" or _kind(doc) == "ConfigMap":
            meta = doc.data.get("metadata") if isinstance(doc.data, dict) else None
            if isinstance(meta, dict) and isinstance(meta.get("name"), str):
                configmaps.setdefault(meta["name"], []).append(doc)
        elif kind == OPERATOR and _kind(doc) == "GrafanaDatasource":
            spec = doc.data.get("spec")
            ds = spec.get("datasource") if isinstance(spec, dict) else None
            if isinstance(ds, dict) and not ds.get("uid") and isinstance(spec.get("uid"), str):
                ds = {**ds, "uid": spec["uid"]}  # the operator's own field for the datasource uid
            if isinstance(ds, dict):
                # Known to the resources of its own directory (tree) only: a GrafanaDatasource
                # serves the Grafana its instanceSelector picks, usually applied with its neighbours.
                resources.append((os.path.dirname(os.path.normpath(doc.source.display)), ds, doc.source.display))
        if getattr(doc, "configmap_ref", None) is not None:
            wanted.append(doc)
        if getattr(doc, "folder", None) is not None:
            any_resource = True
    project.library_panels = library
    project.datasource_resources = resources
    if any_resource or folders:
        for doc in project.documents:
            ref = getattr(doc, "folder", None)
            if isinstance(ref, tuple):
                doc.folder = _folder_key(ref, folders)
    for doc in wanted:
        _configmap(project, doc, configmaps, folders, generated)
    if library:
        for dash in list(project.dashboards):
            for panel in list(dash.panels):
                ref = panel.data.get("libraryPanel")
                if isinstance(ref, dict):
                    _use(project, dash, panel, ref, library)


def _kind(doc):
    return doc.data.get("kind") if isinstance(doc.data, dict) else None


def _add_folder(folders: dict, doc) -> None:
    """uid, operator CR name and title -> the folder's title."""
    obj = doc.data
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    name = meta.get("name")
    title = spec.get("title") or name
    if not isinstance(title, str) or not isinstance(name, str):
        return
    if doc.kind == "grafana-folder":
        folders[("uid", name)] = title
    else:
        folders[("ref", name)] = title
        if isinstance(spec.get("uid"), str):
            folders[("uid", spec["uid"])] = title
    folders[("title", title)] = title


def _folder_key(ref: tuple, folders: dict) -> str:
    if ref[0] == "general":
        return f"the General folder (grafana-operator resources in {ref[1] or '.'})"
    title = folders.get(ref)
    if title is None and ref[0] == "title":
        title = ref[1]
    if title is not None:
        return f"Grafana folder `{title}`"
    return f"Grafana folder with {'uid' if ref[0] == 'uid' else 'GrafanaFolder'} `{ref[1]}`"


def _add_generators(generated: dict, doc) -> None:
    """`configMapGenerator: [{name, files: [key=path | path]}]` of a kustomization."""
    here = os.path.dirname(os.path.normpath(doc.source.display))
    for gen in doc.data.get("configMapGenerator") or []:
        if not isinstance(gen, dict) or not isinstance(gen.get("name"), str):
            continue
        files = {}
        entries = gen.get("files")
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, str) and entry:
                key, _, path = entry.rpartition("=")
                files[key or os.path.basename(path)] = os.path.normpath(os.path.join(here, path))
        generated.setdefault((here, gen["name"]), {}).update(files)


def _generated(doc, name: str, generated: dict) -> dict | None:
    """The files of a kustomize-generated ConfigMap named `name`, from the kustomization of
    the GrafanaDashboard's directory or one above it, else the only one in the run."""
    here = os.path.dirname(os.path.normpath(doc.source.display))
    while True:
        files = generated.get((here, name))
        if files is not None:
            return files
        up = os.path.dirname(here)
        if up == here or not here:
            break
        here = up
    # Applied on its own (`kubectl apply -k dir`): the one kustomization of the run that
    # generates a ConfigMap of that name.
    found = [files for (_d, n), files in generated.items() if n == name]
    return found[0] if len(found) == 1 else None


def _configmap(project, doc, configmaps: dict, folders: dict, generated: dict) -> None:
    name, key = doc.configmap_ref
    path = ("spec", "configMapRef")
    spec = doc.data.get("spec") or {}
    for cm in configmaps.get(name, []):
        data = cm.data.get("data")
        if isinstance(data, dict) and key in data:
            folder = _folder_of_spec(spec, folders)
            if folder is not None:
                for sub in project.documents:
                    if sub.parent is cm and sub.parent_path == ("data", key):
                        sub.folder = folder
            return
    files = _generated(doc, name, generated)
    if files is not None and key in files:
        target = files[key]
        folder = _folder_of_spec(spec, folders)
        linted = False
        for sub in project.documents:
            if os.path.normpath(sub.source.display) == target:
                linted = True
                if folder is not None and sub.kind == "grafana-dashboard":
                    sub.folder = folder
        if linted:
            return
        notes.add(doc, "RS004", path, f"this GrafanaDashboard reads ConfigMap `{name}` (key `{key}`), which kustomize "
                  f"generates from `{target}`, a file that was not linted", fix="lint that file too", at_key=True)
        return
    notes.add(doc, "RS004", path, f"this GrafanaDashboard reads ConfigMap `{name}` (key `{key}`), which is not among "
              "the linted files: its dashboard was not checked", fix="lint the ConfigMap (or the kustomization that "
              "generates it) together with this resource", at_key=True)


def _folder_of_spec(spec: dict, folders: dict):
    from obslint.resources.operator import folder_ref

    ref = folder_ref(spec)
    return None if ref is None else _folder_key(ref, folders)


def _use(project, dash, panel: Panel, ref: dict, library: dict) -> None:
    uid, name = ref.get("uid"), ref.get("name")
    found = (library.get(uid) if isinstance(uid, str) else None) or (library.get(name) if isinstance(name, str) else None)
    if found is None:
        return
    lib_doc, (_uid, _name, model, mpath) = found
    if not isinstance(model, dict):
        return
    body = {k: v for k, v in model.items() if k not in ("id", "gridPos", "libraryPanel")}
    view = ViewDocument(lib_doc.source, lib_doc.index, {"panels": [body], "templating": dash.data.get("templating")},
                        {("panels", 0): mpath}, kind=lib_doc.kind, parent=lib_doc.parent,
                        parent_path=lib_doc.parent_path, text=lib_doc.text, label=lib_doc.label)
    # The panel is modelled as a dashboard's panel would be (queries wait in `_pending` until
    # Project.finish() resolves their datasources with the run's index), then re-homed.
    scratch = Project(policy=project.policy)
    scratch.datasources = project.datasources
    scratch._add_dashboard(view, view.data)
    if not scratch.panels:
        return
    use = LibraryPanelUse(dash, ("panels", 0), body, view, panel)
    for item in scratch._pending:
        if type(item) is Query:
            item.owner = use
            project._pending.append(item)
        else:
            project._pending.append((use, *item[1:]))
    dash.panels.append(use)
    project.panels.append(use)
