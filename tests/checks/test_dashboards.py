"""DB002-DB007: dashboard uids, titles per folder, panel ids and grid layout."""
from __future__ import annotations

import pytest

import json

from tests.checks.helpers import dashboard, found, panel


def test_db002_missing_uid(lint_files):
    r = lint_files({"d.json": dashboard(uid=None)})
    [f] = found(r, "DB002")
    assert "has no uid" in f.message and f.line == 2  # at the title key
    assert f.file == "d.json"


def test_db002_empty_uid_is_missing(lint_files):
    r = lint_files({"d.json": dashboard(uid="")})
    assert found(r, "DB002") and not found(r, "DB003")


def test_db003_uid_format(lint_files):
    r = lint_files({"a.json": dashboard(uid="has space"), "b.json": dashboard(uid="x" * 41, title="B"),
                    "c.json": dashboard(uid="ok_uid-1", title="C"), "d.json": dashboard(uid=None, title="D") .replace(
                        '"title": "D"', '"uid": 42, "title": "D"')})
    msgs = sorted(f.message for f in found(r, "DB003"))
    assert len(msgs) == 3
    assert any("longer than 40" in m for m in msgs)
    assert any("characters other than" in m for m in msgs)
    assert any("must be a string" in m for m in msgs)


def test_db003_policy_uid_pattern(lint_files):
    r = lint_files({"a.json": dashboard(uid="team-api"), "b.json": dashboard(uid="api", title="B")},
                   config={"dashboards": {"uid-pattern": "^team-"}})
    [f] = found(r, "DB003")
    assert f.file.endswith("b.json") and "uid-pattern" in f.message


def test_db004_duplicate_uid_reports_both_places(lint_files):
    r = lint_files({"a.json": dashboard(uid="api", title="A"), "sub/b.json": dashboard(uid="api", title="B"),
                    "c.json": dashboard(uid="other", title="C")})
    fs = found(r, "DB004")
    assert sorted(f.file for f in fs) == ["a.json", "sub/b.json"]
    a = next(f for f in fs if f.file == "a.json")
    uid_line = dashboard(uid="api", title="B").splitlines().index('  "uid": "api"') + 1
    assert f"sub/b.json:{uid_line}" in a.message and a.line == uid_line


def test_db004_copies_in_sibling_directories_do_not_clash(lint_files):
    # a mixin's source next to its compiled output, a chart's copy next to the examples: no one
    # file provider reads both trees, so Grafana never sees the two uids together
    r = lint_files({"mixin/dashboards/a.json": dashboard(uid="api", title="A"),
                    "mixin/dashboards_out/a.json": dashboard(uid="api", title="A"),
                    "chart/files/b.json": dashboard(uid="b", title="B"),
                    "examples/b.json": dashboard(uid="b", title="B"),
                    "examples/old/b.json": dashboard(uid="b", title="B old")})
    fs = found(r, "DB004")
    assert sorted(f.file for f in fs) == ["examples/b.json", "examples/old/b.json"]  # one tree: a clash
    assert all("chart/files" not in f.message for f in fs)


def test_db004_configmap_dashboards_count(lint_files):
    cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dash\ndata:\n"
          "  api.json: |\n    " + dashboard(uid="api", title="Other").replace("\n", "\n    ") + "\n")
    r = lint_files({"a.json": dashboard(uid="api"), "cm.yaml": cm})
    assert len(found(r, "DB004")) == 2


def test_db004_an_identical_copy_is_the_same_dashboard(lint_files):
    # kubecost: a rendered manifest's ConfigMap embeds the chart's dashboard file unchanged
    cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dash\ndata:\n"
          "  api.json: |\n    " + dashboard(uid="api").replace("\n", "\n    ") + "\n")
    r = lint_files({"chart/dashboards/api.json": dashboard(uid="api"), "rendered.yaml": cm})
    assert not found(r, "DB004")


def test_db005_duplicate_title_same_folder_only(lint_files):
    r = lint_files({"x/a.json": dashboard(uid="a", title="API"), "x/b.json": dashboard(uid="b", title="API"),
                    "y/c.json": dashboard(uid="c", title="API")})
    fs = found(r, "DB005")
    assert sorted(f.file for f in fs) == ["x/a.json", "x/b.json"]
    assert all("same folder" in f.message for f in fs)
    # Grafana 11.3 dropped the unique-title rule: the newest Grafana (no version) gets a warning.
    assert all(f.severity.name == "WARNING" for f in fs)


@pytest.mark.parametrize("version,severity", [("10.4", "ERROR"), ("11.2", "ERROR"), ("9", "ERROR"),
                                              ("11.3", "WARNING"), ("11", "WARNING"), ("11.x", "WARNING"),
                                              ("12.x", "WARNING")])
def test_db005_is_an_error_only_for_a_grafana_that_refuses_it(lint_files, version, severity):
    r = lint_files({"x/a.json": dashboard(uid="a", title="API"), "x/b.json": dashboard(uid="b", title="API")},
                   config={"grafana": {"version": version}})
    assert [f.severity.name for f in found(r, "DB005")] == [severity, severity]


def test_db006_duplicate_panel_ids_including_nested_rows(lint_files):
    row = {"id": 10, "type": "row", "title": "Row", "collapsed": True, "gridPos": {"x": 0, "y": 8, "w": 24, "h": 1},
           "panels": [panel(1, "Nested", "up", y=9)]}
    r = lint_files({"d.json": dashboard(panels=[panel(1, "A", "up"), panel(2, "B", "up", x=12), row])})
    [f] = found(r, "DB006")
    assert "panel id 1 (`Nested`)" in f.message and "`A`" in f.message


def test_db007_overlap(lint_files):
    r = lint_files({"d.json": dashboard(panels=[panel(1, "A", "up", x=0, y=0, w=12, h=8),
                                                 panel(2, "B", "up", x=6, y=4, w=12, h=8)])})
    [f] = found(r, "DB007")
    assert "`B` at x=6 y=4 w=12 h=8 overlaps panel `A`" in f.message


def test_db007_touching_panels_do_not_overlap(lint_files):
    r = lint_files({"d.json": dashboard(panels=[panel(1, "A", "up", x=0, y=0, w=12, h=8),
                                                 panel(2, "B", "up", x=12, y=0, w=12, h=8),
                                                 panel(3, "C", "up", x=0, y=8, w=24, h=8)])})
    assert not found(r, "DB007")


def test_db007_collapsed_row_children_compared_among_themselves(lint_files):
    # Children of a collapsed row keep their expanded positions, which may coincide with panels
    # below the row: that is not an overlap.
    row = {"id": 10, "type": "row", "title": "Row", "collapsed": True, "gridPos": {"x": 0, "y": 8, "w": 24, "h": 1},
           "panels": [panel(11, "Hidden", "up", x=0, y=9, w=24, h=8)]}
    r = lint_files({"d.json": dashboard(panels=[panel(1, "A", "up", w=24), row,
                                                 panel(2, "Below", "up", x=0, y=9, w=24, h=8)])})
    assert not found(r, "DB007")


def test_db007_legacy_rows_have_no_grid(lint_files):
    legacy = {"uid": "old", "title": "Old", "schemaVersion": 14,
              "rows": [{"panels": [{"id": 1, "type": "graph", "span": 6}, {"id": 2, "type": "graph", "span": 6}]}]}
    assert not found(lint_files({"d.json": json.dumps(legacy)}), "DB007")


def test_db007_rows_at_one_place_stack_in_order(lint_files):
    row = {"type": "row", "title": "R", "collapsed": True, "panels": [], "gridPos": {"x": 0, "y": 0, "w": 24, "h": 7}}
    p = {"type": "timeseries", "title": "P", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}}
    d = {"uid": "t", "title": "T", "schemaVersion": 39,
         "panels": [dict(row, id=1), dict(row, id=2, title="S"), dict(p, id=3)]}
    r = lint_files({"d.json": json.dumps(d, indent=2)})
    assert [f.message for f in found(r, "DB007")] == [
        "panel `P` at x=0 y=0 w=12 h=8 overlaps panel `S` at x=0 y=0 w=24 h=7"]


def test_db005_identical_copies_are_one_dashboard(lint_files):
    # envoy gateway: two golden renders of one chart hold the same dashboard
    r = lint_files({"x/a.json": dashboard(uid="a", title="API"), "x/b.json": dashboard(uid="a", title="API"),
                    "x/c.json": dashboard(uid="c", title="API")})
    assert sorted(f.file for f in found(r, "DB005")) == ["x/a.json", "x/b.json", "x/c.json"]
    assert "x/b.json" not in next(f for f in found(r, "DB005") if f.file == "x/a.json").message
    r = lint_files({"y/a.json": dashboard(uid="a", title="API"), "y/b.json": dashboard(uid="a", title="API")})
    assert not [f for f in found(r, "DB005") if f.file.startswith("y/")]


def test_targets_left_on_a_text_panel_are_never_run(lint_files):
    # snmp-mixin: text panels keep the target of the graph they were (`{{$device_model}}`)
    text = {"id": 1, "type": "text", "title": "Model", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 4},
            "options": {"content": "model"}, "targets": [{"refId": "A", "expr": "{{$device_model}}"}]}
    graph = dict(text, id=2, type="timeseries", title="Up", gridPos={"x": 12, "y": 0, "w": 12, "h": 4})
    body = json.dumps({"uid": "s", "title": "S", "schemaVersion": 39, "panels": [text, graph]}, indent=2)
    expr_lines = [i for i, ln in enumerate(body.splitlines(), 1) if '"expr"' in ln]
    r = lint_files({"d.json": body})
    assert [f.line for f in found(r, "PQ001")] == expr_lines[1:]  # the graph's only


def test_a_panel_type_that_is_not_a_string_never_breaks_the_model(lint_files):
    # found by the fuzz test: `"type": ["text"]` reached a set lookup
    p = {"id": 1, "type": ["text"], "title": "P", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
         "targets": [{"refId": "A", "expr": "sum(rate(x_total[5m]))"}]}
    r = lint_files({"d.json": json.dumps({"uid": "t", "title": "T", "schemaVersion": 39, "panels": [p]})})
    assert not found(r, "IN011")
    assert found(r, "DB001")  # the type Grafana cannot render
