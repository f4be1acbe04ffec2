"""The MetricsQL grammar: a superset of PromQL that names what only MetricsQL has."""
from __future__ import annotations

import pytest

from obslint.lang import metricsql


@pytest.mark.parametrize("expr, feature", [
    ('topk_max(5, sum(x) by (a), "other")', "`topk_max`"),
    ("rate(x)", "`rate` without a range window"),
    ("WITH (f(a) = sum(a)) f(x{a=\"b\"})", "`WITH` templates"),
    ("sum(x) limit 5", "`limit` after an aggregation"),
    ("x if y", "the `if` operator"),
    ("x default 0", "the `default` operator"),
    ("rate(x[5m]) keep_metric_names", "`keep_metric_names`"),
    ("sum(a, b)", "`sum` over several arguments"),
    ('x{a="b" or c="d"}', "`or` inside a selector"),
    ("x[:1m]", "a MetricsQL range window"),
    ("x[5i]", "a MetricsQL range window"),
    ("1Ki * x", "the number `1Ki`"),
    ("count(x) or 0", "`or` with a number"),
    ("sum(x[5m])", "a range vector given to `sum` (MetricsQL applies a rollup)"),
    ('a * on(b) group_left(c) prefix "x_" d', "`prefix` after group_left/group_right"),
])
def test_metricsql_features_are_named(expr, feature):
    parsed = metricsql.parse(expr)
    assert parsed.error is None and parsed.features[0][0] == feature


@pytest.mark.parametrize("expr", ["sum(rate(x[5m])) by (job)", "rate(x[5m:1m])", 'x{a="b",}', "rate(:a:b[5m])",
                                  "x offset -1h", "up == 1 or on() vector(0)", "count(x) > bool 1",
                                  'histogram_quantile(0.9, sum(rate(x_bucket[5m])) by (vmrange))'])
def test_plain_promql_has_no_metricsql_feature(expr):
    parsed = metricsql.parse(expr)
    assert parsed.error is None and parsed.features == []


@pytest.mark.parametrize("expr, offset, start", [
    ("sum(rate(x[5m])) by (job", 24, "the query ends too early"),
    ("foo_bar(x)", 0, "unknown function `foo_bar`"),
    ("sum(a,,)", 6, "unexpected `,`"),
    ("rate(x[5m]) +", 13, "the query ends too early"),
])
def test_syntax_errors_have_a_position(expr, offset, start):
    parsed = metricsql.parse(expr)
    assert parsed.error.startswith(start) and parsed.offset == offset


@pytest.mark.slow
def test_every_corpus_expression_prometheus_accepts_is_metricsql():
    from obslint import promql
    from tests.conftest import corpus_expressions

    refused = [e for e in sorted(set(corpus_expressions()))
               if promql.parse(e).error is None and metricsql.parse(promql.substitute(e)).error]
    # promql-parser also reads Prometheus' newest binary-operator `fill()` modifier, which MetricsQL has not
    assert all("fill(" in e for e in refused), refused[:5]
