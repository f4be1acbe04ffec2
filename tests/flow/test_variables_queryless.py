"""DB040 and panels that never run their queries (text, news, dashlist, ...: `skipDataQuery` in
their plugin.json): an undefined variable in their left-over datasource or query breaks
nothing, so it is not reported; in their title it still shows as text, so it is."""
from __future__ import annotations

import json


def _dash(panel_type: str, title: str = "Notes") -> str:
    panel = {"id": 1, "type": panel_type, "title": title, "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
             "datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"},
             "targets": [{"refId": "A", "expr": 'up{job="$job"}'}]}
    return json.dumps({"uid": "api", "title": "API", "schemaVersion": 39, "panels": [panel]}, indent=2)


def _db040(result) -> list:
    return [(f.line, f.message) for f in result.findings if f.code == "DB040"]


def test_left_over_datasource_and_query_of_a_text_panel_are_not_reported(lint_files):
    assert _db040(lint_files({"d.json": _dash("text")})) == []


def test_the_same_panel_as_a_graph_is_reported(lint_files):
    found = _db040(lint_files({"d.json": _dash("timeseries")}))
    assert [m.split(":")[0] for _line, m in found] == ["`$DS_PROMETHEUS` is not a variable of this dashboard",
                                                       "`$job` is not a variable of this dashboard"]


def test_a_text_panel_title_still_counts(lint_files):
    found = _db040(lint_files({"d.json": _dash("text", title="Notes for $team")}))
    assert [m.split(":")[0] for _line, m in found] == ["`$team` is not a variable of this dashboard"]
