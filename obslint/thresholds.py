"""Thresholds with units, and the thresholds and `for` of alerts: what policy and cross-file
checks compare. `2%` is 0.02 and `1000ms` is 1 (base units: seconds, ratios, bytes); an
alert's thresholds come from its PromQL comparisons with a number, or from a Grafana rule's
threshold, classic-condition and math nodes."""
from __future__ import annotations

import math
import re

from obslint import promql
from obslint.durations import parse_duration
from obslint.model import EXPRESSION_DATASOURCES
from obslint.record import Record

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

_UNITS = {
    "": 1.0, "x": 1.0, "%": 0.01,
    "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0,
    "w": 604800.0,
    "b": 1.0, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 1024.0, "mib": 1024.0 ** 2, "gib": 1024.0 ** 3,
    "tib": 1024.0 ** 4,
}
# Patterns below are compiled on first use (re's own cache): most runs have no policy.
_THRESHOLD = r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµ%]*)\s*$"


def parse_threshold(value: Any) -> float:
    """A threshold with an optional unit, in base units (seconds, ratios, bytes):
    `"2%"` -> 0.02, `"1000ms"` -> 1.0, `"5 s"` -> 5.0, `"0.85"` -> 0.85, `3` -> 3.0."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a threshold")
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a threshold")
    m = re.match(_THRESHOLD, value)
    if not m:
        raise ValueError(f"{value!r} is not a number with an optional unit (e.g. 2%, 1000ms, 5s, 0.85)")
    unit = m.group(2)
    factor = _UNITS.get(unit, _UNITS.get(unit.lower()) if unit not in ("m", "M") else None)
    if unit == "M":
        factor = None
    if factor is None:
        raise ValueError(f"unknown unit {unit!r} in threshold {value!r} (known: %, ns, us, ms, s, m, h, d, w, "
                         f"B, KB, MB, GB, KiB, MiB, GiB)")
    return float(m.group(1)) * factor


def same_number(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def show_number(x: float) -> str:
    text = f"{x:.10g}"
    return text


# Grafana panel units and how many of them make one base unit.
PANEL_UNIT_SCALE = {
    "percent": 100.0, "percentunit": 1.0, "ns": 1e9, "µs": 1e6, "us": 1e6, "ms": 1e3, "s": 1.0, "m": 1 / 60,
    "h": 1 / 3600, "d": 1 / 86400, "dtdurations": 1.0, "dtdurationms": 1e3,
}


_FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}
_GRAFANA_EVAL = {"gt": ">", "lt": "<", "gte": ">=", "lte": "<=", "eq": "==", "ne": "!="}


class Threshold(Record):
    __slots__ = _fields = ("op", "value", "path")

    def __init__(self, op: str, value: float, path: tuple) -> None:
        self.op = op
        self.value = value
        self.path = path  # node in the document that holds the number (or the expr)

    def __str__(self) -> str:
        return f"{self.op} {show_number(self.value)}"


def promql_thresholds(expr: str) -> list[tuple[str, float]]:
    """(op, number) of the filtering comparisons of an expression against a literal, written as
    `<query> op <number>` (a number on the left is flipped); outermost first. Comparisons on
    both sides of `and`/`or` count, those on the right of `unless` (which inverts them) do not."""
    import promql_parser as pp

    parsed = promql.parse(expr)
    ast = parsed.shape  # comparisons and numbers: structure only
    if ast is None:
        return []
    out = []
    queue = [ast]
    while queue:
        node = queue.pop(0)
        if isinstance(node, pp.BinaryExpr):
            op = str(node.op)
            if op in promql.COMPARISONS and not (node.modifier is not None and node.modifier.return_bool):
                n, m = promql.number(node.rhs), promql.number(node.lhs)
                if n is not None and m is None:
                    out.append((op, n))
                elif m is not None and n is None:
                    out.append((_FLIP.get(op, op), m))
            queue.append(node.lhs)
            if op != "unless":
                queue.append(node.rhs)
        elif isinstance(node, pp.AggregateExpr):
            queue.append(node.expr)
        elif isinstance(node, pp.Call):
            if node.func.name not in ("absent", "absent_over_time"):
                queue.extend(node.args)
        elif isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
            queue.append(node.expr)
    return out


def rule_thresholds(rule) -> list[Threshold]:
    """Thresholds of a Prometheus alerting rule (PromRule)."""
    if rule.query is None:
        return []
    return [Threshold(op, v, rule.query.path) for op, v in promql_thresholds(rule.query.expr)]


_MATH_CMP = r"\$\{?([A-Za-z0-9_]+)\}?\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"


def grafana_thresholds(rule) -> list[Threshold]:
    """Thresholds of a Grafana-managed rule: its condition node (threshold, classic condition or
    math expression) and any comparison in the PromQL queries it depends on."""
    nodes = rule.nodes
    cond = rule.data.get("condition")
    out: list[Threshold] = []
    seen: set[str] = set()
    stack = [cond] if isinstance(cond, str) else []
    while stack:
        ref = stack.pop()
        if ref in seen or ref not in nodes:
            continue
        seen.add(ref)
        i, node = nodes[ref]
        model = node.get("model") if isinstance(node.get("model"), dict) else {}
        base = rule.path + ("data", i, "model")
        mtype = model.get("type")
        if node.get("datasourceUid") in EXPRESSION_DATASOURCES or mtype in ("threshold", "classic_conditions", "math",
                                                                            "reduce", "resample"):
            if mtype in ("threshold", "classic_conditions"):
                conds = model.get("conditions")
                for ci, c in enumerate(conds if isinstance(conds, list) else []):
                    ev = c.get("evaluator") if isinstance(c, dict) else None
                    if not isinstance(ev, dict):
                        continue
                    op = _GRAFANA_EVAL.get(str(ev.get("type")))
                    params = ev.get("params")
                    if op and isinstance(params, list) and params and isinstance(params[0], (int, float)) \
                            and not isinstance(params[0], bool):
                        out.append(Threshold(op, float(params[0]),
                                             base + ("conditions", ci, "evaluator", "params", 0)))
                    q = c.get("query") if isinstance(c, dict) else None
                    if isinstance(q, dict) and isinstance(q.get("params"), list):
                        stack.extend(p for p in q["params"] if isinstance(p, str))
            if mtype == "math" and isinstance(model.get("expression"), str):
                for m in re.finditer(_MATH_CMP, model["expression"]):
                    out.append(Threshold(m.group(2), float(m.group(3)), base + ("expression",)))
                    stack.append(m.group(1))
                stack.extend(re.findall(r"\$\{?([A-Za-z0-9_]+)\}?", model["expression"]))
            elif isinstance(model.get("expression"), str):
                stack.append(model["expression"].lstrip("$").strip("{}"))
        else:
            expr = model.get("expr")
            if isinstance(expr, str):
                out += [Threshold(op, v, base + ("expr",)) for op, v in promql_thresholds(expr)]
    return out


def for_seconds(data: dict) -> float | None:
    """`for` of a rule in seconds: 0 when absent, None when it does not parse."""
    v = data.get("for")
    if v is None:
        return 0.0
    return parse_duration(str(v))
