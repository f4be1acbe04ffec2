"""Grafana 12 dashboard resources (`dashboard.grafana.app`) as dashboards every check reads.

v0alpha1/v1beta1 resources carry the classic model in `spec`: the view is `spec` itself, with
the uid Grafana uses (`metadata.name`) when `spec` has none. v2alpha1/v2beta1/v2 resources
keep panels in `elements` and their placement in `layout`: the view is a classic-shaped
dashboard (panels with targets, gridPos and types, template variables) whose every value
points back to its place in the resource, so dashboard, panel and query checks apply as they
are and report positions inside the resource."""
from __future__ import annotations

from obslint.resources.view import ViewDocument

GROUP = "dashboard.grafana.app"
FOLDER_ANNOTATION = "grafana.app/folder"

# v2 variable kinds and the classic `type` they stand for.
_VARIABLE_TYPES = {"QueryVariable": "query", "CustomVariable": "custom", "DatasourceVariable": "datasource",
                   "ConstantVariable": "constant", "IntervalVariable": "interval", "TextVariable": "textbox",
                   "AdhocVariable": "adhoc", "GroupByVariable": "groupby", "SwitchVariable": "switch"}
# Classic variable keys whose v2 value has the same meaning and type (v2 `hide`, `refresh` and
# `sort` are words where the classic model has numbers: they are left out of the view).
_VARIABLE_KEYS = ("name", "label", "description", "options", "current", "multi", "includeAll", "allValue",
                  "regex", "definition", "allowCustomValue", "skipUrlSync")


def version_of(api_version) -> tuple[str, str] | None:
    """("dashboard.grafana.app", "v2beta1") for a resource apiVersion, else None."""
    if not isinstance(api_version, str) or "/" not in api_version:
        return None
    group, _, version = api_version.partition("/")
    return group, version


def is_v2(version: str) -> bool:
    return version.startswith("v2")


def is_bare_v2(obj) -> bool:
    """A v2 dashboard spec without its resource envelope (what Grafana's Import page and
    "Export as code" without the resource wrapper take and give): elements, a layout, a title."""
    return isinstance(obj, dict) and isinstance(obj.get("elements"), dict) and \
        isinstance(obj.get("layout"), dict) and "title" in obj and "apiVersion" not in obj and "panels" not in obj


def shape_version(spec: dict) -> str:
    """v2alpha1 or v2beta1, read from the spec's own shape (for a bare spec): v2alpha1 names the
    panel plugin and the datasource type in `kind` (`vizConfig.kind: timeseries`), v2beta1 in
    `group` under a fixed kind (`kind: VizConfig`)."""
    for el in (spec.get("elements") or {}).values():
        viz = el.get("spec", {}).get("vizConfig") if isinstance(el, dict) and isinstance(el.get("spec"), dict) else None
        if isinstance(viz, dict) and isinstance(viz.get("kind"), str):
            return "v2beta1" if viz["kind"] == "VizConfig" else "v2alpha1"
    return "v2beta1"


def folder_of(meta) -> tuple | None:
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    uid = ann.get(FOLDER_ANNOTATION) if isinstance(ann, dict) else None
    return ("uid", uid) if isinstance(uid, str) and uid else None


def classic_view(doc, obj: dict, base: tuple = (), **kw) -> ViewDocument | None:
    """v0/v1: the classic model in `spec`; `metadata.name` is its uid when `spec` has none."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return None
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    paths = {(): base + ("spec",)}
    view = spec
    name = meta.get("name")
    if spec.get("uid") in (None, "") and isinstance(name, str) and name:
        view = {**spec, "uid": name}
        paths[("uid",)] = base + ("metadata", "name")
    out = ViewDocument(doc.source, doc.index, view, paths, folder=folder_of(meta), **kw)
    out.uid_from_name = view is not spec
    return out


def v2_view(doc, obj: dict, base: tuple = (), bare: bool = False, **kw) -> ViewDocument | None:
    """v2: a classic-shaped dashboard built from `elements`, `layout` and `variables`.
    `bare`: `obj` is the spec itself, as Grafana's Import page takes it (no envelope, no uid)."""
    spec = obj if bare else obj.get("spec")
    if not isinstance(spec, dict):
        return None
    meta = {} if bare or not isinstance(obj.get("metadata"), dict) else obj["metadata"]
    sp = base if bare else base + ("spec",)
    view: dict = {"panels": [], "templating": {"list": []}}
    paths: dict = {(): sp, ("panels",): sp + ("elements",), ("templating",): sp + ("variables",),
                   ("templating", "list"): sp + ("variables",)}
    if isinstance(meta.get("name"), str):
        view["uid"] = meta["name"]
        paths[("uid",)] = base + ("metadata", "name")
    for key in ("title", "description", "tags", "links", "editable"):
        if key in spec:
            view[key] = spec[key]
            paths[(key,)] = sp + (key,)
    elements = spec.get("elements") if isinstance(spec.get("elements"), dict) else {}
    builder = _Panels(elements, sp, view["panels"], paths)
    builder.layout(spec.get("layout"), sp + ("layout",), ("panels",), view["panels"])
    builder.orphans()
    _variables(spec.get("variables"), sp + ("variables",), view["templating"]["list"], paths)
    out = ViewDocument(doc.source, doc.index, view, paths, folder=folder_of(meta), **kw)
    out.uid_from_name = "uid" in view
    return out


# Grafana's rule for resource names (pkg/apimachinery/validation IsValidGrafanaName): letters,
# digits, `-`, `_`, `:`, `.`, at most 253. The classic uid rule is stricter (40 of [A-Za-z0-9_-]).
_GRAFANA_NAME = None


def name_problem(rule, dash, uid: str):
    """DB003 for a uid that is a resource's `metadata.name`: an error when the resource API
    refuses the name, a warning when only the classic uid rules do."""
    import re

    global _GRAFANA_NAME
    if _GRAFANA_NAME is None:
        _GRAFANA_NAME = re.compile(r"[A-Za-z0-9:_.-]{1,253}")
    from obslint.findings import Severity

    fixed = re.sub(r"[^A-Za-z0-9_-]+", "-", uid)[:40].strip("-") or "my-dashboard"
    if not _GRAFANA_NAME.fullmatch(uid):
        yield rule.finding(dash.doc, ("uid",), f"resource name `{uid}` is not a valid Grafana resource name "
                           "(letters, digits, `-`, `_`, `:`, `.`, at most 253); Grafana refuses it",
                           fix=f"use e.g. `{fixed}`")
        return
    yield rule.finding(dash.doc, ("uid",), f"resource name `{uid}` is the dashboard's uid: Grafana 12's resource API "
                       "accepts it, but it is not a classic uid (at most 40 of letters, digits, `-`, `_`), so the "
                       "classic dashboard API, file provisioning and older Grafana refuse it",
                       fix=f"use e.g. `{fixed}` if the dashboard must also work there", severity=Severity.WARNING)


class _Panels:
    """Walks a v2 layout, placing each referenced element as a classic panel."""

    def __init__(self, elements: dict, sp: tuple, top: list, paths: dict) -> None:
        self.elements, self.sp, self.top, self.paths = elements, sp, top, paths
        self.placed: set = set()

    def layout(self, layout, lpath: tuple, vpath: tuple, out: list, grid: bool = True) -> None:
        """`grid`: whether GridLayout positions share one coordinate space here (the top
        level, or the layout of a top-level row); deeper layouts are flattened without them."""
        if not isinstance(layout, dict) or not isinstance(layout.get("spec"), dict):
            return
        kind, spec = layout.get("kind"), layout["spec"]
        if kind in ("GridLayout", "AutoGridLayout"):
            for i, item in enumerate(spec.get("items") or []):
                if isinstance(item, dict) and isinstance(item.get("spec"), dict):
                    self.item(item["spec"], lpath + ("spec", "items", i), vpath, out, grid and kind == "GridLayout")
        elif kind in ("RowsLayout", "TabsLayout"):
            key = "rows" if kind == "RowsLayout" else "tabs"
            for i, row in enumerate(spec.get(key) or []):
                if not isinstance(row, dict) or not isinstance(row.get("spec"), dict):
                    continue
                rspec, rpath = row["spec"], lpath + ("spec", key, i)
                if vpath == ("panels",):  # a row panel at the top level holds what the row shows
                    rp = vpath + (len(out),)
                    panel = {"type": "row", "title": rspec.get("title", ""), "panels": []}
                    out.append(panel)
                    self.paths[rp] = rpath + ("spec",)
                    self.layout(rspec.get("layout"), rpath + ("spec", "layout"), rp + ("panels",), panel["panels"])
                else:  # deeper nesting: flattened into the enclosing row
                    self.layout(rspec.get("layout"), rpath + ("spec", "layout"), vpath, out, grid=False)

    def item(self, ispec: dict, ipath: tuple, vpath: tuple, out: list, grid: bool) -> None:
        ref = ispec.get("element")
        name = ref.get("name") if isinstance(ref, dict) else None
        if not isinstance(name, str) or name not in self.elements or name in self.placed:
            return
        self.placed.add(name)
        pp = vpath + (len(out),)
        panel = self.panel(name, pp)
        if panel is None:
            return
        if grid:
            pos = {"x": ispec.get("x", 0), "y": ispec.get("y", 0), "w": ispec.get("width", 0),
                   "h": ispec.get("height", 0)}
            panel["gridPos"] = pos
            sp = ipath + ("spec",)
            self.paths[pp + ("gridPos",)] = sp
            for k, real in (("w", "width"), ("h", "height")):
                self.paths[pp + ("gridPos", k)] = sp + (real,)
        out.append(panel)

    def orphans(self) -> None:
        """Elements no layout places still hold queries: checked, without a position."""
        for name in self.elements:
            if name not in self.placed:
                self.placed.add(name)
                pp = ("panels", len(self.top))
                panel = self.panel(name, pp)
                if panel is not None:
                    self.top.append(panel)

    def panel(self, name: str, pp: tuple) -> dict | None:
        el = self.elements[name]
        epath = self.sp + ("elements", name)
        if not isinstance(el, dict) or not isinstance(el.get("spec"), dict):
            return None
        spec, paths = el["spec"], self.paths
        paths[pp] = epath + ("spec",)
        panel: dict = {k: spec[k] for k in ("id", "title", "description", "links", "transparent") if k in spec}
        if el.get("kind") == "LibraryPanel":
            if isinstance(spec.get("libraryPanel"), dict):
                panel["libraryPanel"] = spec["libraryPanel"]
            return panel
        viz = spec.get("vizConfig")
        if isinstance(viz, dict):
            vpath = epath + ("spec", "vizConfig")
            if isinstance(viz.get("group"), str):
                panel["type"] = viz["group"]
                paths[pp + ("type",)] = vpath + ("group",)
            elif isinstance(viz.get("kind"), str) and viz["kind"] != "VizConfig":  # v2alpha1: the plugin id
                panel["type"] = viz["kind"]
                paths[pp + ("type",)] = vpath + ("kind",)
            vspec = viz.get("spec")
            if isinstance(vspec, dict):
                for key in ("options", "fieldConfig"):
                    if isinstance(vspec.get(key), dict):
                        panel[key] = vspec[key]
                        paths[pp + (key,)] = vpath + ("spec", key)
        data = spec.get("data")
        dspec = data.get("spec") if isinstance(data, dict) else None
        queries = dspec.get("queries") if isinstance(dspec, dict) else None
        if isinstance(queries, list):
            qbase = epath + ("spec", "data", "spec", "queries")
            panel["targets"] = [self.target(q, qbase + (i,), pp + ("targets", i)) for i, q in enumerate(queries)]
            paths[pp + ("targets",)] = qbase
        return panel

    def target(self, q, qpath: tuple, tp: tuple) -> dict:
        """A PanelQuery as a classic target: the query's own spec, its refId and datasource."""
        paths = self.paths
        paths[tp] = qpath
        pspec = q.get("spec") if isinstance(q, dict) else None
        if not isinstance(pspec, dict):
            return {}
        query = pspec.get("query")
        qs = query.get("spec") if isinstance(query, dict) else None
        target = dict(qs) if isinstance(qs, dict) else {}
        dq = qpath + ("spec", "query")
        paths[tp] = dq + ("spec",)
        for key in ("refId", "hidden"):
            if key in pspec:
                target["refId" if key == "refId" else "hide"] = pspec[key]
                paths[tp + ("refId" if key == "refId" else "hide",)] = qpath + ("spec", key)
        if isinstance(query, dict):
            ds = _datasource(query, dq, tp + ("datasource",), paths, pspec, qpath + ("spec",))
            if ds is not None:
                target["datasource"] = ds
        return target


def _datasource(query: dict, dq: tuple, vp: tuple, paths: dict, holder: dict | None = None,
                hp: tuple = ()) -> dict | None:
    """A DataQuery's datasource as a classic `{type, uid}` reference. v2beta1: the query's
    `group` (the datasource type) and `datasource.name` (its uid). v2alpha1: the query's `kind`
    is the type, and a classic `datasource: {type, uid}` sits beside the query in `holder`
    (a PanelQuery's or QueryVariable's spec, at `hp`)."""
    ds: dict = {}
    if isinstance(query.get("group"), str):
        ds["type"] = query["group"]
        paths[vp + ("type",)] = dq + ("group",)
    elif isinstance(query.get("kind"), str) and query["kind"] not in ("DataQuery", ""):
        ds["type"] = query["kind"]
        paths[vp + ("type",)] = dq + ("kind",)
    ref = query.get("datasource")
    beside = holder.get("datasource") if isinstance(holder, dict) else None
    if isinstance(ref, dict) and isinstance(ref.get("name"), str):
        ds["uid"] = ref["name"]
        paths[vp + ("uid",)] = dq + ("datasource", "name")
        paths[vp] = dq + ("datasource",)
    elif isinstance(beside, dict) and any(isinstance(beside.get(k), str) for k in ("type", "uid")):
        for key in ("type", "uid"):
            if isinstance(beside.get(key), str):
                ds[key] = beside[key]
                paths[vp + (key,)] = hp + ("datasource", key)
        paths[vp] = hp + ("datasource",)
    elif "type" in ds:
        paths[vp] = paths[vp + ("type",)]
    return ds or None


def _variables(variables, vbase: tuple, out: list, paths: dict) -> None:
    if not isinstance(variables, list):
        return
    for k, var in enumerate(variables):
        if not isinstance(var, dict) or not isinstance(var.get("spec"), dict):
            continue
        spec, vp, tp = var["spec"], vbase + (k, "spec"), ("templating", "list", len(out))
        view = {key: spec[key] for key in _VARIABLE_KEYS if key in spec}
        kind = var.get("kind") if isinstance(var.get("kind"), str) else ""
        view["type"] = _VARIABLE_TYPES.get(kind, kind)
        paths[tp] = vp
        paths[tp + ("type",)] = vbase + (k, "kind")
        query = spec.get("query")
        if isinstance(query, dict):  # QueryVariable: a DataQuery
            qspec = query.get("spec")
            if isinstance(qspec, dict):
                view["query"] = qspec
                paths[tp + ("query",)] = vp + ("query", "spec")
            ds = _datasource(query, vp + ("query",), tp + ("datasource",), paths, spec, vp)
            if ds is not None:
                view["datasource"] = ds
        elif isinstance(query, str):  # CustomVariable, ConstantVariable, IntervalVariable...
            view["query"] = query
        if var.get("kind") == "DatasourceVariable" and isinstance(spec.get("pluginId"), str):
            view["query"] = spec["pluginId"]
            paths[tp + ("query",)] = vp + ("pluginId",)
        out.append(view)
