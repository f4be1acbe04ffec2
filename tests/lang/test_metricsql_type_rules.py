"""Queries that only Prometheus' type rules refuse: MetricsQL runs them (a range vector in an
operator, `offset` after an expression, a range window on an expression, an aggregation of a
number). On a dashboard whose other queries use MetricsQL-only constructs (it is written for
VictoriaMetrics), or on a datasource that some query of the run uses MetricsQL-only constructs
on, and where the dialect is not configured, they are PQ002 like those; elsewhere they stay
Prometheus errors."""
from __future__ import annotations

import pytest

from tests.checks.helpers import alert, dashboard, found, panel, rules

RELAXED = [
    "bottomk(3, last_vacuum_timestamp{job=\"pg\"}[5m] * 1000)",
    "(sum(rate(a_total[5m])) - sum(rate(b_total[5m]))) offset 1d",
    "max_over_time((max by (set) (replica_state == 1))[10m])",
    "(x_info != 1 and avg by (job) (y)) or (avg by (job) (32) unless x_info == 1)",
]
VM_ONLY = "topk_max(5, rate(requests_total[5m]))"  # a MetricsQL function: the dashboard runs on VictoriaMetrics


@pytest.mark.parametrize("expr", RELAXED)
def test_on_a_dashboard_written_for_victoriametrics_they_are_warnings(lint_files, expr):
    r = lint_files({"d.json": dashboard(panels=[panel(1, "P", expr), panel(2, "Q", VM_ONLY, x=12)])})
    assert not found(r, "PQ001"), [f.message for f in r.findings]
    fs = found(r, "PQ002")
    assert len(fs) == 2 and all("is MetricsQL, which Prometheus refuses" in f.message for f in fs)


def _on(ds, p: dict) -> dict:
    """The panel and its targets on datasource `ds` (a name or a {"uid": ...} reference)."""
    for t in p.get("targets", []):
        t["datasource"] = ds
    return {**p, "datasource": ds}


# (this dashboard's datasource, the other dashboard's): another dashboard's MetricsQL says
# nothing about this one unless both query the same datasource
ELSEWHERE = [
    ({"type": "prometheus", "uid": "prom"}, {"type": "prometheus", "uid": "vm"}),
    ("Prometheus", "VictoriaMetrics"),
    ({"type": "prometheus", "uid": "prom"}, None),
    (None, {"type": "prometheus", "uid": "vm"}),
    ({"type": "prometheus", "uid": "${ds}"}, {"type": "prometheus", "uid": "${ds}"}),
]
SAME = [
    ({"type": "prometheus", "uid": "vm"}, {"type": "prometheus", "uid": "vm"}),
    ("Metrics", "Metrics"),  # Percona PMM: VictoriaMetrics behind a Prometheus-type datasource
    (None, None),  # both on the Grafana's default datasource
]


def _two(expr, mine, theirs) -> dict:
    variables = [{"name": "ds", "type": "datasource", "query": "prometheus"}]
    return {"d.json": dashboard(panels=[_on(mine, panel(1, "P", expr)) if mine else panel(1, "P", expr)],
                                templating={"list": variables}),
            "other.json": dashboard(uid="o", title="O", templating={"list": variables},
                                    panels=[_on(theirs, panel(1, "Q", VM_ONLY)) if theirs else panel(1, "Q", VM_ONLY)])}


@pytest.mark.parametrize("mine,theirs", ELSEWHERE)
@pytest.mark.parametrize("expr", RELAXED)
def test_on_a_plain_prometheus_dashboard_they_stay_errors(lint_files, expr, mine, theirs):
    r = lint_files(_two(expr, mine, theirs))
    [f] = found(r, "PQ001")
    assert f.file == "d.json" and f.message.startswith("invalid PromQL")


@pytest.mark.parametrize("mine,theirs", SAME)
@pytest.mark.parametrize("expr", RELAXED)
def test_on_a_datasource_other_dashboards_query_in_metricsql_they_are_warnings(lint_files, expr, mine, theirs):
    r = lint_files(_two(expr, mine, theirs))
    assert not found(r, "PQ001"), [f.message for f in r.findings if f.code == "PQ001"]
    assert {f.file for f in found(r, "PQ002")} == {"d.json", "other.json"}


@pytest.mark.parametrize("expr", RELAXED[:2])
def test_they_stay_errors_where_prometheus_is_known_to_read_them(lint_files, expr):
    r = lint_files({"d.json": dashboard(panels=[panel(1, "P", expr), panel(2, "Q", VM_ONLY, x=12)])},
                   config={"promql": {"dialect": "prometheus"}})
    assert len(found(r, "PQ001")) == 2 and not found(r, "PQ002")


def test_in_a_prometheus_rule_file_they_stay_errors(lint_files):
    r = lint_files({"rules.yaml": rules(alert("A", RELAXED[0]))})
    [f] = found(r, "PQ001")
    assert f.message.startswith("invalid PromQL")


def test_a_query_metricsql_refuses_too_stays_an_error(lint_files):
    r = lint_files({"d.json": dashboard(panels=[panel(1, "P", "av_over_time(x[5m])"),
                                                panel(2, "Q", "ceil by (job) (x)", x=12),
                                                panel(3, "R", VM_ONLY, y=8)])})
    assert len(found(r, "PQ001")) == 2 and len(found(r, "PQ002")) == 1


PROVISIONING = "apiVersion: 1\ndatasources:\n  - name: {name}\n    type: prometheus\n    url: {url}\n"


@pytest.mark.parametrize("name, url, ref, dialect", [
    # VictoriaMetrics' logs-benchmark: no uid, so Grafana gives it "P" + SHA-256 of the name
    ("VictoriaMetrics", "http://vmsingle:8428", {"type": "prometheus", "uid": "P4169E866C3094E38"}, "metricsql"),
    ("Metrics", "http://vmselect-vm.monitoring.svc:8481/select/0/prometheus", "Metrics", "metricsql"),
    ("Prometheus", "http://prometheus:9090", "Prometheus", "prometheus"),
])
def test_a_provisioned_datasource_served_by_victoriametrics_reads_metricsql(lint_files, name, url, ref, dialect):
    r = lint_files({"grafana/provisioning/datasources/ds.yml": PROVISIONING.format(name=name, url=url),
                    "grafana/dashboards/d.json": dashboard(panels=[_on(ref, panel(1, "P", "sum(rate(x_total))"))])})
    assert not found(r, "DS001")
    if dialect == "metricsql":  # `rate` without a window is MetricsQL: valid there
        assert not found(r, "PQ001") and not found(r, "PQ002")
    else:  # unchanged: an unconfigured run may still query VictoriaMetrics there
        assert [f.code for f in r.findings if f.code.startswith("PQ00")] == ["PQ002"]
