"""PQ125 and DB043: counters and units by naming convention."""
from __future__ import annotations

import pytest

from tests.checks.helpers import alert, dashboard, found, panel, record, rules


def test_pq125_counter_named_series_read_raw(lint_files):
    r = lint_files({"r.yaml": rules(
        record("job:req:rate5m", "sum by (job) (rate(http_requests_total[5m]))"),
        record("job:req:raw", "sum by (job) (http_requests_total)"),
        alert("ReqHigh", "http_requests_total > 100"),
        record("job:req:count", "count by (job) (http_requests_total)"),
        record("job:req:sub", "max_over_time(rate(http_requests_total[1m])[1h:])"),
        record("job:gauge:raw", "sum(openstack_resource_total)"),
        record("job:req:lat", "histogram_quantile(0.9, sum by (le) (http_duration_seconds_bucket))"),
        record("job:req:lat2", "histogram_quantile(0.9, sum by (le) (rate(http_duration_seconds_bucket[5m])))"))})
    got = found(r, "PQ125")
    assert [(f.line, f.context["metric"]) for f in got] == [
        (7, "http_requests_total"), (9, "http_requests_total"), (21, "http_duration_seconds_bucket")]
    assert "read through `sum`" in got[0].message and "as a raw value" in got[1].message
    assert got[0].fix == "use `increase(http_requests_total[5m])`"
    assert all(f.severity.name == "INFO" for f in got)


def test_pq125_catalog_wins(lint_files):
    r = lint_files({"r.yaml": rules(record("a:b", "sum(rate(x_total[5m]))"), record("a:c", "sum(x_total)"))},
                   config={"metrics": [{"name": "x_total", "type": "gauge"}]})
    assert not found(r, "PQ125")


def test_db043_unit_contradicts_the_name(lint_files):
    r = lint_files({"d.json": dashboard(panels=[
        panel(1, "Heap", "max(go_memstats_heap_inuse_bytes)", unit="binBps"),
        panel(2, "Reads", "rate(node_disk_read_bytes_total[$__rate_interval])", unit="bytes", x=12),
        panel(3, "Latency", "max(request_duration_seconds)", unit="bytes", y=8),
        panel(4, "Ok", "max(request_duration_seconds)", unit="ms", x=12, y=8),
        panel(5, "Ok2", "rate(node_disk_read_bytes_total[$__rate_interval])", unit="Bps", y=16),
        panel(6, "Count", "count(go_memstats_heap_inuse_bytes)", unit="short", x=12, y=16),
        panel(7, "Ratio", "a_bytes / b_bytes", unit="percentunit", y=24),
        panel(8, "Busy", "rate(cpu_seconds_total[5m])", unit="percentunit", x=12, y=24)])})
    got = found(r, "DB043")
    assert [f.context["metric"] for f in got] == ["go_memstats_heap_inuse_bytes", "node_disk_read_bytes_total",
                                                  "request_duration_seconds"]
    assert got[1].message == ("panel `Reads` shows `node_disk_read_bytes_total` with unit `bytes`, but a rate of a "
                              "bytes counter is in bytes per second")
    assert got[0].severity.name == "WARNING"  # a heap in bytes per second is wrong


def test_db043_a_throughput_gauge_per_second_is_info(lint_files):
    # Redis Enterprise publishes `bdb_ingress_bytes` as a gauge of bytes per second
    r = lint_files({"d.json": dashboard(panels=[panel(1, "In", 'bdb_ingress_bytes{bdb="1"}', unit="binBps"),
                                                panel(2, "Out", "node_egress_bytes", unit="Bps", x=12),
                                                panel(3, "Heap", "heap_inuse_bytes", unit="Bps", y=8)])})
    assert [(f.context["metric"], f.severity.name) for f in found(r, "DB043")] == [
        ("bdb_ingress_bytes", "INFO"), ("node_egress_bytes", "INFO"), ("heap_inuse_bytes", "WARNING")]


@pytest.mark.parametrize("text", [
    "rate(x[5m])", "sum(irate( foo:bar_total{a=\"b\"}[1m]))", "increase\n(\n  x_total[1h])", "myrate(x[5m])",
    "x_rate(y[5m])", "ärate(z[5m])", "rate((x[5m]))", "rate(5)", "xincrease(a[5m]) / xrate(b[5m])",
    "sum by (rate) (rate(c[5m]))", "rate(", "label_replace(rate(d[5m]), \"a\", \"$1\", \"b\", \"(.*)\")",
    "myrate(rate(e[5m]))", "raterate(f[5m])", "irate ( \n g[1m])", "increase( (h[5m]))", "xincrease(i[5m])",
    "rate(\u00a0j[5m])", "sum(rate(k[5m])) / sum(increase(l_total[1h]))",
    "increase (\tm_total[1h])", "sum(rate(n[5m]))rate(o[5m])", "rate\x00(p)", "rate (\n)", "increase(:q[5m])",
])
def test_rated_names_equal_the_regex(text):
    from obslint.checks import conventions

    assert conventions.rated_names(text) == conventions._RATED_NAME.findall(text)


def test_rated_names_equal_the_regex_on_the_corpus():
    from obslint.checks import conventions
    from tests.conftest import corpus_expressions

    wrong = [e for e in set(corpus_expressions()) if conventions.rated_names(e) != conventions._RATED_NAME.findall(e)]
    assert not wrong, wrong[:3]
