"""Alert test coverage: for every Prometheus alerting rule, whether some promtool test expects
it to fire and some test expects it to stay silent.

A test covers an alert when its `rule_files` load the alert's file and an `alert_rule_test`
names the alert: with `exp_alerts` listing alerts it is a *firing* case, with `exp_alerts: []`
(or none) a *silent* case. Used by `obslint coverage` and by the UT011 check.
"""
from __future__ import annotations

import os


class AlertCoverage:
    __slots__ = ("name", "file", "rule", "firing", "silent")

    def __init__(self, name: str, file: str, rule) -> None:
        self.name, self.file, self.rule = name, file, rule
        self.firing: list[str] = []  # "test file:line" of each firing case
        self.silent: list[str] = []

    def covered(self, require: str) -> bool:
        if require == "both":
            return bool(self.firing) and bool(self.silent)
        return bool(self.firing)

    def as_dict(self) -> dict:
        return {"alert": self.name, "file": self.file, "firing": len(self.firing), "silent": len(self.silent),
                "firing_tests": self.firing, "silent_tests": self.silent}


def _where(doc, path) -> str:
    try:
        line, _col = doc.locate(path)
    except Exception:  # noqa: BLE001 - a place is a nicety
        line = 0
    return f"{doc.source.display}:{line}" if line else doc.source.display


def collect(project, ctx) -> list[AlertCoverage]:
    """Coverage of every alert of the project's Prometheus rule files (and of the rule files
    its tests load), in file order."""
    from obslint.testfiles import test_files
    from obslint.testfiles.ruleset import ruleset

    out: dict[tuple, AlertCoverage] = {}
    for r in project.rules:
        if r.is_alert and r.doc.base == ():
            key = (os.path.abspath(str(r.doc.source.path)), r.name)
            out.setdefault(key, AlertCoverage(r.name, r.doc.source.display, r))
    for tf in test_files(ctx):
        rs = ruleset(tf, ctx)
        for name, rules in rs.alerts.items():
            for r in rules:
                key = (os.path.abspath(str(r.doc.source.path)), name)
                out.setdefault(key, AlertCoverage(name, _display(r), r))
        files = set(rs.files)
        for _g, t in tf.alert_tests():
            if not isinstance(t.alertname, str):
                continue
            where = _where(tf.doc, t.path)
            for (file, name), cov in out.items():
                if name == t.alertname and file in files:
                    (cov.firing if t.expects_firing else cov.silent).append(where)
    return list(out.values())


def _display(rule) -> str:
    from obslint.config import relative
    from pathlib import Path

    return relative(Path(str(rule.doc.source.path)))


def totals(items: list[AlertCoverage]) -> dict:
    n = len(items)
    firing = sum(1 for c in items if c.firing)
    silent = sum(1 for c in items if c.silent)
    both = sum(1 for c in items if c.firing and c.silent)
    return {"alerts": n, "firing": firing, "silent": silent, "both": both, "untested": sum(
        1 for c in items if not c.firing and not c.silent)}
