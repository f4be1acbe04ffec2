"""`obslint gen-tests`: promtool unit tests that prove each alert fires.

For an alert `E op C` (E built from selectors, rates, aggregations, ratios, histogram
quantiles, through recording rules; C a number), input series are built from E's selectors
(labels that satisfy their matchers and the labels the aggregations and templates use); one
input family drives E. A search over nice values of the driver finds one that puts E just
beyond the threshold and one just inside (E still has a value there, so silence comes from
the threshold and not from a missing series). A small evaluator (testfiles/evaluate.py)
replays the evaluation steps and tells when the alert becomes active; the tests then expect:

- at active + `for`: the alert firing, with its labels and rendered annotations;
- one evaluation step earlier: silence (beyond the threshold for less than `for`);
- with the inside value, at the same time: silence.

An alert the evaluator cannot model is listed with the reason and gets no test: never a test
that passes by accident.
"""
from __future__ import annotations

import math
import os
import re

from obslint import promql
from obslint.durations import format_duration, parse_duration
from obslint.testfiles import evaluate as ev
from obslint.testfiles.notation import format_number, format_series
from obslint.testfiles.render import CannotRender, go_float, render

INTERVAL = 60.0
_GRID = [0.0] + [m * 10.0 ** k for k in range(-4, 8) for m in (1.0, 2.0, 5.0)]
_RATE_LIKE = {"rate", "irate", "increase", "resets"}
_FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}
_CMP = {">": lambda a, b: a > b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b,
        "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


class CannotModel(Exception):
    pass


class Rules:
    """Every rule of the rule files given: alerts in order, recording rules by name."""

    def __init__(self, rules: list) -> None:
        self.alerts = [r for r in rules if r.is_alert and r.doc.base == ()]
        self.records: dict[str, list] = {}
        self.order: dict[int, int] = {}
        for i, r in enumerate(rules):
            self.order[id(r)] = i
            rec = r.data.get("record")
            if isinstance(rec, str) and r.query is not None and r.doc.base == ():
                self.records.setdefault(rec, []).append(r)


class Plan:
    """A modelled alert: input series for the firing and silent scenarios and what to expect."""

    def __init__(self, rule, firing_series, silent_series, fire_at, pending_at, alerts, comment, silent_comment,
                 files) -> None:
        self.rule, self.firing_series, self.silent_series = rule, firing_series, silent_series
        self.fire_at, self.pending_at, self.alerts = fire_at, pending_at, alerts
        self.comment, self.silent_comment, self.files = comment, silent_comment, files


# --------------------------------------------------------------------------------------------------
# The expression's shape
# --------------------------------------------------------------------------------------------------
def _threshold(ast):
    """(operand node, op, C) of the outermost `E op C` comparison, or CannotModel."""
    node = ast
    while True:
        while type(node).__name__ == "ParenExpr":
            node = node.expr
        # `E > C and guard`, `E > C unless ...`, `E > C or ...`: the left side's threshold; the
        # simulation of the whole expression decides whether the rest lets the alert fire.
        if type(node).__name__ == "BinaryExpr" and str(node.op) in ("and", "or", "unless"):
            node = node.lhs
            continue
        # `max without (w) (E > C)`: the comparison filters inside an aggregation.
        if type(node).__name__ == "AggregateExpr" and str(node.op) in ("max", "min", "sum", "avg", "count", "group"):
            node = node.expr
            continue
        break
    if type(node).__name__ != "BinaryExpr" or str(node.op) not in _CMP:
        raise CannotModel("the expression is not a comparison with a number at the top (`E > C`)")
    if node.modifier is not None and node.modifier.return_bool:
        raise CannotModel("the comparison uses `bool`: the alert fires on every series")
    n_r, n_l = _const(node.rhs), _const(node.lhs)
    if n_r is not None and n_l is None:
        return node.lhs, str(node.op), n_r
    if n_l is not None and n_r is None:
        return node.rhs, _FLIP[str(node.op)], n_l
    raise CannotModel("the threshold is not a number (a comparison of two queries)")


def _const(node) -> float | None:
    """The value of a number literal or of arithmetic on literals (`(14.4 * 0.001)`), else None;
    computed as Prometheus folds it, in float64."""
    cls = type(node).__name__
    if cls == "NumberLiteral":
        return float(node.val)
    if cls == "ParenExpr":
        return _const(node.expr)
    if cls == "UnaryExpr":
        v = _const(node.expr)
        return None if v is None else -v
    if cls == "BinaryExpr" and str(node.op) in ("+", "-", "*", "/", "^"):
        a, b = _const(node.lhs), _const(node.rhs)
        if a is None or b is None:
            return None
        try:
            return {"+": a + b, "-": a - b, "*": a * b}.get(str(node.op)) if str(node.op) in "+-*" else (
                a / b if str(node.op) == "/" else a ** b)
        except (ZeroDivisionError, OverflowError):
            return None
    return None


class _Selector:
    __slots__ = ("name", "matchers", "counter", "bucket")

    def __init__(self, name, matchers, counter, bucket) -> None:
        self.name, self.matchers, self.counter, self.bucket = name, matchers, counter, bucket


def _walk(node, rules: Rules, funcs: tuple, out: list, labels: set, hints: dict, depth: int = 0,
          seen=None) -> set:
    """Raw selectors of an expression through recording rules; `labels` collects the label
    names grouping and matching use, `hints` a value per label some selector (recorded ones
    too) asks for. Returns the recorded names followed."""
    seen = set() if seen is None else seen
    for n in promql.nodes(node):
        cls = type(n).__name__
        if cls == "AggregateExpr" and n.modifier is not None:
            labels.update(n.modifier.labels)
        elif cls == "BinaryExpr" and n.modifier is not None and n.modifier.matching is not None:
            labels.update(n.modifier.matching.labels)
            labels.update(n.modifier.group_labels or [])
        elif cls == "SubqueryExpr":
            raise CannotModel("it uses a subquery")
        elif cls in ("VectorSelector", "MatrixSelector"):
            vs = n if cls == "VectorSelector" else n.vector_selector
            ctx = _functions(node, n)
            for m in vs.matchers.matchers:
                if str(m.op) == "MatchOp.Equal" and m.value:
                    hints.setdefault(m.name, m.value)
            if vs.name in rules.records and depth < 8:
                seen.add(vs.name)
                for r in rules.records[vs.name]:
                    _walk(ev.parse(r.query.expr), rules, ctx + funcs, out, labels, hints, depth + 1, seen)
                continue
            if not vs.name:
                raise CannotModel("a selector without a metric name")
            try:
                matchers = [m for m in ev.matchers_of(vs) if m[0] != "__name__"]
            except ev.Unsupported as exc:
                raise CannotModel(str(exc)) from None
            all_funcs = ctx + funcs
            counter = any(f in _RATE_LIKE for f in all_funcs)
            bucket = vs.name.endswith("_bucket") and "histogram_quantile" in all_funcs and \
                not any(m[0] == "le" for m in matchers)
            out.append(_Selector(vs.name, matchers, counter, bucket))
    return seen


def _functions(root, target) -> tuple:
    """Names of the calls and aggregations around `target` inside `root`, innermost first."""
    path: list = []

    def visit(n, stack) -> bool:
        if n is target:
            path.extend(reversed(stack))
            return True
        cls = type(n).__name__
        name = n.func.name if cls == "Call" else str(n.op) if cls == "AggregateExpr" else None
        children = (n.args if cls == "Call" else [n.expr] if cls in ("AggregateExpr", "ParenExpr", "UnaryExpr",
                                                                      "SubqueryExpr")
                    else [n.lhs, n.rhs] if cls == "BinaryExpr" else [])
        for c in children:
            if visit(c, stack + ([name] if name else [])):
                return True
        return False

    visit(root, [])
    return tuple(path)


def _has_offset(node, rules: Rules, depth: int = 0) -> bool:
    for n in promql.nodes(node):
        cls = type(n).__name__
        vs = n if cls == "VectorSelector" else n.vector_selector if cls == "MatrixSelector" else None
        if vs is None:
            continue
        if vs.offset is not None and vs.offset.total_seconds() != 0:
            return True
        if vs.name in rules.records and depth < 8 and any(
                _has_offset(ev.parse(r.query.expr), rules, depth + 1) for r in rules.records[vs.name]):
            return True
    return False


def _ranges(node, rules: Rules, depth: int = 0, offsets: bool = True) -> float:
    """The longest range (+ offset) an expression reads, through recording rules."""
    longest = 0.0
    for n in promql.nodes(node):
        cls = type(n).__name__
        vs = n if cls == "VectorSelector" else n.vector_selector if cls == "MatrixSelector" else None
        if vs is None:
            continue
        rng = n.range.total_seconds() if cls == "MatrixSelector" else 0.0
        off = vs.offset.total_seconds() if vs.offset is not None and offsets else 0.0
        if off < 0:
            raise CannotModel("a negative offset")
        inner = 0.0
        if vs.name in rules.records and depth < 8:
            inner = max(_ranges(ev.parse(r.query.expr), rules, depth + 1, offsets)
                        for r in rules.records[vs.name]) + INTERVAL
        longest = max(longest, rng + off + inner)
    return longest


# --------------------------------------------------------------------------------------------------
# Label values that satisfy the matchers
# --------------------------------------------------------------------------------------------------
def regex_example(pattern: str) -> str | None:
    """A short string the (RE2-style, fully anchored) pattern matches, or None."""
    try:
        import re._parser as sre  # type: ignore[import-not-found]
    except ImportError:  # Python 3.10
        import sre_parse as sre  # type: ignore[no-redef]
    try:
        tree = sre.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None

    def build(items) -> str | None:
        out = []
        for op, av in items:
            name = str(op)
            if name == "LITERAL":
                out.append(chr(av))
            elif name == "ANY":
                out.append("x")
            elif name == "IN":
                s = _from_set(av)
                if s is None:
                    return None
                out.append(s)
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                lo, _hi, sub = av
                part = build(sub)
                if part is None:
                    return None
                out.append(part * lo)
            elif name == "SUBPATTERN":
                part = build(av[-1])
                if part is None:
                    return None
                out.append(part)
            elif name == "BRANCH":
                part = None
                for alt in av[1]:
                    part = build(alt)
                    if part is not None and part != "":
                        break
                if part is None:
                    return None
                out.append(part)
            elif name == "AT":
                continue
            else:
                return None
        return "".join(out)

    def _from_set(av) -> str | None:
        for op, v in av:
            name = str(op)
            if name == "LITERAL":
                return chr(v)
            if name == "RANGE":
                return chr(v[0])
            if name == "CATEGORY":
                return {"CATEGORY_DIGIT": "0", "CATEGORY_WORD": "a", "CATEGORY_SPACE": " "}.get(str(v))
            if name == "NEGATE":
                return None
        return None

    s = build(list(tree))
    if s is None:
        return None
    try:
        return s if re.fullmatch(pattern, s) else None
    except re.error:
        return None


def _value_for(label: str, matchers, default: str | None) -> str | None:
    """A value of `label` satisfying every matcher on it ("" = label absent), or None."""
    eq = [v for n, op, v in matchers if n == label and op == "="]
    candidates = eq[:1] if eq else []
    for n, op, v in matchers:
        if n == label and op == "=~":
            ex = regex_example(v)
            if ex is None:
                return None
            candidates.append(ex)
    if default is not None:
        candidates.append(default)
    candidates += [f"{label}-1", "", "obslint"]
    for c in candidates:
        if all(_ok(c, op, v) for n, op, v in matchers if n == label):
            return c
    return None


def _ok(value: str, op: str, pattern: str) -> bool:
    if op == "=":
        return value == pattern
    if op == "!=":
        return value != pattern
    try:
        hit = re.fullmatch(pattern, value) is not None
    except re.error:
        return False
    return hit if op == "=~" else not hit


# --------------------------------------------------------------------------------------------------
# Input families and the evaluator
# --------------------------------------------------------------------------------------------------
class Family:
    """Input series driven by one number: a counter's slope per second, a gauge's value, or a
    histogram's rate of observations above the threshold."""

    __slots__ = ("kind", "labels", "les")

    def __init__(self, kind: str, labels: dict, les=None) -> None:
        self.kind, self.labels, self.les = kind, labels, les

    def series(self, p: float, steps: int, switch: int | None = None) -> list[tuple[dict, str, list]]:
        """(labels, values text, values) for driver value p over steps+1 samples (a counter's
        increment per step); with `switch`, the value is 1 before that step and p from it on."""
        if self.kind == "gauge":
            if switch is None or p == 1.0:
                return [(self.labels, f"{format_number(p)}x{steps}", [p] * (steps + 1))]
            return [(self.labels, f"1x{switch - 1} {format_number(p)}x{steps - switch}",
                     [1.0] * switch + [p] * (steps - switch + 1))]
        if self.kind == "counter":
            return [(self.labels, *_counter(p, steps, switch))]
        out = []
        for le, share in self.les:
            lb = dict(self.labels, le=le)
            out.append((lb, *_counter((1.0 if share >= 1 else 0.0) + (p if share >= 2 else 0.0), steps)))
        return out


def _counter(inc: float, steps: int, switch: int | None = None):
    """A counter from 0 growing by `inc` per step (by 1 before `switch`), as promtool expands it."""
    if switch is None or inc == 1.0:
        vals, v = [0.0], 0.0
        for _ in range(steps):
            v += inc
            vals.append(v)
        return f"0+{format_number(inc)}x{steps}", vals
    vals, v = [0.0], 0.0
    for _ in range(switch - 1):
        v += 1.0
        vals.append(v)
    start = v + inc
    v = start
    vals.append(v)
    for _ in range(steps - switch):
        v += inc
        vals.append(v)
    return f"0+1x{switch - 1} {format_number(start)}+{format_number(inc)}x{steps - switch}", vals


def _families(selectors, labels_used: set, template_labels: set, hints: dict) -> list[Family]:
    defaults: dict[str, str] = dict(hints)
    for s in selectors:
        for n, op, v in s.matchers:
            if op == "=" and v and n not in defaults:
                defaults[n] = v
    wanted = (labels_used | template_labels) - {"le", "__name__"}
    out: list[Family] = []
    seen: set = set()
    for s in selectors:
        labels = {"__name__": s.name}
        names = {n for n, _op, _v in s.matchers if n not in ("__name__",)} | wanted
        for n in sorted(names):
            v = _value_for(n, s.matchers, defaults.get(n))
            if v is None:
                raise CannotModel(f"no value of `{n}` satisfies the matchers of `{s.name}`")
            if v != "":
                labels[n] = v
        key = tuple(sorted(labels.items()))
        if key in seen:
            continue
        seen.add(key)
        if s.bucket:
            out.append(Family("histogram", labels, None))
        else:
            out.append(Family("counter" if s.counter else "gauge", labels))
    return out


def _records(rules: Rules) -> dict:
    out = {}
    for name, rs in rules.records.items():
        lst = []
        for r in rs:
            labels = r.data.get("labels")
            fixed = {}
            if isinstance(labels, dict):
                for k, v in labels.items():
                    text = "" if v is None else str(v)
                    if "{{" in text:
                        raise CannotModel(f"the recording rule {name} has a templated label")
                    fixed[str(k)] = text
            lst.append((rules.order[id(r)], ev.parse(r.query.expr), fixed))
        out[name] = lst
    return out


class Model:
    """One alert ready to be simulated."""

    def __init__(self, rule, rules: Rules) -> None:
        self.rule = rule
        if rule.query is None:
            raise CannotModel("no expression")
        if "keep_firing_for" in rule.data:
            raise CannotModel("keep_firing_for")
        self.ast = ev.parse(rule.query.expr)
        self.operand, self.op, self.threshold = _threshold(self.ast)
        self.for_s = parse_duration(str(rule.data.get("for"))) if rule.data.get("for") is not None else 0.0
        if self.for_s is None:
            raise CannotModel("`for` is not a duration")
        selectors: list = []
        labels_used: set = set()
        hints: dict = {}
        self.used_records = _walk(self.ast, rules, (), selectors, labels_used, hints)
        if not selectors:
            raise CannotModel("the expression reads no series")
        self.template_labels = _template_labels(rule)
        self.families = _families(selectors, labels_used, self.template_labels, hints)
        for f in self.families:
            if f.kind == "histogram":
                c = self.threshold
                if not c > 0:
                    raise CannotModel("a histogram quantile compared with a threshold <= 0")
                f.les = [(format_number(c / 2), 0), (format_number(c), 1), (format_number(c * 2), 2), ("+Inf", 2)]
        self.records = _records(rules)
        self.order = rules.order[id(rule)]
        self.window = _ranges(self.ast, rules)
        # With an offset (`x / x offset 1h`) the value must change: 1 until `switch`, the
        # driver's value from then on; the search looks just after the change.
        self.switch = None
        self.look = self.window + 2 * INTERVAL
        if _has_offset(self.ast, rules):
            near = _ranges(self.ast, rules, offsets=False)
            self.switch = int(math.ceil(self.window / INTERVAL)) + 1
            self.look = self.switch * INTERVAL + near + 2 * INTERVAL
        if any(_group_interval(r) not in (None, INTERVAL) for r in [rule] + [x for n in self.used_records
                                                                               for x in rules.records[n]]):
            raise CannotModel("a rule group with its own `interval`")
        self.steps = int(math.ceil((self.look + self.for_s + 4 * INTERVAL) / INTERVAL))

    def store(self, params: list[float], steps: int):
        store = ev.Store(INTERVAL)
        texts = []
        for fam, p in zip(self.families, params):
            for labels, text, values in fam.series(p, steps, self.switch):
                store.add(labels, values)
                texts.append((labels, text))
        return store, texts

    def evaluator(self, params, steps):
        store, texts = self.store(params, steps)
        e = ev.Evaluator(store, self.records, INTERVAL)
        e.order = self.order
        return e, texts

    def operand_at(self, params, t: float):
        e, _ = self.evaluator(params, int(t // INTERVAL) + 1)
        try:
            return e.vector(self.operand, t)
        except ev.Unsupported as exc:
            raise CannotModel(str(exc)) from None

    def fires_at(self, params, t: float) -> bool:
        """Does the whole alert expression have a value at t (steady input)?"""
        e, _ = self.evaluator(params, int(t // INTERVAL) + 1)
        try:
            return bool(e.vector(self.ast, t))
        except ev.Unsupported as exc:
            raise CannotModel(str(exc)) from None


def _group_interval(rule):
    v = rule.group.data.get("interval") if isinstance(rule.group.data, dict) else None
    return None if v is None else parse_duration(str(v))


_TEMPLATE_LABEL = re.compile(r"(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*)")


def _template_labels(rule) -> set:
    out = set()
    for key in ("labels", "annotations"):
        d = rule.data.get(key)
        if isinstance(d, dict):
            for v in d.values():
                out |= set(_TEMPLATE_LABEL.findall(str(v)))
    return out


# --------------------------------------------------------------------------------------------------
# The search and the simulation
# --------------------------------------------------------------------------------------------------
def _state(model: Model, params, t: float) -> tuple[bool, list]:
    """(operand has a value, values of the operand) at t."""
    vals = model.operand_at(params, t)
    return bool(vals), vals


def _beyond(model: Model, vals) -> bool:
    return bool(vals) and all(_CMP[model.op](v, model.threshold) for _lb, v in vals)


def _inside(model: Model, vals) -> bool:
    return bool(vals) and all(not math.isnan(v) and not _CMP[model.op](v, model.threshold) for _lb, v in vals)


def _clear(model: Model, vals) -> bool:
    """No value within a hair of the threshold (where float rounding could decide)."""
    c = model.threshold
    if model.op in ("==", "!="):
        return True  # equality is exact: `up == 0` fires on 0 and on nothing else
    # Exactly the threshold is clear too (`x > 0` stays silent on 0): the evaluator does the
    # arithmetic in the same order and precision as Prometheus.
    return all(v == c or abs(v - c) > 1e-9 * max(1.0, abs(c)) for _lb, v in vals)


def search(model: Model):
    """(driver index, params beyond, params inside) with values just beyond / inside."""
    t = math.ceil(model.look / INTERVAL) * INTERVAL
    base = [1.0] * len(model.families)
    for d in range(len(model.families)):
        results = []
        for v in _GRID:
            params = list(base)
            params[d] = v
            vals = model.operand_at(params, t)
            results.append((v, vals))
        flip = None
        for (v1, a), (v2, b) in zip(results, results[1:]):
            if (_beyond(model, a) and _inside(model, b)) or (_inside(model, a) and _beyond(model, b)):
                flip = (v1, v2)
                break
        if flip is None:
            continue
        lo, hi = flip
        best_out = best_in = None
        for c, vals in results:
            if _beyond(model, vals) and _clear(model, vals) and (best_out is None or _closer(model, vals, best_out[1])):
                params = list(base)
                params[d] = c
                if model.fires_at(params, t):
                    best_out = (c, vals)
            if _inside(model, vals) and _clear(model, vals) and (best_in is None or _closer(model, vals, best_in[1])):
                best_in = (c, vals)
        for _round in range(3):
            cands = sorted({lo + (hi - lo) * j / 10 for j in range(11)})
            cands = [_nice(c) for c in cands]
            scored = []
            for c in sorted(set(cands)):
                params = list(base)
                params[d] = c
                vals = model.operand_at(params, t)
                scored.append((c, vals))
            prev = None
            for c, vals in scored:
                if _beyond(model, vals) and _clear(model, vals) and (best_out is None or
                                                                     _closer(model, vals, best_out[1])):
                    params = list(base)
                    params[d] = c
                    if not model.fires_at(params, t):
                        continue
                if _beyond(model, vals) and _clear(model, vals):
                    if best_out is None or _closer(model, vals, best_out[1]):
                        best_out = (c, vals)
                if _inside(model, vals) and _clear(model, vals):
                    if best_in is None or _closer(model, vals, best_in[1]):
                        best_in = (c, vals)
                if prev is not None and (_beyond(model, prev[1]) != _beyond(model, vals)):
                    lo, hi = prev[0], c
                prev = (c, vals)
        if best_out and best_in:
            p_out, p_in = list(base), list(base)
            p_out[d], p_in[d] = best_out[0], best_in[0]
            return d, p_out, p_in
    raise CannotModel("no value of any input series moves the expression across the threshold")


def _closer(model: Model, a, b) -> bool:
    c = model.threshold
    return max(abs(v - c) for _l, v in a) < max(abs(v - c) for _l, v in b)


def _nice(x: float) -> float:
    if x == 0:
        return 0.0
    digits = 3 - int(math.floor(math.log10(abs(x))))
    return float(round(x, digits))


def simulate(model: Model, params, steps: int) -> list:
    """The alert expression's result at every evaluation step 0..steps."""
    e, _texts = model.evaluator(params, steps)
    out = []
    for k in range(steps + 1):
        try:
            out.append(e.vector(model.ast, k * INTERVAL))
        except ev.Unsupported as exc:
            raise CannotModel(str(exc)) from None
    return out


def plan(rule, rules: Rules, files: list[str]) -> Plan:
    model = Model(rule, rules)
    _d, p_out, p_in = search(model)
    steps = model.steps
    history = simulate(model, p_out, steps)
    if not history[-1]:
        raise CannotModel("the alert does not stay active with the value beyond the threshold")
    k = len(history) - 1
    while k > 0 and history[k - 1]:
        k -= 1
    keys = {tuple(sorted(lb.items())) for lb, _v in history[-1]}
    for h in history[k:]:
        if {tuple(sorted(lb.items())) for lb, _v in h} != keys:
            raise CannotModel("the alert's series change while it is active")
    active = k * INTERVAL
    fire = active + math.ceil(model.for_s / INTERVAL) * INTERVAL
    if fire > steps * INTERVAL:
        raise CannotModel("the alert becomes active too late to model")
    fire_vals = history[int(fire // INTERVAL)]
    pending = fire - INTERVAL if model.for_s >= INTERVAL else None
    silent_hist = simulate(model, p_in, steps)
    if silent_hist[int(fire // INTERVAL)]:
        raise CannotModel("the value inside the threshold still fires")
    if not model.operand_at(p_in, fire):
        raise CannotModel("the silent case has no value")
    alerts = [_expected(rule, lb, v) for lb, v in sorted(fire_vals, key=lambda x: sorted(x[0].items()))]
    _store, out_series = model.store(p_out, int(steps))
    _store, in_series = model.store(p_in, int(steps))
    out_val = _describe(model.operand_at(p_out, fire))
    in_val = _describe(model.operand_at(p_in, fire))
    comment = (f"{rule.name}: {out_val} ({model.op} {format_number(model.threshold)}) from {format_duration(active)}: "
               f"fires at {format_duration(fire)} (for: {format_duration(model.for_s)})"
               + (f", pending at {format_duration(pending)}" if pending is not None else ""))
    silent_comment = f"{rule.name}: {in_val} stays within the threshold ({model.op} {format_number(model.threshold)}): silent"
    return Plan(rule, out_series, in_series, fire, pending, alerts, comment, silent_comment, files)


def _describe(vals) -> str:
    return ", ".join(sorted({go_float(v) for _l, v in vals}))


def _expected(rule, labels: dict, value: float) -> tuple[dict, dict]:
    lb = {k: v for k, v in labels.items() if k != "__name__"}
    rule_labels = rule.data.get("labels") if isinstance(rule.data.get("labels"), dict) else {}
    final = dict(lb)
    try:
        for k, v in rule_labels.items():
            text = render("" if v is None else str(v), labels, value)
            if text == "":
                final.pop(str(k), None)
            else:
                final[str(k)] = text
        annotations = {}
        ann = rule.data.get("annotations")
        for k, v in (ann.items() if isinstance(ann, dict) else []):
            text = render("" if v is None else str(v), labels, value)
            annotations[str(k)] = text
    except CannotRender as exc:
        raise CannotModel(f"a template the generator cannot render: {exc}") from None
    final.pop("alertname", None)
    return final, annotations


# --------------------------------------------------------------------------------------------------
# Writing the test files
# --------------------------------------------------------------------------------------------------
def _q(s: str) -> str:
    import json

    return json.dumps(s, ensure_ascii=False)


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k) else _q(k)


def _series_text(labels: dict) -> str:
    name = labels.get("__name__")
    rest = {k: v for k, v in labels.items() if k != "__name__"}
    return format_series(name, rest)


def _yaml_series(lines: list, series) -> None:
    lines.append("    input_series:")
    for labels, text in series:
        s = _series_text(labels).replace("'", "''")
        lines.append(f"      - series: '{s}'")
        lines.append(f"        values: '{text}'")


def write_file(rule_file: str, plans: list[Plan], skipped: list, out_dir: str, groups: list[str]) -> str:
    name = os.path.splitext(os.path.basename(rule_file))[0]
    path = os.path.join(out_dir, f"{name}.test.yml")
    files = []
    for p in plans:
        for f in p.files:
            if f not in files:
                files.append(f)
    lines = [f"# promtool unit tests for {os.path.basename(rule_file)}, written by `obslint gen-tests`.",
             "#   promtool test rules " + os.path.basename(path),
             "# Each alert: fires when its value stays beyond the threshold for `for`, is still pending one",
             "# evaluation earlier, and stays silent just inside the threshold."]
    for alert, reason in skipped:
        lines.append(f"# not modelled: {alert}: {reason}")
    lines.append("rule_files:")
    for f in files:
        lines.append(f"  - {_q(os.path.relpath(f, os.path.abspath(out_dir)))}")
    lines.append("evaluation_interval: 1m")
    if groups:
        lines.append("group_eval_order: [" + ", ".join(_q(g) for g in groups) + "]")
    lines.append("tests:")
    for p in plans:
        alert = p.rule.name
        lines.append(f"  # {p.comment}")
        lines.append("  - interval: 1m")
        _yaml_series(lines, p.firing_series)
        lines.append("    alert_rule_test:")
        if p.pending_at is not None:
            lines += [f"      - eval_time: {format_duration(p.pending_at)}", f"        alertname: {_q(alert)}",
                      "        exp_alerts: []"]
        lines += [f"      - eval_time: {format_duration(p.fire_at)}", f"        alertname: {_q(alert)}",
                  "        exp_alerts:"]
        for labels, annotations in p.alerts:
            lines.append("          - exp_labels:" + (" {}" if not labels else ""))
            for k in sorted(labels):
                lines.append(f"              {_key(k)}: {_q(labels[k])}")
            if annotations:
                lines.append("            exp_annotations:")
                for k in sorted(annotations):
                    lines.append(f"              {_key(k)}: {_q(annotations[k])}")
        lines.append(f"  # {p.silent_comment}")
        lines.append("  - interval: 1m")
        _yaml_series(lines, p.silent_series)
        lines += ["    alert_rule_test:", f"      - eval_time: {format_duration(p.fire_at)}",
                  f"        alertname: {_q(alert)}", "        exp_alerts: []"]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def generate(project, out_dir: str) -> dict:
    """Write one test file per rule file with alerts; returns {"files": [...], "tested": [...],
    "skipped": [(file, alert, reason)]}."""
    os.makedirs(out_dir, exist_ok=True)
    by_file: dict[str, list] = {}
    plain = [r for r in project.rules if r.doc.base == ()]
    for r in plain:
        by_file.setdefault(os.path.abspath(str(r.doc.source.path)), []).append(r)
    result = {"files": [], "tested": [], "skipped": []}
    used_names: dict[str, int] = {}
    for file, rules_of_file in by_file.items():
        alerts = [r for r in rules_of_file if r.is_alert]
        if not alerts:
            continue
        # The recording rules an alert may read: this file's, then those of the other files.
        others = [r for f, rs in by_file.items() if f != file for r in rs if not r.is_alert]
        rules = Rules(rules_of_file + others)
        plans, skipped = [], []
        for a in alerts:
            try:
                files = [file]
                p = plan(a, rules, files)
                for name in _records_used(a, rules):
                    for r in rules.records[name]:
                        f = os.path.abspath(str(r.doc.source.path))
                        if f not in files:
                            files.append(f)
                p.files = files
                plans.append(p)
            except (CannotModel, ev.Unsupported, RecursionError, ValueError, OverflowError, ZeroDivisionError) as exc:
                skipped.append((a.name, str(exc) or type(exc).__name__))
        groups = _group_order(plans, rules)
        stem = os.path.splitext(os.path.basename(file))[0]
        used_names[stem] = used_names.get(stem, 0) + 1
        target = out_dir if used_names[stem] == 1 else os.path.join(out_dir, str(used_names[stem]))
        os.makedirs(target, exist_ok=True)
        if plans or skipped:
            path = write_file(file, plans, skipped, target, groups)
            result["files"].append(path)
        result["tested"] += [(file, p.rule.name) for p in plans]
        result["skipped"] += [(file, n, why) for n, why in skipped]
    return result


def _records_used(rule, rules: Rules) -> list[str]:
    out: list[str] = []
    stack = [rule.query.expr]
    while stack:
        for s in promql.parse(stack.pop()).selectors:
            if s.name in rules.records and s.name not in out:
                out.append(s.name)
                stack += [r.query.expr for r in rules.records[s.name]]
    return out


def _group_order(plans: list[Plan], rules: Rules) -> list[str]:
    """Every group of the loaded files in file order, so recording rules run before the
    alerts that read them exactly as the evaluator assumed; [] when names repeat."""
    files = []
    for p in plans:
        for f in p.files:
            if f not in files:
                files.append(f)
    names: list[str] = []
    seen_groups = set()
    all_rules = sorted(set(rules.alerts) | {r for rs in rules.records.values() for r in rs}, key=lambda r: rules.order[id(r)])
    for r in all_rules:
        f = os.path.abspath(str(r.doc.source.path))
        if f not in files or id(r.group) in seen_groups:
            continue
        seen_groups.add(id(r.group))
        names.append(str(r.group.name))
    return names if len(names) == len(set(names)) else []
