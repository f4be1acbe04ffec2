"""DS001/DS002: datasource references checked against the datasources the run knows."""
from __future__ import annotations

import json

from tests.resources.helpers import classic, line_of, operator_dashboard, pretty, v2_dashboard

PV = """\
apiVersion: 1
datasources:
  - {name: Prometheus, type: prometheus, uid: prom, access: proxy, url: "http://prometheus:9090"}
  - {name: Loki, type: loki, uid: loki, access: proxy, url: "http://loki:3100"}
"""


def _found(result, code):
    return [(f.file, f.line, f.severity.name) for f in result.findings if f.code == code]


def test_unknown_uid_in_a_v2_resource_is_found_at_its_line(lint_files):
    text = pretty(v2_dashboard(ds_uid="prom-old"))
    result = lint_files({"ds.yaml": PV, "dash.json": text})
    assert _found(result, "DS001") == [("dash.json", line_of(text, '"name": "prom-old"'), "ERROR")]
    assert "datasource not found" in next(f.message for f in result.findings if f.code == "DS001")


def test_known_references_are_quiet(lint_files):
    result = lint_files({"ds.yaml": PV, "v2.json": pretty(v2_dashboard(ds_uid="prom")),
                         "c.json": pretty(classic(ds={"type": "prometheus", "uid": "prom"})),
                         "byname.json": pretty(classic(uid="n", title="N", ds="Prometheus"))})
    assert _found(result, "DS001") == [] and _found(result, "DS002") == []


def test_without_known_datasources_nothing_is_said(lint_files):
    result = lint_files({"dash.json": pretty(v2_dashboard(ds_uid="anything"))})
    assert _found(result, "DS001") == []


def test_policy_datasources_are_known(lint_files):
    policy = {"datasources": [{"uid": "prom", "type": "prometheus"}]}
    result = lint_files({"a.json": pretty(classic(ds={"type": "prometheus", "uid": "nope"}))}, config=policy)
    assert [f for f, _, _ in _found(result, "DS001")] == ["a.json"]


def test_loki_typed_reference_on_a_prometheus_uid_is_a_mismatch(lint_files):
    text = pretty(classic(ds={"type": "loki", "uid": "prom"}, expr="up"))
    result = lint_files({"ds.yaml": PV, "a.json": text})
    assert _found(result, "DS002") == [("a.json", line_of(text, '"type": "loki"'), "ERROR")]


def test_logql_query_on_a_prometheus_uid_is_a_mismatch(lint_files):
    text = pretty(classic(ds="prom", expr='{app="api"} |= "error"'))
    result = lint_files({"ds.yaml": PV, "a.json": text})
    assert [ln for _, ln, _ in _found(result, "DS002")] == [line_of(text, '"datasource": "prom"')]


def test_datasource_variable_with_no_datasource_of_its_type(lint_files):
    dash = classic(ds={"type": "prometheus", "uid": "${ds}"})
    dash["templating"] = {"list": [{"name": "ds", "type": "datasource", "query": "influxdb"}]}
    text = pretty(dash)
    result = lint_files({"ds.yaml": PV, "a.json": text})
    assert [ln for _, ln, _ in _found(result, "DS001")] == [line_of(text, '"uid": "${ds}"')]
    dash["templating"]["list"][0]["query"] = "prometheus"
    result = lint_files({"ds.yaml": PV, "a.json": pretty(dash)})
    assert _found(result, "DS001") == []


def test_grafana_alert_needs_the_uid_not_the_name(lint_files):
    rules = """\
apiVersion: 1
groups:
  - orgId: 1
    name: api
    folder: API
    interval: 1m
    rules:
      - uid: api-down
        title: ApiDown
        condition: A
        data:
          - refId: A
            datasourceUid: Prometheus
            relativeTimeRange: {from: 600, to: 0}
            model: {expr: 'up == 0'}
"""
    result = lint_files({"ds.yaml": PV, "alerts.yaml": rules})
    found = [f for f in result.findings if f.code == "DS001"]
    assert [(f.line, f.severity.name) for f in found] == [(line_of(rules, "datasourceUid"), "ERROR")]
    assert "uid `prom`" in found[0].fix


def test_grafana_datasource_resources_serve_their_directory(lint_files):
    cr = """\
apiVersion: grafana.integreatly.org/v1beta1
kind: GrafanaDatasource
metadata: {name: prom}
spec:
  instanceSelector: {matchLabels: {dashboards: grafana}}
  datasource: {name: prom, uid: prom, type: prometheus, access: proxy, url: "http://prometheus:9090"}
"""
    bad = pretty(classic(ds={"type": "prometheus", "uid": "other"}))
    result = lint_files({"a/ds.yaml": cr, "a/dash.json": bad, "b/dash.json": bad})
    assert [f for f, _, _ in _found(result, "DS001")] == ["a/dash.json"]


def test_provisioned_datasources_serve_the_dashboards_of_their_provisioning_tree(lint_files):
    # an example's Grafana (`example/compose/provisioning/datasources/`, or a datasources file
    # beside its compose file) knows nothing of a mixin's dashboards elsewhere in the repository
    bad = pretty(classic(ds={"type": "prometheus", "uid": "other"}))
    result = lint_files({"example/compose/provisioning/datasources/prom/ds.yaml": PV,
                         "example/compose/provisioning/dashboards/demo/dash.json": bad,
                         "example/single/grafana-datasources.yaml": PV, "example/shared/dash.json": bad,
                         "mixin/dashboards/dash.json": bad, "dashboards/dash.json": bad})
    assert sorted(f for f, _, _ in _found(result, "DS001")) == [
        "example/compose/provisioning/dashboards/demo/dash.json", "example/shared/dash.json"]


def test_the_uid_grafana_generates_for_a_datasource_without_one_is_known(lint_files):
    # Grafana provisions a datasource without `uid` under "P" + the first 8 bytes of the
    # SHA-256 of its name: "Prometheus" is PBFA97CFB590B2093, "Loki" P8E80F9AEF21F6940
    pv = "apiVersion: 1\ndatasources:\n  - {name: Prometheus, type: prometheus}\n  - {name: Loki, type: loki}\n"
    result = lint_files({"ds.yaml": pv,
                         "a.json": pretty(classic(uid="a", title="A", ds={"type": "prometheus", "uid": "PBFA97CFB590B2093"})),
                         "b.json": pretty(classic(uid="b", title="B", ds={"type": "prometheus", "uid": "P8E80F9AEF21F6940"})),
                         "c.json": pretty(classic(uid="c", title="C", ds={"type": "prometheus", "uid": "P0000000000000000"}))})
    assert [(f, sev) for f, _, sev in _found(result, "DS001")] == [("c.json", "WARNING")]
    assert [f for f, _, _ in _found(result, "DS002")] == ["b.json"]  # a prometheus reference on Loki's uid


def test_operator_input_mapping_must_name_a_known_datasource(lint_files):
    dash = classic(ds={"type": "prometheus", "uid": "${DS_PROM}"})
    dash["__inputs"] = [{"name": "DS_PROM", "type": "datasource", "pluginId": "prometheus"}]
    body = "  datasources:\n    - inputName: DS_PROM\n      datasourceName: missing\n  json: >\n" + "".join(
        "    " + line + "\n" for line in json.dumps(dash, indent=2).splitlines())
    text = operator_dashboard("x", body)
    result = lint_files({"ds.yaml": PV, "dash.yaml": text})
    assert [ln for _, ln, _ in _found(result, "DS001")] == [line_of(text, "datasourceName: missing")]


def test_operator_input_mapped_to_a_shell_placeholder_is_left_alone(lint_files):
    # Altinity clickhouse-operator: install scripts run envsubst on the resources first
    dash = classic(ds={"type": "prometheus", "uid": "${DS_PROM}"})
    dash["__inputs"] = [{"name": "DS_PROM", "type": "datasource", "pluginId": "prometheus"}]
    model = "  json: >\n" + "".join("    " + line + "\n" for line in json.dumps(dash, indent=2).splitlines())
    files = {"ds.yaml": PV}
    for i, name in enumerate(("$PROM_DS_NAME", "${PROM_DS_NAME}", "prom-$ENV")):
        files[f"d{i}.yaml"] = operator_dashboard(
            f"x{i}", f"  datasources:\n    - inputName: DS_PROM\n      datasourceName: \"{name}\"\n" + model)
    assert not _found(lint_files(files), "DS001")
