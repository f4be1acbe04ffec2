"""MetricsQL that VictoriaMetrics runs raises no PQ001 in a vmalert rule file or on a
VictoriaMetrics dashboard; what VictoriaMetrics refuses is an error at its line:col."""
from __future__ import annotations

import json

RULES = """groups:
  - name: vm
    concurrency: 2
    rules:
      - record: job:memory_used:ratio
        expr: (node_memory_used / node_memory_total) keep_metric_names
      - record: job:requests:rate
        expr: |
          WITH (w = 5m, sel = {job="api"})
          rate(http_requests_total{sel}[w]) / rate(http_requests_total{sel}[w] offset 1h) keep_metric_names
      - alert: DiskAlmostFull
        expr: disk_free{mount="/"} < 10GiB and rate(disk_writes[1h30m-5m]) > 0
      - alert: Lagging
        expr: max(max_over_time(lag[$__interval])) by (offset) > 45mI
"""

POLICY = {"rules": {"flavor": "vmalert"}}


def _errors(result):
    return [(f.code, f.line, f.col, f.message) for f in result.findings if f.code == "PQ001"]


def test_victoriametrics_queries_in_a_vmalert_file_are_clean(lint_files):
    assert _errors(lint_files({"rules.yml": RULES}, config=POLICY)) == []


def test_a_with_template_refused_by_victoriametrics_is_an_error_where_it_is(lint_files):
    seeded = RULES.replace("rate(http_requests_total{sel}[w]) /", "rate(http_requests_total{sel}[window]) /")
    found = _errors(lint_files({"rules.yml": seeded}, config=POLICY))
    line = seeded.splitlines().index("          rate(http_requests_total{sel}[window]) / rate(http_requests_total"
                                     "{sel}[w] offset 1h) keep_metric_names") + 1
    assert [(c, ln, col) for c, ln, col, _ in found] == [("PQ001", line, 11 + len("rate(http_requests_total{sel}["))]
    assert "`window` is not a duration" in found[0][3]


def test_keep_metric_names_after_an_aggregation_is_an_error(lint_files):
    seeded = RULES.replace("(node_memory_used / node_memory_total) keep_metric_names",
                           "sum(node_memory_used) keep_metric_names")
    found = _errors(lint_files({"rules.yml": seeded}, config=POLICY))
    assert [(c, ln, col) for c, ln, col, _ in found] == [("PQ001", 6, 15 + len("sum(node_memory_used) "))]


def test_victoriametrics_dashboard_query(lint_files):
    panel = {"id": 1, "type": "timeseries", "title": "Memory", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
             "datasource": {"type": "victoriametrics-metrics-datasource", "uid": "vm"},
             "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total[$__rate_interval])) by (by) "
                                                "/ on() group_left (bool) keep_metric_names"}]}
    dashboard = {"uid": "vm-test", "title": "VM", "schemaVersion": 39, "panels": [panel]}
    assert _errors(lint_files({"vm.json": json.dumps(dashboard)})) == []
