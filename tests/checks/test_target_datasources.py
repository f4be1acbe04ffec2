"""A target's own `datasource` counts only where Grafana queries it: on a Mixed panel, or a
panel that names none. Elsewhere the query runner replaces it with the panel's (a stale uid left
in a target is never used): no DS001 for it, and no DB044 under a panel that uses the variable."""
from __future__ import annotations

import json

import pytest

from tests.checks.helpers import found

DATASOURCES = ("apiVersion: 1\ndatasources:\n  - {name: Prometheus, type: prometheus, uid: prom, access: proxy, "
               "url: 'http://p:9090'}\n")
VARIABLE = {"list": [{"name": "ds", "type": "datasource", "query": "prometheus"}]}


def _dash(panel_ds, target_ds) -> str:
    p = {"id": 1, "type": "timeseries", "title": "RPS", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
         "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total[5m]))", "datasource": target_ds}]}
    if panel_ds is not None:
        p["datasource"] = panel_ds
    return json.dumps({"uid": "api", "title": "API", "schemaVersion": 39, "templating": VARIABLE, "panels": [p]})


STALE = {"type": "prometheus", "uid": "fej9ntb4ninswf"}


@pytest.mark.parametrize(("panel_ds", "reported"), [
    ({"type": "prometheus", "uid": "prom"}, False),        # opentelemetry-demo: the panel's runs the query
    ({"type": "prometheus", "uid": "${ds}"}, False),
    ({"type": "datasource", "uid": "-- Mixed --"}, True),  # Mixed: each target's own datasource runs
    (None, True),                                           # no panel datasource: the target's may be used
])
def test_a_stale_target_uid_counts_only_where_grafana_queries_it(lint_files, panel_ds, reported):
    r = lint_files({"datasources.yaml": DATASOURCES, "d.json": _dash(panel_ds, STALE)})
    assert bool(found(r, "DS001")) == reported


@pytest.mark.parametrize(("panel_ds", "reported"), [
    ({"type": "prometheus", "uid": "${ds}"}, False),       # flux2-monitoring-example, tempo-mixin
    ({"type": "datasource", "uid": "-- Mixed --"}, True),
])
def test_db044_on_a_target_only_where_the_target_runs(lint_files, panel_ds, reported):
    r = lint_files({"d.json": _dash(panel_ds, {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"})})
    assert bool(found(r, "DB044")) == reported


@pytest.mark.parametrize(("panel_type", "targets", "reported"), [
    ("row", None, False),  # reth: rows left with a stale datasource query nothing
    ("row", [{"refId": "A", "expr": "up"}], True),
    ("timeseries", None, True),
])
def test_a_row_that_queries_nothing_names_no_datasource(lint_files, panel_type, targets, reported):
    p = {"id": 1, "type": panel_type, "title": "Overview", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 1},
         "datasource": STALE}
    if targets is not None:
        p["targets"] = targets
    d = json.dumps({"uid": "api", "title": "API", "schemaVersion": 39, "panels": [p]})
    r = lint_files({"datasources.yaml": DATASOURCES, "d.json": d})
    assert bool(found(r, "DS001")) == reported
