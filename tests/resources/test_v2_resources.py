"""Grafana 12 dashboard resources: v0/v1 carry the classic model, v2 is checked through a
view whose findings point into the resource."""
from __future__ import annotations

import json

from tests.resources.helpers import classic, line_of, pretty, v2_dashboard


def _at(result, code):
    return [(f.file, f.line, f.col, f.severity.name) for f in result.findings if f.code == code]


def test_bad_promql_in_v2_query_is_found_at_its_line(lint_files):
    text = pretty(v2_dashboard(expr="sum(rate(http_requests_total[5m])"))
    result = lint_files({"dash.json": text})
    found = [f for f in result.findings if f.code == "PQ001"]
    assert len(found) == 1
    assert found[0].line == line_of(text, '"expr"')
    assert found[0].col > 1


def test_v2_query_without_defects_gives_no_query_findings(lint_files):
    result = lint_files({"dash.json": pretty(v2_dashboard())})
    assert [f.code for f in result.findings if f.code.startswith("PQ") or f.code.startswith("RS")] == []
    assert len(result.project.queries) == 1
    assert result.project.queries[0].expr == "sum(rate(http_requests_total[5m]))"


def test_v2_sql_query_is_not_taken_for_promql(lint_files):
    dash = v2_dashboard(ds_type="grafana-postgresql-datasource", expr="SELECT 1 FROM t WHERE $__timeFilter(time)")
    result = lint_files({"dash.json": pretty(dash)})
    assert result.project.queries == []
    assert "PQ001" not in [f.code for f in result.findings]


def test_duplicate_uid_across_classic_file_and_v2_resource(lint_files):
    v2 = pretty(v2_dashboard(name="api", title="API v2"))
    # one tree (a provider or `grafanactl push` of `a/` reads both); sibling trees do not clash (DB004)
    result = lint_files({"a/classic.json": pretty(classic(uid="api", title="API")), "a/b/v2.json": v2})
    dup = sorted(_at(result, "DB004"))
    assert len(dup) == 2
    assert ("a/b/v2.json", line_of(v2, '"name": "api"'), dup[0][2], "ERROR") == dup[0]
    assert dup[1][:2] == ("a/classic.json", 2)


def test_v0_resource_gets_classic_checks_inside_spec(lint_files):
    res = {"apiVersion": "dashboard.grafana.app/v1beta1", "kind": "Dashboard", "metadata": {"name": "api"},
           "spec": classic(uid="", title="API", expr="rate(x[5m]")}
    del res["spec"]["uid"]
    text = pretty(res)
    result = lint_files({"dash.json": text})
    assert "DB002" not in [f.code for f in result.findings]  # metadata.name is the uid
    pq = [f for f in result.findings if f.code == "PQ001"]
    assert [f.line for f in pq] == [line_of(text, '"expr"')]
    assert result.project.dashboards[0].uid == "api"


def test_v1_resource_uid_is_checked_where_it_is_written(lint_files):
    res = {"apiVersion": "dashboard.grafana.app/v0alpha1", "kind": "Dashboard",
           "metadata": {"name": "not a valid uid!"}, "spec": classic(uid="", title="API")}
    del res["spec"]["uid"]
    text = pretty(res)
    result = lint_files({"dash.json": text})
    assert [(f.line, f.severity.name) for f in result.findings if f.code == "DB003"] == \
        [(line_of(text, "not a valid uid"), "ERROR")]


def test_v2_schema_wrong_kind_is_an_error_and_missing_key_a_warning(lint_files):
    dash = v2_dashboard()
    el = dash["spec"]["elements"]["panel-1"]["spec"]
    el["data"]["spec"]["transformations"] = [{"kind": "ConvertFieldType", "spec": {}}]
    del el["links"]
    text = pretty(dash)
    result = lint_files({"dash.json": text})
    rs = sorted((f.line, f.severity.name) for f in result.findings if f.code == "RS001")
    assert (line_of(text, '"kind": "ConvertFieldType"'), "ERROR") in rs
    assert any(sev == "WARNING" for _, sev in rs)
    assert all("schema" in f.message for f in result.findings if f.code == "RS001")


def test_valid_v2_resource_passes_the_v2_schema(lint_files):
    result = lint_files({"dash.yaml": json.dumps(v2_dashboard())})
    assert "RS001" not in [f.code for f in result.findings]


def test_v2_grid_overlap_points_at_the_layout_item(lint_files):
    extra = {"panel-2": json.loads(json.dumps(v2_dashboard()["spec"]["elements"]["panel-1"]))}
    extra["panel-2"]["spec"]["id"] = 2
    dash = v2_dashboard(extra_elements=extra)
    dash["spec"]["layout"]["spec"]["items"][1]["spec"]["y"] = 4
    text = pretty(dash)
    result = lint_files({"dash.json": text})
    overlap = [f for f in result.findings if f.code == "DB007"]
    assert len(overlap) == 1
    assert overlap[0].line == line_of(text, '"y": 4') - 2  # the item's "spec": {


def test_v2_rows_layout_places_panels_in_rows(lint_files):
    dash = v2_dashboard()
    grid = dash["spec"]["layout"]
    dash["spec"]["layout"] = {"kind": "RowsLayout", "spec": {"rows": [
        {"kind": "RowsLayoutRow", "spec": {"title": "Row", "collapse": False, "layout": grid}}]}}
    result = lint_files({"dash.json": pretty(dash)})
    dashboard = result.project.dashboards[0]
    assert [p.type for p in dashboard.panels] == ["row", "timeseries"]
    assert len(result.project.queries) == 1


def test_folder_resource_titles_group_dashboards_for_db005(lint_files):
    folder = {"apiVersion": "folder.grafana.app/v1beta1", "kind": "Folder", "metadata": {"name": "team-a"},
              "spec": {"title": "Team A"}}
    a = v2_dashboard(name="one", title="Same")
    b = v2_dashboard(name="two", title="Same")
    c = v2_dashboard(name="three", title="Same")
    for d in (a, b):
        d["metadata"]["annotations"] = {"grafana.app/folder": "team-a"}
    c["metadata"]["annotations"] = {"grafana.app/folder": "team-b"}
    result = lint_files({"x/a.json": pretty(a), "y/b.json": pretty(b), "x/c.json": pretty(c),
                         "folder.json": pretty(folder)})
    db005 = sorted(f.file for f in result.findings if f.code == "DB005")
    assert db005 == ["x/a.json", "y/b.json"]


def test_perses_dashboard_is_skipped_with_a_reason(cli, tmp_path):
    perses = {"kind": "Dashboard", "metadata": {"name": "x", "project": "p"},
              "spec": {"display": {"name": "x"}, "panels": {}, "layouts": [], "duration": "1h"}}
    (tmp_path / "perses.json").write_text(json.dumps(perses))
    res = cli("-v", str(tmp_path / "perses.json"))
    assert res.code == 0
    assert "Perses" in res.err and "perses.json" in res.err


def test_resource_name_with_dots_is_a_warning_not_an_error(lint_files):
    # Grafana's resource API takes letters, digits, -, _, :, . (its own conversion test data
    # names dashboards like this); only the classic uid rule refuses the dot.
    text = pretty(v2_dashboard(name="team.api-overview"))
    result = lint_files({"dash.json": text})
    assert [(f.line, f.severity.name) for f in result.findings if f.code == "DB003"] == \
        [(line_of(text, "team.api-overview"), "WARNING")]


def test_v2_resource_in_yaml_reports_at_the_yaml_line(lint_files):
    import yaml

    text = yaml.safe_dump(v2_dashboard(expr="rate(x[5m]"), sort_keys=False)
    result = lint_files({"dash.yaml": text})
    assert [f.line for f in result.findings if f.code == "PQ001"] == [line_of(text, "expr:")]


def test_malformed_resources_never_crash(lint_files):
    """Every subtree of a v2 dashboard and of an operator CR replaced by values of the wrong
    type, one at a time: findings, never an internal error."""
    import copy
    import random

    rng = random.Random(18)
    base = v2_dashboard()
    paths = []

    def walk(node, path):
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, path + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + (i,))

    walk(base, ())
    files = {}
    for n, path in enumerate(rng.sample(paths, min(60, len(paths)))):
        broken = copy.deepcopy(base)
        node = broken
        for step in path[:-1]:
            node = node[step]
        if path:
            node[path[-1]] = rng.choice([None, 7, "x", [], {}, [1, "a"], {"kind": "Panel"}])
        files[f"d{n}.json"] = pretty(broken)
        if isinstance(broken.get("spec"), dict):  # the same damage to a bare spec, in both v2 shapes
            files[f"bare{n}.json"] = pretty(broken["spec"])
            alpha = copy.deepcopy(broken)
            alpha["apiVersion"] = "dashboard.grafana.app/v2alpha1"
            files[f"alpha{n}.json"] = pretty(alpha)
    result = lint_files(files)
    assert [f for f in result.findings if f.code in ("IN011", "IN010")] == []


def _v2alpha1(expr: str, ds_type: str = "prometheus", query_key: str = "expr") -> dict:
    """A v2alpha1 dashboard in the shape Grafana's own v2beta1 -> v2alpha1 conversion writes:
    the plugin id and the datasource type in `kind`, a classic `{type, uid}` beside the query."""
    query = {"kind": "PanelQuery", "spec": {"refId": "A", "hidden": False,
                                            "query": {"kind": ds_type, "spec": {query_key: expr}},
                                            "datasource": {"type": ds_type, "uid": "ds-1"}}}
    panel = {"kind": "Panel", "spec": {"id": 1, "title": "Requests", "description": "", "links": [],
                                       "data": {"kind": "QueryGroup", "spec": {"queries": [query], "transformations": [],
                                                                               "queryOptions": {}}},
                                       "vizConfig": {"kind": "timeseries", "spec": {"pluginVersion": "", "options": {},
                                                                                    "fieldConfig": {"defaults": {},
                                                                                                    "overrides": []}}}}}
    spec = v2_dashboard()["spec"]
    spec["elements"] = {"panel-1": panel}
    return {"apiVersion": "dashboard.grafana.app/v2alpha1", "kind": "Dashboard", "metadata": {"name": "api"},
            "spec": spec}


def test_v2alpha1_is_read_in_its_own_shape_not_held_to_the_v2beta1_schema(lint_files):
    text = pretty(_v2alpha1("sum(rate(http_requests_total[5m]))"))
    result = lint_files({"dash.json": text})
    assert [f for f in result.findings if f.severity.name == "ERROR"] == []
    assert "RS001" not in [f.code for f in result.findings]
    panel = result.project.dashboards[0].panels[0]
    assert panel.type == "timeseries"
    (query,) = result.project.queries
    assert (query.language, query.datasource.uid if query.datasource else None) == ("promql", "ds-1")


def test_v2alpha1_bad_promql_and_logql_are_found_in_their_languages(lint_files):
    prom = pretty(_v2alpha1("sum(rate(http_requests_total[5m])"))
    loki = pretty(_v2alpha1('sum(rate({app="api"} |= "x" [5m]))', ds_type="loki"))
    result = lint_files({"prom.json": prom, "loki.json": loki.replace('"name": "api"', '"name": "logs"')})
    assert [(f.file, f.line) for f in result.findings if f.code == "PQ001"] == [("prom.json", line_of(prom, '"expr"'))]
    assert [q.language for q in result.project.other_queries if q.doc.source.display == "loki.json"] == ["logql"]


def test_dashboard_with_access_info_is_linted_as_the_dashboard_it_holds(lint_files):
    res = v2_dashboard(expr="rate(x[5m]")
    res["kind"] = "DashboardWithAccessInfo"
    res["access"] = {"canSave": True}
    text = pretty(res)
    result = lint_files({"dash.json": text})
    assert result.skipped == []
    assert [f.line for f in result.findings if f.code == "PQ001"] == [line_of(text, '"expr"')]


def test_bare_v2_spec_as_the_import_page_takes_it_is_linted(lint_files):
    spec = v2_dashboard(expr="rate(x[5m]")["spec"]
    spec["elements"]["panel-1"]["spec"]["data"]["spec"]["transformations"] = "none"
    text = pretty(spec)
    result = lint_files({"dash.json": text})
    assert result.skipped == []
    assert [f.line for f in result.findings if f.code == "PQ001"] == [line_of(text, '"expr"')]
    schema = [f for f in result.findings if f.code == "RS001"]
    assert [(f.line, f.severity.name) for f in schema] == [(line_of(text, '"transformations": "none"'), "ERROR")]
    assert "v2beta1 schema" in schema[0].message


def test_undefined_variable_fix_names_where_a_v2_resource_keeps_variables(lint_files):
    result = lint_files({"dash.json": pretty(v2_dashboard(expr='up{job="$job"}'))})
    (found,) = [f for f in result.findings if f.code == "DB040"]
    assert "under `spec.variables`" in found.fix


def test_v2_resource_without_a_spec_object_is_one_finding_not_a_crash(lint_files):
    """A v2 Dashboard whose spec is gone (an editing accident) or is not an object: Grafana
    refuses it; RS001 says so at the resource (it used to fail with KeyError: 'spec')."""
    whole = v2_dashboard()
    for spec, where in ((None, '"kind"'), (5, '"spec"')):
        res = dict(whole)
        if spec is None:
            res.pop("spec")
        else:
            res["spec"] = spec
        text = pretty(res)
        result = lint_files({"dash.json": text})
        codes = [f.code for f in result.findings]
        assert "IN011" not in codes, [f.message for f in result.findings]
        rs = [f for f in result.findings if f.code == "RS001"]
        assert len(rs) == 1 and rs[0].severity.name == "ERROR"
        assert ("missing" if spec is None else "not an object") in rs[0].message
    assert not [f for f in lint_files({"dash.json": pretty(whole)}).findings if f.code in ("RS001", "IN011")]
