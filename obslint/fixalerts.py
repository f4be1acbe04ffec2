"""The alert fixes (all unsafe: they change when an alert fires): a threshold set to the
policy's (AL002) or to the twin Prometheus rule's (XF001), and `for` raised to the policy's
(AL003). A threshold is a number node (a Grafana evaluator's `params[0]`) or a literal inside
an expression (PromQL `... > 0.05`, a math expression `$A > 0.05`); inside an expression it is
edited only where exactly one literal after that comparison has that value."""
from __future__ import annotations

import re

from obslint.fixes import UNSAFE, Fix

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"


def threshold_fix(doc, threshold, new_value: float, title: str) -> Fix:
    """A Fix setting `threshold` (a policy.Threshold) to new_value."""
    return Fix(lambda: threshold_edits(doc, threshold, new_value), UNSAFE, title)


def threshold_edits(doc, threshold, new_value: float):
    from obslint import fixspan
    from obslint.thresholds import same_number, show_number

    node = fixspan.value_at(doc.root, threshold.path)
    spelt = show_number(new_value)
    if isinstance(node, bool) or node is fixspan.MISSING:
        return None
    if isinstance(node, (int, float)):
        number = int(new_value) if isinstance(node, int) and float(new_value).is_integer() else float(spelt)
        return fixspan.replace_value(doc, threshold.path, number)
    if not isinstance(node, str):
        return None
    # `op <number>` with nothing between (a `bool` modifier would sit there) and no digit or
    # `.` around the number: the literal itself, not a part of a name or a duration.
    pat = re.compile(r"(?<![=!<>])" + re.escape(threshold.op) + r"(?![=~])\s*(" + _NUMBER + r")(?![\w.])")
    hits = [m for m in pat.finditer(node) if same_number(float(m.group(1)), threshold.value)]
    if len(hits) != 1:
        return None
    m = hits[0]
    return fixspan.replace_in_string(doc, threshold.path, node, [(m.start(1), m.end(1), spelt)])


def for_fix(doc, path: tuple, data: dict, duration: str) -> Fix:
    """A Fix setting the rule's `for` (path: the rule's mapping) to duration, adding it if absent."""
    def make():
        from obslint import fixspan

        if "for" in data:
            return fixspan.replace_value(doc, tuple(path) + ("for",), duration)
        return fixspan.add_member(doc, tuple(path), "for", duration)

    return Fix(make, UNSAFE, f"set `for: {duration}`")
