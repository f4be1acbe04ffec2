"""The pipeline: discover -> load -> classify -> model -> checks -> locate -> suppress."""
from __future__ import annotations

import gc
import os
import time

from obslint import findingcap, registry, timebox
from obslint.classify import classify
from obslint.config import Config, ConfigError, relative
from obslint.discover import discover
from obslint.findings import Finding, Severity
from obslint.load import read_source
from obslint.model import Project
from obslint.record import Record
from obslint.resources import link as link_resources
from obslint.suppress import Suppressions, policy_ignores

TYPE_CHECKING = False  # pathlib is imported by the loader anyway; typing is not imported at run time
if TYPE_CHECKING:
    from pathlib import Path

# Seconds the checks of one file may take before the rest of them are skipped for that file
# (IN010); the environment variable OBSLINT_TIME_BUDGET overrides it, 0 turns it off. Real
# files take well under a second: this only stops a pathological one holding up the run.
FILE_TIME_BUDGET = 10.0


_RESULT_FIELDS = ("findings", "files", "skipped", "suppressed", "unused_suppressions", "elapsed", "project")


class Result(Record):
    """What a run found. A plain class (a dataclass costs start-up time) with the dataclass's
    behaviour: keyword or positional fields, equality by value, the same repr."""

    _fields = _RESULT_FIELDS

    def __init__(self, findings: list[Finding] | None = None, files: int = 0, skipped: list[str] | None = None,
                 suppressed: int = 0, unused_suppressions: list[Finding] | None = None, elapsed: float = 0.0,
                 project: Project | None = None) -> None:
        self.findings = [] if findings is None else findings
        self.files = files
        self.skipped = [] if skipped is None else skipped  # files with no known document kind
        self.suppressed = suppressed
        self.unused_suppressions = [] if unused_suppressions is None else unused_suppressions
        self.elapsed = elapsed
        self.project = project
        self.skip_reasons: dict[str, str] = {}  # why a skipped file was skipped, when known

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
    project = Project(policy=config.policy)
    unreadable: list[tuple[Path, OSError]] = []
    files = discover(paths, config.exclude, errors=unreadable)
    file_findings: list[Finding] = [
        Finding(code="IN001", message=f"cannot read directory: {exc.strerror or exc}; its files were not linted",
                severity=Severity.ERROR, file=relative(path), line=1, col=1,
                fix="check the directory's permissions, or exclude it")
        for path, exc in unreadable]
    for path, fmt in files:
        display = relative(path)
        source, problems = read_source(path, display, fmt, config.max_file_size)
        project.sources.append(source)
        file_findings.extend(problems)
        known = False  # does the file hold anything obslint lints?
        for doc in list(source.documents):
            try:
                extra = classify(doc)
                for d in [doc, *extra]:
                    if d.kind:
                        known = True
                        project.add(d)
            except Exception as exc:  # noqa: BLE001 - a bug must not stop the run: report it on the file
                file_findings.append(_internal_error(display, "reading the document's structure", exc))
        if not known and source.documents:
            result.skipped.append(display)
            reason = next((d.skip_reason for d in source.documents if getattr(d, "skip_reason", None)), None)
            if reason:
                result.skip_reasons[display] = reason
    link_resources(project)  # library panels, ConfigMap references, folders, datasource resources
    project.finish()  # every datasource is known now: place each query by its language
    return project, file_findings, files


def lint(paths: list[Path], config: Config, *, select=None, ignore=None, report_only: set[str] | None = None,
         report_unused: bool = False) -> Result:
    """Lint every file under paths. `report_only` (normalised paths) limits which files'
    findings are reported while cross-file checks still see everything."""
    start = time.perf_counter()
    result = Result()
    # A run builds millions of small objects and frees almost none of them before it ends:
    # the cyclic garbage collector would re-scan them again and again (a quarter of the run
    # time on large dashboard sets) for nothing. Reference counting still frees what dies.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _lint(paths, config, start, result, select, ignore, report_only, report_unused)
    finally:
        if gc_was_enabled:
            gc.enable()


def _lint(paths, config, start, result, select, ignore, report_only, report_unused) -> Result:
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
    only_sources = None
    if report_only is not None:  # per-file checks only where findings will be shown
        only_sources = {id(src) for src in project.sources
                        if os.path.normpath(os.path.abspath(src.path)) in report_only}
    for f in run_rules(rules, project, ctx, only_sources):
        if f.code in _ENGINE_CODES:  # the engine's own findings obey --select/--ignore and severities too
            if f.code not in by_code:
                continue
            f.severity = by_code[f.code].level
        found.append(f)

    suppressions: dict[str, Suppressions] = {}
    texts = {s.display: s for s in project.sources}
    ignores = config.policy.get("ignore") or []
    cap = findingcap.Cap()  # at most N findings of one code per document are placed and listed
    for f in found:  # (a finding appended below is processed too)
        if report_only is not None and os.path.normpath(os.path.abspath(f.file)) not in report_only:
            continue
        if cap.full(f):
            continue
        if f.doc is not None and not f.line:
            try:
                f.line, f.col = f.doc.locate(f.node, f.at_key)
            except Exception as exc:  # noqa: BLE001 - keep the finding, at the top of its file
                f.line, f.col = 1, 1
                if "IN011" in by_code:
                    found.append(_internal_error(f.file, f"placing a {f.code} finding", exc))
        if f.doc is not None:
            f.context = {**_scope_context(f.doc, f.scope), **f.context}
        src = texts.get(f.file)
        sup = suppressions.get(f.file)
        if sup is None:
            sup = suppressions[f.file] = Suppressions(src.text if src and src.format == "yaml" else None)
        scope_line = None
        if sup.by_target and f.doc is not None and f.scope is not None:
            try:
                scope_line = f.doc.locate(f.scope)[0]
            except Exception:  # noqa: BLE001 - reported above when the finding itself was placed
                scope_line = None
        if sup.suppresses(f, scope_line) or (ignores and policy_ignores(f, ignores)):
            result.suppressed += 1
            continue
        result.findings.append(f)
        cap.kept(f)
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
    result.findings = cap.finish(result.findings)
    result.elapsed = time.perf_counter() - start
    result.project = project
    return result


def run_rules(rules, project: Project, ctx: Context, only_sources: set[int] | None = None) -> list[Finding]:
    """Call each rule's hooks on the model objects they ask for; returns the findings.

    Object by object: a rule, then its query; a panel, then its queries. Every check that
    looks at one expression runs while its syntax tree is still in the small tree cache.
    `only_sources` (ids of Sources) limits per-object checks to those files; project-wide
    checks always see everything."""
    hooks = {hook: [getattr(r, hook) for r in rules if hasattr(r, hook)] for hook in registry.HOOKS}
    on_query = hooks["check_query"]
    # A check that raises is reported (IN011) on the file and the run goes on; a file whose
    # checks exceed the time budget is reported (IN010) and not checked further.
    budget = _time_budget()
    timebox.deadline = float("inf")  # set per file by charge() when there is a budget
    spent: dict[int, float] = {}
    over: set[int] = set()
    clock = time.perf_counter
    out: list[Finding] = []
    extend = out.extend
    # The clock is read every 16 objects and whenever the file changes, not around every
    # call: the time since the last reading is charged to the file being checked.
    meter = [0, clock(), None]  # objects since the last reading, its time, the file then

    def each(fns, obj, src) -> None:
        if budget and meter[2] is not src:
            charge(src)  # the time until now belongs to the file checked before
        for fn in fns:
            try:
                found = fn(obj, ctx)
                if found:
                    extend(found)
            except ConfigError:  # an unusable policy value: the CLI reports it (exit 2)
                raise
            except timebox.Exceeded:  # a long check stopped itself at the file's budget
                spent[id(src)] = budget + 1.0
                meter[2] = src
                charge(src)
                return
            except Exception as exc:  # noqa: BLE001 - a bug in one check must not stop the run
                out.append(_internal_error(src.display, f"check {_code(fn)}", exc))
        if budget:
            meter[0] += 1
            if meter[0] >= 16:
                charge(src)

    def charge(src) -> None:
        now = clock()
        last = meter[2]
        if last is not None:
            total = spent[id(last)] = spent.get(id(last), 0.0) + now - meter[1]
            if total > budget and id(last) not in over:
                over.add(id(last))
                out.append(Finding(code="IN010", severity=Severity.ERROR, file=last.display, line=1, col=1,
                                   message=f"checking this file took over {budget:g} s, the per-file time budget: "
                                           "obslint stopped checking it there",
                                   fix="split the file, or raise the budget with OBSLINT_TIME_BUDGET=SECONDS"))
        meter[:] = [0, now, src]
        if src is not None:  # what is left of src's budget, for checks with long loops
            timebox.deadline = now + budget - spent.get(id(src), 0.0)

    # A query check sees the expression, where it comes from (rule or alert, panel, Grafana
    # rule), whether Grafana macros may appear, and the file; nothing else of its owner (the
    # contract in registry.HOOKS). So a query identical in all of these to one whose checks
    # found nothing has nothing to report either, and is skipped: rules_large.yml repeats one
    # expression 10,002 times, dashboards repeat queries across panels.
    clean_queries: set = set()

    def queries(qs, src) -> None:
        for q in qs:
            key = (q.expr, q.origin, q.grafana, getattr(q.owner, "is_alert", None), id(src))
            if key in clean_queries:
                continue
            before = len(out)
            each(on_query, q, src)
            if len(out) == before:
                clean_queries.add(key)

    def skip(src) -> bool:
        return id(src) in over or (only_sources is not None and id(src) not in only_sources)

    on_doc, on_group, on_rule = hooks["check_document"], hooks["check_group"], hooks["check_rule"]
    on_alert = hooks["check_alert"]  # alerting rules only: recording rules never pay for alert checks
    on_dash, on_panel, on_grule = hooks["check_dashboard"], hooks["check_panel"], hooks["check_grafana_rule"]
    for doc in project.documents:
        if on_doc and not skip(doc.source):
            each(on_doc, doc, doc.source)
    for group in project.groups:
        src = group.doc.source
        if skip(src):
            continue
        if on_group:
            each(on_group, group, src)
        for rule in group.rules:
            if id(src) in over:
                break
            if on_rule:
                each(on_rule, rule, src)
            if on_alert and rule.is_alert:
                each(on_alert, rule, src)
            if rule.query is not None and on_query:
                queries((rule.query,), src)
    for dash in project.dashboards:
        src = dash.doc.source
        if skip(src):
            continue
        if on_dash:
            each(on_dash, dash, src)
        for panel in dash.panels:
            if id(src) in over:
                break
            if on_panel:
                each(on_panel, panel, src)
            if on_query:
                queries(panel.queries, src)
    for grule in project.grafana_rules:
        src = grule.doc.source
        if skip(src):
            continue
        if on_grule:
            each(on_grule, grule, src)
        if on_query:
            queries(grule.queries, src)
    if budget and meter[2] is not None:
        charge(None)  # the last file's time since the last reading
    timebox.deadline = float("inf")  # project-wide checks have no per-file budget
    for fn in hooks["check_project"]:
        try:
            found = fn(project, ctx)
            if found:
                extend(found)
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - as above; blamed on the first file, there is no better one
            if project.sources:
                out.append(_internal_error(project.sources[0].display, f"project-wide check {_code(fn)}", exc))
    return out


_ENGINE_CODES = ("IN010", "IN011")


def _time_budget() -> float:
    try:
        return max(0.0, float(os.environ.get("OBSLINT_TIME_BUDGET", FILE_TIME_BUDGET)))
    except ValueError:
        return FILE_TIME_BUDGET


def _code(fn) -> str:
    rule = getattr(fn, "__self__", None)
    return getattr(rule, "code", "") or getattr(fn, "__qualname__", "?")


def _internal_error(display: str, what: str, exc: Exception) -> Finding:
    """IN011: obslint itself failed on this file; the message says where, to report it."""
    detail = str(exc).splitlines()[0][:200] if str(exc) else ""
    return Finding(code="IN011", severity=Severity.ERROR, file=display, line=1, col=1,
                   message=f"{what} failed with {type(exc).__name__}{': ' + detail if detail else ''} "
                           "(a bug in obslint, not in this file; the other checks ran)",
                   fix="please report it with this file; `--ignore IN011` hides it meanwhile")


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
