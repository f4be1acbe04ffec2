"""Rules that share a name and labels (RF008 in a group, RF020 across groups): a copy, one
series split between rules by a selector, or two expressions whose series may collide."""
from __future__ import annotations

from obslint import labelflow, promql
from obslint.findings import Severity

_SETS_LABELS = ("label_replace", "label_join")


def same_expr(a, b) -> bool:
    """Two `expr` values that are the same text but for spacing."""
    return isinstance(a, str) and isinstance(b, str) and a.split() == b.split()


def _picks(parsed, label: str):
    """Per selector of the expression, its matchers on `label` ((op, value) pairs, all of
    which hold), or None when some selector does not constrain it."""
    out = []
    for sel in parsed.selectors:
        mine = [(op, v) for l, op, v in sel.matchers if l == label]
        if not mine:
            return None
        out.append(mine)
    return out


def _fullmatch(regex: str, value: str) -> bool | None:
    import re

    try:
        return re.fullmatch(regex, value) is not None
    except (re.error, RecursionError, OverflowError):
        return None


def _branches(regex: str) -> set:
    """The top-level alternatives of a regex (`a|(b|c)_d` -> {a, (b|c)_d})."""
    out, depth, start = set(), 0, 0
    for i, c in enumerate(regex):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "|" and depth == 0:
            out.add(regex[start:i])
            start = i + 1
    out.add(regex[start:])
    return out


def _contradict(a: tuple, b: tuple) -> bool:
    """Whether no value satisfies both matchers (False when unsure)."""
    (op_a, va), (op_b, vb) = sorted((a, b), key=lambda m: ("=", "=~", "!=", "!~").index(m[0]) if m[0] in (
        "=", "=~", "!=", "!~") else 9)
    if op_a == "=":
        if op_b == "=":
            return va != vb
        if op_b == "!=":
            return va == vb
        if op_b == "=~":
            return _fullmatch(vb, va) is False
        if op_b == "!~":
            return _fullmatch(vb, va) is True
    if op_a == "=~" and op_b == "=~":
        # every value a regex matches starts with its first character (no `|`, alphanumeric start)
        plain = all("|" not in v and v and v[0].isalnum() for v in (va, vb))
        return plain and va[0] != vb[0]
    if op_a == "=~" and op_b == "!~":
        return bool(va) and va in _branches(vb)  # `x` against `x|y`: excluded whole
    return False


def _disjoint(a: list, b: list) -> bool:
    """Whether no series a selector of one picks is picked by a selector of the other."""
    return all(any(_contradict(ma, mb) for ma in sa for mb in sb) for sa in a for sb in b)


def _keeps(parsed, label: str) -> bool:
    """Whether `label` surely survives to the result: every aggregation keeps it, and no
    call or `on`/`ignoring` rewrites or drops labels."""
    if any(c in _SETS_LABELS for c in parsed.calls) or labelflow._matches_on(parsed.text):
        return False
    for op, kind, by, _param in parsed.aggregations:
        if op in labelflow._KEEP_ALL_AGGS:
            continue
        if kind == "by" and label in by:
            continue
        if kind == "without" and label not in by:
            continue
        return False
    return True


def separating_label(a, b) -> str | None:
    """A label on which the two expressions' selectors pick disjoint values and which both
    results keep (`code=~"2.."` against `code=~"3.."` under `sum by (code)`, `job="x"` against
    `job!="x"` or `job!~"x|y"`): their series never collide. None when no such label is seen."""
    if not isinstance(a, str) or not isinstance(b, str):
        return None
    pa, pb = promql.parse(a), promql.parse(b)
    if pa.error or pb.error or not pa.selectors or not pb.selectors:
        return None
    labels = {l for sel in pa.selectors for l, _op, _v in sel.matchers if l != "__name__"}
    for label in sorted(labels):
        va, vb = _picks(pa, label), _picks(pb, label)
        if va and vb and _disjoint(va, vb) and _keeps(pa, label) and _keeps(pb, label):
            return label
    return None


def verdict(first_expr, expr) -> tuple[str, Severity]:
    """(what to say after "same name and labels", severity) for a rule like an earlier one."""
    if same_expr(first_expr, expr):
        return "and the same expression: a copy, whose series collide with the first one's", Severity.WARNING
    label = separating_label(first_expr, expr)
    if label is not None:
        return (f"but selects other `{label}` values, which both results keep: their series never collide "
                f"(promtool still reports a duplicate rule)"), Severity.INFO
    return ("and another expression: their series collide wherever both results carry the same labels "
            "(promtool reports a duplicate rule)"), Severity.WARNING
