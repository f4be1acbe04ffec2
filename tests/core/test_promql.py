"""The PromQL wrapper: Grafana macros and variables become stand-ins of the right type."""
from __future__ import annotations

import pytest

from obslint import promql


@pytest.mark.parametrize("expr", [
    "sum(rate(http_requests_total{job=~\"$job\"}[$__rate_interval]))",
    "rate(x[${__interval}])",
    "increase(x[$__range])",
    "rate(x[${__range_s}s])",
    "sum by ($label) (x)",
    "sum(x) by ([[label]])",
    "topk($k, x)",
    "topk by (job) ($k, rate(x[5m]))",
    "histogram_quantile($q, sum by (le) (rate(x_bucket[$__rate_interval])))",
    "$metric{job=\"a\"}",
    "x > $threshold",
    "x offset $offset",
    "x{a=\"b\"} $op on (a) y",
    "holt_winters(x[5m], 0.5, 0.5)",
    "clamp_max(x, ${max:raw})",
])
def test_grafana_expressions_parse(expr):
    assert promql.parse(expr).error is None, promql.parse(expr).text


@pytest.mark.parametrize("expr", ["rate(x)", "sum(x", "x[5m] * 8[5m]", "rate(x[1.5h])", "{%(matchers)s}"])
def test_invalid_expressions(expr):
    assert promql.parse(expr).error


def test_strings_are_left_alone():
    assert promql.substitute('x{a="$__rate_interval"}') == 'x{a="$__rate_interval"}'


def test_facts():
    p = promql.parse('histogram_quantile(0.95, sum by (le, service) (rate(d_bucket{service="a"}[5m])))')
    assert [s.name for s in p.selectors] == ["d_bucket"]
    assert p.selectors[0].range == 300
    assert p.selectors[0].funcs == ("rate", "sum", "histogram_quantile")
    assert p.calls == ["histogram_quantile", "rate"]
    assert p.aggregations[0][:3] == ("sum", "by", ["le", "service"])


def test_result_labels_follow_aggregation():
    labels = promql.result_labels(promql.parse("sum by (service) (rate(x[5m])) > 1").ast)
    assert labels.may_have("service") and not labels.may_have("instance")
    labels = promql.result_labels(promql.parse("sum without (instance) (x)").ast)
    assert labels.may_have("job") and not labels.may_have("instance")
    labels = promql.result_labels(promql.parse('histogram_quantile(0.9, sum by (le, job) (rate(x[5m])))').ast)
    assert labels.may_have("job") and not labels.may_have("le")
    labels = promql.result_labels(promql.parse('label_replace(sum(x), "svc", "$1", "a", "(.*)")').ast)
    assert labels.may_have("svc") and not labels.may_have("job")
    labels = promql.result_labels(promql.parse('absent(up{job="api"})').ast)
    assert labels.may_have("job") and not labels.may_have("instance")


def test_comparisons():
    assert promql.comparisons(promql.parse("x > 1").ast)
    assert not promql.comparisons(promql.parse("x > bool 1").ast)
    assert not promql.comparisons(promql.parse("sum(x)").ast)
    assert promql.comparisons(promql.parse("(x > 1) and on() y").ast)


@pytest.mark.parametrize("expr", [
    'rate(x[$__rate_interval])', 'rate(x[${__range_s}s])', 'max_over_time(x[1h:$__interval])',
    'rate(x{a="[$y]"}[5m])', 'topk($k, x)', 'x # a comment with $x\n+ y[$i]', 'x{a="$b', "x{a='$b'}",
    'x{a="\\"$b"}', '[[metric]]{a="b"}', 'rate(x["$y"])', "a" * 5000 + "$x", '"' * 3001 + "$",
])
def test_fast_substitution_paths_agree_with_the_full_one(expr):
    assert promql.substitute(expr) == promql._apply(expr, promql._substitute(expr))[0]


def test_fast_substitution_paths_agree_with_the_full_one_on_real_dashboards():
    from tests.conftest import corpus_expressions

    exprs = corpus_expressions()
    assert len(exprs) > 1000
    for expr in exprs:
        assert promql.substitute(expr) == promql._apply(expr, promql._substitute(expr))[0], expr
