"""Library panels: resolved against the library panels of the run and checked as panels of
the dashboard that uses them (with its variables); unresolved ones are a warning."""
from __future__ import annotations

import json

from tests.resources.helpers import line_of, operator_dashboard, pretty, v2_dashboard

LIBRARY = {"uid": "rps", "name": "API RPS", "kind": 1, "model": {
    "type": "timeseries", "title": "RPS", "datasource": "${ds}",
    "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total[5m])"}]}}


def _dash(ds_type: str = "prometheus") -> dict:
    return {"uid": "api", "title": "API", "schemaVersion": 39,
            "templating": {"list": [{"name": "ds", "type": "datasource", "query": ds_type}]},
            "panels": [{"id": 1, "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
                        "libraryPanel": {"uid": "rps", "name": "API RPS"}}]}


def test_library_panel_queries_are_checked_in_the_library_file(lint_files):
    lib = pretty(LIBRARY)
    result = lint_files({"dash.json": pretty(_dash()), "lib/rps.json": lib})
    pq = [f for f in result.findings if f.code == "PQ001"]
    assert [(f.file, f.line) for f in pq] == [("lib/rps.json", line_of(lib, '"expr"'))]
    assert "RS005" not in [f.code for f in result.findings]
    dash = result.project.dashboards[0]
    assert [p.title for p in dash.panels] == ["", "RPS"]


def test_library_panel_uses_the_dashboard_variables(lint_files):
    # ${ds} is a Loki datasource in this dashboard: the query is not PromQL there
    result = lint_files({"dash.json": pretty(_dash("loki")), "lib/rps.json": pretty(LIBRARY)})
    assert "PQ001" not in [f.code for f in result.findings]


def test_library_panel_is_checked_once_per_dashboard_using_it(lint_files):
    other = _dash()
    other["uid"], other["title"] = "api-2", "API 2"
    result = lint_files({"a.json": pretty(_dash()), "b.json": pretty(other), "lib.json": pretty(LIBRARY)})
    assert len([q for q in result.project.queries if q.doc.source.display == "lib.json"]) == 2


def test_unresolved_library_panel_is_a_warning(lint_files):
    text = pretty(_dash())
    result = lint_files({"dash.json": text})
    rs = [f for f in result.findings if f.code == "RS005"]
    assert [(f.line, f.severity.name) for f in rs] == [(line_of(text, '"libraryPanel"'), "WARNING")]


def test_v2_library_panel_element_resolves_against_an_operator_library_panel(lint_files):
    dash = v2_dashboard(extra_elements={"lib": {"kind": "LibraryPanel", "spec": {
        "id": 2, "title": "RPS", "libraryPanel": {"uid": "rps", "name": "API RPS"}}}})
    cr = operator_dashboard("x", "").replace("GrafanaDashboard", "GrafanaLibraryPanel") + \
        "  json: >\n" + "".join("    " + line + "\n" for line in json.dumps(LIBRARY, indent=2).splitlines())
    result = lint_files({"dash.json": pretty(dash), "lib.yaml": cr})
    pq = [f for f in result.findings if f.code == "PQ001"]
    assert [(f.file, f.line) for f in pq] == [("lib.yaml", line_of(cr, '"expr"'))]
    assert "RS005" not in [f.code for f in result.findings]
