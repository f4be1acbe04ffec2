"""The policy as checks read it: the metric catalog, required dashboards and alerts, and the
facts about alerts (thresholds, `for`, metrics through recording rules) that policy and
cross-file checks compare.

Everything here is computed once per run and kept in `ctx.cache`.

The catalog merges, in this order:
- `metrics:` from the policy (a list of `{name, type, labels, help}` or a mapping
  `name: {type, labels, help}` / `name: <type>`),
- `metrics-from:` Prometheus exposition text (`# TYPE` / `# HELP` lines and samples), from files
  or http(s) URLs; parsed with `prometheus_client` when it is installed, else with a small parser,
- the outputs of the recording rules being linted (their labels are those the expression keeps).
"""
from __future__ import annotations

import math
import re
from pathlib import Path

from obslint import promql
from obslint.durations import parse_duration
from obslint.record import Record

TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any


# Series every Prometheus server produces for each target or rule, whatever the catalog says.
SYNTHETIC = {
    "up": "gauge", "scrape_duration_seconds": "gauge", "scrape_samples_scraped": "gauge",
    "scrape_samples_post_metric_relabeling": "gauge", "scrape_series_added": "gauge",
    "scrape_timeout_seconds": "gauge", "scrape_sample_limit": "gauge", "scrape_body_size_bytes": "gauge",
    "ALERTS": "gauge", "ALERTS_FOR_STATE": "gauge",
}
DEFAULT_TARGET_LABELS = ("job", "instance")
METRIC_TYPES = ("counter", "gauge", "histogram", "summary", "info", "stateset", "gaugehistogram", "untyped",
                "unknown")


class PolicyError(Exception):
    """A policy value the schema cannot express a rule for (a bad regex, an unreadable
    `metrics-from` source). The CLI reports it like a config error (exit 2)."""


def _config_error(message: str) -> Exception:
    try:
        from obslint.config import ConfigError

        return ConfigError(message)
    except ImportError:  # pragma: no cover
        return PolicyError(message)


# --------------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------------
# The catalog
# --------------------------------------------------------------------------------------------------
class MetricInfo(Record):
    __slots__ = _fields = ("name", "type", "labels", "help", "source", "rule")

    def __init__(self, name: str, type: str, labels: frozenset | None, help: str = "", source: str = "policy",
                 rule: Any = None) -> None:
        self.name = name  # family name as declared
        self.type = type  # counter, gauge, histogram, summary, ... or "unknown"
        self.labels = labels  # None: not known, do not check
        self.help = help
        self.source = source  # "policy", "exposition <where>", "recording rule"
        self.rule = rule  # the PromRule when source is a recording rule


class Series(Record):
    """What a series name means: its family, and its role (`counter`, `gauge`, `bucket`,
    `sum`, `count`, `created`, `quantile`, `native-histogram`, `unknown`)."""

    __slots__ = _fields = ("info", "role")

    def __init__(self, info: MetricInfo, role: str) -> None:
        self.info = info
        self.role = role

    @property
    def is_counter(self) -> bool:
        return self.role in ("counter", "bucket", "sum", "count")

    @property
    def is_gauge(self) -> bool:
        return self.role in ("gauge", "quantile", "created", "info")


class Catalog(Record):
    __slots__ = _fields = ("series", "families", "target_labels", "recorded")

    def __init__(self, series: dict[str, Series] | None = None, families: dict[str, MetricInfo] | None = None,
                 target_labels: frozenset = frozenset(DEFAULT_TARGET_LABELS), recorded: set | None = None) -> None:
        self.series = {} if series is None else series
        self.families = {} if families is None else families
        self.target_labels = target_labels
        self.recorded = set() if recorded is None else recorded

    def add(self, info: MetricInfo, sample_names: dict[str, set] | None = None) -> None:
        """Register a family and the series names it produces."""
        name, kind = info.name, info.type
        self.families.setdefault(name, info)
        names: list[tuple[str, str]] = []
        if kind == "counter":
            base = name[:-6] if name.endswith("_total") else name
            names = [(name, "counter"), (base + "_total", "counter"), (base + "_created", "created")]
        elif kind == "histogram":
            base = name[:-7] if name.endswith("_bucket") else name
            names = [(base + "_bucket", "bucket"), (base + "_sum", "sum"), (base + "_count", "count"),
                     (base + "_created", "created"), (base, "native-histogram")]
        elif kind == "gaugehistogram":
            base = name[:-7] if name.endswith("_bucket") else name
            names = [(base + "_bucket", "gauge"), (base + "_gsum", "gauge"), (base + "_gcount", "gauge")]
        elif kind == "summary":
            names = [(name, "quantile"), (name + "_sum", "sum"), (name + "_count", "count"),
                     (name + "_created", "created")]
        elif kind == "info":
            base = name[:-5] if name.endswith("_info") else name
            names = [(base + "_info", "info")]
        elif kind in ("gauge", "stateset"):
            names = [(name, "gauge")]
        else:
            names = [(name, "unknown")]
        for series_name, role in names:
            labels = info.labels
            if sample_names and series_name in sample_names and labels is None:
                labels = frozenset(sample_names[series_name])
            per = MetricInfo(info.name, info.type, _with_role_labels(labels, role), info.help, info.source, info.rule)
            existing = self.series.get(series_name)
            if existing is None or (existing.info.source == "recording rule" and info.source != "recording rule"):
                self.series[series_name] = Series(per, role)
            elif existing.info.labels is not None and per.labels is not None and existing.info.type == per.type:
                merged = MetricInfo(existing.info.name, existing.info.type, existing.info.labels | per.labels,
                                    existing.info.help or per.help, existing.info.source, existing.info.rule)
                self.series[series_name] = Series(merged, existing.role)

    def lookup(self, name: str) -> Series | None:
        s = self.series.get(name)
        if s is not None:
            return s
        t = SYNTHETIC.get(name)
        if t is not None:
            return Series(MetricInfo(name, t, None, source="prometheus"), "gauge")
        return None

    def labels(self, name: str) -> frozenset | None:
        """Every label a series of this name may carry (target labels included), or None."""
        s = self.lookup(name)
        if s is None or s.info.labels is None:
            return None
        return s.info.labels | self.target_labels | {"__name__"}

    def suggest(self, name: str) -> str | None:
        from obslint.suggest import closest

        m = closest(name, self.series, cutoff=0.75)
        if m:
            return m
        # A unit or suffix mix-up (`_seconds` vs `_milliseconds`, missing `_total`).
        stem = re.sub(r"_(total|count|sum|bucket|seconds|milliseconds|bytes|ratio)$", "", name)
        close = [n for n in self.series if n.startswith(stem + "_") or n == stem]
        return min(close, key=len) if close else None


def _with_role_labels(labels: frozenset | None, role: str) -> frozenset | None:
    if labels is None:
        return None
    if role == "bucket":
        return labels | {"le"}
    if role == "quantile":
        return labels | {"quantile"}
    return labels - {"le", "quantile"}


def metric_entries(policy: dict) -> list[tuple[tuple, dict]]:
    """(path in the policy, entry) for every `metrics:` entry, whatever its form."""
    metrics = policy.get("metrics")
    out: list[tuple[tuple, dict]] = []
    if isinstance(metrics, list):
        for i, m in enumerate(metrics):
            if isinstance(m, dict) and m.get("name"):
                out.append((("metrics", i), m))
    elif isinstance(metrics, dict):
        for name, m in metrics.items():
            if isinstance(m, str):
                out.append((("metrics", name), {"name": name, "type": m}))
            elif isinstance(m, dict):
                out.append((("metrics", name), {"name": name, **m}))
            elif m is None:
                out.append((("metrics", name), {"name": name}))
    return out


def has_catalog(ctx) -> bool:
    p = ctx.policy or {}
    return bool(p.get("metrics") or p.get("metrics-from"))


def catalog(ctx) -> Catalog | None:
    """The run's metric catalog, or None when the policy declares no metrics."""
    if "policy.catalog" in ctx.cache:
        return ctx.cache["policy.catalog"]
    cat = None
    if has_catalog(ctx):
        cat = _build_catalog(ctx)
    ctx.cache["policy.catalog"] = cat
    return cat


def _build_catalog(ctx) -> Catalog:
    policy = ctx.policy or {}
    cat = Catalog()
    tl = policy.get("target-labels")
    if isinstance(tl, list):
        cat.target_labels = frozenset(str(x) for x in tl) | frozenset(DEFAULT_TARGET_LABELS)
    for _path, m in metric_entries(policy):
        labels = m.get("labels")
        cat.add(MetricInfo(str(m["name"]), str(m.get("type") or "unknown"),
                           frozenset(str(x) for x in labels) if isinstance(labels, list) else None,
                           str(m.get("help") or ""), "policy"))
    root = getattr(ctx.config, "root", None)
    for where in dict.fromkeys(str(w) for w in policy.get("metrics-from") or []):  # each source read once
        for info, samples in _exposition_infos(where, root):
            cat.add(info, samples)
    for name, rules in recording_rules(ctx).items():
        labels = _recorded_labels(rules)
        cat.recorded.add(name)
        if name not in cat.series:
            cat.add(MetricInfo(name, "unknown", labels, "", "recording rule", rules[0]))
    return cat


def _recorded_labels(rules) -> frozenset | None:
    out: set = set()
    for r in rules:
        q = r.query
        parsed = promql.parse(q.expr) if q is not None else None
        if parsed is None or parsed.ast is None:
            return None
        res = promql.result_labels(parsed.ast)
        if res.only is None:
            return None
        out |= res.only
        labels = r.data.get("labels")
        if isinstance(labels, dict):
            out |= {str(k) for k in labels}
    return frozenset(out)


def _exposition_infos(where: str, root) -> list[tuple[MetricInfo, dict[str, set]]]:
    """A `metrics-from` source (file or URL), streamed through obslint.exposition (bounded
    memory, deadline and size cap for URLs); an unusable source is a config error (exit 2)
    that says what is wrong and where, never what the source contains."""
    from obslint import exposition

    try:
        families = exposition.read_source(where, root)
    except exposition.ExpositionError as exc:
        raise _config_error(f"metrics-from: {exc}") from None
    return _infos(families, where)


def parse_exposition(text: str, where: str = "") -> list[tuple[MetricInfo, dict[str, set]]]:
    """Families of a Prometheus exposition text: (info, {series name: label names})."""
    from obslint import exposition

    try:
        families = exposition.parse(exposition.lines_of([text.encode("utf-8", "surrogateescape")], where), where)
    except exposition.ExpositionError as exc:
        raise _config_error(f"metrics-from: {exc}") from None
    return _infos(families, where)


def _infos(families, where: str) -> list[tuple[MetricInfo, dict[str, set]]]:
    out = []
    source = f"exposition {where}".strip()
    for fam in families:
        name, kind, samples = fam.name, fam.type, fam.samples
        if kind == "untyped":
            kind = "unknown"
        if kind == "counter" and not name.endswith("_total") and name + "_total" in samples:
            name += "_total"  # OpenMetrics: `# TYPE x counter` with `x_total` samples
        if kind == "unknown" and name.endswith("_created"):
            continue  # a counter's `_created` series, already known through its family
        labels = set().union(*samples.values()) - {"le", "quantile"} if samples else None
        out.append((MetricInfo(name, kind, frozenset(labels) if labels is not None else None, fam.help, source),
                    samples))
    return out


# --------------------------------------------------------------------------------------------------
# Recording rules and the raw metrics behind a query
# --------------------------------------------------------------------------------------------------
def recording_rules(ctx) -> dict[str, list]:
    """Recording rule name -> the PromRules that record it (in every linted file)."""
    if "policy.recording" not in ctx.cache:
        out: dict[str, list] = {}
        for r in ctx.project.rules:
            rec = r.data.get("record")
            if isinstance(rec, str) and rec and r.query is not None:
                out.setdefault(rec, []).append(r)
        ctx.cache["policy.recording"] = out
    return ctx.cache["policy.recording"]


def expr_metrics(expr: str) -> set[str]:
    parsed = promql.parse(expr)
    return {s.name for s in parsed.selectors if s.name}


def base_metrics(ctx, expr: str) -> set[str]:
    """Metric names an expression reads, with recording rules replaced by what they read."""
    memo = ctx.cache.setdefault("policy.base", {})
    if expr in memo:
        return memo[expr]
    rec = recording_rules(ctx)
    out: set[str] = set()
    stack = list(expr_metrics(expr))
    seen: set[str] = set()
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in rec:
            for r in rec[name]:
                stack.extend(expr_metrics(r.query.expr))
        else:
            out.add(name)
    memo[expr] = out
    return out


def selectors_with_functions(ctx, expr: str) -> list[tuple[str, tuple]]:
    """(raw metric, enclosing functions) of an expression, through recording rules: a selector of
    a recorded series contributes the selectors of the recording rule with their functions
    followed by the functions around the recorded series."""
    memo = ctx.cache.setdefault("policy.selfuncs", {})
    if expr in memo:
        return memo[expr]
    rec = recording_rules(ctx)
    out: list[tuple[str, tuple]] = []

    def walk(e: str, outer: tuple, depth: int) -> None:
        for s in promql.parse(e).selectors:
            if not s.name:
                continue
            funcs = tuple(s.funcs) + outer
            if s.name in rec and depth < 10:
                for r in rec[s.name]:
                    walk(r.query.expr, funcs, depth + 1)
            else:
                out.append((s.name, funcs))

    walk(expr, (), 0)
    memo[expr] = out
    return out


# --------------------------------------------------------------------------------------------------
# Alert facts: thresholds and `for`
# --------------------------------------------------------------------------------------------------
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
    ast = parsed.ast
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


def grafana_nodes(rule) -> dict[str, tuple[int, dict]]:
    data = rule.data.get("data")
    out: dict[str, tuple[int, dict]] = {}
    if isinstance(data, list):
        for i, d in enumerate(data):
            if isinstance(d, dict) and isinstance(d.get("refId"), str):
                out[d["refId"]] = (i, d)
    return out


def grafana_thresholds(rule) -> list[Threshold]:
    """Thresholds of a Grafana-managed rule: its condition node (threshold, classic condition or
    math expression) and any comparison in the PromQL queries it depends on."""
    nodes = grafana_nodes(rule)
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
        if node.get("datasourceUid") in ("__expr__", "-100") or mtype in ("threshold", "classic_conditions", "math",
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


# --------------------------------------------------------------------------------------------------
# Policy sections
# --------------------------------------------------------------------------------------------------
def alerts_policy(ctx) -> dict:
    a = (ctx.policy or {}).get("alerts")
    if isinstance(a, list):
        return {"required": a}
    return a if isinstance(a, dict) else {}


def alerts_base_path(ctx) -> tuple:
    return ("alerts",) if isinstance((ctx.policy or {}).get("alerts"), list) else ("alerts", "required")


def required_alerts(ctx) -> dict[str, tuple[tuple, dict]]:
    """Alert name -> (path in the policy, entry)."""
    if "policy.alerts" in ctx.cache:
        return ctx.cache["policy.alerts"]
    out = {}
    base = alerts_base_path(ctx)
    for i, e in enumerate(alerts_policy(ctx).get("required") or []):
        if isinstance(e, dict) and isinstance(e.get("name"), str):
            out.setdefault(e["name"], (base + (i,), e))
    ctx.cache["policy.alerts"] = out
    return out


def dashboards_policy(ctx) -> dict:
    d = (ctx.policy or {}).get("dashboards")
    return d if isinstance(d, dict) else {}


def required_dashboards(ctx) -> list[tuple[tuple, dict]]:
    out = []
    for i, e in enumerate(dashboards_policy(ctx).get("required") or []):
        if isinstance(e, dict) and isinstance(e.get("uid"), str):
            out.append((("dashboards", "required", i), e))
    return out


def policy_regex(ctx, path: tuple, pattern: str):
    memo = ctx.cache.setdefault("policy.regex", {})
    if pattern not in memo:
        from obslint import saferegex

        try:  # RE2: linear time whatever the pattern (`^(a+)+$` cannot hang a run)
            memo[pattern] = saferegex.compile(pattern)
        except saferegex.PatternError as exc:
            where = ".".join(str(p) for p in path)
            raise _config_error(f"{policy_display(ctx)}: `{where}` is not a valid regular expression: {exc}") from None
    return memo[pattern]


def threshold_of(ctx, path: tuple, value) -> float:
    try:
        return parse_threshold(value)
    except ValueError as exc:
        where = ".".join(str(p) for p in path)
        raise _config_error(f"{policy_display(ctx)}: `{where}`: {exc}") from None


# --------------------------------------------------------------------------------------------------
# Findings located in the policy file
# --------------------------------------------------------------------------------------------------
def policy_display(ctx) -> str:
    path = getattr(ctx.config, "path", None)
    if path is None:
        return "policy"
    from obslint.config import relative

    return relative(Path(path))


def policy_position(ctx, path: tuple) -> tuple[int, int]:
    """Line and column of a node of the policy file (1, 1 when it cannot be told)."""
    cfg_path = getattr(ctx.config, "path", None)
    if cfg_path is None:
        return 1, 1
    memo = ctx.cache.setdefault("policy.positions", {})
    key = tuple(path)
    if key in memo:
        return memo[key]
    if "policy.nodes" not in ctx.cache:
        nodes = None
        try:
            text = Path(cfg_path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        if Path(cfg_path).name != "pyproject.toml":
            from obslint.load import yamlload

            try:
                nodes = yamlload.compose_all(text)
            except Exception:  # noqa: BLE001 - positions are a nicety
                nodes = None
        ctx.cache["policy.nodes"] = (text, nodes)
    text, nodes = ctx.cache["policy.nodes"]
    pos = (1, 1)
    if nodes:
        from obslint.load import yamlload

        mark, _node = yamlload.locate(nodes[0], key, False)
        if mark is not None:
            pos = (mark.line + 1, mark.column + 1)
    elif text:
        needle = next((str(p) for p in reversed(key) if isinstance(p, str)), None)
        if needle:
            idx = text.find(needle)
            if idx >= 0:
                line = text.count("\n", 0, idx) + 1
                pos = (line, idx - (text.rfind("\n", 0, idx) + 1) + 1)
    memo[key] = pos
    return pos


def policy_finding(rule, ctx, path: tuple, message: str, *, fix: str | None = None, **context):
    """A finding that points into the policy file (for things that are missing from the tree)."""
    from obslint.findings import Finding

    line, col = policy_position(ctx, path)
    return Finding(code=rule.code, message=message, severity=rule.level, file=policy_display(ctx), line=line,
                   col=col, fix=fix, context=context)
