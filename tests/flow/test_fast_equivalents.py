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


def test_ratio_thresholds_inside_zero_one_are_skipped():
    from obslint import promql
    from obslint.checks import deadexpr

    assert not deadexpr._may_be_empty(promql.parse('sum(rate(x{code=~"5.."}[5m])) / sum(rate(x[5m])) > 0.05'))
