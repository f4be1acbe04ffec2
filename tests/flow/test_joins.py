"""PQ120: vector matches that can never pair a series."""
from __future__ import annotations

from tests.checks.helpers import alert, dashboard, found, panel, record, rules


def _alerts(*exprs):
    return {"r.yaml": rules(*(alert(f"A{i}", e) for i, e in enumerate(exprs)))}


def test_pq120_reports_a_match_on_a_label_one_side_cannot_carry(lint_files):
    r = lint_files(_alerts(
        "sum by (service) (rate(a[5m])) / on (instance) sum by (instance) (rate(a[5m])) > 1",
        "sum by (instance, status) (rate(r{status=~'5..'}[5m])) / sum by (instance) (rate(r[5m])) > 0.1",
        '(a / ignoring (limit) b{limit="max"} > 0.8) and b{limit="max"} > 0'))
    got = found(r, "PQ120")
    assert [f.line for f in got] == [5, 11, 17]
    assert "left-hand side can never carry `instance` (it has only `service`)" in got[0].message
    assert "right-hand side can never carry `status`" in got[1].message
    assert "left-hand side can never carry `limit`" in got[2].message
    assert got[0].fix.startswith("keep `instance` on the left-hand side")


def test_pq120_quiet_when_a_pairing_is_possible_or_unknown(lint_files):
    r = lint_files(_alerts(
        "sum by (job) (rate(a[5m])) / on (job) sum by (job, instance) (rate(b[5m])) > 1",
        "sum by (instance, status) (rate(r[5m])) / ignoring (status) group_left sum by (instance) (rate(r[5m])) > 1",
        "rate(a[5m]) / on (instance) rate(b[5m]) > 1",
        "sum(a) / sum(b) > 1",
        "sum by (job) (a) or vector(0)",
        "up * on (instance) group_left (nodename) node_uname_info > 1",
        'sum by (job) (a) / on (job) sum by ($grouping) (b) > 1'))
    assert not found(r, "PQ120")


def test_pq120_follows_recording_rules_and_dashboards(lint_files):
    r = lint_files({
        "rec.yaml": rules(record("service:req:rate5m", "sum by (service) (rate(req_total[5m]))")),
        "d.json": dashboard(panels=[panel(1, "Ratio",
                                          "sum by (pod) (rate(err_total[$__rate_interval])) / on (pod) "
                                          "service:req:rate5m")])})
    got = found(r, "PQ120")
    assert len(got) == 1 and got[0].file == "d.json"
    assert "right-hand side can never carry `pod` (it has only `service`)" in got[0].message
