"""The fast path for common PromQL shapes may only say what promql-parser says: every
expression it accepts, the parser accepts too, with the same facts; anything it is unsure of
it leaves to the parser (None)."""
from __future__ import annotations

import random

import promql_parser as pp
import pytest

from obslint import promql, promqlfast
from tests.conftest import corpus_expressions


def _full_facts(text: str):
    """The facts promql.py collects from promql-parser's tree, shaped as promqlfast returns them."""
    try:
        ast = pp.parse(text)
    except ValueError:
        return "invalid"
    parsed = promql.Parsed(text, None)
    promql._collect(ast, parsed, ())
    if len(parsed.selectors) != 1:
        return "not one selector"
    s = parsed.selectors[0]
    return (s.name, s.matchers, s.range, s.funcs), parsed.calls, parsed.aggregations, parsed.ranges


def _agrees(text: str) -> bool | None:
    quick = promqlfast.facts(text)
    if quick is None:
        return None
    assert quick == _full_facts(text), text
    return True


@pytest.mark.parametrize("text", [
    'sum by (job, le) (rate(http_request_duration_seconds_bucket{job="api", code=~"5.."}[5m]))',
    "sum(rate(x[1h])) without (instance)",
    'max(up{job="node"})',
    'rate(x{a="b",}[30s])',
    "sum by () (x)",
    "count_over_time(x[100ms])",
    'x{a!~"a|b.*", b!="", c=~"^$job$"}',
    "x:y:z",
])
def test_common_shapes_take_the_fast_path(text):
    assert _agrees(text) is True


@pytest.mark.parametrize("text", [
    "sum",  # a metric named like an aggregation
    "rate(x)",  # a range function needs a range
    "rate(x[0s])",  # a zero window is invalid
    "rate(x[5m0s])",  # compound durations: left to the parser
    'x{a=~"("}',  # regex syntax beyond the plainest
    'x{a=~"a\\\\d"}',  # escapes
    "x{a='b'}",  # single-quoted strings
    'x{__name__="y"}',  # the name set twice
    "sumby (a) (x)",  # one identifier, not `sum by`
    "sum by (a) (x) by (b)",
    "SUM(x)",  # aggregations are case-insensitive in PromQL; the fast path reads lower case only
    "sum by (Inf) (x)",  # a number, not a label
    "x offset 5m",
    "sum(rate(x[5m])) > 1",
    'x {a="b"}',
])
def test_anything_unusual_is_left_to_the_parser(text):
    assert promqlfast.facts(text) is None


def test_real_expressions_get_the_same_facts_either_way():
    exprs = sorted(set(corpus_expressions()))
    assert len(exprs) > 5000
    taken = sum(1 for e in exprs if _agrees(promql.substitute(e)))
    assert taken > len(exprs) // 4  # the point of the fast path: a large share of real queries


def test_generated_expressions_get_the_same_facts_either_way():
    rng = random.Random(20261127)
    spaces = ["", " ", "\n", "\t", "\r\n", " \n "]
    names = ["x", "http_requests_total", "a:b:c", "_x", "sum", "by", "rate", "inf", "NaN", "on", "bool",
             "offset", "le", "__name__", "group", "topk", "start", "atan2", "and", "Inf"]
    values = ["", "a", "a|b", ".*", ".+", "$job", "^a$", "a.b", "x-y", "a b", "5..", "(", "*", "[a]", "a{2}",
              "..*", "|", "$", "^", "a||b", "@", "%", ",", "=", "/", ":"]
    functions = list(promqlfast._RANGE_FUNCS) + ["abs", "histogram_quantile", "quantile_over_time"]
    aggregations = list(promqlfast._AGGREGATIONS) + ["topk", "SUM", "count_values"]
    windows = ["5m", "1h", "30s", "100ms", "0s", "1y", "2w", "05m", "5m0s", "999999s", "1000000s", "5M"]

    def ws():
        return rng.choice(spaces)

    def selector():
        text = rng.choice(names)
        if rng.random() < 0.7:
            matchers = [f'{ws()}{rng.choice(names)}{ws()}{rng.choice(["=", "!=", "=~", "!~"])}{ws()}"{rng.choice(values)}"'
                        for _ in range(rng.randrange(4))]
            text += "{" + ",".join(matchers) + ("," if rng.random() < 0.2 else "") + ws() + "}"
        return text

    def labels():
        return "(" + ",".join(f"{ws()}{rng.choice(names)}{ws()}" for _ in range(rng.randrange(3))) + ")"

    taken = 0
    for _ in range(8000):
        inner = (f"{rng.choice(functions)}{ws()}({ws()}{selector()}{ws()}[{ws()}{rng.choice(windows)}{ws()}]{ws()})"
                 if rng.random() < 0.6 else selector())
        if rng.random() < 0.6:
            pre = f" {rng.choice(['by', 'without'])}{ws()}{labels()}{ws()}" if rng.random() < 0.4 else ""
            post = f"{ws()}{rng.choice(['by', 'without'])}{ws()}{labels()}" if rng.random() < 0.4 else ""
            inner = f"{rng.choice(aggregations)}{pre}({ws()}{inner}{ws()}){post}"
        taken += bool(_agrees(ws() + inner + ws()))
    assert taken > 300


# --- parsing with regex matchers made plain -------------------------------------------
def _reference(expr: str):
    """What promql.parse said before any fast path: the parser on the whole text."""
    problem = promql.too_complex(expr)
    if problem:
        return ("error", problem)
    text = promql.substitute(expr)
    try:
        ast = pp.parse(text)
    except ValueError as exc:
        return ("error", str(exc) or "invalid PromQL")
    parsed = promql.Parsed(text, None)
    promql._collect(ast, parsed, ())
    return _summary(parsed)


def _summary(parsed):
    if parsed.error:
        return ("error", parsed.error)
    return ([(s.name, s.matchers, s.range, s.funcs) for s in parsed.selectors], parsed.calls,
            parsed.aggregations, parsed.ranges, parsed.operators)


@pytest.mark.parametrize("expr", [
    'sum by (job) (rate(x{job=~"$job", code!~"5.."}[5m])) / sum by (job) (rate(x{job=~"$job"}[5m]))',
    'x{a=~"("}',  # the parser's own message for a bad regex
    '{a=~".*"}',  # no metric name: whether the regex matches "" decides validity
    '{a=~".+"}',
    'absent(x{a=~"b", c="d"})',
    'x{__name__=~"y.*"}',
    'x{a=~"b" or c!~"d"}',
    "x{a=~'b\\\\d'} > 0",
    'label_replace(x{a=~"b"}, "dst", "=~", "src", "(.*)")',
])
def test_parsing_with_plain_matchers_says_what_the_parser_says(expr):
    assert _summary(promql.Service().parse(expr)) == _reference(expr)


def test_absent_keeps_regex_matchers_out_of_its_result_labels():
    for tree in ("ast", "shape"):
        labels = promql.result_labels(getattr(promql.parse('absent(x{a=~"b", c="d"})'), tree))
        assert labels.may_have("c") and not labels.may_have("a")


@pytest.mark.parametrize("expr", ['sum by (job) (rate(x{job=~"$job", code!~"5.."}[5m])) > 1',
                                  'x{a=~"b"} / on (a) y{c!~"d"}'])
def test_ast_is_the_tree_of_the_original_text_even_after_the_regex_free_parse(expr):
    parsed = promql.Service().parse(expr)
    assert parsed.shape_text != parsed.text  # the facts came from the regex-free parse
    def ops(tree):
        selectors = [n.vector_selector if isinstance(n, pp.MatrixSelector) else n for n in promql.nodes(tree)
                     if isinstance(n, (pp.VectorSelector, pp.MatrixSelector))]
        return sorted(op for vs in selectors for _label, op, _value in promql._matchers(vs))

    assert ops(parsed.ast) == ops(pp.parse(parsed.text))
    assert "=~" in ops(parsed.ast) and "=~" not in ops(parsed.shape)
    assert [type(n) for n in promql.nodes(parsed.shape)] == [type(n) for n in promql.nodes(parsed.ast)]


def test_a_run_keeps_its_facts_in_its_own_service():
    mine = promql.Service()
    before = promql.use(mine)
    try:
        first = promql.parse("sum(rate(x[5m]))")
        assert promql.parse("sum(rate(x[5m]))") is first and mine.facts["sum(rate(x[5m]))"] is first
    finally:
        promql.use(before)
    assert promql.parse("sum(rate(x[5m]))") is not first  # outside a run: nothing is kept


def test_every_real_expression_gets_the_parsers_facts_and_errors():
    exprs = sorted(set(corpus_expressions()))
    for expr in exprs:
        assert _summary(promql.Service().parse(expr)) == _reference(expr), expr


def test_damaged_real_expressions_get_the_parsers_facts_and_errors():
    rng = random.Random(11)
    pool = sorted({e for e in corpus_expressions() if "~" in e})
    inserts = ["(", ")", '"', "'", "{", "}", "~", "=~", "!~", " or ", "\\", "*", "[", ".*", "__name__", "absent(",
               "$", ",", "`", '{a=~".*"}', 'x{b=~"("}']
    for _ in range(4000):
        expr = rng.choice(pool)
        for _ in range(rng.randint(1, 2)):
            i = rng.randrange(len(expr) + 1)
            expr = expr[:i] + expr[i + 1:] if rng.random() < 0.3 else expr[:i] + rng.choice(inserts) + expr[i:]
        assert _summary(promql.Service().parse(expr)) == _reference(expr), expr
