"""The pipeline: discover -> load -> classify -> model -> checks -> locate -> suppress."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from obslint import registry
from obslint.classify import classify
from obslint.config import Config, relative
from obslint.discover import discover
from obslint.findings import Finding, Severity
from obslint.load import read_source
from obslint.model import Project
from obslint.suppress import Suppressions, policy_ignores


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    skipped: list[str] = field(default_factory=list)  # files with no known document kind
    kinds: dict[str, str] = field(default_factory=dict)  # display path -> kind(s)
    suppressed: int = 0
    unused_suppressions: list[Finding] = field(default_factory=list)
    elapsed: float = 0.0
    project: Project | None = None

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


def active_rules(config: Config, select=None, ignore=None) -> list[registry.Rule]:
    selected = list(select or config.select)
    ignored = list(ignore or []) + list(config.ignore)
    rules = []
    for code, cls in registry.load_all().items():
        if not registry.matches(code, selected) or registry.matches(code, ignored):
            continue
        if cls.needs_policy and not config.policy:
            continue
        rules.append(cls(config.rule_options(cls), config.severity.get(code) or config.severity.get(cls.name)))
    return rules


class Context:
    """What rules may read besides the node they check: the config and the whole project."""

    def __init__(self, config: Config, project: Project) -> None:
        self.config = config
        self.policy = config.policy
        self.project = project
        self.cache: dict = {}


def load_project(paths: list[Path], config: Config, result: Result | None = None):
    """Discover, read, classify and model every file: (project, file-level findings, files)."""
    result = result if result is not None else Result()
    project = Project()
    files = discover(paths, config.exclude)
    file_findings: list[Finding] = []
    for path, fmt in files:
        display = relative(path)
        source, problems = read_source(path, display, fmt, config.max_file_size)
        project.sources.append(source)
        file_findings.extend(problems)
        kinds = []
        for doc in list(source.documents):
            extra = classify(doc)
            for d in [doc, *extra]:
                if d.kind:
                    kinds.append(d.kind)
                    project.add(d)
        if kinds:
            result.kinds[display] = ",".join(sorted(set(kinds)))
        elif source.documents:
            result.skipped.append(display)
    return project, file_findings, files


def lint(paths: list[Path], config: Config, *, select=None, ignore=None, report_only: set[str] | None = None,
         report_unused: bool = False) -> Result:
    """Lint every file under paths. `report_only` (normalised paths) limits which files'
    findings are reported while cross-file checks still see everything."""
    start = time.perf_counter()
    result = Result()
    project, file_findings, files = load_project(paths, config, result)

    result.files = len(files)

    rules = active_rules(config, select, ignore)
    ctx = Context(config, project)
    by_code = {r.code: r for r in rules}
    found: list[Finding] = []
    for f in file_findings:
        if f.code in by_code:
            f.severity = by_code[f.code].level
            found.append(f)
    found.extend(run_rules(rules, project, ctx))

    suppressions: dict[str, Suppressions] = {}
    texts = {s.display: s for s in project.sources}
    ignores = config.policy.get("ignore") or []
    for f in found:
        if f.doc is not None and not f.line:
            f.line, f.col = f.doc.locate(f.node, f.at_key)
        if f.doc is not None:
            f.context = {**_scope_context(f.doc, f.scope), **f.context}
        src = texts.get(f.file)
        sup = suppressions.get(f.file)
        if sup is None:
            sup = suppressions[f.file] = Suppressions(src.text if src and src.format == "yaml" else None)
        scope_line = None
        if sup.by_target and f.doc is not None and f.scope is not None:
            scope_line = f.doc.locate(f.scope)[0]
        if report_only is not None and os.path.normpath(os.path.abspath(f.file)) not in report_only:
            continue
        if sup.suppresses(f, scope_line) or (ignores and policy_ignores(f, ignores)):
            result.suppressed += 1
            continue
        result.findings.append(f)
    if report_unused:
        for display, src in texts.items():
            if src.format != "yaml":
                continue
            sup = suppressions.get(display) or Suppressions(src.text)
            for line, code in sup.unused():
                result.unused_suppressions.append(Finding(
                    code="SU001", message=f"suppression of {code} is not used: nothing here reports {code}",
                    severity=Severity.WARNING, file=display, line=line, col=1,
                    fix="remove the comment"))
    result.findings.extend(result.unused_suppressions)
    result.findings.sort(key=Finding.sort_key)
    result.elapsed = time.perf_counter() - start
    result.project = project
    return result


def run_rules(rules, project: Project, ctx: Context):
    """Call each rule's hooks on the model objects they ask for.

    Object by object: a rule, then its query; a panel, then its queries. Every check that
    looks at one expression runs while its syntax tree is still in the small tree cache."""
    hooks = {hook: [getattr(r, hook) for r in rules if hasattr(r, hook)] for hook in registry.HOOKS}
    on_query = hooks["check_query"]

    def each(fns, obj):
        for fn in fns:
            found = fn(obj, ctx)
            if found:
                yield from found

    def queries(qs):
        for q in qs:
            yield from each(on_query, q)

    for doc in project.documents:
        yield from each(hooks["check_document"], doc)
    for group in project.groups:
        yield from each(hooks["check_group"], group)
        for rule in group.rules:
            yield from each(hooks["check_rule"], rule)
            if rule.query is not None:
                yield from queries((rule.query,))
    for dash in project.dashboards:
        yield from each(hooks["check_dashboard"], dash)
        for panel in dash.panels:
            yield from each(hooks["check_panel"], panel)
            yield from queries(panel.queries)
    for grule in project.grafana_rules:
        yield from each(hooks["check_grafana_rule"], grule)
        yield from queries(grule.queries)
    for fn in hooks["check_project"]:
        found = fn(project, ctx)
        if found:
            yield from found


def _scope_context(doc, scope) -> dict:
    """Names policy `ignore:` entries match on: dashboard uid, panel title, alert name."""
    ctx: dict = {}
    data = doc.data
    if doc.kind == "grafana-dashboard":
        root = doc.root
        if isinstance(root, dict):
            ctx["dashboard"] = root.get("uid")
    node = data
    for step in scope or ():
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return ctx
    if isinstance(node, dict) and scope:
        if doc.kind == "grafana-dashboard" and isinstance(node.get("title"), str):
            ctx["panel"] = node["title"]
        elif doc.kind == "prometheus-rules":
            ctx["alert"] = node.get("alert", node.get("record"))
        elif doc.kind == "grafana-alerting":
            ctx["alert"] = node.get("title")
    return ctx
