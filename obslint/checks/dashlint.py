"""dashboard-linter parity, where the corpus shows it is precise: panels that bypass the
dashboard's datasource variable, time and size panels without a unit, panels without a title."""
from __future__ import annotations

from obslint import promql
from obslint.checks.conventions import _expected_family, _panel_unit
from obslint.checks.variables import refs
from obslint.findings import Severity
from obslint.registry import Rule

_SPECIAL_UIDS = {"-- Mixed --", "-- Dashboard --", "-- Grafana --", "grafana", "__expr__"}
_UNIT_PANELS = {"timeseries", "graph", "stat", "gauge", "bargauge"}
_NO_TITLE_NEEDED = {"row", "text", "news", "dashlist", "alertlist", "welcome", "gettingstarted"}


def _datasource_variables(dash) -> dict:
    """{plugin type: variable name} of the dashboard's datasource variables."""
    out = {}
    for v in dash.variables:
        if v.get("type") == "datasource" and isinstance(v.get("name"), str) and isinstance(v.get("query"), str):
            out.setdefault(v["query"].lower(), v["name"])
    return out


def _hard_coded(ds, ds_vars: dict):
    """(plugin type, uid) of a datasource reference that names a fixed datasource of a type a
    datasource variable of the dashboard selects; None otherwise."""
    if not isinstance(ds, dict):
        return None
    kind, uid = ds.get("type"), ds.get("uid")
    if not isinstance(kind, str) or not isinstance(uid, str) or kind.lower() not in ds_vars:
        return None
    if uid in _SPECIAL_UIDS or refs(uid):  # (a tuple: empty when the uid names no variable)
        return None
    return kind, uid


class PanelBypassesDatasourceVariable(Rule):
    """The dashboard has a datasource variable (`$datasource`) for picking the Prometheus to
    query, but a panel or query names one datasource by uid: switching the selector changes every
    panel but this one, which keeps showing the other datasource's data. Use the variable
    (`{"type": "prometheus", "uid": "${datasource}"}`). A uid left in a target counts only on a
    Mixed panel or one without a datasource: elsewhere Grafana runs targets on the panel's.

    ## Bad (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39,
     "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
     "panels": [{"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
                 "datasource": {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"},
                 "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total[5m]))"}]}]}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39,
     "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
     "panels": [{"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
                 "datasource": {"type": "prometheus", "uid": "${datasource}"},
                 "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total[5m]))"}]}]}
    ```
    """

    code, name, severity = "DB044", "panel-bypasses-datasource-variable", Severity.WARNING
    summary = "panel names a fixed datasource although the dashboard has a datasource variable for it"

    def check_dashboard(self, dash, ctx):
        # One loop over the panels here, not a hook call per panel: a dashboard without a
        # datasource variable is done at once, the others pay only for the tests.
        ds_vars = _datasource_variables(dash)
        if not ds_vars:
            return None
        out = None
        for panel in dash.panels:
            if not panel.queries:
                continue  # rows and panels without PromQL queries do not read the datasource
            hit = self._hard_coded_in(panel.data, ds_vars)
            if hit is None:
                continue
            path, (kind, uid) = hit
            var = ds_vars[kind.lower()]
            if out is None:
                out = []
            out.append(self.finding(panel.doc, panel.path + path + ("uid",),
                                    f"panel `{panel.title}` queries the {kind} datasource `{uid}` directly, "
                                    f"although the dashboard selects {kind} datasources with `${var}`",
                                    fix=f"set `\"uid\": \"${{{var}}}\"`", scope=panel.path))
        return out

    @staticmethod
    def _hard_coded_in(p: dict, ds_vars: dict):
        """(path, (plugin type, uid)) of the panel's or else its first query's fixed datasource."""
        hit = _hard_coded(p.get("datasource"), ds_vars)
        if hit is not None:
            return ("datasource",), hit
        targets = p.get("targets")
        from obslint.datasources import targets_choose

        if not isinstance(targets, list) or not targets_choose(p):
            return None  # (the panel's datasource, its variable's choice, runs the targets)
        for i, t in enumerate(targets):
            if isinstance(t, dict):
                hit = _hard_coded(t.get("datasource"), ds_vars)
                if hit is not None:
                    return ("targets", i, "datasource"), hit
        return None


class PanelUnitMissing(Rule):
    """A graph or stat panel shows a single metric whose name says it is in seconds or bytes
    (`_seconds`, `_bytes`), but the panel sets no unit: Grafana prints `0.0023` instead of
    `2.3 ms` and `1073741824` instead of `1 GiB`.

    ## Bad (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Memory", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
       "targets": [{"refId": "A", "expr": "max by (pod) (container_memory_working_set_bytes)"}]}
    ]}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Memory", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
       "fieldConfig": {"defaults": {"unit": "bytes"}},
       "targets": [{"refId": "A", "expr": "max by (pod) (container_memory_working_set_bytes)"}]}
    ]}
    ```
    """

    code, name, severity = "DB045", "panel-unit-missing", Severity.INFO
    summary = "time or size panel without a unit"

    def check_panel(self, panel, ctx):
        # A plain function, not a generator, cheapest tests first: nearly every panel leaves early.
        queries = panel.queries
        if len(queries) != 1:
            return None
        expr = queries[0].expr
        if ("_bytes" not in expr and "_seconds" not in expr) or panel.type not in _UNIT_PANELS:
            return None
        unit = _panel_unit(panel)
        if unit not in (None, "short", "none"):
            return None
        fc = panel.data.get("fieldConfig")
        if isinstance(fc, dict) and isinstance(fc.get("overrides"), list) and fc["overrides"]:
            return None
        want = _expected_family(promql.parse(expr))
        if want is None:
            return None
        fam, metric = want
        example = {"time": "`s`", "bytes": "`bytes`", "rate-bytes": "`Bps`"}[fam]
        defaults = fc.get("defaults") if isinstance(fc, dict) else None
        where = ("fieldConfig", "defaults", "unit") if isinstance(defaults, dict) and "unit" in defaults else ()
        return [self.finding(panel.doc, panel.path + where, f"panel `{panel.title}` shows `{metric}` "
                             f"({'bytes per second' if fam == 'rate-bytes' else fam}) without a unit",
                             fix=f"set `fieldConfig.defaults.unit` to {example}", metric=metric)]


class PanelTitleMissing(Rule):
    """A panel with queries has no title: on the dashboard it is an unlabelled graph, and in
    alerts, links and search it has no name. Text panels and rows are not reported.

    ## Bad (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
       "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total[5m]))"}]}
    ]}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Requests per second", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
       "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total[5m]))"}]}
    ]}
    ```
    """

    code, name, severity = "DB046", "panel-title-missing", Severity.INFO
    summary = "panel with queries but no title"

    def check_dashboard(self, dash, ctx):
        # One loop over the panels here, not a hook call per panel: nearly every panel has a title.
        out = None
        for panel in dash.panels:
            if not panel.queries:
                continue
            data = panel.data
            title = data.get("title")
            if (isinstance(title, str) and title.strip()) or "libraryPanel" in data or panel.type in _NO_TITLE_NEEDED:
                continue
            if out is None:
                out = []
            out.append(self.finding(panel.doc, panel.path + (("title",) if "title" in data else ()),
                                    f"panel {data.get('id', '')} has queries but no title".replace("panel  ", "panel "),
                                    fix="give it a title that says what it shows"))
        return out


class DashboardEditable(Rule):
    """The policy says whether dashboards may be edited in the Grafana UI
    (`dashboards.editable`): provisioned dashboards are often kept read-only (`false`) so that
    changes go through the repository, or editable (`true`) so that teams can explore. A
    dashboard whose `editable` (default `true`) differs is reported. Nothing is checked without
    the policy key.

    ## Bad (`obslint.yaml`, `dashboard.json`)
    ```yaml
    dashboards:
      editable: false
    ```
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "editable": true, "panels": []}
    ```

    ## Good (`obslint.yaml`, `dashboard.json`)
    ```yaml
    dashboards:
      editable: false
    ```
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "editable": false, "panels": []}
    ```
    """

    code, name, severity = "DB047", "dashboard-editable", Severity.WARNING
    summary = "dashboard `editable` differs from the policy's `dashboards.editable`"
    needs_policy = True

    def check_dashboard(self, dash, ctx):
        dashboards = (ctx.policy or {}).get("dashboards")
        want = dashboards.get("editable") if isinstance(dashboards, dict) else None
        if not isinstance(want, bool):
            return
        have = dash.data.get("editable", True)
        if have is want:
            return
        yield self.finding(dash.doc, ("editable",) if "editable" in dash.data else (),
                           f"dashboard `{dash.title}` is {'editable' if have else 'read-only'} (`editable: "
                           f"{str(have).lower()}`), but the policy's `dashboards.editable` is {str(want).lower()}",
                           at_key="editable" in dash.data, fix=f"set `\"editable\": {str(want).lower()}`")
