"""The rules a test file loads: its `rule_files`, read through obslint's own loader (or taken
from the project when the run already read them), as one small index of alerts and
recording rules."""
from __future__ import annotations

import os
from pathlib import Path

from obslint import classify as kinds


class RuleSet:
    """Alerts (name -> [PromRule]) and recorded series names of some rule files; `missing`
    are rule_files entries that name no file, `not_rules` files that hold no rule groups,
    `broken` files that do not load."""

    __slots__ = ("alerts", "records", "missing", "not_rules", "broken", "files")

    def __init__(self) -> None:
        self.alerts: dict[str, list] = {}
        self.records: dict[str, list] = {}
        self.missing: list[tuple] = []
        self.not_rules: list[tuple] = []
        self.broken: list[tuple] = []
        self.files: list[str] = []

    @property
    def complete(self) -> bool:
        """True when every rule file was found and read: only then can a name be 'not defined'."""
        return not (self.missing or self.not_rules or self.broken)


def _project_rules(ctx) -> dict[str, list]:
    """Absolute path -> the PromRules the run already loaded from it."""
    memo = ctx.cache.get("ut.project_rules") if ctx is not None else None
    if memo is None:
        memo = {}
        for r in ctx.project.rules if ctx is not None else []:
            memo.setdefault(os.path.abspath(str(r.doc.source.path)), []).append(r)
        if ctx is not None:
            ctx.cache["ut.project_rules"] = memo
    return memo


def load_rule_file(path: str, cache: dict | None = None, resources: bool = False):
    """(kind, PromRules) of one file read by obslint's loader: kind is `rules`, `resource`,
    `not-rules` or `broken`; with `resources`, a PrometheusRule resource's rules are taken
    (kind `rules`), as app-interface's tester takes them. Cached per path for the run."""
    key = (path, resources)
    if cache is not None and key in cache:
        return cache[key]
    from obslint.load import file_format, read_source
    from obslint.model import Project

    p = Path(path)
    fmt = file_format(p) or "yaml"
    source, problems = read_source(p, path, fmt)
    project = Project()
    kind = "not-rules"
    if source.text is None or any(f.severity >= 3 and f.code.startswith("IN") for f in problems):
        kind = "broken"
    elif all(doc.data is None for doc in source.documents):
        kind = "rules"  # an empty file: promtool loads it (no rules)
    for doc in source.documents:
        if doc.data is None:
            continue
        kinds.classify(doc)
        if doc.kind == kinds.PROM_RULES:
            if doc.base and not resources:  # a PrometheusRule resource: promtool reads plain rule files only
                kind = "resource"
                continue
            kind = "rules"
            project.add(doc)
    out = (kind, project.rules)
    if cache is not None:
        cache[key] = out
    return out


def ruleset(testfile, ctx=None) -> RuleSet:
    """The RuleSet of a TestFile (memoised per test file for the run)."""
    key = ("ut.ruleset", id(testfile.doc))
    if ctx is not None and key in ctx.cache:
        return ctx.cache[key]
    known = _project_rules(ctx) if ctx is not None else {}
    files_cache = ctx.cache.setdefault("ut.rulefiles", {}) if ctx is not None else {}
    rs = RuleSet()
    for path, name in testfile.rule_files:
        found = testfile.resolve(name)
        if not found:
            rs.missing.append((path, name))
            continue
        for f in found:
            f = os.path.abspath(f)
            rs.files.append(f)
            if f in known and (testfile.app_interface or not any(r.doc.base for r in known[f])):
                kind, rules = "rules", known[f]
            else:
                kind, rules = load_rule_file(f, files_cache, testfile.app_interface)
            if kind == "broken":
                rs.broken.append((path, f))
            elif kind in ("not-rules", "resource"):
                rs.not_rules.append((path, f, kind))
            for r in rules:
                name_ = r.data.get("alert")
                if isinstance(name_, str):
                    rs.alerts.setdefault(name_, []).append(r)
                rec = r.data.get("record")
                if isinstance(rec, str):
                    rs.records.setdefault(rec, []).append(r)
    if ctx is not None:
        ctx.cache[key] = rs
    return rs
