"""Builders for Grafana 12 resources and operator CRs used by the resource tests."""
from __future__ import annotations

import base64
import gzip
import json


def v2_dashboard(name: str = "api", title: str = "API", expr: str = 'sum(rate(http_requests_total[5m]))',
                 ds_uid: str = "prom", ds_type: str = "prometheus", api: str = "dashboard.grafana.app/v2",
                 extra_elements: dict | None = None) -> dict:
    query = {"kind": "PanelQuery", "spec": {"refId": "A", "hidden": False, "query": {
        "kind": "DataQuery", "group": ds_type, "version": "v0", "datasource": {"name": ds_uid},
        "spec": {"expr": expr}}}}
    panel = {"kind": "Panel", "spec": {"id": 1, "title": "Requests", "description": "", "links": [],
                                       "data": {"kind": "QueryGroup", "spec": {"queries": [query], "transformations": [],
                                                                               "queryOptions": {}}},
                                       "vizConfig": {"kind": "VizConfig", "group": "timeseries", "version": "12.0.0",
                                                     "spec": {"options": {}, "fieldConfig": {"defaults": {},
                                                                                             "overrides": []}}}}}
    elements = {"panel-1": panel, **(extra_elements or {})}
    items = [{"kind": "GridLayoutItem", "spec": {"x": 0, "y": 8 * i, "width": 24, "height": 8,
                                                 "element": {"kind": "ElementReference", "name": n}}}
             for i, n in enumerate(elements)]
    return {"apiVersion": api, "kind": "Dashboard", "metadata": {"name": name},
            "spec": {"title": title, "annotations": [], "cursorSync": "Off", "editable": True, "elements": elements,
                     "layout": {"kind": "GridLayout", "spec": {"items": items}}, "links": [], "liveNow": False,
                     "preload": False, "tags": [],
                     "timeSettings": {"timezone": "browser", "from": "now-6h", "to": "now", "autoRefresh": "",
                                      "autoRefreshIntervals": ["5s"], "hideTimepicker": False,
                                      "fiscalYearStartMonth": 0},
                     "variables": []}}


def classic(uid: str = "api", title: str = "API", expr: str = "up", ds: dict | None = None) -> dict:
    target = {"refId": "A", "expr": expr}
    if ds is not None:
        target["datasource"] = ds
    return {"uid": uid, "title": title, "schemaVersion": 39, "panels": [
        {"id": 1, "type": "timeseries", "title": "Up", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
         "targets": [target]}]}


def pretty(obj) -> str:
    return json.dumps(obj, indent=2) + "\n"


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing needle."""
    seen = 0
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == nth:
                return i
    raise AssertionError(f"{needle!r} not in text")


def gzip_b64(obj) -> str:
    return base64.b64encode(gzip.compress(json.dumps(obj).encode(), mtime=0)).decode()


def operator_dashboard(name: str, body: str, folder: str | None = None) -> str:
    """A GrafanaDashboard whose spec holds `body` (already indented YAML lines of spec keys)."""
    head = (f"apiVersion: grafana.integreatly.org/v1beta1\nkind: GrafanaDashboard\nmetadata:\n  name: {name}\n"
            "spec:\n  instanceSelector:\n    matchLabels:\n      dashboards: grafana\n")
    if folder:
        head += f"  folder: {folder}\n"
    return head + body


def block(obj, indent: int = 4) -> str:
    pad = " " * indent
    return "".join(pad + line + "\n" for line in json.dumps(obj, indent=2).splitlines())
