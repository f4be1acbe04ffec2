"""DB044-DB046: dashboard-linter parity."""
from __future__ import annotations

import json

from tests.checks.helpers import found, panel


def _dash(panels, variables=()):
    return {"d.json": json.dumps({"uid": "api", "title": "API", "schemaVersion": 39, "panels": panels,
                                  "templating": {"list": list(variables)}}, indent=2)}


_DS_VAR = {"name": "datasource", "type": "datasource", "query": "prometheus"}


def test_db044_fixed_datasource_next_to_a_datasource_variable(lint_files):
    fixed = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
    r = lint_files(_dash([
        panel(1, "Fixed", "up", datasource=fixed),
        panel(2, "Var", "up", datasource={"type": "prometheus", "uid": "${datasource}"}),
        panel(3, "Mixed", "up", datasource={"type": "datasource", "uid": "-- Mixed --"}),
        panel(4, "Loki", None, datasource={"type": "loki", "uid": "L1"}, targets=[{"expr": "{app=\"x\"}"}]),
        {"id": 5, "type": "row", "title": "Row", "datasource": fixed, "gridPos": {"x": 0, "y": 9, "w": 24, "h": 1}}],
        [_DS_VAR]))
    got = found(r, "DB044")
    assert [f.message for f in got] == [
        "panel `Fixed` queries the prometheus datasource `P1809F7CD0C75ACF3` directly, although the dashboard "
        "selects prometheus datasources with `$datasource`"]
    assert not found(lint_files(_dash([panel(1, "Fixed", "up", datasource=fixed)])), "DB044")


def test_db045_time_or_bytes_panel_without_unit(lint_files):
    r = lint_files(_dash([
        panel(1, "GC", "go_gc_duration_seconds{quantile=\"0.5\"}"),
        panel(2, "Mem", "max(process_resident_memory_bytes)", unit="short"),
        panel(3, "Mem ok", "max(process_resident_memory_bytes)", unit="bytes"),
        panel(4, "Objects", "rate(fetch_bytes_count[5m])"),
        panel(5, "Table", "max(process_resident_memory_bytes)", ptype="table")]))
    assert [f.context["metric"] for f in found(r, "DB045")] == ["go_gc_duration_seconds",
                                                                "process_resident_memory_bytes"]


def test_db046_panel_without_title(lint_files):
    r = lint_files(_dash([panel(1, "", "up"), panel(2, "Up", "up"), panel(3, "", None, ptype="text")]))
    got = found(r, "DB046")
    assert [f.message for f in got] == ["panel 1 has queries but no title"]


def test_db047_editable_only_by_policy(lint_files):
    files = {"a.json": json.dumps({"uid": "a", "title": "A", "schemaVersion": 39, "panels": []}),
             "b.json": json.dumps({"uid": "b", "title": "B", "schemaVersion": 39, "editable": False, "panels": []})}
    assert not found(lint_files(files), "DB047")
    got = found(lint_files(files, config={"dashboards": {"editable": False}}), "DB047")
    assert [(f.file, f.message) for f in got] == [
        ("a.json", "dashboard `A` is editable (`editable: true`), but the policy's `dashboards.editable` is false")]
