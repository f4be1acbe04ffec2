"""A small PromQL evaluator over synthetic input series, as promtool 2.x evaluates them: enough
to compute what a generated test must expect (when an alert becomes active, its labels and
value), and to refuse (Unsupported) whatever it does not model exactly.

Series are sampled every `step` seconds from 0; a range `[r]` holds the samples in
[t - r, t]; an instant selector takes the newest sample within the 5m lookback; rates are
extrapolated as Prometheus does; recording rules are evaluated on demand at the evaluation
steps (the previous step when the recording rule runs after the reader).
"""
from __future__ import annotations

import math
import re

import promql_parser as pp

LOOKBACK = 300.0


class Unsupported(Exception):
    """An expression (or part) the evaluator does not model; the message says which."""


def _name(labels: dict) -> tuple:
    return tuple(sorted(labels.items()))


class Store:
    """Input series: labels -> list of values at t = i*step (None: no sample)."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.series: list[tuple[dict, list]] = []

    def add(self, labels: dict, values: list) -> None:
        self.series.append((labels, values))


def _matches(labels: dict, matchers) -> bool:
    for name, op, value in matchers:
        have = labels.get(name, "")
        if op == "=" and have != value or op == "!=" and have == value:
            return False
        if op in ("=~", "!~"):
            hit = re.fullmatch(value, have) is not None
            if hit != (op == "=~"):
                return False
    return True


_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


def matchers_of(vs) -> list[tuple[str, str, str]]:
    out = []
    for m in vs.matchers.matchers:
        out.append((m.name, _OPS.get(str(m.op), str(m.op)), m.value))
    if getattr(vs.matchers, "or_matchers", None):
        raise Unsupported("`or` inside a selector")
    if vs.name:
        out.append(("__name__", "=", vs.name))
    return out


def _seconds(td) -> float:
    return 0.0 if td is None else td.total_seconds()


class Evaluator:
    """Evaluates expressions at times t (seconds) over a Store; `records` maps recorded
    names to [(order, expr_ast, labels)], `order` is the reader's place in the evaluation
    order (a recording rule at a later place is seen one evaluation step late)."""

    def __init__(self, store: Store, records: dict | None = None, interval: float = 60.0) -> None:
        self.store = store
        self.records = records or {}
        self.interval = interval
        self.order = 10 ** 9
        self._memo: dict = {}

    # -- selection -------------------------------------------------------------------------
    def _raw_window(self, matchers, start: float, end: float):
        """(labels, [(t, v)]) of input series with samples in [start, end]."""
        step = self.store.step
        out = []
        for labels, values in self.store.series:
            if not _matches(labels, matchers):
                continue
            i0 = max(0, math.ceil(start / step - 1e-9))
            i1 = min(len(values) - 1, math.floor(end / step + 1e-9))
            pts = [(i * step, values[i]) for i in range(i0, i1 + 1) if values[i] is not None]
            out.append((labels, pts))
        return out

    def _recorded_window(self, name, matchers, start: float, end: float):
        rules = self.records[name]
        ev = self.interval
        out: dict = {}
        k0 = max(0, math.ceil(start / ev - 1e-9))
        k1 = math.floor(end / ev + 1e-9)
        for order, ast, labels in rules:
            lag = ev if order >= self.order else 0.0
            for k in range(k0, k1 + 1):
                t = k * ev
                for lb, v in self._record_at(name, order, ast, labels, t - lag):
                    if _matches(lb, matchers):
                        out.setdefault(_name(lb), (lb, []))[1].append((t, v))
        return list(out.values())

    def _record_at(self, name, order, ast, labels, t: float):
        key = (name, order, t)
        if key in self._memo:
            return self._memo[key]
        if t < 0:
            res = []
        else:
            saved = self.order
            self.order = order
            try:
                kind, val = self.eval(ast, t)
            finally:
                self.order = saved
            if kind == "scalar":
                val = [({}, val)]
            res = []
            for lb, v in val:
                lb = {k: x for k, x in lb.items() if k != "__name__"}
                for k, x in labels.items():
                    if x == "":
                        lb.pop(k, None)
                    else:
                        lb[k] = x
                lb["__name__"] = name
                res.append((lb, v))
        self._memo[key] = res
        return res

    def window(self, vs, rng: float, t: float):
        if vs.at is not None:
            raise Unsupported("the @ modifier")
        end = t - _seconds(vs.offset)
        matchers = matchers_of(vs)
        if vs.name in self.records:
            return self._recorded_window(vs.name, matchers, end - rng, end)
        return self._raw_window(matchers, end - rng, end)

    def instant(self, vs, t: float):
        out = []
        for labels, pts in self.window(vs, LOOKBACK, t):
            pts = [p for p in pts if p[0] > t - _seconds(vs.offset) - LOOKBACK]
            if pts and not (isinstance(pts[-1][1], str)):
                out.append((dict(labels), pts[-1][1]))
        return out

    # -- evaluation ------------------------------------------------------------------------
    def eval(self, node, t: float):
        """("vector", [(labels, value)]) or ("scalar", value)."""
        cls = type(node).__name__
        fn = getattr(self, "_" + cls, None)
        if fn is None:
            raise Unsupported(cls)
        return fn(node, t)

    def vector(self, node, t: float) -> list:
        kind, val = self.eval(node, t)
        if kind != "vector":
            raise Unsupported("a scalar where a vector is needed")
        return val

    def _NumberLiteral(self, node, t):
        return "scalar", float(node.val)

    def _ParenExpr(self, node, t):
        return self.eval(node.expr, t)

    def _UnaryExpr(self, node, t):
        kind, val = self.eval(node.expr, t)
        if kind == "scalar":
            return kind, -val
        return kind, [({k: x for k, x in lb.items() if k != "__name__"}, -v) for lb, v in val]

    def _VectorSelector(self, node, t):
        return "vector", self.instant(node, t)

    def _MatrixSelector(self, node, t):
        raise Unsupported("a range selector outside a function")

    def _Call(self, node, t):
        name = node.func.name
        args = node.args
        if name in _RANGE_FUNCS:
            ms = args[-1]
            if type(ms).__name__ != "MatrixSelector":
                raise Unsupported(f"{name} over a subquery")
            rng = _seconds(ms.range)
            out = []
            for labels, pts in self.window(ms.vector_selector, rng, t):
                pts = [p for p in pts if not isinstance(p[1], str)]
                v = _RANGE_FUNCS[name](pts, t - _seconds(ms.vector_selector.offset) - rng,
                                       t - _seconds(ms.vector_selector.offset), rng)
                if v is not None:
                    lb = dict(labels) if name == "last_over_time" else {k: x for k, x in labels.items()
                                                                        if k != "__name__"}
                    out.append((lb, v))
            return "vector", out
        if name in _MATH:
            return "vector", [({k: x for k, x in lb.items() if k != "__name__"}, _MATH[name](v))
                              for lb, v in self.vector(args[0], t)]
        if name in ("clamp_min", "clamp_max", "clamp"):
            bounds = [self._scalar(a, t) for a in args[1:]]
            out = []
            for lb, v in self.vector(args[0], t):
                if name == "clamp_min":
                    v = max(v, bounds[0])
                elif name == "clamp_max":
                    v = min(v, bounds[0])
                else:
                    v = max(min(v, bounds[1]), bounds[0])
                out.append(({k: x for k, x in lb.items() if k != "__name__"}, v))
            return "vector", out
        if name == "histogram_quantile":
            return "vector", _quantile(self._scalar(args[0], t), self.vector(args[1], t))
        if name == "scalar":
            v = self.vector(args[0], t)
            return "scalar", v[0][1] if len(v) == 1 else math.nan
        if name == "vector":
            return "vector", [({}, self._scalar(args[0], t))]
        if name == "time":
            return "scalar", float(t)
        if name in _DATE:
            if not args:
                return "vector", [({}, _DATE[name](float(t)))]
            return "vector", [({k: x for k, x in lb.items() if k != "__name__"}, _DATE[name](v))
                              for lb, v in self.vector(args[0], t)]
        raise Unsupported(f"the function {name}()")

    def _scalar(self, node, t) -> float:
        kind, val = self.eval(node, t)
        if kind != "scalar":
            raise Unsupported("a vector where a number is needed")
        return val

    def _AggregateExpr(self, node, t):
        op = str(node.op)
        if op not in _AGGS:
            raise Unsupported(f"the aggregation {op}")
        mod = node.modifier
        labels_of = mod.labels if mod is not None else []
        without = mod is not None and str(mod.type).endswith("Without")
        groups: dict = {}
        for lb, v in self.vector(node.expr, t):
            if without:
                key = {k: x for k, x in lb.items() if k not in labels_of and k != "__name__"}
            else:
                key = {k: lb[k] for k in labels_of if k in lb}
            groups.setdefault(_name(key), (key, []))[1].append(v)
        return "vector", [(key, _AGGS[op](vals)) for key, vals in groups.values()]

    def _BinaryExpr(self, node, t):
        op = str(node.op)
        mod = node.modifier
        ret_bool = bool(mod is not None and mod.return_bool)
        lk, lv = self.eval(node.lhs, t)
        rk, rv = self.eval(node.rhs, t)
        if op in ("and", "or", "unless"):
            if lk != "vector" or rk != "vector":
                raise Unsupported("a set operator on numbers")
            sig = self._signature(mod)
            right = {sig(lb) for lb, _v in rv}
            if op == "and":
                return "vector", [(lb, v) for lb, v in lv if sig(lb) in right]
            if op == "unless":
                return "vector", [(lb, v) for lb, v in lv if sig(lb) not in right]
            left = {sig(lb) for lb, _v in lv}
            return "vector", lv + [(lb, v) for lb, v in rv if sig(lb) not in left]
        if lk == "scalar" and rk == "scalar":
            if op in _CMP:
                if not ret_bool:
                    raise Unsupported("a comparison of two numbers without bool")
                return "scalar", float(_CMP[op](lv, rv))
            return "scalar", _ARITH[op](lv, rv)
        if lk == "scalar" or rk == "scalar":
            vec, num, left_vec = (lv, rv, True) if lk == "vector" else (rv, lv, False)
            out = []
            for lb, v in vec:
                a, b = (v, num) if left_vec else (num, v)
                if op in _CMP:
                    hit = _CMP[op](a, b)
                    if ret_bool:
                        out.append(({k: x for k, x in lb.items() if k != "__name__"}, float(hit)))
                    elif hit:
                        out.append((lb, v))
                else:
                    out.append(({k: x for k, x in lb.items() if k != "__name__"}, _ARITH[op](a, b)))
            return "vector", out
        return "vector", self._vector_binop(op, mod, ret_bool, lv, rv)

    def _signature(self, mod):
        matching = mod.matching if mod is not None else None
        if matching is not None and str(matching.type).endswith("Include"):
            keep = set(matching.labels)
            return lambda lb: _name({k: x for k, x in lb.items() if k in keep})
        drop = set(matching.labels) if matching is not None else set()
        drop.add("__name__")
        return lambda lb: _name({k: x for k, x in lb.items() if k not in drop})

    def _vector_binop(self, op, mod, ret_bool, lv, rv):
        sig = self._signature(mod)
        card = str(mod.card) if mod is not None else "OneToOne"
        if card.endswith("OneToMany"):
            raise Unsupported("group_right")
        many = card.endswith("ManyToOne")
        right: dict = {}
        for lb, v in rv:
            s = sig(lb)
            if s in right:
                raise Unsupported("several series on the right of a binary operator")
            right[s] = (lb, v)
        seen = set()
        out = []
        matching = mod.matching if mod is not None else None
        on = matching is not None and str(matching.type).endswith("Include")
        mlabels = set(matching.labels) if matching is not None else set()
        for lb, v in lv:
            s = sig(lb)
            if s not in right:
                continue
            if not many:
                if s in seen:
                    raise Unsupported("several series on the left of a binary operator")
                seen.add(s)
            rlb, r = right[s]
            if op in _CMP:
                hit = _CMP[op](v, r)
                if not ret_bool and not hit:
                    continue
                value = float(hit) if ret_bool else v
            else:
                value = _ARITH[op](v, r)
            res = dict(lb)
            if op not in _CMP or ret_bool:
                res.pop("__name__", None)
            if not many:
                if on:
                    res = {k: x for k, x in res.items() if k in mlabels}
                else:
                    res = {k: x for k, x in res.items() if k not in mlabels}
            else:
                for g in mod.group_labels or []:
                    if g in rlb:
                        res[g] = rlb[g]
                    else:
                        res.pop(g, None)
            out.append((res, value))
        return out

    def _SubqueryExpr(self, node, t):
        raise Unsupported("a subquery")

    def _StringLiteral(self, node, t):
        raise Unsupported("a string")


def _extrapolated(pts, start, end, rng, counter: bool, rate: bool):
    if len(pts) < 2:
        return None
    first, last = pts[0], pts[-1]
    result = last[1] - first[1]
    if counter:
        prev = first[1]
        for _t, v in pts[1:]:
            if v < prev:
                result += prev
            prev = v
    sampled = last[0] - first[0]
    avg = sampled / (len(pts) - 1)
    to_start = first[0] - start
    to_end = end - last[0]
    if counter and result > 0 and first[1] >= 0:
        to_zero = sampled * (first[1] / result)
        if to_zero < to_start:
            to_start = to_zero
    threshold = avg * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else avg / 2
    interval += to_end if to_end < threshold else avg / 2
    factor = interval / sampled
    if rate:
        factor /= rng
    return result * factor


def _instant_rate(pts, rate: bool):
    if len(pts) < 2:
        return None
    (t0, v0), (t1, v1) = pts[-2], pts[-1]
    d = v1 - v0
    if rate and v1 < v0:
        d = v1
    if rate:
        return d / (t1 - t0)
    return d


def _avg(vals):
    # Prometheus 2.x: a running mean (mean += v/count - mean/count)
    mean, count = 0.0, 0.0
    for v in vals:
        count += 1
        mean += v / count - mean / count
    return mean


def _sum(vals):
    s = 0.0
    for v in vals:
        s += v
    return s


_RANGE_FUNCS = {
    "rate": lambda p, s, e, r: _extrapolated(p, s, e, r, True, True),
    "increase": lambda p, s, e, r: _extrapolated(p, s, e, r, True, False),
    "delta": lambda p, s, e, r: _extrapolated(p, s, e, r, False, False),
    "irate": lambda p, s, e, r: _instant_rate(p, True),
    "idelta": lambda p, s, e, r: _instant_rate(p, False),
    "avg_over_time": lambda p, s, e, r: _avg([v for _t, v in p]) if p else None,
    "sum_over_time": lambda p, s, e, r: _sum([v for _t, v in p]) if p else None,
    "min_over_time": lambda p, s, e, r: min(v for _t, v in p) if p else None,
    "max_over_time": lambda p, s, e, r: max(v for _t, v in p) if p else None,
    "count_over_time": lambda p, s, e, r: float(len(p)) if p else None,
    "last_over_time": lambda p, s, e, r: p[-1][1] if p else None,
    "present_over_time": lambda p, s, e, r: 1.0 if p else None,
}
def _utc(ts: float):
    import datetime

    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)


def _days_in_month(ts: float) -> float:
    import calendar

    d = _utc(ts)
    return float(calendar.monthrange(d.year, d.month)[1])


# Date functions of a timestamp (UTC); without argument, of the evaluation time.
_DATE = {"days_in_month": _days_in_month, "day_of_month": lambda ts: float(_utc(ts).day),
         "day_of_week": lambda ts: float((_utc(ts).weekday() + 1) % 7), "hour": lambda ts: float(_utc(ts).hour),
         "minute": lambda ts: float(_utc(ts).minute), "month": lambda ts: float(_utc(ts).month),
         "year": lambda ts: float(_utc(ts).year)}
_MATH = {"abs": abs, "ceil": lambda v: float(math.ceil(v)), "floor": lambda v: float(math.floor(v)),
         "sqrt": math.sqrt}
_AGGS = {"sum": _sum, "min": min, "max": max, "count": lambda v: float(len(v)), "group": lambda v: 1.0,
         "avg": _avg}
_CMP = {">": lambda a, b: a > b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b,
        "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


def _div(a, b):
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * (1 if str(b)[0] != "-" else -1)
    return a / b


_ARITH = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": _div,
          "%": lambda a, b: math.fmod(a, b) if b != 0 else math.nan, "^": lambda a, b: a ** b}


def _quantile(q: float, vec):
    groups: dict = {}
    for lb, v in vec:
        le = lb.get("le")
        if le is None:
            continue
        key = {k: x for k, x in lb.items() if k not in ("le", "__name__")}
        try:
            bound = float(le)
        except ValueError:
            continue
        groups.setdefault(_name(key), (key, []))[1].append((bound, v))
    out = []
    for key, buckets in groups.values():
        buckets.sort()
        if len(buckets) < 2 or not math.isinf(buckets[-1][0]):
            out.append((key, math.nan))
            continue
        total = buckets[-1][1]
        if total == 0:
            out.append((key, math.nan))
            continue
        rank = q * total
        i = next(i for i, b in enumerate(buckets) if b[1] >= rank)
        if i == len(buckets) - 1:
            out.append((key, buckets[-2][0]))
            continue
        if i == 0 and buckets[0][0] <= 0:
            out.append((key, buckets[0][0]))
            continue
        lower, below = (0.0, 0.0) if i == 0 else (buckets[i - 1][0], buckets[i - 1][1])
        upper, count = buckets[i][0], buckets[i][1] - below
        rank -= below
        out.append((key, lower + (upper - lower) * (rank / count)))
    return out


def parse(expr: str):
    try:
        return pp.parse(expr)
    except ValueError as exc:
        raise Unsupported(f"the expression does not parse ({exc})") from None
