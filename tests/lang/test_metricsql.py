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


# Our own queries, one or more per construct VictoriaMetrics' parser reads differently from
# Prometheus' (learned from its lexer.go/parser.go; see scripts/metricsql_parity.py for its tests).
VALID = [
    # keep_metric_names after a binary operation, also one in parentheses
    "(rate(http_requests_total[5m]) / 2) keep_metric_names",
    "node_memory_free / node_memory_total keep_metric_names",
    "rate(a[5m]) + sum(b) keep_metric_names",  # the binary operation's, not sum's
    "rate(a[5m]) keep_metric_names * on(job) group_left() (abs(b) keep_metric_names) keep_metric_names",
    # keywords are names where no keyword fits
    "sum(by) by (offset)",
    "rate(keep_metric_names[5m])",
    "by + without",
    "x / (group_left)",
    "bool",
    "with / unless",
    "x + on(job) (prefix)",
    "label_replace(up, \"or\", \"$1\", \"limit\", \"(.*)\")",
    "{or=\"a\", by=\"b\"}",
    "{a=\"b\", or=\"x\"}",  # a label named `or` after a comma
    # durations: several units, negative parts, upper case, `[:]`, `$__interval`
    "up[1h30m-5m]",
    "max_over_time(up[1H30m5S])",
    "rate(up[:])",
    "avg_over_time(up[ : ])",
    "rate(x[$__rate_interval])",
    "increase(x[$__interval] offset -$__interval) * $__interval",
    "rate(x[$__interval:1m])",
    "up[300]",
    # numbers with suffixes and bases
    "disk_free < 10GiB",
    "x * 0o17 + 0b101 - 0x1F",
    "x > 1_000",
    "x > 45mI",  # 45 Mi, not a duration
    # WITH templates as durations, strings, filters; scopes; built-in templates
    "WITH (step = 5m) rate(http_requests_total[step]) offset step",
    "WITH (w(a, b) = rate(x[a:b] offset b)) w(1h, 1m)",
    "WITH (p = \"node_\") a * on(i) group_left() prefix p b",
    "WITH (p = \"node_\") a * on(i) group_left() prefix p + \"x_\" b",
    "WITH (job = \"api\") up{job=job + \"-canary\"}",
    "WITH (common = {env=\"prod\"}) up{common, job=\"x\"}",
    "WITH (s = {a=\"1\" or b=\"2\"}) s{c=\"3\"}",
    "WITH (x = 1) (WITH (x = 2) x) + x",
    "WITH (unused = nosuchfunc(x)) up",
    "WITH (f(x) = sum(m) by (x)) f(instance)",
    "WITH (f(x, y) = a + on(x) group_left(y) b) f(job, ())",
    "WITH (f(x) = x + 1) f",  # a template with parameters used bare is a metric name
    "ru(node_memory_MemFree_bytes, node_memory_MemTotal_bytes)",
    "WITH () up",
    "up + WITH (t = 2) t",
    "WITH (sum(a, b) = a + b) sum(x, y)",
    # other forms
    "union(a, ())",
    "r\\ate(x[5m])",
    "sum(x) by (a) limit 3",
    "x{a=\"b\" + \"c\"}",
    "{\"up\", job=\"a\"}",
    "up @ end() offset 5m",
    "up offset 5m @ start()",
]

INVALID = [
    ("sum(rate(x[5m])) keep_metric_names", 17, "`keep_metric_names` cannot follow the aggregation"),
    ("(up) keep_metric_names", 5, "`keep_metric_names` after parentheses"),
    ("up keep_metric_names", 3, "unexpected `keep_metric_names`"),
    ("up % bool 2", 5, "`bool` is for comparisons"),
    ("a and on(x) group_left b", 12, "`group_left` cannot modify `and`"),
    ("rate(x[5m]) by (job)", 12, "`by` follows aggregations only"),
    ("on + ignoring", 13, "the query ends too early"),  # after an operator `ignoring` is the modifier
    ("WITH (f(a) = a * 2) f(1, 2)", 20, "`f` takes 1 argument(s), not 2"),
    ("WITH (f(a, a) = a) f(1)", 11, "`a` is a parameter of `f` twice"),
    ("WITH (x = 1, x = 2) x", 13, "`x` is defined twice"),
    ("WITH (sel = up) node_load1{sel}", 27, "the WITH template `sel` inside `{...}`"),
    ("up{missing}", 3, "`missing` is not a label matcher"),
    ("up[window]", 3, "`window` is not a duration"),
    ("WITH (w = \"5m\") up[w]", 19, "the WITH template `w` is used as a duration"),
    ("WITH (t = 1) up{job=t}", 20, "`t` here must be a WITH template of a quoted string"),
    ("\"a\" + undefined_name", 6, "`undefined_name` here must be a WITH template"),
    ("WITH (g = nosuchfunc(up)) g", 10, "unknown function `nosuchfunc`"),
    ("WITH (f(x) = sum(m) by (x)) f(rate(y))", 24, "the label `x` is a template parameter"),
    ("WITH (s = {a=\"1\" or b=\"2\"}) s{c=\"3\" or d=\"4\"}", 28, "`s` holds `or` filters"),
    ("WITH (f(x) = x{a=\"b\"}) f(1)", 13, "the WITH template `x` is not a selector"),
    ("WITH (d(x) = x) up[d]", 19, "`d` takes 1 argument(s) and is used without"),
    ("up{job=~\"(unclosed\"}", 8, "invalid regular expression"),
    ("up{job=\"a\\d\"}", 9, "`\\d` is not an escape sequence"),
    ("{\"up\", \"down\"}", 7, "the metric name is given twice"),
    ("up{__name__=\"down\"}", 3, "the metric name is given twice"),
    ("up @ 1 offset 5m @ 2", 17, "unexpected `@`"),
    ("up[5M]", 3, "`5M` is not a duration"),
    ("up[-5m]", 3, "unexpected `-`"),
    ("x[]", 2, "unexpected `]`"),
    ("sum(x) limit 1.5", 13, "`limit` takes a whole number"),
    ("x > 1e", 4, "the number's exponent is missing"),
    ("x > 0b102", 4, "`0b102` is not a number"),
    ("up{job=\"a}", 7, "the string has no closing"),
    ("up !! 1", 3, "unexpected character `!`"),
    ("sum(,) $x", 4, "unexpected `,`"),  # the first mistake, before one the lexer finds later
    ("{a=\"b\", or c=\"d\"}", 8, "`or` cannot follow `,`"),
    ("\"s\" + m[5m]", 6, "`m` here must be a WITH template of a quoted string"),
]


@pytest.mark.parametrize("expr", VALID)
def test_victoriametrics_accepts(expr):
    parsed = metricsql.parse(expr)
    assert parsed.error is None, parsed.error


@pytest.mark.parametrize("expr, offset, start", INVALID)
def test_victoriametrics_refuses_with_position(expr, offset, start):
    parsed = metricsql.parse(expr)
    assert parsed.error is not None and parsed.error.startswith(start), parsed.error
    assert parsed.offset == offset


@pytest.mark.parametrize("expr, feature", [
    ("rate(x[$__rate_interval])", "Grafana's `$__rate_interval`, which VictoriaMetrics reads itself"),
    ("max_over_time(up[1H30m])", "the duration `1H30m`"),
    ("x / a keep_metric_names", "`keep_metric_names`"),
    ("x > 45mI", "the number `45mI`"),
    ("union(a, ())", "`union`"),
])
def test_more_metricsql_features_are_named(expr, feature):
    parsed = metricsql.parse(expr)
    assert parsed.error is None and parsed.features[0][0] == feature


def test_lexer_reads_keywords_by_context():
    from obslint.lang.lexers import MetricsqlLexer  # noqa: F401 - the adapter under test
    parsed = metricsql.parse("offset offset 5m")  # the metric `offset`, shifted by 5m
    assert parsed.error is None
    assert metricsql.parse("with (x = 1) with").error is None  # `with` not before `(`: a name
