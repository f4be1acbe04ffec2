"""PQ121-PQ123, AL020: expressions that cannot work as written."""
from __future__ import annotations

from tests.checks.helpers import alert, dashboard, found, panel, record, rules


def _records(*exprs):
    return {"r.yaml": rules(*(record(f"a:b:{i}", e) for i, e in enumerate(exprs)))}


def test_pq121_comparisons_no_value_passes(lint_files):
    r = lint_files(_records("x > 5 < 3", "count(up == 1) < 0", "rate(x_total[5m]) < 0", "absent(up) > 1",
                            "clamp_min(x, 2) < 1", "avg by (job) (rate(x[5m])) <= -1", "group(x) == 2"))
    got = found(r, "PQ121")
    assert [f.line for f in got] == [5, 7, 9, 11, 13, 15, 17]
    assert "`> 5` and `< 3`" in got[0].message
    assert "`count(...)` is never negative and `< 0`" in got[1].message
    assert "`group(...)` is always 1 and `== 2`" in got[6].message


def test_pq121_part_over_whole_above_one(lint_files):
    r = lint_files(_records(
        'sum(rate(req_total{code=~"5.."}[5m])) / sum(rate(req_total[5m])) > 1',
        'sum by (job) (rate(req_total{code=~"5..", job="a"}[5m])) / sum by (job) (rate(req_total{job="a"}[5m])) '
        '* 100 > 100',
        'sum(rate(req_total{code=~"5.."}[5m])) / sum(rate(req_total[5m])) >= 1',
        'sum(rate(req_total{code=~"5.."}[5m])) / sum(rate(req_total[5m])) > 0.05',
        'sum(rate(req_total[5m])) / sum(rate(req_total{code=~"5.."}[5m])) > 1',
        'sum(rate(a_total{code=~"5.."}[5m])) / sum(rate(b_total[5m])) > 1'))
    got = found(r, "PQ121")
    assert [f.line for f in got] == [5, 7]
    assert "a part divided by its whole is at most 1" in got[0].message


def test_pq121_quiet_on_satisfiable_comparisons(lint_files):
    r = lint_files(_records("x > 3 < 5", "count(up) < 1", "rate(x[5m]) <= 0", "deriv(x[5m]) < 0", "x - y < 0",
                            "absent(up) == 1", "count(up) < bool 0", "x > 5 or x < 3", "rate(x[5m]) * -1 < 0",
                            "x == 3 == 3", "sum(x) < 0"))
    assert not found(r, "PQ121")


def test_pq122_rate_of_an_aggregated_subquery(lint_files):
    r = lint_files({**_records("rate(sum by (job) (x_total)[5m:1m])", "increase((sum(x_total))[1h:])",
                               "rate(rate(x_total[1m])[5m:])", "sum(rate(x_total[5m]))",
                               "max_over_time(sum(rate(x_total[1m]))[1h:])", "rate(x_total[5m:1m])"),
                    "d.json": dashboard(panels=[panel(1, "A", "increase(sum by (svc) (x_total)[$__interval:])")])})
    got = found(r, "PQ122")
    assert [(f.file, f.line) for f in got] == [("d.json", 18), ("r.yaml", 5), ("r.yaml", 7), ("r.yaml", 9)]
    assert "`rate` of a subquery over `sum`" in got[1].message
    assert "over `rate`" in got[3].message


def test_pq123_rules_that_look_at_the_future(lint_files):
    r = lint_files({**_records("rate(x[5m] offset -1h)", "x @ 1609746000", "x @ end()", "x offset 1h",
                               "max_over_time(x[1h:] offset -5m)"),
                    "d.json": dashboard(panels=[panel(1, "A", "x offset -1d")])})
    got = found(r, "PQ123")
    assert [(f.file, f.line) for f in got] == [("r.yaml", 5), ("r.yaml", 7), ("r.yaml", 13)]
    assert got[0].message.startswith("`offset -1h` reads samples after the evaluation time")


def test_al020_absent_alert_needs_two_intervals_of_for(lint_files):
    r = lint_files({"r.yaml": rules(
        alert("NoFor", 'absent(up{job="api"})', for_=None),
        alert("Short", 'absent(up{job="api"})', for_="1m"),
        alert("Long", 'absent(up{job="api"})', for_="2m"),
        alert("OverTime", 'absent_over_time(up{job="api"}[5m])', for_="0s"),
        alert("NotAbsent", 'up{job="api"} == 0', for_=None),
        alert("Guard", 'up == 0 unless absent(x)', for_=None)),
        "fast.yaml": "groups:\n  - name: f\n    interval: 15s\n    rules:\n"
                     "      - alert: Fast\n        expr: absent(up)\n        for: 30s\n"})
    got = found(r, "AL020")
    assert [(f.file, f.line, f.context["alert"]) for f in got] == [
        ("r.yaml", 4, "NoFor"), ("r.yaml", 11, "Short"), ("r.yaml", 23, "OverTime")]
    assert got[1].message.endswith("has `for: 1m`, shorter than two evaluation intervals (2m): two evaluations "
                                   "in a row without a sample fire it")
    assert got[2].message.endswith("(2m): one evaluation without a sample fires it")  # `for: 0s`
    assert got[0].message.endswith("has no `for`: one evaluation without a sample fires it")


def test_the_regex_free_tree_never_hides_a_comparison_that_cannot_hold():
    """PQ121 walks `Parsed.shape` first and confirms a hit on the exact tree: on every corpus
    expression (and a part-over-whole with regex matchers), no hit of the exact tree is missed."""
    from obslint import promql
    from obslint.checks import deadexpr
    from tests.conftest import corpus_expressions

    exprs = set(corpus_expressions()) | {'sum(rate(x{code=~"5.."}[5m])) / sum(rate(x[5m])) > 1'}
    missed = [e for e in exprs
              if not promql.parse(e).error and deadexpr._may_be_empty(promql.parse(e))
              and deadexpr.never_true(promql.parse(e).ast) is not None
              and deadexpr.never_true(promql.parse(e).shape) is None]
    assert not missed, missed[:3]
