"""Which labels can an expression's result carry? A static answer, from the files alone.

`flow(expr, ctx)` walks promql-parser's syntax tree and follows what each node does to the
label sets of the series it passes on: aggregations keep their `by` labels or drop their
`without` labels, `label_replace`/`label_join` add one, vector matching keeps the `on`
labels or copies `group_left/right` labels from the other side, `absent()` yields the
equality matchers of its selector, arithmetic and most functions drop `__name__`, and a
selector of a recording rule defined anywhere in the project carries exactly what that
rule's expressions (and its `labels:`) produce.

The answer is a `Flow`: either a closed set ("exactly these labels at most", `only`) or an
open one ("anything but `minus`"), plus the labels every series surely has (`sure`). A
selector of a metric nobody records may carry any label, so a label is reported absent only
when that is provable. Results are computed only when a check asks, and cached per
expression text for the run (`ctx.cache`).
"""
from __future__ import annotations

import os
import re

import promql_parser as pp

from obslint import fastpaths, promql

NAME = "__name__"
_VS, _MS, _CALL, _BIN, _AGG = pp.VectorSelector, pp.MatrixSelector, pp.Call, pp.BinaryExpr, pp.AggregateExpr
_PAREN, _UNARY, _SUBQUERY = pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr
_NUM, _STR = pp.NumberLiteral, pp.StringLiteral

# Functions that return their input's series with `__name__` kept; every other function on a
# vector drops it (Prometheus' rule for functions).
_KEEP_NAME = {"sort", "sort_desc", "sort_by_label", "sort_by_label_desc", "label_replace", "label_join",
              "last_over_time", "first_over_time", "limitk", "limit_ratio"}
_NO_LABELS = {"vector", "time", "pi", "scalar"}
_SCALAR_CALLS = {"time", "pi", "scalar"}
_DATE_FUNCS = {"minute", "hour", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "month", "year"}
_KEEP_ALL_AGGS = {"topk", "bottomk", "limitk", "limit_ratio"}
_ARITHMETIC = {"+", "-", "*", "/", "%", "^", "atan2"}
_SET_OPS = {"and", "or", "unless"}


# Without one of these, every label a series has passes through (only `__name__` may be
# dropped): no label is provably missing, so no walk of the tree is needed to say so.
_CLOSING_CALLS = frozenset({"absent", "absent_over_time", "vector", "time", "scalar", "pi", "label_replace",
                            "label_join", "histogram_quantile", "histogram_fraction"} | _DATE_FUNCS)
_MATCHING = re.compile(r"\b(?:on|ignoring)\s*\(", re.I)


def _matches_on(text: str) -> bool:
    """Whether `text` has an `on (`/`ignoring (` (`_MATCHING.search`), for ASCII texts from a
    `str.find` of each word in the lower-cased text: the regex, with `re.I` and `\\b`, tries
    every position slowly (5 us a query). Tests hold the two equal on the corpus."""
    if not text.isascii():
        return _MATCHING.search(text) is not None
    low = text.lower()
    n = len(low)
    for word in ("on", "ignoring"):
        i = low.find(word)
        while i != -1:
            if not i or not (low[i - 1].isalnum() or low[i - 1] == "_"):
                j = i + len(word)
                while j < n and low[j].isspace():
                    j += 1
                if j < n and low[j] == "(":
                    return True
            i = low.find(word, i + 1)
    return False


def may_close(parsed, ctx) -> bool:
    """Whether the expression's flow can be anything but open (all labels, perhaps without
    `__name__`): it reads no series, aggregates, calls a function that sets or drops labels, matches `on`/
    `ignoring`, reads a recording rule of the project, or removes a label with `{l=""}`.
    From the facts of `promql.parse`, without the syntax tree; held to `Analyzer` by tests."""
    if not parsed.selectors or parsed.aggregations or any(c in _CLOSING_CALLS for c in parsed.calls) \
            or _matches_on(parsed.text):
        return True  # (no selector at all: a number, no labels)
    records = analyzer(ctx).records
    return any(sel.name in records or any(op == "=" and v == "" for _l, op, v in sel.matchers)
               for sel in parsed.selectors)


_HISTOGRAM_CALLS = frozenset({"histogram_quantile", "histogram_fraction"})  # close only `le` away


def surely_kept(parsed, labels, ctx) -> bool:
    """Whether every label of `labels` can surely still be on the expression's result, from the
    facts of `promql.parse` alone: each aggregation keeps it (`by` lists it, `without` does not,
    or a `topk`-like one keeps everything), no call that sets or drops labels (histogram
    functions drop only `le`), no `on`/`ignoring`, no recording rule of the project, no `{l=""}`
    on it. Then the walk would say the same (tests hold the two equal on the corpus), so AL006
    does not walk. `__name__` is never surely kept (arithmetic drops it)."""
    if not fastpaths.ENABLED or not parsed.selectors or NAME in labels:
        return False
    for op, kind, by, _param in parsed.aggregations:
        if op in _KEEP_ALL_AGGS:
            continue
        if kind == "by":
            if any(l not in by for l in labels):
                return False
        elif kind != "without" or any(l in by for l in labels):
            return False
    for c in parsed.calls:
        if c in _CLOSING_CALLS and (c not in _HISTOGRAM_CALLS or "le" in labels):
            return False
    if _matches_on(parsed.text):
        return False
    records = analyzer(ctx).records
    for sel in parsed.selectors:
        if sel.name in records:
            return False
        for l, op, v in sel.matchers:
            if not v and l in labels and (op == "=" or op == "=~"):
                return False
    return True


_AGG_OPS = frozenset({"sum", "avg", "min", "max", "count", "group", "stddev", "stdvar", "quantile", "count_values"})


def surely_joins(parsed, ctx) -> bool:
    """Whether no vector match of the expression can miss a label, from the facts of
    `promql.parse` alone: no `on`/`ignoring`, no call that sets or drops labels, no recording
    rule, no `{l=""}`, and every aggregation keeps one and the same label set (`by (B)`, or no
    clause: none; or `without (W)` in all of them), which holds every label a selector outside
    any aggregation surely carries. Then every closed side carries exactly B (every aggregated
    side anything but W) and every open side may carry anything, so each match pairs (tests hold this to the walk's matches on the corpus) and PQ120 does not walk."""
    if not fastpaths.ENABLED or _matches_on(parsed.text):
        return False
    for c in parsed.calls:
        if c in _CLOSING_CALLS:
            return False
    common = None
    kinds = set()
    for op, kind, by, _param in parsed.aggregations:
        if op in _KEEP_ALL_AGGS:
            continue
        if op == "count_values":
            return False
        kinds.add(kind == "without")
        labels = frozenset(by) if kind else frozenset()
        if common is None:
            common = labels
        elif labels != common or len(kinds) > 1:
            return False
    # `by (B)`: aggregated sides carry only B; `without (W)`: anything but W. A label that a
    # selector outside every aggregation surely carries must be one the aggregated sides keep.
    dropped = (lambda l: l in common) if True in kinds else (lambda l: l not in common)
    records = analyzer(ctx).records
    for sel in parsed.selectors:
        if sel.name in records:
            return False
        outside = common is not None and not any(f in _AGG_OPS for f in sel.funcs)
        for l, op, v in sel.matchers:
            if not v:
                if op == "=" or op == "=~":
                    return False  # `{l=""}` drops the label
                if outside and l != NAME and dropped(l):
                    return False  # `{l!=""}`: surely carried
            elif outside and l != NAME and dropped(l) and (op == "=" or op == "=~") and not _META.search(v):
                return False  # a label this side surely carries and the aggregated sides lack
    return True


class Flow:
    """The label sets an expression's result series can have.

    `only` is None for an open set (any label except those in `minus`) or the frozenset of the
    only labels a series can carry; `sure` holds labels every result series carries."""

    __slots__ = ("only", "minus", "sure")

    def __init__(self, only: frozenset | None = None, minus: frozenset = frozenset(),
                 sure: frozenset = frozenset()) -> None:
        self.only = only
        self.minus = frozenset() if only is not None else minus
        self.sure = sure if only is None else sure & only

    def __repr__(self) -> str:
        return f"Flow({self.describe()})"

    def __eq__(self, other) -> bool:
        return (isinstance(other, Flow) and self.only == other.only and self.minus == other.minus
                and self.sure == other.sure)

    __hash__ = None

    @property
    def exact(self) -> bool:
        return self.only is not None

    def may_have(self, label: str) -> bool:
        return label in self.only if self.only is not None else label not in self.minus

    def keep(self, labels) -> "Flow":
        labels = frozenset(labels)
        if self.only is not None:
            return Flow(self.only & labels, sure=self.sure & labels)
        return Flow(frozenset(l for l in labels if l not in self.minus), sure=self.sure & labels)

    def drop(self, labels) -> "Flow":
        if type(labels) is not frozenset:
            labels = frozenset(labels)
        if not labels:
            return self
        if self.only is not None:
            if self.only.isdisjoint(labels):
                return self  # (`sure` is part of `only`): nothing to drop
            return Flow(self.only - labels, sure=self.sure - labels)
        if labels <= self.minus and self.sure.isdisjoint(labels):
            return self  # dropped before (`__name__` after every arithmetic step)
        return Flow(None, self.minus | labels, self.sure - labels)

    def add(self, labels, sure: bool = False) -> "Flow":
        labels = frozenset(labels)
        new_sure = self.sure | labels if sure else self.sure
        if self.only is not None:
            return Flow(self.only | labels, sure=new_sure)
        return Flow(None, self.minus - labels, new_sure)

    def union(self, other: "Flow") -> "Flow":
        sure = self.sure & other.sure
        if self.only is not None and other.only is not None:
            return Flow(self.only | other.only, sure=sure)
        if self.only is None and other.only is None:
            return Flow(None, self.minus & other.minus, sure)
        opened, closed = (self, other) if self.only is None else (other, self)
        return Flow(None, opened.minus - closed.only, sure)

    def copy_from(self, other: "Flow", labels) -> "Flow":
        """`group_left/right (labels)`: each label takes the other side's value (or is removed
        when the other side has none)."""
        out = self
        for label in labels:
            if other.may_have(label):
                out = out.add([label], sure=label in other.sure)
            else:
                out = out.drop([label])
        return out

    def visible(self) -> list[str]:
        """The labels of a closed set, sorted, `__name__` left out."""
        return sorted(l for l in (self.only or ()) if l != NAME)

    def describe(self) -> str:
        """Human words: `exactly {a, b}`, `no labels`, `any labels but {x}`."""
        if self.only is not None:
            shown = self.visible()
            return "only " + ", ".join(f"`{l}`" for l in shown) if shown else "no labels"
        shown = sorted(l for l in self.minus if l != NAME)
        return "any labels but " + ", ".join(f"`{l}`" for l in shown) if shown else "any labels"

    @staticmethod
    def _from_json(data: dict) -> "Flow":
        if data["exact"]:
            return Flow(frozenset(data["labels"]), sure=frozenset(data["always"]))
        return Flow(None, frozenset(data["not"]), frozenset(data["always"]))

    def as_json(self) -> dict:
        out: dict = {"exact": self.only is not None}
        if self.only is not None:
            out["labels"] = sorted(self.only)
        else:
            out["not"] = sorted(self.minus)
        out["always"] = sorted(self.sure)
        return out


OPEN = Flow()
EMPTY = Flow(frozenset())
# A scalar's flow: no labels, as EMPTY, but told apart by identity, so `_binary` learns which
# side is a scalar from the one walk of each side (`drop` keeps it: it has nothing to drop).
SCALAR = Flow(frozenset())
_NAME_ONLY = frozenset({NAME})


# The tree is `Parsed.shape`: its regex matchers may be written as `=` (promql's regex-free
# parse), so a value with regex characters may be a regex that matches "".
_META = re.compile(r"[.^$*+?()\[\]{}|\\]")


def _present_matcher(op: str, value: str) -> bool:
    """A matcher that only series carrying the label can pass."""
    return (op == "=" and value != "" and not _META.search(value)) or (op in ("!=", "!~") and value == "")


def _absent_matcher(op: str, value: str) -> bool:
    return op in ("=", "=~") and value == ""


def _templated(label: str) -> bool:
    """A Grafana variable's stand-in (`by ($group)` -> `__var_group`): could be any label."""
    return label.startswith("__var_")


class Analyzer:
    """Label flow for one run: recording rules of the project indexed once, results cached
    per expression text and per recorded metric name."""

    def __init__(self, project=None) -> None:
        self._project = project
        self._records: dict | None = None
        self._by_expr: dict[tuple, Flow | None] = {}
        self._by_record: dict[str, Flow] = {}
        self._visiting: set[str] = set()
        self._sink: list | None = None  # vector matches seen, while `matches()` walks
        self._by_matches: dict[tuple, list] = {}
        # The directory of the file whose expression is walked (None: anywhere): a recording
        # rule far from it is another Prometheus' (see `_near`), whose series arrive here
        # through federation or remote write with labels its rule does not show.
        self._home: str | None = None
        self._near_memo: dict[tuple, bool] = {}

    @property
    def records(self) -> dict:
        """{metric name: [PromRule, ...]} of every recording rule in the project."""
        if self._records is None:
            out: dict = {}
            for rule in getattr(self._project, "rules", ()) or ():
                name = rule.data.get("record")
                if isinstance(name, str) and rule.query is not None:
                    out.setdefault(name, []).append(rule)
            self._records = out
        return self._records

    def of_expr(self, expr: str, home: str | None = None) -> Flow | None:
        """The flow of a PromQL text, or None when it does not parse; `home`: the directory
        of the file it is in."""
        return self._walk(expr, home)[0]

    def _walk(self, expr: str, home: str | None = None) -> tuple[Flow | None, list]:
        """One walk of the expression's tree gives both its flow and its vector matches
        (AL006 asks for the one, PQ120 for the other, often of the same alert)."""
        key = (expr, home)
        if key in self._by_expr:
            return self._by_expr[key], self._by_matches[key]
        ast = promql.parse(expr).shape  # matcher operators are read defensively (see _present_matcher)
        result, found = None, []
        if ast is not None:
            sink, self._sink = self._sink, found
            outer, self._home = self._home, home
            try:
                result = self.of_node(ast)
            finally:
                self._sink, self._home = sink, outer
        self._by_expr[key], self._by_matches[key] = result, found
        return result, found

    def _near(self, name: str) -> bool:
        """Whether a rule recording `name` is in the walked file's Prometheus as far as the tree
        shows: in the same directory, or both directories at most one level below the one they
        share (`rules/recording/` and `rules/alerts/`). gardener's garden Prometheus alerts on
        series its seeds' cache Prometheus records (`prometheus/cache/...` and
        `prometheus/garden/...`), federated with a `seed` label the rule does not add."""
        home = self._home
        if home is None:
            return True
        key = (name, home)
        hit = self._near_memo.get(key)
        if hit is None:
            hit = self._near_memo[key] = any(_close(home, _home_of(rule)) for rule in self.records[name])
        return hit

    def of_record(self, name: str) -> Flow:
        hit = self._by_record.get(name)
        if hit is not None:
            return hit
        if name in self._visiting:  # a cycle of recording rules: nothing provable
            return OPEN
        self._visiting.add(name)
        try:
            result = None
            for rule in self.records[name]:
                inner = self.of_expr(rule.query.expr, _home_of(rule) if self._home is not None else None)
                if inner is None:
                    result = OPEN
                    break
                labels = rule.data.get("labels")
                if isinstance(labels, dict):
                    inner = inner.add([str(k) for k in labels], sure=True)
                inner = inner.add([NAME], sure=True)
                result = inner if result is None else result.union(inner)
        finally:
            self._visiting.discard(name)
        result = result or OPEN
        self._by_record[name] = result
        return result

    def matches(self, expr: str, home: str | None = None) -> list:
        """Every vector-to-vector binary operation of `expr` with the flows of its two sides
        (`Match`), outermost last. Plain values: no syntax node is kept."""
        return self._walk(expr, home)[1]

    # --- the walk -------------------------------------------------------------------
    def of_node(self, node) -> Flow:
        try:
            return self._node(node)
        except RecursionError:
            return OPEN

    def _node(self, node) -> Flow:
        """The node's flow; SCALAR exactly for what `promql._is_scalar` calls a scalar."""
        t = type(node)
        if t is _BIN:
            return self._binary(node)
        if t is _VS:
            return self._selector(node)
        if t is _AGG:
            return self._aggregation(node)
        if t is _MS:
            return self._selector(node.vector_selector)
        if t is _CALL:
            return self._call(node)
        if t is _NUM:
            return SCALAR
        if t is _STR:
            return EMPTY
        if t is _PAREN:
            return self._node(node.expr)
        if t is _UNARY:
            return self._node(node.expr).drop(_NAME_ONLY)
        if t is _SUBQUERY:
            out = self._node(node.expr)
            return EMPTY if out is SCALAR else out
        return OPEN

    def _selector(self, vs) -> Flow:
        name = vs.name
        matchers = promql._matchers(vs)
        records = self._records if self._records is not None else self.records
        if not name or name not in records or (self._home is not None and not self._near(name)):
            # The common case, a metric nobody records (here): any label, the present ones sure,
            # unless a `{l=""}` removes one (then the general reading below).
            sure = []
            for label, op, value in matchers:
                if label == NAME:
                    continue
                if op == "=":
                    if not value:
                        break
                    if not _META.search(value):
                        sure.append(label)
                elif not value and (op == "!=" or op == "!~"):
                    sure.append(label)
            else:
                return Flow(None, frozenset(), frozenset(sure) | _NAME_ONLY)
        base = OPEN
        if name and name in records and not _templated(name):
            base = self.of_record(name)
            # A matcher on a label the recording rules cannot produce means the series also
            # come from elsewhere (another server's rules, external labels): nothing provable.
            if base.only is not None and any(l != NAME and l not in base.only and not _absent_matcher(op, v)
                                             for l, op, v in matchers):
                base = OPEN
        sure, absent = set(), set()
        for label, op, value in matchers:
            if label == NAME:
                continue
            if _present_matcher(op, value):
                sure.add(label)
            elif op == "=" and value == "":
                absent.add(label)
        if base is OPEN and not absent:  # the common case, without the intermediate flows
            return Flow(None, frozenset(), frozenset(sure) | _NAME_ONLY)
        out = base.drop(absent)
        present = [l for l in sure if out.may_have(l)]
        out = out.add(present, sure=True)
        return out.add([NAME], sure=True)

    def _aggregation(self, node) -> Flow:
        op = str(node.op)
        inner = self._node(node.expr)
        if op in _KEEP_ALL_AGGS:
            return EMPTY if inner is SCALAR else inner
        extra = []
        if op == "count_values" and type(node.param) is _STR:
            extra.append(node.param.val)
        mod = node.modifier
        if mod is None:
            out = EMPTY
        else:
            labels = list(mod.labels)
            if any(_templated(l) for l in labels):
                return OPEN
            if str(mod.type).endswith("Without"):
                out = inner.drop(labels + [NAME])
                if out is SCALAR:  # (not valid PromQL: an aggregation of a number)
                    out = EMPTY
            else:
                out = inner.keep(labels)
        return out.add(extra, sure=True) if extra else out

    def _call(self, node) -> Flow:
        name = node.func.name
        args = node.args
        if name in _NO_LABELS or (name in _DATE_FUNCS and not args):
            return SCALAR if name in _SCALAR_CALLS else EMPTY
        if name in ("absent", "absent_over_time"):
            labels = set()
            for a in args:
                vs = a.vector_selector if type(a) is _MS else a if type(a) is _VS else None
                if vs is not None:
                    labels |= {l for l, op, v in promql._matchers(vs) if op == "=" and l != NAME
                               and not _META.search(v)}
            return Flow(frozenset(labels), sure=frozenset(labels))
        if name == "info":
            return OPEN  # adds the data labels of info metrics: not known offline
        vector = next((a for a in args if type(a) is not _NUM and type(a) is not _STR), None)
        base = EMPTY if vector is None else self._node(vector)
        if name in ("label_replace", "label_join") and len(args) > 1 and type(args[1]) is _STR:
            dst = args[1].val
            if _templated(dst):
                return OPEN
            return base.add([dst])
        if name in ("histogram_quantile", "histogram_fraction"):
            base = base.drop(["le"])
        if name not in _KEEP_NAME:
            base = base.drop(_NAME_ONLY)
        return EMPTY if base is SCALAR else base  # a function of a scalar argument returns a vector

    def _binary(self, node) -> Flow:
        lhs, rhs = node.lhs, node.rhs
        op = str(node.op)
        mod = node.modifier
        returns_bool = mod is not None and mod.return_bool
        drops_name = op in _ARITHMETIC or returns_bool
        # A scalar side is walked too (a number or `scalar(...)`: nothing below it is visited):
        # its flow says it is one, which a second walk (`promql._is_scalar`) would have told.
        left, right = self._node(lhs), self._node(rhs)
        lhs_scalar, rhs_scalar = left is SCALAR, right is SCALAR
        if lhs_scalar and rhs_scalar:
            return SCALAR
        if lhs_scalar or rhs_scalar:
            out = right if lhs_scalar else left
            return out.drop(_NAME_ONLY) if drops_name else out
        matching = mod.matching if mod is not None else None
        if matching is not None:
            on = str(matching.type).endswith("Include")
            match_labels = list(matching.labels)
        else:
            on, match_labels = False, []
        if self._sink is not None:
            self._sink.append(Match(op, None if matching is None else on, match_labels, left, right))
        if op == "or":
            return left.union(right)
        if op == "and" or op == "unless":
            return left
        card = str(mod.card) if mod is not None else ""
        if match_labels and any(_templated(l) for l in match_labels):
            return OPEN
        group = list(mod.group_labels or []) if mod is not None else []
        if card.endswith("OneToMany"):
            out = right.copy_from(left, group)
        elif card.endswith("ManyToOne"):
            out = left.copy_from(right, group)
        elif on:
            out = left.keep(match_labels)
        else:
            out = left.drop(match_labels)
        return out.drop(_NAME_ONLY) if drops_name else out


class Match:
    """One vector-to-vector operation: operator, matching (`on`: True for `on (...)`, False
    for `ignoring (...)`, None for the default), its labels, and the flows of both sides."""

    __slots__ = ("op", "on", "labels", "left", "right")

    def __init__(self, op: str, on: bool | None, labels, left: Flow, right: Flow) -> None:
        self.op, self.on, self.labels, self.left, self.right = op, on, tuple(labels), left, right

    def __repr__(self) -> str:
        return f"Match({self.op!r}, on={self.on!r}, labels={self.labels!r}, {self.left!r}, {self.right!r})"


def home(doc) -> str | None:
    """The directory of a document's file, which decides which recording rules are near it."""
    path = getattr(getattr(doc, "source", None), "path", None)
    return os.path.dirname(os.path.abspath(str(path))) if path is not None else None


def _home_of(rule) -> str | None:
    return home(rule.doc)


def _close(a: str | None, b: str | None) -> bool:
    from obslint.nearby import within

    return a is None or b is None or a == b or within(a, b, 1)


def analyzer(ctx) -> Analyzer:
    """The run's analyzer (one per lint run, in `ctx.cache`)."""
    cache = getattr(ctx, "cache", None)
    if cache is None:
        return Analyzer(getattr(ctx, "project", None))
    hit = cache.get("labelflow")
    if hit is None:
        hit = cache["labelflow"] = Analyzer(getattr(ctx, "project", None))
    return hit


def flow(expr: str, ctx=None, doc=None) -> Flow | None:
    """The labels `expr`'s result can carry, following the run's recording rules (those near
    `doc`'s file, when given); None when the expression does not parse."""
    return (analyzer(ctx) if ctx is not None else Analyzer()).of_expr(expr, home(doc) if doc is not None else None)


def explain(expr: str, paths=None, as_json: bool = False) -> str:
    """`obslint explain --query EXPR [--rules PATH ...]`: the labels the result can carry and
    each vector match's two sides, following the recording rules of the given files."""
    project = None
    if paths:
        from pathlib import Path

        from obslint.config import Config
        from obslint.engine import load_project

        project, _findings, _files = load_project([Path(p) for p in paths], Config())
    an = Analyzer(project)
    parsed = promql.parse(expr)
    result = an.of_expr(expr)
    data: dict = {"query": expr, "error": parsed.error}
    if result is not None:
        data["labels"] = result.as_json()
        data["matches"] = [{"op": m.op, "matching": None if m.on is None else ("on" if m.on else "ignoring"),
                            "matching_labels": list(m.labels), "left": m.left.as_json(),
                            "right": m.right.as_json()} for m in an.matches(expr)]
        data["recording_rules"] = sorted(sel.name for sel in parsed.selectors if sel.name in an.records)
    if as_json:
        import json

        return json.dumps(data, indent=2)
    if result is None:
        return f"{expr}\n  does not parse: {parsed.error}"
    lines = [expr, f"  result carries {result.describe()}" + (
        f"; always {', '.join(f'`{l}`' for l in sorted(result.sure - {NAME}))}" if result.sure - {NAME} else "")]
    for m in data["matches"]:
        how = "default matching" if m["matching"] is None else f"{m['matching']} ({', '.join(m['matching_labels'])})"
        left, right = Flow._from_json(m["left"]), Flow._from_json(m["right"])
        lines.append(f"  `{m['op']}` with {how}: left {left.describe()}, right {right.describe()}")
    if data["recording_rules"]:
        lines.append(f"  followed recording rules: {', '.join(data['recording_rules'])}")
    return "\n".join(lines)
