"""Queries that only Prometheus' type rules refuse: MetricsQL runs them (a range vector in an
operator, `offset` after an expression, a range window on an expression, an aggregation of a
number). On a dashboard whose dialect is not configured they may run on VictoriaMetrics, as the
queries with MetricsQL-only functions do: PQ002, not an error."""
from __future__ import annotations

import pytest

from tests.checks.helpers import alert, dashboard, found, panel, rules

RELAXED = [
    "bottomk(3, last_vacuum_timestamp{job=\"pg\"}[5m] * 1000)",
    "(sum(rate(a_total[5m])) - sum(rate(b_total[5m]))) offset 1d",
    "max_over_time((max by (set) (replica_state == 1))[10m])",
    "(x_info != 1 and avg by (job) (y)) or (avg by (job) (32) unless x_info == 1)",
]


@pytest.mark.parametrize("expr", RELAXED)
def test_valid_metricsql_on_an_unconfigured_dashboard_is_a_warning(lint_files, expr):
    r = lint_files({"d.json": dashboard(panels=[panel(1, "P", expr)])})
    assert not found(r, "PQ001"), [f.message for f in r.findings]
    [f] = found(r, "PQ002")
    assert "is MetricsQL, which Prometheus refuses" in f.message


@pytest.mark.parametrize("expr", RELAXED[:2])
def test_they_stay_errors_where_prometheus_is_known_to_read_them(lint_files, expr):
    r = lint_files({"d.json": dashboard(panels=[panel(1, "P", expr)])}, config={"promql": {"dialect": "prometheus"}})
    assert found(r, "PQ001") and not found(r, "PQ002")
    r = lint_files({"rules.yaml": rules(alert("A", expr))}, config={})
    [f] = found(r, "PQ001")
    assert f.file == "rules.yaml" and f.message.startswith("invalid PromQL")  # Prometheus loads it


def test_a_query_metricsql_refuses_too_stays_an_error(lint_files):
    r = lint_files({"d.json": dashboard(panels=[panel(1, "P", "av_over_time(x[5m])"),
                                                panel(2, "Q", "ceil by (job) (x)", x=12)])})
    assert len(found(r, "PQ001")) == 2 and not found(r, "PQ002")
