"""What the policy says must exist: dashboards (with pinned uids, variables and panels) and
alerts (in Prometheus rules and/or Grafana-managed rules)."""
from __future__ import annotations

import fnmatch

from obslint import metriccatalog
from obslint import policy as pol
from obslint.model import GRAFANA_ALERT, PROMETHEUS_ALERT
from obslint.findings import Severity
from obslint.registry import Rule


def _by_uid(ctx) -> dict:
    if "req.uids" not in ctx.cache:
        idx: dict = {}
        for d in ctx.project.dashboards:
            if isinstance(d.uid, str):
                idx.setdefault(d.uid, d)
        ctx.cache["req.uids"] = idx
    return ctx.cache["req.uids"]


def _by_title(ctx) -> dict:
    if "req.titles" not in ctx.cache:
        idx: dict = {}
        for d in ctx.project.dashboards:
            if isinstance(d.title, str):
                idx.setdefault(d.title.strip(), []).append(d)
        ctx.cache["req.titles"] = idx
    return ctx.cache["req.titles"]


def _entry_for(ctx, dash):
    """The policy's required entry for a dashboard (by uid, else by pinned title)."""
    for path, e in pol.required_dashboards(ctx):
        if e["uid"] == dash.uid:
            return path, e
    for path, e in pol.required_dashboards(ctx):
        if isinstance(e.get("title"), str) and isinstance(dash.title, str) and e["title"].strip() == dash.title.strip() \
                and e["uid"] not in _by_uid(ctx):
            return path, e
    return None


class RequiredDashboard(Rule):
    """A dashboard the policy requires (`dashboards.required[].uid`) is not among the linted
    files. The finding points at the policy entry. (A dashboard that has the required title but
    another uid is reported by PL011 instead.)

    ## Bad (`obslint.yaml`, `dashboard.json`)
    ```yaml
    dashboards:
      required:
        - uid: api-overview
        - uid: api-slo
    ```
    ```json
    {"uid": "api-overview", "title": "API", "schemaVersion": 39, "panels": []}
    ```

    ## Good (`obslint.yaml`, `dashboard.json`)
    ```yaml
    dashboards:
      required:
        - uid: api-overview
    ```
    ```json
    {"uid": "api-overview", "title": "API", "schemaVersion": 39, "panels": []}
    ```
    """

    code, name, severity = "PL010", "required-dashboard", Severity.ERROR
    summary = "a dashboard the policy requires is missing"
    needs_policy = True

    def check_project(self, project, ctx):
        uids = _by_uid(ctx)
        titles = _by_title(ctx)
        for path, e in pol.required_dashboards(ctx):
            if e["uid"] in uids:
                continue
            if isinstance(e.get("title"), str) and titles.get(e["title"].strip()):
                continue  # PL011: it exists under another uid
            what = f"`{e['uid']}`" + (f" (`{e['title']}`)" if e.get("title") else "")
            yield pol.policy_finding(self, ctx, path + ("uid",), f"required dashboard {what} is not in the linted files",
                                     fix="add the dashboard, or remove it from `dashboards.required`",
                                     dashboard=e["uid"])


class DashboardUidPinned(Rule):
    """The policy pins a dashboard's uid (`dashboards.required[]` with `uid` and `title`), and
    the dashboard with that title has another uid. Links, alert annotations and bookmarks use
    the uid; changing it breaks them all.

    ## Bad (`obslint.yaml`, `dashboard.json`)
    ```yaml
    dashboards:
      required:
        - {uid: api-overview, title: API}
    ```
    ```json
    {"uid": "api-overview-2", "title": "API", "schemaVersion": 39, "panels": []}
    ```

    ## Good (`obslint.yaml`, `dashboard.json`)
    ```yaml
    dashboards:
      required:
        - {uid: api-overview, title: API}
    ```
    ```json
    {"uid": "api-overview", "title": "API", "schemaVersion": 39, "panels": []}
    ```
    """

    code, name, severity = "PL011", "dashboard-uid-pinned", Severity.ERROR
    summary = "dashboard uid differs from the uid the policy pins for its title"
    needs_policy = True
    fixable = "safe"  # the uid the policy pins

    def check_dashboard(self, dash, ctx):
        if not isinstance(dash.title, str):
            return
        uids = _by_uid(ctx)
        for path, e in pol.required_dashboards(ctx):
            if not isinstance(e.get("title"), str) or e["title"].strip() != dash.title.strip():
                continue
            if dash.uid == e["uid"]:
                return
            if e["uid"] in uids:
                return  # the pinned uid exists elsewhere; this is another dashboard with the same title
            node = ("uid",) if "uid" in dash.data else ("title",)
            autofix = None
            if isinstance(e["uid"], str) and dash.data is dash.doc.root:
                from obslint.checks.dashboards import _set_uid_fix

                autofix = _set_uid_fix(dash, lambda u=e["uid"]: u, "safe", f"use the pinned uid `{e['uid']}`")
            yield self.finding(dash.doc, node, f"dashboard `{dash.title}` has uid `{dash.uid}`, the policy pins "
                               f"`{e['uid']}`", fix=f'use `"uid": "{e["uid"]}"`', at_key=node == ("title",),
                               autofix=autofix)
            return


def _is_series_of(name: str, metric: str) -> bool:
    return name == metric or (name.startswith(metric + "_") and name[len(metric):] in ("_bucket", "_sum", "_count",
                                                                                         "_total"))


def _panel_matches(ctx, panel, spec: dict) -> bool:
    """Title glob (case-insensitive), and every listed metric read by some query of the panel
    (through recording rules), inside `function` when one is given."""
    title = spec.get("title")
    if isinstance(title, str) and not fnmatch.fnmatch(panel.title.strip().lower(), title.strip().lower()):
        return False
    metric = spec.get("metric")
    func = spec.get("function")
    if not metric and not func:
        return True
    used = [sf for q in panel.queries for sf in metriccatalog.selectors_with_functions(ctx, q.expr)]
    wanted = [metric] if isinstance(metric, str) else list(metric or [])
    if not wanted:
        return any(func in funcs for _name, funcs in used)
    return all(any(_is_series_of(name, m) and (not func or func in funcs) for name, funcs in used) for m in wanted)


def _describe(spec: dict) -> str:
    parts = []
    if spec.get("title"):
        parts.append(f"titled `{spec['title']}`")
    if spec.get("metric"):
        m = spec["metric"]
        parts.append("querying " + (", ".join(f"`{x}`" for x in m) if isinstance(m, list) else f"`{m}`"))
    if spec.get("function"):
        parts.append(f"through `{spec['function']}`")
    return " ".join(parts) or "(any)"


def matching_panels(ctx, dash, spec: dict) -> list:
    return [p for p in dash.panels if p.type != "row" and _panel_matches(ctx, p, spec)]


class RequiredPanel(Rule):
    """A required dashboard lacks a panel the policy asks for: by title (a glob, case-insensitive)
    and/or by the metric and the function its queries use (`metric: http_request_duration_seconds,
    function: histogram_quantile` is met by a latency panel whatever its title). A list of metrics
    asks for all of them in one panel; recording rules count as the metrics they read.

    ## Bad (`obslint.yaml`, `dashboard.json`)
    ```yaml
    dashboards:
      required:
        - uid: api
          panels:
            - {title: "Request rate*", metric: http_requests_total, function: rate}
    ```
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Memory", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
       "targets": [{"refId": "A", "expr": "sum(process_resident_memory_bytes)"}]}
    ]}
    ```

    ## Good (`obslint.yaml`, `dashboard.json`)
    ```yaml
    dashboards:
      required:
        - uid: api
          panels:
            - {title: "Request rate*", metric: http_requests_total, function: rate}
    ```
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Request rate (RPS)", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
       "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total[$__rate_interval]))"}]}
    ]}
    ```
    """

    code, name, severity = "PL012", "required-panel", Severity.ERROR
    summary = "a required dashboard lacks a panel the policy asks for"
    needs_policy = True

    def check_dashboard(self, dash, ctx):
        entry = _entry_for(ctx, dash)
        if entry is None:
            return
        path, e = entry
        for spec in e.get("panels") or []:
            if not isinstance(spec, dict) or not (spec.get("title") or spec.get("metric") or spec.get("function")):
                continue
            if matching_panels(ctx, dash, spec):
                continue
            close = ""
            if spec.get("title") and (spec.get("metric") or spec.get("function")):
                by_title = [p for p in dash.panels if p.type != "row" and
                            fnmatch.fnmatch(p.title.strip().lower(), str(spec["title"]).strip().lower())]
                if by_title:
                    close = f" (panel `{by_title[0].title}` has the title but not the query)"
            node = ("panels",) if "panels" in dash.data else ("rows",) if "rows" in dash.data else ()
            yield self.finding(dash.doc, node, f"dashboard `{dash.uid}` has no panel {_describe(spec)}{close}, "
                               f"which the policy requires", fix="add the panel, or change `dashboards.required` in the "
                               "policy", at_key=bool(node))


class RequiredVariable(Rule):
    """A required dashboard lacks a template variable the policy asks for
    (`dashboards.required[].variables`), e.g. the datasource or service selector every panel
    relies on.

    ## Bad (`obslint.yaml`, `dashboard.json`)
    ```yaml
    dashboards:
      required:
        - {uid: api, variables: [datasource, service]}
    ```
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [],
     "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]}}
    ```

    ## Good (`obslint.yaml`, `dashboard.json`)
    ```yaml
    dashboards:
      required:
        - {uid: api, variables: [datasource, service]}
    ```
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [],
     "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"},
                             {"name": "service", "type": "query", "query": "label_values(up, service)"}]}}
    ```
    """

    code, name, severity = "PL013", "required-variable", Severity.ERROR
    summary = "a required dashboard lacks a template variable the policy asks for"
    needs_policy = True

    def check_dashboard(self, dash, ctx):
        entry = _entry_for(ctx, dash)
        if entry is None:
            return
        have = {v.get("name") for v in dash.variables}
        for var in entry[1].get("variables") or []:
            if var not in have:
                node = ("templating",) if "templating" in dash.data else ("title",)
                yield self.finding(dash.doc, node, f"dashboard `{dash.uid}` has no template variable `{var}`, which "
                                   f"the policy requires", fix=f"add `{var}` under `templating.list`", at_key=True)


class RequiredAlert(Rule):
    """An alert the policy requires (`alerts.required[].name`) is not defined. Required alerts
    must exist in every kind of alert source being linted (Prometheus rule files, Grafana
    alerting provisioning) unless the entry's or `alerts.sources` says which. The finding
    points at the rule group of the nearest alert in the policy's list that exists (where the
    missing one most likely belonged), or at the policy entry when there is none.

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      required:
        - {name: ApiDown}
        - {name: ApiErrorRateHigh}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      required:
        - {name: ApiDown}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
    ```
    """

    code, name, severity = "PL014", "required-alert", Severity.ERROR
    summary = "an alert the policy requires is missing"
    needs_policy = True

    def check_project(self, project, ctx):
        required = pol.required_alerts(ctx)
        if not required:
            return
        prom, graf = project.alerts_named(PROMETHEUS_ALERT), project.alerts_named(GRAFANA_ALERT)
        kinds_present = set()
        if project.rules:
            kinds_present.add("prometheus")
        if project.grafana_rules:
            kinds_present.add("grafana")
        default_sources = pol.alerts_policy(ctx).get("sources")
        for name, (path, e) in required.items():
            sources = e.get("sources") or default_sources
            sources = list(sources) if sources else sorted(kinds_present) or ["prometheus"]
            for kind in sources:
                index = prom if kind == "prometheus" else graf
                if name in index:
                    continue
                yield self._missing(ctx, name, path, kind, index, required)

    def _missing(self, ctx, name, path, kind, index, required):
        label = "Prometheus alerting rule" if kind == "prometheus" else "Grafana-managed alert rule"
        where = f"{pol.policy_display(ctx)}:{pol.policy_position(ctx, path)[0]}"
        # Point at the group of its nearest neighbour in the policy's list that exists.
        names = list(required)
        i = names.index(name)
        near = None
        for dist in range(1, len(names)):
            for j in (i - dist, i + dist):
                if 0 <= j < len(names) and index.get(names[j]):
                    near = index[names[j]][0]
                    break
            if near is not None:
                break
        if near is not None:
            gpath = near.path[:2]
            gdata = near.group.data if hasattr(near.group, "data") else near.group
            node = gpath + ("name",) if isinstance(gdata, dict) and "name" in gdata else gpath
            return self.finding(near.doc, node, f"required alert `{name}` (policy {where}) has no {label}; its "
                                f"neighbour in the policy, `{near.data.get('alert') or near.data.get('title')}`, is in "
                                f"this group", fix=f"add the {label} `{name}`, or remove it from `alerts.required`",
                                scope=gpath)
        return pol.policy_finding(self, ctx, path + ("name",), f"required alert `{name}` has no {label} in the linted "
                                  f"files", fix=f"add the {label}, or remove it from `alerts.required`", alert=name)
