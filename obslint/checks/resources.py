"""Grafana 12 resources and grafana-operator resources: the v2 dashboard schema, content
obslint cannot read or reach, and library panels that resolve nowhere."""
from __future__ import annotations

from obslint.findings import Severity
from obslint.registry import Rule

_V2 = "grafana-dashboard-v2"


def _notes(rule: Rule, doc, severity: Severity | None = None):
    from obslint.resources import notes

    for n in notes.of(doc, rule.code):
        yield rule.finding(doc, n.path, n.message, fix=n.fix, at_key=n.at_key, severity=severity)


class DashboardV2Schema(Rule):
    """A `dashboard.grafana.app/v2*` dashboard resource does not match the official v2 schema
    (the grafana-foundation-sdk JSON schema generated from Grafana's CUE kinds). A wrong type or
    `kind` is an error: Grafana cannot decode that object (a transformation with `kind:
    ConvertFieldType` instead of `kind: Transformation, group: convertFieldType` never runs). A
    missing required key or a value outside the allowed words is a warning: Grafana stores the
    resource and fills in defaults. `v2` and `v2beta1` are checked (their schemas are vendored);
    `v2alpha1`, which has no published JSON schema and names plugins and datasource types in
    `kind`, is not. A bare v2 spec (no envelope, as Grafana's Import page takes it) is checked in
    the version its shape says.

    ## Bad (`dashboard.json`)
    ```json
    {"apiVersion": "dashboard.grafana.app/v2", "kind": "Dashboard", "metadata": {"name": "api"},
     "spec": {"title": "API", "annotations": [], "cursorSync": "Off", "links": [], "preload": false, "tags": [],
              "timeSettings": {"from": "now-6h", "to": "now", "autoRefresh": "", "autoRefreshIntervals": [],
                               "hideTimepicker": false, "fiscalYearStartMonth": 0, "timezone": "browser"},
              "variables": [], "elements": {},
              "layout": {"kind": "GridLayout", "spec": {"items": "none"}}}}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"apiVersion": "dashboard.grafana.app/v2", "kind": "Dashboard", "metadata": {"name": "api"},
     "spec": {"title": "API", "annotations": [], "cursorSync": "Off", "links": [], "preload": false, "tags": [],
              "timeSettings": {"from": "now-6h", "to": "now", "autoRefresh": "", "autoRefreshIntervals": [],
                               "hideTimepicker": false, "fiscalYearStartMonth": 0, "timezone": "browser"},
              "variables": [], "elements": {},
              "layout": {"kind": "GridLayout", "spec": {"items": []}}}}
    ```
    """

    code, name, severity = "RS001", "dashboard-v2-schema", Severity.ERROR
    summary = "v2 dashboard resource does not match the official v2 schema"

    def check_document(self, doc, ctx):
        if doc.kind != _V2:
            return
        from obslint.resources import v2schema

        version = getattr(doc, "resource_version", "v2")
        if not v2schema.has_schema(version):
            return
        where = getattr(doc, "resource_spec", getattr(doc, "resource_base", ()) + ("spec",))
        spec = doc.data
        for i, step in enumerate(where):
            inner = spec.get(step) if isinstance(spec, dict) else None
            if not isinstance(inner, dict):  # Grafana's schema requires the spec object
                held = isinstance(spec, dict) and step in spec
                yield self.finding(doc, where[:i + 1] if held else where[:i],
                                   f"`{step}` is {'not an object' if held else 'missing'}: Grafana refuses a "
                                   f"{version} dashboard without its spec (dashboard {version} schema)",
                                   fix="give the resource a `spec` object (elements, layout, variables), as "
                                       "Grafana exports it")
                return
            spec = inner
        for err in v2schema.errors(version, spec):
            sev = None if err.hard else Severity.WARNING
            yield self.finding(doc, where + err.path, f"{err.message} (dashboard {version} schema)",
                               fix="compare with a dashboard Grafana exports as v2", severity=sev,
                               at_key=err.at_key)


class UncheckableSource(Rule):
    """A GrafanaDashboard or GrafanaLibraryPanel takes its content from somewhere obslint
    does not go offline: a URL, grafana.com, Jsonnet, a Jsonnet project or an OCI artifact.
    Reported at info level so nobody believes it was checked.

    ## Bad (`dashboard.yaml`)
    ```yaml
    apiVersion: grafana.integreatly.org/v1beta1
    kind: GrafanaDashboard
    metadata: {name: node-exporter}
    spec:
      instanceSelector: {matchLabels: {dashboards: grafana}}
      grafanaCom: {id: 1860}
    ```

    ## Good (`dashboard.yaml`)
    ```yaml
    apiVersion: grafana.integreatly.org/v1beta1
    kind: GrafanaDashboard
    metadata: {name: api}
    spec:
      instanceSelector: {matchLabels: {dashboards: grafana}}
      json: >
        {"uid": "api", "title": "API", "schemaVersion": 39, "panels": []}
    ```
    """

    code, name, severity = "RS002", "uncheckable-source", Severity.INFO
    summary = "operator resource loads its content from a source obslint cannot read offline"

    def check_document(self, doc, ctx):
        yield from _notes(self, doc)


class BrokenContent(Rule):
    """The content of a GrafanaDashboard or GrafanaLibraryPanel cannot be read: `spec.json`
    that is not JSON, `spec.gzipJson` that is not base64 of gzip, or decodes to something that
    is not JSON or not a dashboard. The operator fails to import it. A `gzipJson` that inflates
    beyond 5 MiB is not read at all.

    ## Bad (`dashboard.yaml`)
    ```yaml
    apiVersion: grafana.integreatly.org/v1beta1
    kind: GrafanaDashboard
    metadata: {name: api}
    spec:
      instanceSelector: {matchLabels: {dashboards: grafana}}
      gzipJson: H4sIAAAAAAAAA-not-base64
    ```

    ## Good (`dashboard.yaml`)
    ```yaml
    apiVersion: grafana.integreatly.org/v1beta1
    kind: GrafanaDashboard
    metadata: {name: api}
    spec:
      instanceSelector: {matchLabels: {dashboards: grafana}}
      gzipJson: H4sIAAAAAAACA6tWKs1MUbJSUEosyFTSUVAqySzJSQXxHQM8QfyCxLzUnGKgQHRsLQA+vsl5LAAAAA==
    ```
    """

    code, name, severity = "RS003", "broken-content", Severity.ERROR
    summary = "operator resource content does not decode to a dashboard"

    def check_document(self, doc, ctx):
        yield from _notes(self, doc)


class ConfigMapNotLinted(Rule):
    """A GrafanaDashboard reads its dashboard from a ConfigMap (`spec.configMapRef`) that is
    not among the linted files, so that dashboard was not checked. Lint the ConfigMap in the
    same run: its dashboard is then checked, and placed in the GrafanaDashboard's folder.

    ## Bad (`dashboard.yaml`)
    ```yaml
    apiVersion: grafana.integreatly.org/v1beta1
    kind: GrafanaDashboard
    metadata: {name: api}
    spec:
      instanceSelector: {matchLabels: {dashboards: grafana}}
      configMapRef: {name: api-dashboard, key: api.json}
    ```

    ## Good (`dashboard.yaml`)
    ```yaml
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: api-dashboard}
    data:
      api.json: >
        {"uid": "api", "title": "API", "schemaVersion": 39, "panels": []}
    ---
    apiVersion: grafana.integreatly.org/v1beta1
    kind: GrafanaDashboard
    metadata: {name: api}
    spec:
      instanceSelector: {matchLabels: {dashboards: grafana}}
      configMapRef: {name: api-dashboard, key: api.json}
    ```
    """

    code, name, severity = "RS004", "configmap-not-linted", Severity.INFO
    summary = "GrafanaDashboard's ConfigMap is not among the linted files"

    def check_document(self, doc, ctx):
        yield from _notes(self, doc)


class LibraryPanelUnresolved(Rule):
    """A dashboard panel uses a library panel (`libraryPanel: {uid, name}`) that no linted
    file defines (a library panel export, a `LibraryPanel` resource or a GrafanaLibraryPanel).
    Its queries were not checked, and on a Grafana that lacks it the panel shows "Library
    panel not found". Library panels that are found are checked as panels of the dashboard.

    ## Bad (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}, "libraryPanel": {"uid": "api-rps", "name": "API RPS"}}]}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "API RPS", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}}]}
    ```
    """

    code, name, severity = "RS005", "library-panel-unresolved", Severity.WARNING
    summary = "a library panel used by a dashboard is defined in no linted file"

    def check_panel(self, panel, ctx):
        ref = panel.data.get("libraryPanel")
        if not isinstance(ref, dict):
            return
        index = getattr(ctx.project, "library_panels", None) or {}
        uid, name = ref.get("uid"), ref.get("name")
        if (isinstance(uid, str) and uid in index) or (isinstance(name, str) and name in index):
            return
        label = f"`{name}`" if isinstance(name, str) and name else f"uid `{uid}`"
        yield self.finding(panel.doc, panel.path + ("libraryPanel",),
                           f"library panel {label} (uid `{uid}`) is defined in no linted file: its queries were "
                           "not checked, and a Grafana without it shows \"Library panel not found\"",
                           fix="lint the library panel's export or resource together with this dashboard",
                           scope=panel.path, at_key=True)
