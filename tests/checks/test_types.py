"""PL003 rate on a gauge, PL004 counter without rate, PQ101/PQ102 histogram_quantile,
PQ103 rate window vs scrape interval, PQ104 `$__rate_interval` in dashboards."""
from __future__ import annotations

from tests.checks.helpers import alert, dashboard, found, panel, record, rules

CATALOG = {"metrics": [
    {"name": "requests_total", "type": "counter", "labels": ["job"]},
    {"name": "pool_size", "type": "gauge"},
    {"name": "latency_seconds", "type": "histogram"},
    {"name": "rpc_seconds", "type": "summary"},
]}


def _records(*exprs):
    return {"r.yaml": rules(*(record(f"a:b:{i}", e) for i, e in enumerate(exprs)))}


def test_pl003_rate_on_gauge_and_summary_quantile(lint_files):
    r = lint_files(_records("rate(pool_size[5m])", "increase(rpc_seconds[5m])", "rate(requests_total[5m])",
                            "rate(latency_seconds_count[5m])", "deriv(pool_size[5m])", "rate(unknown_metric[5m])"),
                   config=CATALOG)
    msgs = [f.message for f in found(r, "PL003")]
    assert msgs == ["`rate` on `pool_size`, which is a gauge, not a counter",
                    "`increase` on `rpc_seconds`, which is a summary (summary quantile), not a counter"]


def test_pl004_counter_without_rate(lint_files):
    r = lint_files(_records("sum(requests_total)", "requests_total > 100", "delta(requests_total[5m])",
                            "sum(rate(requests_total[5m]))", "count(requests_total)", "absent(requests_total)",
                            "changes(requests_total[1h])", "histogram_quantile(0.5, latency_seconds_bucket)",
                            "max_over_time(rate(requests_total[1m])[1h:])"), config=CATALOG)
    lines = sorted(f.line for f in found(r, "PL004"))
    assert lines == [5, 7, 9]
    assert "read through `sum`" in found(r, "PL004")[0].message
    assert "as a raw value" in found(r, "PL004")[1].message


def test_type_checks_need_a_catalog(lint_files):
    r = lint_files(_records("rate(pool_size[5m])", "sum(requests_total)"))
    assert not found(r, "PL003") and not found(r, "PL004")


def test_pq101_le_dropped(lint_files):
    r = lint_files(_records(
        "histogram_quantile(0.9, sum(rate(x_bucket[5m])))",
        "histogram_quantile(0.9, sum by (job) (rate(x_bucket[5m])))",
        "histogram_quantile(0.9, sum without (le) (rate(x_bucket[5m])))",
        "histogram_quantile(0.9, sum by (job, le) (rate(x_bucket[5m])))",
        "histogram_quantile(0.9, sum without (instance) (rate(x_bucket[5m])))",
        "histogram_quantile(0.9, rate(x_bucket[5m]))",
        "histogram_quantile(0.9, sum(rate(native_seconds[5m])))",  # a native histogram: no `le`
        "histogram_quantile(0.9, sum by (le) (job:x_bucket:rate5m))",
        "histogram_quantile(0.9, sum(job:x_bucket:rate5m))",
    ))
    assert sorted(f.line for f in found(r, "PQ101")) == [5, 7, 9, 21]


def test_pq101_in_dashboards_with_grafana_macros(lint_files):
    p = panel(1, "P95", 'histogram_quantile(0.95, sum by ($group) (rate(x_bucket{job="$job"}[$__rate_interval])))')
    assert found(lint_files({"d.json": dashboard(panels=[p])}), "PQ101")


def test_pq102_histogram_quantile_input(lint_files):
    r = lint_files(_records("histogram_quantile(0.9, sum by (le) (rate(x_count[5m])))",
                            "histogram_quantile(0.9, rate(x_sum[5m]))",
                            "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))",
                            "histogram_quantile(0.9, rate(pool_size[5m]))",
                            "histogram_quantile(0.9, sum(rate(latency_seconds[5m])))"), config=CATALOG)
    msgs = [f.message for f in found(r, "PQ102")]
    assert msgs == ["`histogram_quantile` over `x_count`, a `_count` series, not buckets",
                    "`histogram_quantile` over `x_sum`, a `_sum` series, not buckets",
                    "`histogram_quantile` over `pool_size`, a gauge"]


def test_pq102_a_filter_after_the_buckets_is_not_the_input(lint_files):
    # synapse: `and`/`unless` keep the left-hand buckets (with `le`); the right side only filters
    r = lint_files(_records(
        "histogram_quantile(0.5, rate(e_bucket[5m]) and on (instance, job) (e_events_total > 0))",
        "histogram_quantile(0.5, sum by (le) (rate(e_bucket[5m])) unless on () up_total == 0)",
        "histogram_quantile(0.5, rate(e_count[5m]) and on (job) x_bucket)",  # still: the input is `_count`
        "histogram_quantile(0.5, rate(e_bucket[5m]) or rate(f_total[5m]))"))  # `or` passes both sides
    assert [f.message for f in found(r, "PQ102")] == [
        "`histogram_quantile` over `e_count`, a `_count` series, not buckets",
        "`histogram_quantile` over `f_total`, a `_total` series, not buckets"]


def test_pq103_window_against_policy_interval(lint_files):
    r = lint_files(_records("rate(x_total[1m])", "rate(x_total[2m])", "irate(x_total[30s])"),
                   config={"scrape-interval": "1m"})
    fs = found(r, "PQ103")
    assert [f.line for f in fs] == [5, 9]
    assert "shorter than twice the scrape interval (1m, policy scrape-interval)" in fs[0].message


def test_pq103_default_and_prometheus_config_of_the_stack(lint_files):
    r = lint_files({"a/prometheus.yml": "global:\n  scrape_interval: 30s\nscrape_configs: []\n",
                    "a/rules/r.yaml": rules(record("a:b", "rate(x_total[45s])")),
                    "b/r.yaml": rules(record("a:b", "rate(x_total[45s])"), record("a:c", "rate(x_total[20s])"))})
    fs = found(r, "PQ103")
    assert sorted((f.file, f.line) for f in fs) == [("a/rules/r.yaml", 5), ("b/r.yaml", 7)]
    assert "scrape_interval in a/prometheus.yml" in next(f for f in fs if f.file.startswith("a/")).message


def test_pq103_a_config_that_loads_other_rule_files_is_another_servers(lint_files):
    # prometheus' promtool testdata: a 10m-scrape config beside features.yml loads another file
    slow = "scrape_configs:\n  - job_name: slow\n    scrape_interval: 10m\nrule_files:\n  - other.yml\n"
    r = lint_files({"t/slow.yml": slow, "t/other.yml": rules(record("a:b", "rate(x_total[5m])")),
                    "t/features.yml": rules(record("a:c", "rate(x_total[5m])"))})
    fs = found(r, "PQ103")
    assert [f.file for f in fs] == ["t/other.yml"]  # the file it loads: 5m < 2 x 10m
    assert "which loads this file" in fs[0].message


def test_pq103_a_selector_of_a_faster_job_uses_that_jobs_interval(lint_files):
    # aws-observability: job apiserver at the global 60s, some other job at 5m
    prom = ("global: {scrape_interval: 60s}\nscrape_configs:\n  - job_name: apiserver\n  - job_name: slow-pods\n"
            "    scrape_interval: 5m\nrule_files: [rules.yaml]\n")
    r = lint_files({"p/prometheus.yml": prom, "p/rules.yaml": rules(
        record("a:b", 'sum(rate(apiserver_request_total{job="apiserver"}[5m]))'),
        record("a:c", 'sum(rate(pods_total{job="slow-pods"}[5m]))'),
        record("a:d", "sum(rate(other_total[5m]))"))})
    assert [f.line for f in found(r, "PQ103")] == [7, 9]  # the slow job's, and one naming no job


def test_pq103_grafana_rate_interval_is_fine(lint_files):
    p = panel(1, "RPS", "sum(rate(x_total[$__rate_interval]))")
    assert not found(lint_files({"d.json": dashboard(panels=[p])}, config={"scrape-interval": "1m"}), "PQ103")


def test_pq104_interval_in_dashboards_only(lint_files):
    r = lint_files({"d.json": dashboard(panels=[
        panel(1, "A", "sum(rate(x_total[$__interval]))"),
        panel(2, "B", "sum(increase(x_total[${__interval}]))", x=12),
        panel(3, "C", "avg_over_time(x[$__interval])", y=8),
        panel(4, "D", "sum(rate(x_total[5m]))", x=12, y=8)]),
        "r.yaml": rules(record("a:b", "rate(x_total[5m])"))})
    msgs = sorted(f.message.split(":")[0] for f in found(r, "PQ104"))
    assert msgs == ["`increase` over `[${__interval}]`", "`rate` over `[$__interval]`"]
    assert {f.file for f in found(r, "PQ104")} == {"d.json"}


def test_pq104_hard_coded_option(lint_files):
    cfg = {"checks": {"options": {"PQ104": {"hard-coded": True}}}}
    r = lint_files({"d.json": dashboard(panels=[panel(1, "A", "sum(rate(x_total[5m]))")])}, config=cfg)
    [f] = found(r, "PQ104")
    assert "`rate` over `[5m]`" in f.message
