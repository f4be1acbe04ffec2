"""The guards that keep native parsers from crashing are sound: property tests of the cheap
checks against exact measurements."""
from __future__ import annotations

import json

import promql_parser as pp
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from obslint import promql
from obslint.load import MAX_DEPTH, read_source
from obslint.load import yamlload

# --- PromQL: `nesting` is an upper bound of the real tree depth ------------------------------------


def tree_depth(node) -> int:
    """Depth of a promql-parser tree, iteratively."""
    best, stack = 0, [(node, 1)]
    while stack:
        n, d = stack.pop()
        best = max(best, d)
        kids = []
        for attr in ("expr", "lhs", "rhs", "param", "vector_selector"):
            child = getattr(n, attr, None)
            if child is not None and not isinstance(child, (str, int, float)):
                kids.append(child)
        kids += list(getattr(n, "args", None) or [])
        stack += [(k, d + 1) for k in kids if type(k).__module__.startswith("promql_parser")]
    return best


ATOMS = ["up", "x", "1", 'x{job="a(b)"}', 'z{a=~"[(]"}', "rate(y[5m])", "x offset 5m", "vector(1)",
         'up{job!="a-b"} @ 100']
BINOPS = [" + ", " - ", " * ", " / ", " % ", " ^ ", " == bool ", " != bool ", " > bool ", " < bool ", " >= ",
          " and ", " or ", " unless ", " atan2 ", " + on(job) group_left ", " / ignoring(a) "]
WRAPS = ["({})", "-{}", "abs({})", "sum by (job) ({})", "topk(3, {})", "({})[5m:1m]", "rate(({})[5m:])",
         "clamp({}, 0, 1)", "histogram_quantile(0.9, {})", "max_over_time(({})[1h:])", "sort_desc({})"]


def random_expr(rng, budget: int) -> str:
    """A random expression of up to `budget` constructs: chains, wrappers, nesting."""
    if budget <= 1 or rng.random() < 0.15:
        return rng.choice(ATOMS)
    if rng.random() < 0.45:
        left = rng.randint(1, budget - 1)
        return random_expr(rng, left) + rng.choice(BINOPS) + random_expr(rng, budget - left)
    return rng.choice(WRAPS).format(random_expr(rng, budget - 1))


@settings(max_examples=500, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(1, 150))
def test_nesting_bounds_the_real_depth(rng, size):
    expr = random_expr(rng, size)
    try:
        ast = pp.parse(expr)
    except ValueError:
        return  # not valid PromQL (e.g. a type error): nothing to compare
    assert promql.nesting(expr) >= tree_depth(ast) - 1, expr  # a leaf selector is not a level


DEEP = {
    "parens": "(" * 10_000 + "up" + ")" * 10_000,
    "unclosed": "(" * 10_000 + "up",
    "chain": " + ".join(["up"] * 10_000),
    "unary": "-" * 10_000 + "up",
    "subqueries": "up" + "[5m:1m]" * 3_000,
    "calls": "abs(" * 10_000 + "up" + ")" * 10_000,
    "long": "x" * 70_000,
}


@pytest.mark.parametrize("name", sorted(DEEP))
def test_deep_or_long_expressions_are_refused_without_parsing(name, monkeypatch):
    def never(_text):
        raise AssertionError("the parser was called")

    monkeypatch.setattr(pp, "parse", never)
    parsed = promql.parse(DEEP[name] + f"  # {name} {id(monkeypatch)}")  # a comment: never cached before
    assert parsed.error and ("levels" in parsed.error or "characters" in parsed.error)


def test_real_expressions_are_far_from_the_limit():
    deep = "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m])) / sum by (job) (rate(http_requests_total[5m]))"
    assert promql.too_complex(deep) is None
    assert promql.nesting(deep) < 10


# --- YAML: the cheap shallowness test never passes a text that nests deeply ------------------------


def event_depth(text: str, loader_class=yamlload.GoLikeLoader) -> int:
    """The deepest nesting the event stream reaches (up to a syntax error)."""
    loader = loader_class(text)
    depth = best = 0
    try:
        while True:
            ev = loader.get_event()
            if ev is None:
                break
            if isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                best = max(best, depth)
            elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.YAMLError as exc:
        if "maximum nesting depth" in (getattr(exc, "problem", None) or ""):
            # Newer libyaml (PyYAML 6.0.4 wheels) stops at its own limit (1,000), which says
            # nothing about the real depth: measure it with PyYAML's pure-Python parser,
            # which has no limit and does not recurse.
            return event_depth(text, yaml.SafeLoader)
    finally:
        loader.dispose()
    return best


def _shape(kind: str, n: int, step: int) -> str:
    if kind == "compact":
        return "- " * n + "x\n"
    if kind == "compact-tabs":
        return "-\t" * n + "x\n"
    if kind == "indent":
        return "".join(" " * (i * step) + "a:\n" for i in range(n)) + " " * (n * step) + "1\n"
    if kind == "seq-in-map":
        return "".join(" " * (i * step) + "- a:\n" for i in range(n)) + " " * (n * step + 2) + "1\n"
    if kind == "flow":
        return "a: " + "[" * n + "]" * n + "\n"
    if kind == "flow-map":
        return "{a: " * n + "1" + "}" * n + "\n"
    if kind == "mixed":
        block = "".join(" " * i + "k:\n" for i in range(min(n, 200)))
        return block + " " * min(n, 200) + "- " * n + "[" * n + "1" + "]" * n + "\n"
    if kind == "padded":  # deep nesting hidden after a lot of ordinary text
        return "groups:\n" + "  - name: g\n    rules: []\n" * 200 + "x: " + "[" * n + "]" * n + "\n"
    raise ValueError(kind)


KINDS = ["compact", "compact-tabs", "indent", "seq-in-map", "flow", "flow-map", "mixed", "padded"]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(KINDS), st.integers(1, 4000), st.integers(1, 3))
@example("flow", 1000, 1)  # passes the cheap test; libyaml 0.2.6 refuses it at its own limit of 1,000
@example("flow-map", 999, 1)
def test_shallow_text_really_is_shallow(kind, n, step):
    text = _shape(kind, n, step)
    if yamlload._shallow(text, flow=True):
        assert event_depth(text) <= 3000  # far below where either native parser crashes (~10,000)
    if yamlload._shallow(text, flow=False):  # the test before yaml_rs, which bounds flow itself
        assert event_depth(text.replace("[", "").replace("{", "")) <= 3000


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(KINDS), st.integers(1, 2000), st.integers(1, 3))
def test_deep_yaml_is_a_finding_and_shallow_yaml_is_read(tmp_path, kind, n, step):
    text = _shape(kind, n, step)
    path = tmp_path / "f.yaml"
    path.write_text(text)
    source, findings = read_source(path, "f.yaml", "yaml")
    depth = event_depth(text)
    too_deep = [f for f in findings if f.code == "IN009"]
    if any(f.code == "IN008" for f in findings):  # over max-file-size: not read at all, which is safe too
        assert not source.documents
        return
    if depth > MAX_DEPTH:
        assert too_deep and not source.documents, (kind, n, depth)
        assert 1 <= too_deep[0].line <= text.count("\n") + 1
    else:
        assert not too_deep, (kind, n, depth, too_deep)


@pytest.mark.parametrize("text,line", [
    ("a: 1\r\nb: [\r\n", 3),  # CRLF and a syntax error at the very end
    ("a: x\rb: [", 1),  # a bare CR is not a line break for editors
    ("a: \"\u2028\"\nb: [", 2),  # nor is U+2028
    ("a: [", 1),  # no final newline: the end is on the last line, not after it
])
def test_yaml_error_positions_stay_inside_the_file(tmp_path, text, line):
    path = tmp_path / "f.yaml"
    path.write_bytes(text.encode("utf-8"))
    _source, findings = read_source(path, "f.yaml", "yaml")
    (f,) = [f for f in findings if f.code == "IN003"]
    assert f.line == line


def test_deep_json_finding_points_at_the_level_past_the_limit(tmp_path):
    text = json.dumps({"title": "t", "panels": [{"x": json.loads("[" * 150 + "]" * 150)}]}, indent=1)
    path = tmp_path / "d.json"
    path.write_text(text)
    source, findings = read_source(path, "d.json", "json")
    (f,) = findings
    assert f.code == "IN009" and not source.documents
    line = text.split("\n")[f.line - 1]
    assert line[f.col - 1] == "["
