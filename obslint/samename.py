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
    """The values every selector of the expression requires of `label` (`=` values, and
    `=~` regexes without `|` that start with a letter or digit), or None when some selector
    does not pin it."""
    out = []
    for sel in parsed.selectors:
        mine = [(op, v) for l, op, v in sel.matchers if l == label and v and op in ("=", "=~")]
        mine = [(op, v) for op, v in mine if op == "=" or ("|" not in v and v[0].isalnum())]
        if not mine:
            return None
        out.extend(mine)
    return out


def _disjoint(a: list, b: list) -> bool:
    for op_a, va in a:
        for op_b, vb in b:
            if op_a == op_b == "=":
                if va == vb:
                    return False
            elif va[0] == vb[0]:  # a regex: every value it matches starts with its first character
                return False
    return True


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
    results keep (`code=~"2.."` against `code=~"3.."` under `sum by (code)`): their series
    never collide. None when no such label is seen."""
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
