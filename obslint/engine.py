"""The lint run, top to bottom: settings -> discover -> load -> classify -> model -> checks ->
locate -> suppress -> scope -> Result. `lint()` is the whole of it; the CLI only parses its
arguments, calls it and renders the Result."""
from __future__ import annotations

import os
import time

from obslint import fastpaths, findingcap, registry, timebox
from obslint.classify import GRAFANA_ALERTING, PROM_RULES, classify
from obslint.config import Config, ConfigError, relative
from obslint.discover import discover
from obslint.findings import Finding, Severity, sort_key
from obslint.load import read_source
from obslint.model import Project
from obslint.record import Record
from obslint.registry import query_key
from obslint.resources import link as link_resources
from obslint.suppress import IgnoreEntry, Suppressions, code_matches, policy_ignores, prepare_ignores

# Seconds the checks of one file may take before the rest of them are skipped for that file
# (IN010); the environment variable OBSLINT_TIME_BUDGET overrides it, 0 turns it off. Real
# files take well under a second: this only stops a pathological one holding up the run.
FILE_TIME_BUDGET = 10.0
# Fewer files are never streamed (obslint.stream); the module is not even imported for them.
STREAM_MIN_FILES = 500


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
        self.fixes = None  # with lint(fix=...): the fixer's Outcome

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


def active_rules(config: Config, select=None, ignore=None) -> list[registry.Rule]:
    """The rules this run checks, each with its options and severity from the config."""
    selected = list(select or config.select)
    ignored = list(ignore or []) + list(config.ignore)
    rules = []
    for code, cls in registry.load_all().items():
        if not registry.matches(code, selected) or registry.matches(code, ignored):
            continue
        if cls.needs_policy and not config.policy:
            continue
        rules.append(_instance(cls, config))
    return rules


def _instance(cls, config: Config) -> registry.Rule:
    return cls(config.rule_options(cls), config.severity.get(cls.code) or config.severity.get(cls.name))


class Context:
    """What rules may read besides the node they check: the config, the whole project, the
    codes this run checks (`active`), the run's PromQL facts and trees (`promql`, a
    promql.Service; `promql.parse` reads it while the checks run) and a per-run memo (`cache`)."""

    def __init__(self, config: Config, project: Project, active: frozenset = frozenset()) -> None:
        from obslint import promql

        self.config = config
        self.policy = config.policy
        self.project = project
        self.active = active
        self.promql = promql.Service()
        self.cache: dict = {}


class ReportScope:
    """The files a `project_root` run reports on: the given files and everything below the
    given directories (normalised absolute paths)."""

    def __init__(self, paths) -> None:
        self.files: set[str] = set()
        self.dirs: list[str] = []
        for p in paths:
            a = _norm(p)
            if os.path.isdir(a):
                self.dirs.append(a if a.endswith(os.sep) else a + os.sep)
            else:
                self.files.add(a)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and (path in self.files or any(path.startswith(d) for d in self.dirs))

    def shows(self, display: str) -> bool:
        return _norm(display) in self


def _norm(p) -> str:
    return os.path.normpath(os.path.abspath(p))


def under(path, root) -> bool:
    a, r = _norm(path), _norm(root)
    try:
        return os.path.commonpath([a, r]) == r
    except ValueError:
        return False


def load_project(paths: list, config: Config, result: Result | None = None, rules: dict | None = None,
                 progress=None, discovered=None):
    """Discover, read, classify and model every file: (project, file-level findings, files).
    `rules` (code -> active Rule) makes the input findings; None: every IN code at its default.
    `discovered`: (files, unreadable directories) when discover() already ran."""
    result = result if result is not None else Result()
    project = Project(policy=config.policy)
    if discovered is not None:
        files, unreadable = discovered
    else:
        unreadable = []
        files = discover(paths, config.exclude, errors=unreadable)
    file_findings: list[Finding] = []
    for path, exc in unreadable:
        out = registry.Emitter(relative(path), rules)
        out.add("IN001", f"cannot read directory: {exc.strerror or exc}; its files were not linted",
                fix="check the directory's permissions, or exclude it")
        file_findings.extend(out)
    internal = rules.get("IN011") if rules is not None else registry.rule_class("IN011")()
    for i, (path, fmt) in enumerate(files):
        file_findings.extend(load_file(path, fmt, config, project, result, rules, internal)[1])
        if progress is not None:
            progress(i + 1, len(files), "reading")
    link_resources(project)  # library panels, ConfigMap references, folders, datasource resources
    project.finish()  # every datasource is known now: place each query by its language
    return project, file_findings, files


def load_file(path, fmt, config: Config, project: Project, result: Result, rules, internal):
    """Read, classify and model one file into `project`: (its Source, its input findings)."""
    source, file_findings, docs = read_file(path, fmt, config, result, rules, internal)
    project.sources.append(source)
    for d in docs:
        try:
            project.add(d)
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the run: report it on the file
            if internal is not None:
                file_findings.append(_internal_error(internal, source.display, "reading the document's structure",
                                                     exc))
    return source, file_findings


def read_file(path, fmt, config: Config, result: Result, rules, internal):
    """Read and classify one file: (its Source, its input findings, its documents to model)."""
    display = relative(path)
    source, problems = read_source(path, display, fmt, config.max_file_size, rules)
    file_findings = list(problems)
    docs = []
    known = False  # does the file hold anything obslint lints?
    for doc in list(source.documents):
        try:
            extra = classify(doc)
            for d in [doc, *extra]:
                if d.kind:
                    known = True
                    docs.append(d)
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the run: report it on the file
            if internal is not None:
                file_findings.append(_internal_error(internal, display, "reading the document's structure", exc))
    if not known and source.documents:
        # A file none of whose documents obslint lints (a Kubernetes Secret, a CI config) is
        # skipped whole: its duplicate keys are its own tool's business.
        file_findings = [f for f in file_findings if f.code != "IN004" and not (f.code == "IN002" and
                                                                                 f.severity is Severity.INFO)]
        result.skipped.append(display)
        reason = next((d.skip_reason for d in source.documents if getattr(d, "skip_reason", None)), None)
        if reason:
            result.skip_reasons[display] = reason
    return source, file_findings, docs


def lint(paths: list, config: Config | None = None, *, select=None, ignore=None, project_root=None,
         report_unused: bool = False, min_severity: Severity | None = None, metrics_from=(),
         max_file_size: int | None = None, fix: str | None = None, write: bool = True, cache: bool = False,
         cache_dir=None, jobs: int | None = 1, progress=None) -> Result:
    """Lint every file under `paths` with `config` (default: no config file). The public API
    (`obslint.lint`); the `obslint` command is this plus argument parsing and a report.

    - `select` / `ignore`: codes, prefixes or names, on top of the config's `checks:`.
    - `project_root`: lint this whole tree (cross-file checks see it all) but report only on
      `paths`.
    - `report_unused`: also report suppressions that silence nothing (SU001), unless SU001
      is ignored.
    - `min_severity`: leave out findings below it.
    - `metrics_from`, `max_file_size`: as the config's `metrics-from:` (added to it) and
      `max-file-size:` (replacing it).
    - `fix`: "safe" or "unsafe" applies the reported findings' fixes of that applicability
      (obslint/fixer.py), then lints again; `write=False` only works them out (`--diff`).
      `result.fixes` is the fixer's Outcome. Without `fix` no file is ever written.

    - `cache` (default off in the API, on in the CLI): reuse unchanged files' findings from
      `cache_dir` (default `.obslint_cache/` at the project root); see obslint.incremental.
    - `jobs` (default 1 in the API; the CLI's default is None): worker processes for a cold
      run, None for the usable cores; small runs stay in one process (obslint.parallel).
    - `progress`: a callable(done, total) told about files checked (the CLI's progress bar).

    Raises ConfigError for an unknown check or an unusable policy value."""
    start = time.perf_counter()
    config = config if config is not None else Config()
    select, ignore = list(select or []) or None, list(ignore or [])
    for name in registry.unknown([*(select or []), *ignore]):
        raise ConfigError(f"unknown check {name!r} (see `obslint rules`)")
    changes: dict = {}
    if max_file_size is not None:
        changes["max_file_size"] = max_file_size
    if metrics_from:
        changes["policy"] = {**config.policy,
                             "metrics-from": list(config.policy.get("metrics-from", [])) + list(metrics_from)}
    if changes:
        config = config.replace(**changes)
    scope = None
    lint_paths = list(paths)
    if project_root is not None:
        # Cross-file checks see the whole tree; findings are reported for `paths` only.
        scope = ReportScope(paths)
        lint_paths = [project_root] + [p for p in paths if not under(p, project_root)]
    rules = active_rules(config, select, ignore)
    report_unused = report_unused and not registry.matches("SU001", [*ignore, *config.ignore])
    result = Result()
    store = None
    if fix:  # fixes are planned from findings' documents: restored (cached, workers') ones have none
        cache, jobs = False, 1
    if cache:  # the run-loop hook of issue 19: everything else lives in obslint.cache / incremental
        from obslint import cache as cachemod

        key = cachemod.run_key(config, rules)  # the report scope is not in it: pre-commit names other files each time
        store = cachemod.Store(str(cache_dir) if cache_dir is not None else cachemod.default_dir(config), key)
    try:
        _run(lint_paths, config, rules, scope, report_unused, result, store, jobs, progress, stream=not fix)
    finally:
        if progress is not None and hasattr(progress, "close"):
            progress.close()
    if scope is not None:
        result.findings = [f for f in result.findings if scope.shows(f.file)]
        result.skipped = [s for s in result.skipped if scope.shows(s)]
    if min_severity is not None:
        result.findings = [f for f in result.findings if f.severity >= min_severity]
    if fix:
        from obslint import fixer

        outcome = fixer.plan(result, unsafe=fix == "unsafe")
        if write and outcome.files:
            fixer.write(outcome)
            if outcome.written:  # lint the fixed files again: the report shows what is left
                result = lint(paths, config, select=select, ignore=ignore, project_root=project_root,
                              report_unused=report_unused, min_severity=min_severity)
        result.fixes = outcome
    result.elapsed = time.perf_counter() - start
    return result


def _run(paths, config: Config, rules, scope, report_unused: bool, result: Result, store=None, jobs=None,
         progress=None, stream: bool = True) -> None:
    by_code = {r.code: r for r in rules}
    active = frozenset(by_code)
    session = None
    discovered = None
    big = False
    if store is None and jobs == 1:  # a big tree may be read a chunk at a time (obslint.stream)
        unreadable: list = []
        discovered = (discover(paths, config.exclude, errors=unreadable), unreadable)
        if stream and not unreadable and len(discovered[0]) >= STREAM_MIN_FILES:  # (not with --fix:
            from obslint import stream as streaming  # the fixer plans from the findings' documents)

            big = streaming.wanted(discovered[0])
    if store is not None or jobs != 1 or big:
        from obslint import incremental

        session, project, found = incremental.run(paths, config, rules, scope, result, store, jobs, progress)
    else:
        project, found, files = load_project(paths, config, result, by_code, progress, discovered)
        result.files = len(files)
        result.project = project
        ctx = Context(config, project, active)
        only_sources = None
        if scope is not None:  # per-file checks only where findings will be shown
            only_sources = {id(src) for src in project.sources if _norm(src.path) in scope}
        found.extend(run_rules(rules, project, ctx, only_sources, progress=progress))

    ignores = _anchored_ignores(config)
    suppressions: dict[str, Suppressions] = {}
    texts = {s.display: s for s in project.sources}
    internal = by_code.get("IN011")
    cap = findingcap.Cap(key=session.cap_key if session is not None else None)  # at most N findings of one
    # code per document are placed and listed
    shown: set = set()
    cap_key = cap.key
    file = src = sup = None
    comments = False  # whether `file` has suppression comments (most files have none)
    for f in found:  # (a finding appended below is processed too)
        if scope is not None and _norm(f.file) not in scope:
            continue
        key = cap_key(f)
        if cap.full(f, key):
            continue
        if f.doc is not None and not f.line:
            try:
                f.line, f.col = f.doc.locate(f.node, f.at_key)
            except Exception as exc:  # noqa: BLE001 - keep the finding, at the top of its file
                f.line, f.col = 1, 1
                if internal is not None:
                    found.append(_internal_error(internal, f.file, f"placing a {f.code} finding", exc))
        if f.doc is not None:
            f.context = {**_scope_context(f.doc, f.scope), **f.context}
        if f.file != file:  # findings come grouped by file: its suppressions looked up once per group
            file = f.file
            src = texts.get(file)
            sup = suppressions.get(file)
            if sup is None:
                sup = suppressions[file] = Suppressions(_suppression_text(src))
            comments = bool(sup.by_target or sup.file_codes)
        if comments:
            scope_line = None
            if sup.by_target and f.scope is not None:
                if f.doc is not None:
                    try:
                        scope_line = f.doc.locate(f.scope)[0]
                    except Exception:  # noqa: BLE001 - reported above when the finding itself was placed
                        scope_line = None
                elif session is not None:
                    scope_line = session.scope_lines.get(id(f))
            if session is not None:
                session.scope_lines[id(f)] = scope_line
            if sup.suppresses(f, scope_line):
                result.suppressed += 1
                continue
        if ignores and policy_ignores(f, ignores):
            result.suppressed += 1
            continue
        if f.autofix is None:  # (a fix of its own may differ: `--fix` applies each)
            dup = (f.code, f.file, f.line, f.col, f.message, f.fix)
            if dup in shown:  # the same text reported twice: rules copied by a YAML alias (`- *base`)
                continue
            shown.add(dup)
        result.findings.append(f)
        cap.kept(f, key)
    if report_unused:
        unused = by_code.get("SU001") or _instance(registry.rule_class("SU001"), config)
        for display, src in texts.items():
            if src.format != "yaml":
                continue
            sup = suppressions.get(display) or Suppressions(_suppression_text(src) or "")
            for line, code in sup.unused(active):
                result.unused_suppressions.append(unused.at(
                    display, f"suppression of {code} is not used: nothing here reports {code}", line,
                    fix="remove the comment"))
        result.findings.extend(result.unused_suppressions)
        result.findings.extend(_unused_ignores(unused, config, ignores, active, paths))
    result.findings.sort(key=sort_key)
    if session is not None:
        session.save(found, result, cap)
    result.findings = cap.finish(result.findings)


def _suppression_text(src):
    """The text `# obslint:` comments are read from (YAML only; a cached file's on demand)."""
    if src is None or src.format != "yaml":
        return None
    marker = getattr(src, "marker", True)
    return src.text if marker else None


def _anchored_ignores(config: Config) -> list[IgnoreEntry]:
    """The policy `ignore:` entries of this run, their path globs relative to the config
    file's directory, each knowing the line it is written on (fresh hit counts per run)."""
    entries = config.policy.get("ignore")
    if not entries:
        return []
    root = str(config.root.resolve()) if config.path is not None else None
    return prepare_ignores(entries, root, config.ignore_lines)


def _unused_ignores(rule, config: Config, entries: list[IgnoreEntry], active, lint_paths) -> list[Finding]:
    """SU001 findings for policy `ignore:` entries that silenced nothing. Only when this run
    covered the config's whole directory (a partial run cannot tell)."""
    if config.path is None or not any(under(config.root, p) for p in lint_paths if os.path.isdir(p)):
        return []
    out = []
    for e in entries:
        if e.hits:
            continue
        if e.codes is not None and not any(code_matches(s, a) for s in e.codes for a in active):
            continue  # the checks it names did not run
        what = ", ".join(f"{k}: {e[k]}" for k in ("code", "path", "dashboard", "panel", "alert") if k in e)
        out.append(rule.at(relative(config.path), f"policy ignore entry {{{what}}} silences nothing",
                           e.line or 1, fix="remove the entry, or correct its path, code or names"))
    return out


def run_rules(rules, project: Project, ctx: Context, only_sources: set[int] | None = None,
              producers: dict | None = None, progress=None, jobs: int | None = 1) -> list[Finding]:
    """Call each rule's hooks on the model objects they ask for; returns the findings.

    Object by object: a rule, then its query; a panel, then its queries. Every check that
    looks at one expression runs while its syntax tree is still in the small tree cache.
    `only_sources` (ids of Sources) limits per-object checks to those files; project-wide
    checks always see everything. `jobs` other than 1 lets a middling run check half its
    files in a second process (obslint.forkcheck)."""
    from obslint import promql

    before = promql.use(ctx.promql)  # the run's PromQL facts and trees, dropped with the run
    try:
        hooks = {hook: [getattr(r, hook) for r in rules if hasattr(r, hook)] for hook in registry.HOOKS}
        if jobs != 1 and fastpaths.ENABLED:
            from obslint import forkcheck

            sources = [s for s in project.sources if only_sources is None or id(s) in only_sources]
            if forkcheck.worth_it(sources):
                got = forkcheck.run(
                    lambda only, prod, here=False: _run_hooks(rules, hooks, project, ctx, only, prod, progress if here else None),
                    lambda: _project_hooks(rules, hooks, project, ctx), project, sources, producers)
                if got is not None:
                    return got
        found = _run_hooks(rules, hooks, project, ctx, only_sources, producers, progress)
        found.extend(_project_hooks(rules, hooks, project, ctx))
        return found
    finally:
        promql.use(before)


def _project_hooks(rules, hooks, project: Project, ctx: Context) -> list[Finding]:
    internal = next((r for r in rules if r.code == "IN011"), None)
    out: list[Finding] = []
    timebox.deadline = float("inf")  # project-wide checks have no per-file budget
    for fn in hooks["check_project"]:
        try:
            found = fn(project, ctx)
            if found:
                out.extend(found)
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - as above; blamed on the first file, there is no better one
            if project.sources and internal is not None:
                out.append(_internal_error(internal, project.sources[0].display,
                                           f"project-wide check {_code(fn)}", exc))
    return out


def _run_hooks(rules, hooks, project: Project, ctx: Context, only_sources: set[int] | None,
               producers: dict | None = None, progress=None) -> list[Finding]:
    """The per-object checks (every hook but check_project), on the files in `only_sources`."""
    on_query = hooks["check_query"]
    # check_document hooks by document kind, from each rule's `applies_to`.
    doc_hooks: dict = {}

    def document_hooks(kind):
        fns = doc_hooks.get(kind)
        if fns is None:
            fns = doc_hooks[kind] = [r.check_document for r in rules if hasattr(r, "check_document")
                                     and (r.applies_to is None or kind in r.applies_to)]
        return fns

    by_code = {r.code: r for r in rules}
    internal, over_budget = by_code.get("IN011"), by_code.get("IN010")
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
    mark = [0]  # findings already attributed to their producer

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
                if internal is not None:
                    out.append(_internal_error(internal, src.display, f"check {_code(fn)}", exc))
        if producers is not None:  # id(finding) -> the Source whose checks made it (the cache)
            for f in out[mark[0]:]:
                producers[id(f)] = src
            mark[0] = len(out)
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
                if over_budget is not None:
                    out.append(over_budget.at(
                        last.display, f"checking this file took over {budget:g} s, the per-file time budget: "
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
    skip_clean = fastpaths.ENABLED  # OBSLINT_NO_FAST_PATHS=1: every query is checked

    def queries(qs, src) -> None:
        for q in qs:
            key = query_key(q, src)
            if key in clean_queries:
                continue
            before = len(out)
            each(on_query, q, src)
            if len(out) == before and skip_clean:
                clean_queries.add(key)

    def skip(src) -> bool:
        return id(src) in over or (only_sources is not None and id(src) not in only_sources)

    on_doc, on_group, on_rule = hooks["check_document"], hooks["check_group"], hooks["check_rule"]
    # check_alert sees the alerts of both kinds (model.Alert), each in the document kinds of
    # the rule's `applies_to`; recording rules never pay for alert checks.
    on_alert = {kind: [r.check_alert for r in rules if hasattr(r, "check_alert")
                        and (r.applies_to is None or kind in r.applies_to)]
                for kind in (PROM_RULES, GRAFANA_ALERTING)}
    on_prom_alert, on_grafana_alert = on_alert[PROM_RULES], on_alert[GRAFANA_ALERTING]
    on_dash, on_panel, on_grule = hooks["check_dashboard"], hooks["check_panel"], hooks["check_grafana_rule"]
    total = len(project.groups) + len(project.dashboards) + len(project.grafana_rules)
    done = [0]

    def tick() -> None:
        done[0] += 1
        if not done[0] & 15 or done[0] == total:
            progress(done[0], total, "checking")
    for doc in project.documents:
        if on_doc and not skip(doc.source):
            fns = document_hooks(doc.kind)
            if fns:
                each(fns, doc, doc.source)
    for group in project.groups:
        src = group.doc.source
        if progress is not None:
            tick()
        if skip(src):
            continue
        if on_group:
            each(on_group, group, src)
        for rule in group.rules:
            if id(src) in over:
                break
            if on_rule:
                each(on_rule, rule, src)
            if on_prom_alert and rule.alert is not None:
                each(on_prom_alert, rule.alert, src)
            if rule.query is not None and on_query:
                queries((rule.query,), src)
    for dash in project.dashboards:
        src = dash.doc.source
        if progress is not None:
            tick()
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
        if progress is not None:
            tick()
        if skip(src):
            continue
        if on_grule:
            each(on_grule, grule, src)
        if on_grafana_alert and grule.alert is not None:
            each(on_grafana_alert, grule.alert, src)
        if on_query:
            queries(grule.queries, src)
    if budget and meter[2] is not None:
        charge(None)  # the last file's time since the last reading
    return out


def _time_budget() -> float:
    try:
        return max(0.0, float(os.environ.get("OBSLINT_TIME_BUDGET", FILE_TIME_BUDGET)))
    except ValueError:
        return FILE_TIME_BUDGET


def _code(fn) -> str:
    rule = getattr(fn, "__self__", None)
    return getattr(rule, "code", "") or getattr(fn, "__qualname__", "?")


def _internal_error(rule, display: str, what: str, exc: Exception) -> Finding:
    """IN011: obslint itself failed on this file; the message says where, to report it."""
    detail = str(exc).splitlines()[0][:200] if str(exc) else ""
    return rule.at(display, f"{what} failed with {type(exc).__name__}{': ' + detail if detail else ''} "
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
