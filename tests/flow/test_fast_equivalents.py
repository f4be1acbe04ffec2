"""The speed-ups of the issue-15 checks give the answers of the plain code they stand in for,
on every expression of the corpus (and on hand-picked edge cases where the corpus has none)."""
from __future__ import annotations

import pytest

from tests.conftest import corpus_expressions


@pytest.mark.parametrize("text", [
    "a-b", "a1-b", "a-1", "1-a", "a -b", "a- b", "x{l=\"a-b\"}", "ab12-c", "_-_", ":-:", "a_9_-z", "9-9", "-a",
    "rate(x[5m])-y", "a1b2c3-d4", "a-b-c",
])
def test_dash_in_name_equals_the_dashed_regex(text):
    from obslint.checks import names

    assert bool(names._DASH_IN_NAME.search(text)) == bool(names._DASHED.search(text))


def test_dash_in_name_equals_the_dashed_regex_on_the_corpus():
    from obslint.checks import names

    wrong = [e for e in set(corpus_expressions())
             if bool(names._DASH_IN_NAME.search(e)) != bool(names._DASHED.search(e))]
    assert not wrong, wrong[:3]


def test_may_be_empty_never_hides_a_comparison_that_cannot_hold_on_the_corpus():
    """PQ121 walks only expressions `_may_be_empty` lets through (a ratio only with a threshold
    outside (0, 1)): every other corpus expression has no comparison `never_true` would report."""
    from obslint import promql
    from obslint.checks import deadexpr

    exprs = sorted(set(corpus_expressions()))
    skipped = [p for p in map(promql.parse, exprs) if p.error is None and not deadexpr._may_be_empty(p)]
    assert len(skipped) > 1000
    wrong = [p.text for p in skipped if p.ast is not None and deadexpr.never_true(p.ast) is not None]
    assert not wrong, wrong[:3]


@pytest.mark.parametrize("expr", [
    'sum(rate(x{code=~"5.."}[5m])) / sum(rate(x[5m])) > 1',
    'sum(rate(x{code=~"5.."}[5m])) / sum(rate(x[5m])) > 1.5',
    'sum(rate(x{code=~"5.."}[5m])) / sum(rate(x[5m])) < -0.5',
    '0 > sum(rate(x{code=~"5.."}[5m])) / sum(rate(x[5m]))',
    'sum(rate(x{code=~"5.."}[5m])) / sum(rate(x[5m])) * 0.01 > 0.5',
])
def test_ratio_thresholds_that_decide_are_walked(expr):
    from obslint import promql
    from obslint.checks import deadexpr

    parsed = promql.parse(expr)
    assert deadexpr.never_true(parsed.ast) is not None and deadexpr._may_be_empty(parsed)


@pytest.mark.parametrize("expr, nested, may", [
    ("up > 5 < 3", True, True),
    ("5 < up < 3", True, True),
    ("sum(up > 1) > 2", True, True),
    ("(rate(x[5m]) > 1 and y) < 0.5", True, True),
    ("up > 1 and up < 5", False, False),
    ("rate(x[5m]) > 1 or rate(y[5m]) < 2", False, False),
    ("up == 0 unless on (job) maintenance == 1", False, False),
    ("count(up == 1) < 0", True, True),
    ("rate(x[5m]) < 0 and y > 1", False, True),
    ("x > bool 1", False, False),
])
def test_sibling_comparisons_are_not_walked_nested_ones_are(expr, nested, may):
    """Only a comparison inside another's operand can narrow one value twice (PQ121)."""
    from obslint import promql
    from obslint.checks import deadexpr

    parsed = promql.parse(expr)
    assert parsed.nested is nested
    assert deadexpr._may_be_empty(parsed) is may
    if not may:
        assert deadexpr.never_true(parsed.ast) is None


def test_ratio_thresholds_inside_zero_one_are_skipped():
    from obslint import promql
    from obslint.checks import deadexpr

    assert not deadexpr._may_be_empty(promql.parse('sum(rate(x{code=~"5.."}[5m])) / sum(rate(x[5m])) > 0.05'))


def _labels_named_in(parsed) -> set:
    """Candidate template labels for an expression: every label its aggregations and matchers
    name, plus a few common ones and `le`."""
    out = {"instance", "job", "namespace", "pod", "le", "cluster"}
    for _op, _kind, labels, _param in parsed.aggregations:
        out.update(labels)
    for sel in parsed.selectors:
        out.update(l for l, _op, _v in sel.matchers)
    return out


def test_surely_kept_agrees_with_the_walk_on_the_corpus():
    """AL006 skips the label-flow walk when `surely_kept` says every template label survives:
    on every corpus expression and each label it names, a True must mean the walk's flow may
    carry the label."""
    from obslint import fastpaths, labelflow, promql

    if not fastpaths.ENABLED:
        pytest.skip("OBSLINT_NO_FAST_PATHS=1: surely_kept is never sure")
    exprs = sorted(set(corpus_expressions()))
    checked = 0
    wrong = []
    for e in exprs:
        parsed = promql.parse(e)
        if parsed.error is not None:
            continue
        flow = None
        for label in _labels_named_in(parsed):
            if labelflow.surely_kept(parsed, {label}, None):
                flow = flow or labelflow.Analyzer().of_expr(e)
                checked += 1
                if flow is not None and not flow.may_have(label):
                    wrong.append((e, label))
    assert checked > 5000
    assert not wrong, wrong[:3]


@pytest.mark.parametrize("expr, labels, want", [
    ("sum by (pod) (rate(x[5m])) > 1", {"pod"}, True),
    ("sum by (pod) (rate(x[5m])) > 1", {"node"}, False),
    ("sum without (pod) (x) > 1", {"node"}, True),
    ("sum without (pod) (x) > 1", {"pod"}, False),
    ("sum(x) > 1", {"pod"}, False),
    ("topk(3, x)", {"pod"}, True),
    ("histogram_quantile(0.9, sum by (le, pod) (rate(x_bucket[5m])))", {"pod"}, True),
    ("histogram_quantile(0.9, sum by (le, pod) (rate(x_bucket[5m])))", {"le"}, False),
    ("sum by (pod) (x) / on (node) sum by (pod) (y)", {"pod"}, False),
    ("absent(x{pod=\"a\"})", {"pod"}, False),
    ("x{pod=\"\"} > 1", {"pod"}, False),
    ("rate(x[5m]) > 1", {"__name__"}, False),
])
def test_surely_kept_on_shapes(expr, labels, want):
    from obslint import fastpaths, labelflow, promql

    # OBSLINT_NO_FAST_PATHS=1: never sure, so AL006 always walks
    assert labelflow.surely_kept(promql.parse(expr), labels, None) is (want and fastpaths.ENABLED)


def test_surely_joins_agrees_with_the_walk_on_the_corpus():
    """PQ120 skips the walk when `surely_joins` says every vector match pairs: on every corpus
    expression it says so for, no match of the walk is unmatchable."""
    from obslint import fastpaths, labelflow, promql
    from obslint.checks.joins import unmatchable

    if not fastpaths.ENABLED:
        pytest.skip("OBSLINT_NO_FAST_PATHS=1: surely_joins is never sure")
    exprs = sorted(set(corpus_expressions()))
    sure = [e for e in exprs if promql.parse(e).error is None and len(promql.parse(e).selectors) >= 2
            and labelflow.surely_joins(promql.parse(e), None)]
    assert len(sure) > 1000
    wrong = [e for e in sure if any(unmatchable(m) for m in labelflow.Analyzer().matches(e))]
    assert not wrong, wrong[:3]


@pytest.mark.parametrize("expr, want", [
    ("sum by (a) (rate(x[5m])) / sum by (a) (rate(y[5m]))", True),
    ("sum(rate(x[5m])) / sum(rate(y[5m])) > 0.1", True),
    ("rate(x[5m]) / rate(y[5m])", True),
    ("sum by (a) (x) / sum by (a, b) (y)", False),
    ("sum by (a) (x) / y{env=\"prod\"}", False),
    ("sum by (a) (x{env=\"prod\"}) / sum by (a) (y)", True),
    ("sum by (a) (x) / on (a) sum by (a, b) (y)", False),
    ("sum without (a) (x) / y", True),
    ("sum without (a) (x) / sum without (a) (rate(y{b=\"1\"}[5m]))", True),
    ("sum without (a) (x) / y{a=\"1\"}", False),
    ("sum without (a) (x) / y{a!=\"\"}", False),
    ("sum without (a) (x) / sum without (b) (y)", False),
    ("sum without (a) (x) / sum by (b) (y)", False),
    ("sum by (a) (x) / sum without (a) (y)", False),
    ("histogram_quantile(0.9, sum by (le) (x)) / sum by (le) (y)", False),
])
def test_surely_joins_on_shapes(expr, want):
    from obslint import fastpaths, labelflow, promql
    from obslint.checks.joins import unmatchable

    got = labelflow.surely_joins(promql.parse(expr), None)
    assert got is (want and fastpaths.ENABLED)
    if got:
        assert not any(unmatchable(m) for m in labelflow.Analyzer().matches(expr))


@pytest.mark.parametrize("text", ["a / on(x) b", "a/ON (x) b", "xon(x)", "a ignoring\n(b) c", "a / Ignoring(x) b",
                                  "container(x)", "\u0131gnoring(x)", "_on(x)", "on x", "\u00e9on(x)", "(on(x))"])
def test_matches_on_equals_the_matching_regex(text):
    from obslint import labelflow

    assert labelflow._matches_on(text) == bool(labelflow._MATCHING.search(text))


def test_matches_on_equals_the_matching_regex_on_the_corpus():
    from obslint import labelflow

    wrong = [e for e in set(corpus_expressions()) if labelflow._matches_on(e) != bool(labelflow._MATCHING.search(e))]
    assert not wrong, wrong[:3]
