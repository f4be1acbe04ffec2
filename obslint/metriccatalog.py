"""The metric catalog: which metrics exist, their types and labels. Built once per run (kept
in `ctx.cache`) from, in this order:
- `metrics:` from the policy (a list of `{name, type, labels, help}` or a mapping
  `name: {type, labels, help}` / `name: <type>`),
- `metrics-from:` Prometheus exposition text (`# TYPE` / `# HELP` lines and samples), from files
  or http(s) URLs (obslint.exposition),
- the outputs of the recording rules being linted (their labels are those the expression keeps).
Also the raw metrics a query reads through recording rules."""
from __future__ import annotations

import re

from obslint import promql
from obslint.config import ConfigError
from obslint.record import Record

from typing import TYPE_CHECKING

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
        raise ConfigError(f"metrics-from: {exc}") from None
    return _infos(families, where)


def parse_exposition(text: str, where: str = "") -> list[tuple[MetricInfo, dict[str, set]]]:
    """Families of a Prometheus exposition text: (info, {series name: label names})."""
    from obslint import exposition

    try:
        families = exposition.parse(exposition.lines_of([text.encode("utf-8", "surrogateescape")], where), where)
    except exposition.ExpositionError as exc:
        raise ConfigError(f"metrics-from: {exc}") from None
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


# Recording rules and the raw metrics behind a query.
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
