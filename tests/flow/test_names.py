"""PQ124: metric names with dashes read as subtractions."""
from __future__ import annotations

from tests.checks.helpers import dashboard, found, panel, record, rules


def test_pq124_dashed_name_is_a_subtraction(lint_files):
    r = lint_files({
        "r.yaml": rules(record("a:b:0", "sum(operator_victoriametrics-metrics-datasource_up)"),
                        record("a:b:1", "rate(my-app_requests_total{job=\"x\"}[5m])"),
                        record("a:b:2", "node_memory_MemTotal_bytes - node_memory_MemFree_bytes"),
                        record("a:b:3", "a - b{job=\"x\"}"),
                        record("a:b:4", "x{job=\"my-app\"}")),
        "d.json": dashboard(panels=[panel(1, "A", "grafana-plugin_up > 0")])})
    got = found(r, "PQ124")
    assert [(f.file, f.line) for f in got] == [("d.json", 18), ("r.yaml", 5)]
    assert got[1].message == ("`operator_victoriametrics-metrics-datasource_up` parses as the subtraction "
                              "`operator_victoriametrics - metrics - datasource_up` of 3 metrics, not as one metric name")
    assert got[1].fix.startswith('quote the name: `{"operator_victoriametrics-metrics-datasource_up"}`')


def test_pq124_a_subtraction_of_whole_metrics_is_meant(lint_files):
    # ceph-mixin: `a_bytes-b_bytes` subtracts two real metrics, written without spaces
    r = lint_files({
        "r.yaml": rules(record("a:b:0", "sum(ceph_pool_max_avail_bytes-ceph_pool_stored_bytes)"),
                        record("a:b:1", "ceph_osd_stat_bytes-ceph_osd_stat_bytes_used"),
                        record("a:b:2", "ceph_osd_stat_bytes_used / ceph_osd_stat_bytes"),  # both used alone
                        record("a:b:3", "sum(kube-state_pods)"),  # `kube` is used on its own nowhere
                        record("a:b:4", "kube_state_pods"),
                        # lighthouse-metrics: two slot numbers (one last word), each metric-shaped
                        record("a:b:5", "slotclock_present_slot-beacon_head_state_latest_block_slot"),
                        record("a:b:6", "validator_client_up-beacon_node_sync_state"),  # three words each
                        record("a:b:7", "my_app-cache_hits")),  # still: two words, different ends
        "d.json": dashboard(panels=[panel(1, "A", "sum(kube-state_pods)")])})
    assert [(f.file, f.line) for f in found(r, "PQ124")] == [("d.json", 18), ("r.yaml", 11), ("r.yaml", 19)]


def test_pq126_name_regex_that_matches_nothing(lint_files):
    r = lint_files({"r.yaml": rules(*(record(f"a:b:{i}", e) for i, e in enumerate([
        "sum({__name__=~\"up{job='api'}\"})", "count({__name__=~\"^$\", job=\"a\"})", "count({__name__=~\"a b|c d\"})",
        "count({__name__=~\"node_.+\"})", "count({__name__=~\"$prefix\\\\_?up\"})", "count({__name__=~\"a|b c\"})",
        "count({__name__=~\"http\\\\.server\\\\.duration\"})"])))})
    assert [f.line for f in found(r, "PQ126")] == [5, 7, 9]


def test_pq126_an_old_style_variable_in_a_name_regex_is_a_variable(lint_files, recwarn):
    # m3: `[[backend]]` is interpolated by Grafana like `${backend}`, not a character class
    d = dashboard(panels=[panel(1, "A", 'sum({__name__=~"m3agg_[[backend]]_queue_errors"})'),
                          panel(2, "B", 'sum({__name__=~"m3agg_${backend}_queue_errors"})', x=12),
                          panel(3, "C", 'sum({__name__=~"up{job=\'[[x]]\'}"})', y=8)])
    r = lint_files({"d.json": d})
    assert not found(r, "PQ126")
    assert not [w for w in recwarn if issubclass(w.category, FutureWarning)]  # nothing on stderr
