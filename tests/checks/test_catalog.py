"""PL001 unknown metric (with did-you-mean), PL002 unknown label."""
from __future__ import annotations

from tests.checks.helpers import alert, dashboard, found, panel, record, rules

CATALOG = {"metrics": [
    {"name": "http_requests_total", "type": "counter", "labels": ["service", "status"]},
    {"name": "http_request_duration_seconds", "type": "histogram", "labels": ["service"]},
    {"name": "rpc_latency_seconds", "type": "summary", "labels": ["service"]},
    {"name": "queue_length", "type": "gauge"},  # labels not listed: not checked
    {"name": "jobs", "type": "counter", "labels": ["kind"]},  # declared without `_total`
]}


def test_pl001_unknown_metric_with_suggestion(lint_files):
    r = lint_files({"r.yaml": rules(record("a:b:c", "sum(rate(http_request_total[5m]))"))}, config=CATALOG)
    [f] = found(r, "PL001")
    assert f.message == "metric `http_request_total` is not in the metric catalog; did you mean `http_requests_total`?"
    assert f.line == 5 and f.context.get("metric") == "http_request_total"


def test_pl001_known_series_of_every_type(lint_files):
    exprs = ["rate(http_requests_total[5m])", "rate(http_requests_created[5m])",
             "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
             "rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m])",
             "rpc_latency_seconds{quantile=\"0.99\"}", "rate(rpc_latency_seconds_count[5m])",
             "queue_length", "rate(jobs_total[5m])", "up == 0", "scrape_duration_seconds", "ALERTS"]
    r = lint_files({"r.yaml": rules(*(record(f"a:b:{i}", e) for i, e in enumerate(exprs)))}, config=CATALOG)
    assert not found(r, "PL001")


def test_pl001_recording_rules_are_known(lint_files):
    r = lint_files({"r.yaml": rules(record("job:requests:rate5m", "sum by (job) (rate(http_requests_total[5m]))")),
                    "d.json": dashboard(panels=[panel(1, "RPS", "sum(job:requests:rate5m)")])}, config=CATALOG)
    assert not found(r, "PL001")


def test_pl001_grafana_variables_in_names_and_ignore_option(lint_files):
    cfg = {**CATALOG, "checks": {"options": {"PL001": {"ignore": ["node_*"]}}}}
    r = lint_files({"d.json": dashboard(panels=[panel(1, "A", ["rate(${metric}_total[5m])", "node_load1",
                                                                 "nodes_load1"])])}, config=cfg)
    [f] = found(r, "PL001")
    assert "`nodes_load1`" in f.message


def test_pl001_needs_a_catalog(lint_files):
    files = {"r.yaml": rules(record("a:b:c", "rate(nope_total[5m])"))}
    assert not found(lint_files(files), "PL001")
    assert not found(lint_files(files, config={"alerts": {"min-for": "1m"}}), "PL001")


def test_pl002_unknown_label_with_suggestion(lint_files):
    r = lint_files({"r.yaml": rules(record("a:b:c", 'sum(rate(http_requests_total{statsu="500"}[5m]))'))},
                   config=CATALOG)
    [f] = found(r, "PL002")
    assert f.message == "metric `http_requests_total` has no label `statsu`; did you mean `status`?"


def test_pl002_target_labels_le_and_quantile(lint_files):
    exprs = ['rate(http_requests_total{job="api", instance="x", namespace="prod"}[5m])',
             'rate(http_request_duration_seconds_bucket{le="0.5", service="a"}[5m])',
             'rpc_latency_seconds{quantile="0.5"}', 'queue_length{anything="goes"}']
    cfg = {**CATALOG, "target-labels": ["namespace"]}
    r = lint_files({"r.yaml": rules(*(record(f"a:b:{i}", e) for i, e in enumerate(exprs)))}, config=cfg)
    assert not found(r, "PL002")


def test_pl002_le_only_on_buckets(lint_files):
    r = lint_files({"r.yaml": rules(record("a:b:c", 'rate(http_request_duration_seconds_count{le="1"}[5m])'))},
                   config=CATALOG)
    [f] = found(r, "PL002")
    assert "no label `le`" in f.message


def test_pl002_recorded_series_keep_their_by_labels(lint_files):
    r = lint_files({"r.yaml": rules(record("svc:requests:rate5m", "sum by (service) (rate(http_requests_total[5m]))"),
                                    alert("A", 'svc:requests:rate5m{service="a", status="500"} > 1'))},
                   config=CATALOG)
    [f] = found(r, "PL002")
    assert "`svc:requests:rate5m` has no label `status`" in f.message
