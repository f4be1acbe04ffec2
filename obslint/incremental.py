"""Warm runs: reuse each unchanged file's findings and rebuild the cross-file picture from
what the cache kept (issue 19).

Files are *leaf* files (every document a plain dashboard JSON or a plain rule file) or
*core* files (everything else: provisioning, resources, tests, Alertmanager, Grafana alerting).
Core files are always read and checked. A leaf file's cache entry keeps its findings (placed,
before suppression), a *shadow* of its data (a dashboard's top-level fields, a rule file's
whole data) and its *signature*: what the checks of other files can read from it (uid, title,
recording rules, alert names, the metrics its queries rate or show). A warm run:

- nothing changed: the whole run's findings come back, no file is parsed;
- only leaf files changed and their signatures did not: those files are read and checked in a
  project where every other leaf file is its shadow (per-object checks skip shadows; cross-file
  and project-wide checks see them), the others' findings come from the cache;
- anything else (a new, deleted or renamed file, a core file or a signature changed): a cold run.

Suppressions, policy ignores, caps, scope and severity are applied afresh every run."""
from __future__ import annotations

import marshal
import os
import time
from functools import partial

from obslint.cache import content_hash, stat_sig
from obslint.document import Document, Source
from obslint.findings import Finding, Severity

_DASH_KEEP = (str, int, float, bool, type(None))
_RECENT_NS = 2_000_000_000  # a file written this close to the cache is re-hashed next time


class ShadowSource(Source):
    """A cached file not read this run: its text (for snippets, suppressions, positions) is
    read on first use, and not even then for the lines the cache kept (`known`: line -> the
    line's text, from its restored findings)."""

    def __init__(self, path, display, fmt, max_size, marker: bool = True) -> None:
        super().__init__(path, display, None, fmt)
        self._real = None
        self._max_size = max_size
        self.marker = marker  # False: the text has no `obslint` comment (no suppressions)
        self.known: dict = {}

    def _load(self):
        if self._real is None:
            self._real = _read_text(self.path, self.display, self.format, self._max_size)
        return self._real

    @property
    def text(self):
        t = self.__dict__.get("_text")
        if t is None and self.__dict__.get("_real", 1) is None:
            t = self.__dict__["_text"] = self._load()
        return t

    @text.setter
    def text(self, value) -> None:
        self.__dict__["_text"] = value

    def line_text(self, line: int) -> str:
        got = self.known.get(line)
        return got if got is not None else Source.line_text(self, line)

    def snippet(self, line) -> str | None:
        """The line's text if it is at hand without reading the file."""
        got = self.known.get(line)
        if got is None and self.__dict__.get("_text"):
            got = Source.line_text(self, line)
            if len(got) > _SNIPPET_MAX:
                got = None
        return got


def _read_text(path, display, fmt, max_size) -> str:
    """The text read_source would give an unchanged file, without parsing it (a shadow's
    documents come from the cache; the JSON locator then reads every object to its end,
    which gives the same positions as stopping at a first key)."""
    from obslint import load
    from obslint.registry import Emitter

    try:
        return load._decode(load._read(path, max_size), fmt, Emitter(display, {})) or ""
    except Exception:  # noqa: BLE001 - unreadable now: as read_source, no text
        return ""


_SNIPPET_MAX = 4096  # longer lines (minified JSON) are read from the file when shown


def _snippet(src, line) -> str | None:
    """What the console shows of `line` (its text), kept with a finding for warm runs."""
    if not line:
        return None
    if isinstance(src, ShadowSource):
        return src.snippet(line)
    if not src.text:
        return None
    if src._lines is not None:
        text = src.line_text(line)
    else:  # one split (in C) instead of building the file's line index in Python
        global _SPLIT
        if _SPLIT[0] is not src:
            _SPLIT = (src, src.text.split("\n"))
        lines = _SPLIT[1]
        text = lines[line - 1] if 1 <= line <= len(lines) else ""
    return text if len(text) <= _SNIPPET_MAX else None


_SPLIT: tuple = (None, None)  # the last file _snippet split into lines


def remember_lines(src, tuples) -> None:
    """A shadow learns the lines its restored findings show."""
    known = src.known
    for t in tuples:
        if t[14] is not None:
            known[t[4]] = t[14]


def suppression_text(src):
    """The text suppressions are read from, None for JSON (and for shadows without a marker)."""
    if src is None or src.format != "yaml":
        return None
    if isinstance(src, ShadowSource) and not src.marker:
        return None
    return src.text


# ------------------------------------------------------------------------------------------
# findings <-> plain data
# ------------------------------------------------------------------------------------------
def doc_token(doc) -> str:
    """A document's name within its file, the same in every run (the cap counts per document)."""
    return f"{doc.index}:{doc.base!r}:{doc.parent_path!r}:{doc.label}"


_SHARED: dict = {}  # equal values as one object: marshal writes a repeat as a reference


def _share(x):
    try:
        return _SHARED.setdefault(x, x)
    except TypeError:  # an unhashable context value
        return x


def dump_finding(f: Finding, scope_line, tokens: dict | None = None, src=None) -> tuple:
    """`tokens` (id -> n): number the documents of one run's file in order instead; `src`:
    the finding's file, whose line it shows is kept."""
    d = f.doc
    if d is None:
        doc = None
    elif tokens is None or (d.parent is None and d.base == ()):
        doc = doc_token(d)  # a plain document: its index names it
    else:
        doc = tokens.setdefault(id(d), f"n:{len(tokens)}")
    sh = _share
    return (sh(f.code), sh(f.message), int(f.severity), sh(f.file), f.line, f.col, sh(f.fix), sh(tuple(f.node)),
            f.at_key, None if f.scope is None else sh(tuple(f.scope)), sh(tuple((f.context or {}).items())),
            scope_line, doc, _dump_fix(f.autofix), None if src is None else _snippet(src, f.line))


def _dump_fix(fix):
    """A fixes.Fix as data, its edits made (as when it is pickled for another process)."""
    if fix is None:
        return None
    edits, applicability, title, _expect, strip_bom, doc_index = fix.__getstate__()
    # `expect` (what the fixer checks before writing) is left out: a run that fixes never
    # uses the cache, and reports read only the edits
    return ([(e.start, e.end, e.replacement) for e in edits], applicability, title, [], strip_bom, doc_index)


def _load_fix(data):
    from obslint.fixes import Fix

    fix = Fix.__new__(Fix)
    edits, applicability, title, expect, strip_bom, doc_index = data
    # the edits made when asked for: a warm run restores thousands of fixes that only a
    # machine-readable report reads
    fix.__setstate__((partial(_make_edits, edits), applicability, title, list(expect), strip_bom, doc_index))
    return fix


def _make_edits(edits) -> list:
    from obslint.fixes import Edit

    return [Edit(*e) for e in edits]


_SEVERITY = {int(v): v for v in Severity}


def load_finding(t: tuple, s) -> Finding:
    f = Finding(t[0], t[1], _SEVERITY[t[2]], t[3], t[4], t[5], t[6], None, t[7], t[8], t[9], dict(t[10]),
                _load_fix(t[13]) if t[13] is not None else None)
    if t[11] is not None:
        s.scope_lines[id(f)] = t[11]
    if t[12] is not None:
        s.doc_tokens[id(f)] = t[12]
    s.tuples[id(f)] = t
    return f


# ------------------------------------------------------------------------------------------
# leaf files, shadows and signatures
# ------------------------------------------------------------------------------------------
def leaf_kind(source, docs=None) -> str | None:
    """"dash" / "rules" for a leaf file, None for a core one, "none" when nothing is linted.
    `docs`: the file's modelled documents (default: its documents with a kind)."""
    own = [d for d in source.documents if d.kind]
    if docs is not None and [id(d) for d in docs] != [id(d) for d in own]:
        return None  # documents embedded in others (a ConfigMap's dashboards): a core file
    kinds = set()
    for doc in own:
        if doc.base != () or doc.parent is not None or type(doc) is not Document:
            return None
        if doc.kind == "grafana-dashboard" and source.format == "json":
            kinds.add("dash")
        elif doc.kind == "prometheus-rules" and source.format == "yaml":
            kinds.add("rules")
        else:
            return None
    if len(kinds) > 1:
        return None
    return kinds.pop() if kinds else "none"


def docs_by_source(project) -> dict:
    out: dict = {}
    for d in project.documents:
        out.setdefault(id(d.source), []).append(d)
    return out


def _shadow_data(kind: str, data):
    if kind == "dash" and isinstance(data, dict):
        out = {k: v for k, v in data.items() if isinstance(v, _DASH_KEEP)}
        if isinstance(data.get("tags"), list):
            out["tags"] = data["tags"]
        out["panels"] = []
        return out
    return data


# Checks that read other files' alerts whole (expressions, thresholds) or place findings on
# them, and the kinds of documents whose checks read rule files (Grafana alerting, promtool
# tests, Prometheus and Alertmanager configs, operator resources, which may hold Grafana
# rules): with none of them, a rule file's shadow keeps only its recording rules whole and
# its alerts' names and labels. (XF001 compares Grafana-managed rules with Prometheus ones:
# it reads rule files only where a Grafana alerting file, one of those kinds, is linted.)
# What other checks read of alerts' queries is kept as facts: the names they rate (PQ125)
# and select (PQ124).
_ALERT_READERS = frozenset({"XF003", "PL014", "UT011"})
_RULE_READING_KINDS = frozenset({"grafana-alerting", "promtool-test", "prometheus-config", "alertmanager-config",
                                 "grafana-operator"})


def reads_rules(docs) -> bool:
    return any(d.kind in _RULE_READING_KINDS for d in docs)


def light_ok(active, rule_readers: bool) -> bool:
    return not rule_readers and not (_ALERT_READERS & active)


def _light_rules(data):
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, list):
        return data
    out_groups = []
    for g in groups:
        if isinstance(g, dict) and isinstance(g.get("rules"), list):
            rules = [{k: r[k] for k in ("alert", "labels") if k in r} if isinstance(r, dict) and "alert" in r else r
                     for r in g["rules"]]
            g = {**g, "rules": rules}
        out_groups.append(g)
    return {**data, "groups": out_groups}


def shadow_docs(kind: str, source, light: bool = False) -> list:
    """(index, data, flavour) of each linted document: what other files' checks read."""
    out = []
    for d in source.documents:
        if not d.kind:
            continue
        data = _shadow_data(kind, d.data)
        if light and kind == "rules":
            data = _light_rules(data)
        out.append((d.index, data, getattr(d, "flavor", None)))
    return out


def build_shadow(path, display, fmt, max_size, marker, docs, kind: str | None = None) -> ShadowSource:
    """`kind`: the leaf kind the cache filed the file under; its documents are then of that
    kind without classifying them again (a leaf file's documents are all of one kind)."""
    from obslint.classify import DASHBOARD, PROM_RULES, classify

    src = ShadowSource(path, display, fmt, max_size, marker)
    known = DASHBOARD if kind == "dash" else PROM_RULES if kind == "rules" else None
    for index, data, flavor in docs:
        doc = Document(src, index, data, known)
        if known is None:
            classify(doc)
        if flavor:
            doc.flavor_hint = flavor  # as detected on the whole file (rule_flavor reads it)
        src.documents.append(doc)
    return src


def facts_of(kind: str, source, ctx, active) -> dict:
    """What other files' checks read from this leaf file but its shadow does not keep."""
    from obslint import promql

    before = promql.use(ctx.promql)  # the run's PromQL facts, as while the checks run
    try:
        return _facts_of(kind, source, ctx, active)
    finally:
        promql.use(before)


def _facts_of(kind: str, source, ctx, active) -> dict:
    from obslint import scalefacts

    out: dict = {}
    sh = _share  # metric names repeat across files: stored once
    if kind in ("dash", "rules"):  # a light rule shadow has no alert queries: keep what they rate
        if "PQ125" in active:
            out["rated"] = sh(tuple(sh(m) for m in sorted(scalefacts.rated_of_source(ctx, source))))
        if "PQ124" in active:
            out["named"] = sh(tuple(sh(m) for m in sorted(scalefacts.named_of_source(ctx, source))))
    if kind == "dash":
        if "PQ001" in active or "PQ002" in active:
            vm = scalefacts.metricsql_datasources_of_source(ctx, source)
            if vm:
                out["vm"] = tuple(sorted(vm))
        if "XF002" in active:
            out["dirs"] = {sh(d): sh(tuple(sh(x) for x in sorted(m)))
                           for d, m in scalefacts.dash_dirs_of_source(ctx, source).items()}
    return out


def signature(kind: str, source, facts: dict, active) -> bytes:
    """What the per-object checks of other leaf files can read from this one."""
    if kind == "dash":
        parts = [_shadow_data(kind, d.data) for d in source.documents if d.kind]
    elif kind == "rules":
        full = "XF003" in active
        parts = []
        for d in source.documents:
            if not d.kind:
                continue
            data = d.data
            groups = data.get("groups") if isinstance(data, dict) else None
            if not isinstance(groups, list):
                parts.append(data)
                continue
            for g in groups:
                if not isinstance(g, dict):
                    parts.append(g)
                    continue
                parts.append({k: v for k, v in g.items() if k != "rules"})
                for r in g.get("rules") or () if isinstance(g.get("rules"), list) else ():
                    if full or not isinstance(r, dict) or "alert" not in r:
                        parts.append(r)
                    else:
                        parts.append((r.get("alert"), r.get("labels")))
    else:
        parts = []
    return content_hash(repr([kind, parts, facts]).encode("utf-8", "surrogatepass"))


def env_digest(rows) -> bytes:
    """A digest of equal values is equal (marshal's bytes depend on object sharing: not here)."""
    return content_hash(repr(list(rows)).encode("utf-8", "surrogatepass"))


class Session:
    """One cached run: what the cache said, what this run read, what to write back."""

    def __init__(self, store, blob) -> None:
        self.store = store
        self.old = blob
        self.scope_lines: dict = {}  # id(finding) -> line of its scope (restored or computed)
        self.doc_tokens: dict = {}   # id(restored finding) -> its document's number in its file
        self.producers: dict = {}    # id(finding) -> Source whose checks made it
        self.checked: set = set()    # ids of Sources whose per-object checks ran this run
        self.entries: dict = {}      # path -> entry kept from the old blob
        self.fresh: list = []        # (path, display, sig, hash, Source) read this run
        self.shadows: list = []
        self.mode = "cold"
        self.side = None             # digest of the jsonnet files near the dashboards (jsonnetinputs)
        self.meta = None             # (files, skipped, reasons) of a fully reused run
        self.stamp = time.time_ns()
        self.delta: dict = {}        # entries written since the last full `files` part
        self.tuples: dict = {}       # id(restored finding) -> its stored tuple

    def cap_key(self, f) -> tuple:
        """findingcap's key: a restored finding's document is its number in the file."""
        return f.file, id(f.doc) if f.doc is not None else self.doc_tokens.get(id(f)), f.code


# ------------------------------------------------------------------------------------------
# the run
# ------------------------------------------------------------------------------------------
def _norm(p) -> str:
    return os.path.normpath(os.path.abspath(p))


def _scan(files, old: dict, hashing: bool = True) -> list:
    """Per file: [path, fmt, abspath, stat signature, content hash, index row, unchanged].
    The index row is (stat signature, hash, display, has an `obslint` comment)."""
    rows = []
    cwd = os.getcwd()
    join, normpath = os.path.join, os.path.normpath
    for path, fmt in files:
        ap = normpath(join(cwd, path))  # os.path.abspath, without a getcwd per file
        try:
            sig = stat_sig(os.stat(path))
        except OSError:
            sig = None
        e = old.get(ap)
        if e is not None and sig is not None and e[0] == sig:
            h = e[1]
        elif not hashing:
            h = b""  # no cache to compare with
        else:
            try:
                with open(path, "rb") as fh:
                    h = content_hash(fh.read())
            except OSError:
                h = None
        rows.append([path, fmt, ap, sig, h, e, e is not None and h is not None and e[1] == h])
    return rows


def run(paths, config, rules, scope, result, store, jobs=None, progress=None):
    """(session, project, found): the Project and the findings (placed ones restored from the
    cache, the rest fresh) for engine._run to suppress, scope and sort."""
    from obslint import engine
    from obslint.discover import discover

    index = store.load() if store is not None else None
    s = Session(store, index)
    old = index["stat"] if index else {}
    unreadable: list = []
    files = discover(paths, config.exclude, errors=unreadable)
    rows = _scan(files, old, store is not None)
    s.rows = rows
    scoped = None if scope is None else [sorted(scope.files), scope.dirs]
    # the last run's findings: for this scope only (no cache, nothing to compare: not hashed)
    # jsonnet files that import linted dashboards decide DB040's severity and DB004 (obslint.jsonnetinputs)
    s.side = None
    if store is not None and any(r.code in ("DB040", "DB004") for r in rules):
        from obslint import jsonnetinputs

        s.side = env_digest(jsonnetinputs.digest([r[2] for r in rows if r[1] == "json"]))
    s.all = env_digest([scoped, [[r[2], r[4]] for r in rows], s.side]) if store is not None else None
    s.unreadable = bool(unreadable)
    result.files = len(files)
    by_code = {r.code: r for r in rules}
    debug = os.environ.get("OBSLINT_CACHE_DEBUG")
    def attempt(fn):
        """The cached path's result, or None (and a clean result) to fall back to a full read."""
        try:
            got = fn()
        except Exception:  # noqa: BLE001 - a damaged part or entry: read everything
            if debug:
                raise
            got = None
        if got is None:
            result.skipped, result.skip_reasons = [], {}
        return got

    def incremental():
        entries = store.part("files")
        if entries is not None:
            s.delta = store.part("delta") or {}
            entries = {**entries, **s.delta}
        return _incremental(s, index, entries, rows, config, rules, by_code, scope, result) if entries else None

    if index and not unreadable and index.get("all") == s.all and index.get("has_run"):
        got = attempt(lambda: _reuse(s, store.part("run"), rows, config, result))
        if got is not None:
            return s, *got
    if index and not unreadable and index.get("order") == [r[2] for r in rows] and index.get("side") == s.side:
        got = attempt(incremental)
        if got is not None:
            return s, *got
    from obslint import parallel

    n = jobs if jobs is not None else parallel.usable_cores()
    attempts = []  # a big tree a chunk at a time (bounded memory), else in workers
    stream = None
    if not unreadable and len(rows) >= engine.STREAM_MIN_FILES:  # (the module is imported for these only)
        from obslint import stream
    if stream is not None and stream.worth_it(rows):
        attempts.append(lambda: _merged(s, stream.run(rows, config, rules, scope, n), rows, config, rules, by_code,
                                        scope, result, "stream"))
    elif not unreadable and parallel.worth_it(rows, n):
        attempts.append(lambda: _parallel(s, rows, config, rules, by_code, scope, result, n))
    for fn in attempts:
        for r in rows:
            del r[7:]  # what a failed incremental attempt left
        got = fn()
        if got is not None:
            return s, *got
        result.skipped, result.skip_reasons = [], {}
        for r in rows:
            del r[7:]
    # a cold run without the cache may check half its files in a second process (obslint.forkcheck);
    # with the cache, the facts the checks gather are saved from this process
    return s, *_cold(s, paths, config, rules, by_code, scope, result, engine, progress, n if store is None else 1)


def _parallel(s, rows, config, rules, by_code, scope, result, jobs):
    """A cold run in worker processes (obslint.parallel), merged as a warm run merges."""
    from obslint import parallel

    return _merged(s, parallel.run(s, rows, config, rules, scope, result, jobs), rows, config, rules, by_code,
                   scope, result, "parallel")


def _merged(s, entries, rows, config, rules, by_code, scope, result, mode):
    """Every file's entry made (in workers, or a chunk at a time): merged as a warm run merges."""
    if entries is None:
        return None
    env = []
    for r in rows:
        r[6] = True
        e = entries[r[2]]
        env.append([r[2], e[0], e[3] if e[3] is not None else r[4]])
    got = _incremental(s, {"env": env_digest(env)}, entries, rows, config, rules, by_code, scope, result)
    if got is not None:
        s.mode = mode
    return got


def _reuse(s, run, rows, config, result):
    from obslint.model import Project

    if not run:
        return None
    s.mode = "reuse"
    _files, skipped, reasons = run["meta"]
    result.skipped, result.skip_reasons = list(skipped), dict(reasons)
    project = Project(policy=config.policy)
    sources = project.sources
    size = config.max_file_size
    for r in rows:
        e = r[5]
        sources.append(ShadowSource(r[0], e[2], r[1], size, e[3]))
    result.project = project
    by_display = {src.display: src for src in sources}
    for t in run["found"]:
        if t[14] is not None:
            src = by_display.get(t[3])
            if src is not None:
                src.known[t[4]] = t[14]
    found = [load_finding(t, s) for t in run["found"]]
    return project, found


_LEAF = ("dash", "rules", "none")


def _incremental(s, index, entries, rows, config, rules, by_code, scope, result):
    """Only changed leaf files read and checked; None when that cannot give the cold answer.
    An entry: (kind, findings, shadow, signature, facts, skip reason)."""
    from obslint import engine
    from obslint.model import Project
    from obslint.resources import link as link_resources

    for r in rows:
        e = entries.get(r[2])
        if e is None or (not r[6] and e[0] not in _LEAF):
            return None
    s.entries = entries
    project = Project(policy=config.policy)
    internal = by_code.get("IN011")
    loaded, problems, shadows_facts = [], [], {}
    restored: list = []
    for r in rows:
        path, fmt, ap, _sig, _h, ie, same = r
        e = entries[ap]
        # a file whose findings the cache lacks (not checked before) is fine as a shadow when
        # this run does not report on it either
        known = e[1] is not None or (scope is not None and _norm(path) not in scope)
        if same and e[0] in _LEAF and known:
            src = build_shadow(path, ie[2], fmt, config.max_file_size, ie[3], marshal.loads(e[2]), e[0])
            project.sources.append(src)
            for doc in src.documents:
                project.add(doc)
            if e[5] is not None:
                result.skipped.append(ie[2])
                if e[5]:
                    result.skip_reasons[ie[2]] = e[5]
            if e[4]:
                shadows_facts[ie[2]] = e[4]
            if e[1] is not None:
                restored.extend(e[1])
                remember_lines(src, e[1])
            r.append(src)
            r.append(None)
            continue
        src, found = engine.load_file(path, fmt, config, project, result, by_code, internal)
        loaded.append(src)
        problems.extend(found)
        r.append(src)
        r.append(found)
    by_doc = docs_by_source(project)
    for src in loaded:
        if leaf_kind(src, by_doc.get(id(src), [])) is None and not entries[os.path.abspath(src.path)][0] == "core":
            return None  # a leaf file became a core one
    link_resources(project)
    project.finish()
    result.project = project
    active = frozenset(by_code)
    ctx = engine.Context(config, project, active)
    ctx.cache["scale.facts"] = shadows_facts
    ctx.cache["scale.memo"] = True
    env = []
    for r in rows:
        e, same, src = entries[r[2]], r[6], r[7]
        if same:
            env.append([r[2], e[0], e[3] if e[3] is not None else r[4]])
        else:
            kind = leaf_kind(src, by_doc.get(id(src), []))
            facts = facts_of(kind, src, ctx, active)
            env.append([r[2], kind, signature(kind, src, facts, active)])
    s.env_rows = env
    if env_digest(env) != index.get("env"):
        return None
    s.mode = "incremental"
    s.ctx = ctx
    only = {id(src) for src in loaded if scope is None or _norm(src.path) in scope}
    s.checked = only
    found = list(problems)
    found.extend(engine.run_rules(rules, project, ctx, only, s.producers))
    found.extend(load_finding(t, s) for t in restored)
    return project, found


def _cold(s, paths, config, rules, by_code, scope, result, engine, progress=None, jobs=1):
    s.mode = "cold"
    result.skipped, result.skip_reasons = [], {}
    project, found, files = engine.load_project(paths, config, result, by_code, progress)
    result.files = len(files)
    result.project = project
    ctx = engine.Context(config, project, frozenset(by_code))
    ctx.cache["scale.memo"] = s.store is not None  # its facts are saved after the checks
    s.ctx = ctx
    only = None
    if scope is not None:
        only = {id(src) for src in project.sources if _norm(src.path) in scope}
    s.checked = only if only is not None else {id(src) for src in project.sources}
    problems: dict = {}
    for f in found:
        problems.setdefault(f.file, []).append(f)
    found.extend(engine.run_rules(rules, project, ctx, only, s.producers, progress, jobs))
    by_path: dict = {}
    for src in project.sources:
        by_path.setdefault(os.path.abspath(src.path), src)
    for r in s.rows:
        del r[7:]  # what a failed incremental attempt left
        src = by_path.get(r[2])
        r.append(src)
        r.append(problems.get(src.display, []) if src is not None else [])
    return project, found


def _save(s, found, result, cap) -> None:
    result.cache_mode = s.mode  # reuse | incremental | parallel | cold (tests read it)
    if s.store is None:
        return
    if s.unreadable or any(f.code == "IN010" for f in found):
        return  # a run cut short by the clock is not one to repeat
    if s.mode == "reuse":
        return _touch(s)
    active = frozenset(getattr(s.ctx, "active", ()) or ())
    capped_files = {key[0] for key in cap.left_out}
    by_src: dict = {}
    for f in found:
        src = s.producers.get(id(f))
        if src is not None:
            by_src.setdefault(id(src), []).append(f)
    shown = set(result.skipped)
    by_doc = docs_by_source(result.project)
    kinds: dict = {}
    for r in s.rows:
        src = r[7] if len(r) > 7 else None
        if src is not None and not isinstance(src, ShadowSource):
            kinds[id(src)] = leaf_kind(src, by_doc.get(id(src), []))
    light = light_ok(active, reads_rules(result.project.documents))
    texts = {src.display: src for src in result.project.sources}
    stat: dict = {}
    files: dict = {}
    env = []
    order = []
    for r in s.rows:
        path, fmt, ap, sig, h, ie, same, src, probs = r[:9]
        order.append(ap)
        if sig is not None and sig[0] > s.stamp - _RECENT_NS:
            sig = None  # written within the clock's resolution of this run: hash it next time
        if src is None or h is None:
            return  # a file vanished or became unreadable between discovery and reading
        if isinstance(src, ShadowSource):
            e = s.entries[ap]
            stat[ap] = (sig, h, ie[2], ie[3])
            files[ap] = e
            env.append([ap, e[0], e[3] if e[3] is not None else h])
            continue
        display = src.display
        marker = "obslint" in (src.text or "")
        stat[ap] = (sig, h, display, marker)
        kind = kinds[id(src)]
        skip = None
        if display in shown and not any(d.kind for d in src.documents):
            skip = result.skip_reasons.get(display, "")
        shadow = None
        if kind is not None:
            try:
                shadow = marshal.dumps(shadow_docs(kind, src, light))
            except (ValueError, TypeError):
                shadow = None
        if shadow is None:
            files[ap] = ("core", None, None, None, None, skip)
            env.append([ap, "core", h])
            continue
        facts = facts_of(kind, src, s.ctx, active)
        mine = list(probs or ())
        mine.extend(by_src.get(id(src), ()))
        findings = None
        if id(src) in s.checked and display not in capped_files:
            try:
                findings = [dump_finding(f, s.scope_lines.get(id(f)), None, texts.get(f.file)) for f in mine]
                marshal.dumps(findings)
            except (ValueError, TypeError):
                findings = None
            if findings is not None and any(t[4] == 0 and f.doc is not None for t, f in zip(findings, mine)):
                findings = None  # not placed (out of scope): unknown
        sigv = signature(kind, src, facts, active)
        files[ap] = (kind, findings, shadow, sigv, facts, skip)
        env.append([ap, kind, sigv])
    fresh = {ap: e for ap, e in files.items() if ap in s.delta or e is not s.entries.get(ap)}
    if s.mode == "incremental" and len(fresh) <= max(50, len(files) // 20):
        parts, keep = {"delta": fresh}, ("files",)  # a few files changed: the big part stays
    else:
        parts, keep = {"files": files, "delta": {}}, ()
    run = None
    # The whole run's findings (megabytes on a big tree) are what a run over unchanged files
    # reuses. An incremental run over changed files leaves them out (the next commit changes
    # files again, as a rule): a run with nothing changed is incremental once, and writes them.
    read = s.mode == "incremental" and not all(r[6] for r in s.rows)  # (core files are read every run)
    if not cap.left_out and not read:
        try:
            tokens_by_file: dict = {}
            tuples = s.tuples
            run = {"found": [tuples.get(id(f)) or
                             dump_finding(f, s.scope_lines.get(id(f)), tokens_by_file.setdefault(f.file, {}),
                                          texts.get(f.file))
                             for f in found],
                   "meta": (result.files, list(result.skipped), dict(result.skip_reasons))}
            parts["run"] = run
        except (ValueError, TypeError):
            run = None
    index = {"stat": stat, "env": env_digest(env), "order": order, "all": s.all, "has_run": run is not None,
             "side": s.side}
    s.store.save(index, parts, keep, optional={"run": "has_run"})  # a run marshal cannot write: not kept


def _touch(s) -> None:
    """A fully reused run: rewrite the index only when some file's stat signature moved
    (the other parts stay: same token)."""
    stat = dict(s.old["stat"])
    changed = False
    for r in s.rows:
        sig = r[3]
        if sig is not None and sig[0] > s.stamp - _RECENT_NS:
            sig = None
        e = stat[r[2]]
        if e[0] != sig:
            stat[r[2]] = (sig,) + tuple(e[1:])
            changed = True
    if changed:
        s.store.save_index({**s.old, "stat": stat})


Session.save = lambda self, found, result, cap: _save(self, found, result, cap)
