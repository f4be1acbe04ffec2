"""PQ110-PQ113: PromQL hygiene found in real rule sets."""
from __future__ import annotations

from tests.checks.helpers import alert, dashboard, found, grafana_file, grafana_rule, panel, record, rules


def _records(*exprs):
    return {"r.yaml": rules(*(record(f"a:b:{i}", e) for i, e in enumerate(exprs)))}


def test_pq110_regex_on_static_string(lint_files):
    r = lint_files(_records('x{job=~"api"}', 'x{job!~"api-gateway"}', 'x{job=~"api.*"}', 'x{job=~"a|b"}',
                            'x{job=~""}', 'x{job=~"$job"}', 'x{job=~"foo.bar"}'))
    msgs = [f.message for f in found(r, "PQ110")]
    assert msgs == ['`job=~"api"` is a regex without regex characters; it matches exactly `api` (regexes are '
                    'anchored)',
                    '`job!~"api-gateway"` is a regex without regex characters; it matches exactly `api-gateway` '
                    '(regexes are anchored)']
    assert found(r, "PQ110")[0].fix == 'write `job="api"`, or `job=~".*api.*"` for a substring'


def test_pq110_grafana_variables_are_left_alone(lint_files):
    p = panel(1, "A", 'sum(rate(x_total{job=~"$job", instance=~"${instance:regex}", pod=~"[[pod]]"}[5m]))')
    assert not found(lint_files({"d.json": dashboard(panels=[p])}), "PQ110")


def test_pq111_redundant_anchors(lint_files):
    r = lint_files(_records('x{job=~"^api-.*$"}', 'x{job=~"^api"}', 'x{job=~"api\\\\$"}', 'x{job=~"^a$|^b$"}',
                            'x{job=~"api.*"}'))
    msgs = [f.message for f in found(r, "PQ111")]
    assert msgs == ['`job=~"^api-.*$"` has redundant anchors: label regexes are always anchored',
                    '`job=~"^api"` has redundant anchors: label regexes are always anchored']


def test_pq112_topk_in_alerts_only(lint_files):
    r = lint_files({"r.yaml": rules(
        alert("Top", "topk(3, x) > 1"),
        alert("Dedupe", "sum by (pod) (x * on (pod) group_left (owner) topk by (pod) (1, owner_info)) > 1"),
        alert("Bottom", "bottomk by (job) (2, x) < 1"),
        record("a:b", "topk(3, x)")),
        "d.json": dashboard(panels=[panel(1, "Top", "topk(5, x)")]),
        "g.yaml": grafana_file(grafana_rule("GTop", "topk(1, x)"))})
    names = sorted(f.message.split("`")[1] for f in found(r, "PQ112"))
    assert names == ["bottomk", "topk", "topk"]
    assert {f.file for f in found(r, "PQ112")} == {"r.yaml", "g.yaml"}


def test_pq113_division_by_rate_inside_sum_or_avg(lint_files):
    r = lint_files(_records(
        "avg by (job) (rate(errors_total[5m]) / rate(requests_total[5m]))",
        "sum(rate(a_sum[5m]) / on (pod) group_left rate(a_count[5m]))",
        "sum by (job) (rate(errors_total[5m])) / sum by (job) (rate(requests_total[5m]))",
        "avg(rate(a_sum[5m]) / clamp_min(rate(a_count[5m]), 1))",
        "avg(rate(a_sum[5m]) / (rate(a_count[5m]) > 0))",
        "avg(rate(a_sum[5m]) / rate(a_count[5m]) >= 0)",
        "max(rate(a_sum[5m]) / rate(a_count[5m]))",
        "sum(x / 100)",
        "sum(node_memory_free_bytes / node_memory_total_bytes)"))
    assert [f.line for f in found(r, "PQ113")] == [5, 7]
    assert "inside `avg`" in found(r, "PQ113")[0].message


def test_pq113_where_nan_cannot_spread(lint_files):
    r = lint_files(_records(
        # percona: the divisor's aggregation sums only positive rates: never 0
        "avg by (n) (sum by (n) (rate(t_total[5m])) / sum by (n) (rate(c_total[5m]) > 0))",
        # otel-demo: a ratio of aggregations by (r), summed by (r): one ratio per group
        "sum by (r) (sum by (r) (rate(a_total[5m])) / sum by (r) (rate(b_total[5m])))",
        # percona: each `or` branch compared, one with `bool` (NaN > bool 0 is 0)
        "sum by (n) ((rate(a_total[5m]) / rate(b_total[5m])) > 0 or (rate(c_total[5m]) / rate(d_total[5m])) > bool 0)",
        # ceph-mixins: a clamped term plus a rate is at least 1
        "avg((rate(a_total[1m])) / (clamp_min(irate(r_total[1m]), 1) + irate(w_total[1m])))",
        # still reported: an average of per-pod ratios (one pod's NaN makes the average NaN)
        "avg(sum by (pod) (rate(a_total[5m])) / sum by (pod) (rate(b_total[5m])))",
        # still reported: `!=` keeps NaN (NaN != 0 is true)
        "avg((rate(a_total[5m]) / rate(b_total[5m])) != 0)",
        # otel-helm-charts: the outer label joins a constant and the ratio's own label
        'sum by (kr) (label_join(label_replace((sum by (r) (rate(a_total[5m])) / sum by (r) (rate(b_total[5m]))) '
        '* 100, "k", "traces", "", ""), "kr", "-", "k", "r"))',
        # the outer label copied from the ratio's label
        'sum by (x) (label_replace(sum by (r) (rate(a_total[5m])) / sum by (r) (rate(b_total[5m])), "x", "$1", "r", '
        '"(.*)"))',
        # otel-helm-charts: (out - in) / in, each summed by the labels the outer label joins
        'sum by (sp) (label_join((sum by (p, s) (rate(o_total[5m])) - sum by (p, s) (rate(i_total[5m]))) / '
        'sum by (p, s) (rate(i_total[5m])), "sp", "-", "s", "p"))',
        # still reported: the outer label comes from a label the ratio does not keep
        'sum by (x) (label_replace(sum by (r) (rate(a_total[5m])) / sum by (r) (rate(b_total[5m])), "x", "$1", "p", '
        '"(.*)"))',
        # still reported (spinnaker mixin): a part of the zone: zones with the same last letter merge
        'sum by (cell) (label_replace(sum by (zone) (rate(a_total[5m])) / sum by (zone) (rate(b_total[5m])), "cell", '
        '"$1", "zone", ".*-(.)"))',
        # still reported: the call writes a label the outer aggregation does not group by
        'sum by (r) (label_replace(sum by (r, p) (rate(a_total[5m])) / sum by (r, p) (rate(b_total[5m])), "x", "y", '
        '"", ""))'))
    assert [f.line for f in found(r, "PQ113")] == [13, 15, 23, 25, 27]
