"""A query's language comes from its datasource (obslint.datasources and Project.finish)."""
from __future__ import annotations

import json

import pytest

from obslint.datasources import LOGQL, METRICSQL, OTHER, PROMETHEUS, PROMQL, DatasourceIndex, dashboard_variables


@pytest.mark.parametrize("ref, language, dialect", [
    (None, PROMQL, PROMETHEUS),  # Grafana's default: Prometheus
    ({"type": "prometheus", "uid": "abc"}, PROMQL, PROMETHEUS),
    ({"type": "loki", "uid": "abc"}, LOGQL, None),
    ({"type": "victoriametrics-metrics-datasource", "uid": "vm"}, PROMQL, METRICSQL),
    ({"type": "victoriametrics-logs-datasource", "uid": "vl"}, OTHER, None),
    ({"type": "grafana-postgresql-datasource", "uid": "pg"}, OTHER, None),
    ({"type": "datasource", "uid": "grafana"}, OTHER, None),  # -- Grafana --
    ({"type": "datasource", "uid": "-- Dashboard --"}, OTHER, None),
    ("-- Grafana --", OTHER, None),
    ("Loki", LOGQL, None),  # old dashboards name their datasource
    ("Prometheus EU", PROMQL, PROMETHEUS),
    ("InfluxDB", OTHER, None),
    ("default", PROMQL, PROMETHEUS),
])
def test_reference_forms(ref, language, dialect):
    res = DatasourceIndex().resolve(ref)
    assert (res.language, res.dialect) == (language, dialect)


def test_variables_and_inputs_resolve_to_their_plugin_type():
    dash = {"__inputs": [{"name": "DS_LOKI", "type": "datasource", "pluginId": "loki"}],
            "templating": {"list": [{"name": "ds", "type": "datasource", "query": "prometheus"},
                                    {"name": "logs", "type": "datasource", "query": "loki"}]}}
    variables = dashboard_variables(dash)
    index = DatasourceIndex()
    assert index.resolve({"uid": "${logs}"}, variables).language == LOGQL
    assert index.resolve("$ds", variables).language == PROMQL
    assert index.resolve("${DS_LOKI}", variables).language == LOGQL
    assert index.resolve({"uid": "${ds:raw}"}, variables).via == "variable"


def test_provisioned_and_policy_datasources():
    index = DatasourceIndex({"promql": {"dialect": "prometheus"},
                             "datasources": [{"uid": "vm", "type": "prometheus", "dialect": "metricsql"}]})
    index.add_provisioned({"apiVersion": 1, "datasources": [
        {"name": "Logs", "uid": "l1", "type": "loki"},
        {"name": "Metrics", "uid": "vm", "type": "prometheus", "isDefault": True}]}, "ds.yaml")
    assert index.resolve({"uid": "l1"}).language == LOGQL
    assert index.resolve("Logs").language == LOGQL  # by name (schemaVersion < 33)
    res = index.resolve({"uid": "vm"})
    assert (res.language, res.dialect, res.known) == (PROMQL, METRICSQL, True)  # the policy's entry wins
    assert index.find(uid="l1").origin == "ds.yaml"
    assert index.default.uid == "vm"
    assert index.resolve(None).dialect == METRICSQL  # the provisioned default, as the policy describes it
    assert index.find(uid="nope") is None


def test_policy_default_datasource_decides_for_panels_without_one():
    index = DatasourceIndex({"datasources": [{"name": "Loki", "type": "loki", "default": True}]})
    assert index.resolve(None).language == LOGQL


def test_dashboard_queries_are_placed_by_language(lint_files):
    dash = {"uid": "mixed", "title": "Mixed", "schemaVersion": 39, "panels": [
        {"id": 1, "type": "timeseries", "title": "p", "datasource": {"type": "datasource", "uid": "-- Mixed --"},
         "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
         "targets": [{"refId": "A", "datasource": {"type": "loki", "uid": "l"}, "expr": "sum(rate({app=\"x\"} |= \"err\" [5m]))"},
                     {"refId": "B", "datasource": {"type": "prometheus", "uid": "p"}, "expr": "sum(rate(x_total[5m]))"},
                     {"refId": "C", "datasource": {"type": "grafana-postgresql-datasource", "uid": "pg"},
                      "rawSql": "SELECT 1"}]}]}
    result = lint_files({"d.json": json.dumps(dash)})
    project = result.project
    assert [q.language for q in project.queries] == [PROMQL]
    assert sorted(q.language for q in project.other_queries) == [LOGQL, OTHER]
    panel = project.panels[0]
    assert [q.expr for q in panel.queries] == ["sum(rate(x_total[5m]))"]
    assert {q.datasource.type for q in panel.other_queries} == {"loki", "grafana-postgresql-datasource"}


def test_provisioned_datasource_read_after_the_dashboard_still_counts(lint_files):
    dash = {"uid": "d", "title": "D", "schemaVersion": 39, "panels": [
        {"id": 1, "type": "logs", "title": "p", "datasource": {"uid": "my-logs"},
         "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}, "targets": [{"refId": "A", "expr": "{app=\"x\"}"}]}]}
    ds = "apiVersion: 1\ndatasources:\n  - name: Logs\n    uid: my-logs\n    type: loki\n"
    result = lint_files({"a/d.json": json.dumps(dash), "z/datasources.yaml": ds})
    assert [q.language for q in result.project.other_queries] == [LOGQL]
    assert result.project.queries == []


def test_verbose_run_counts_queries_per_language_and_datasource_type(tmp_path, cli):
    dash = {"uid": "d", "title": "D", "schemaVersion": 39, "panels": [
        {"id": 1, "type": "table", "title": "p", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
         "datasource": {"type": "grafana-postgresql-datasource", "uid": "pg"},
         "targets": [{"refId": "A", "rawSql": "SELECT 1"}, {"refId": "B", "rawSql": "SELECT 2"}]},
        {"id": 2, "type": "logs", "title": "l", "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8},
         "datasource": {"type": "loki", "uid": "loki"}, "targets": [{"refId": "A", "expr": "{app=\"x\"}"}]}]}
    (tmp_path / "d.json").write_text(json.dumps(dash))
    (tmp_path / "r.yaml").write_text("groups:\n  - name: g\n    type: graphite\n    concurrency: 2\n    rules:\n"
                                     "      - record: a:b\n        expr: sumSeries(a.*)\n")
    res = cli(str(tmp_path), "-v", "--no-config")
    assert "queries: 0 PromQL/MetricsQL, 1 LogQL checked" in res.err
    assert "2 grafana-postgresql-datasource, 1 rules of type graphite" in res.err
    assert res.code == 0, res.out


def test_grafana_alert_on_a_provisioned_loki_datasource_is_checked_as_logql(lint_files, tmp_path):
    from tests.checks.helpers import found, grafana_file, grafana_rule

    good = grafana_rule("LogErrors", 'sum(count_over_time({app="api"} |= "error" [5m]))')
    bad = grafana_rule("LogBroken", 'sum(count_over_time({app="api"} |= error [5m]))')
    for rule in (good, bad):
        rule["data"][0]["datasourceUid"] = "logs"
    files = {"alerting.yaml": grafana_file(good, bad),
             "datasources.yaml": "apiVersion: 1\ndatasources:\n  - name: Logs\n    uid: logs\n    type: loki\n"}
    r = lint_files(files)
    assert not found(r, "PQ001")
    (f,) = found(r, "LQ001")
    assert "unexpected `error`" in f.message and f.node[:4] == ("groups", 0, "rules", 1)
    # without the provisioning file the uid is unknown: the LogQL pipeline still says Loki
    (tmp_path / "datasources.yaml").unlink()
    r = lint_files({"alerting.yaml": grafana_file(good, bad)})
    assert r.project.datasources.find(uid="logs") is None
    assert not found(r, "PQ001") and len(found(r, "LQ001")) == 1


def test_same_query_on_two_dialects_in_one_file_is_checked_for_each(lint_files):
    """The engine skips a repeated clean query; a query clean as MetricsQL must still be
    checked again where the same text runs on a plain Prometheus datasource."""
    expr = "topk_max(3, rate(x_total[5m]))"

    def panel(pid, ds_type, x):
        return {"id": pid, "type": "timeseries", "title": f"p{pid}", "gridPos": {"x": x, "y": 0, "w": 12, "h": 8},
                "datasource": {"type": ds_type, "uid": ds_type[:8]}, "targets": [{"refId": "A", "expr": expr}]}

    dash = {"uid": "two", "title": "Two", "schemaVersion": 39,
            "panels": [panel(1, "victoriametrics-metrics-datasource", 0), panel(2, "prometheus", 12)]}
    result = lint_files({"d.json": json.dumps(dash)})
    flagged = [f for f in result.findings if f.code in ("PQ001", "PQ002")]
    assert len(flagged) == 1 and "topk_max" in flagged[0].message, result.findings


def test_resolutions_shared_across_panels_equal_resolving_each(monkeypatch):
    """Project.finish resolves each distinct (reference, variables) once: the languages,
    dialects and resolutions of every corpus query are those of resolving each on its own."""
    from pathlib import Path

    from obslint import model
    from obslint.config import Config
    from obslint.engine import load_project
    from tests.conftest import CORPUS

    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    roots = [p for p in (CORPUS / "logs-datasource-dashboards", CORPUS / "metricsql", CORPUS / "dotdc-grafana-dashboards-kubernetes") if p.is_dir()]
    roots = roots or [CORPUS]

    def seen(project):
        return [(q.doc.source.display, q.path, q.language, q.dialect,
                 repr(q.datasource) if q.datasource is not None else None)
                for q in project.queries + project.other_queries]

    shared = seen(load_project([Path(p) for p in roots], Config())[0])
    monkeypatch.setattr(model, "_ref_key", lambda ref, variables: None)
    single = seen(load_project([Path(p) for p in roots], Config())[0])
    assert len(shared) > 100 and shared == single
