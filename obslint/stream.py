"""Cold runs in bounded memory (issue 19): a big tree is read twice, a chunk of files at a
time, instead of holding every file's text and parsed data to the end (1 GB on the 5,000-
dashboard monorepo). The rounds of obslint.parallel, each chunk in a forked process (at most
`jobs` at once; a chunk's objects go with its process, no collector pass needed):

1. read every file and drop it, keeping each leaf file's shadow (obslint.incremental) and
   its facts (obslint.scalefacts). YAML files come first: the facts of a dashboard read the
   project's recording rules and datasources, which are in rule files and core files;
2. read the leaf files again, a chunk at a time, each chunk checked in a project where every
   other leaf file is its shadow, and keep each file's entry (its findings placed);
3. the parent merges the entries as a warm run does (incremental._incremental).

A dashboard's facts are worked out without the other JSON files: when some JSON file is a core
file (a Grafana alerting export, a datasource resource), the facts are worked out again with it.
A file that changed between the reads sends the run back to one pass. Results and their order
are those of the plain cold run."""
from __future__ import annotations

import marshal
import os

# A one-pass run holds about PEAK_PER_BYTE bytes of memory per byte of input (text, parsed data,
# model: 998 MiB for the 209 MB monorepo). It streams when that would pass its memory budget:
# OBSLINT_MAX_MEMORY (MiB), by default half the memory available when the run starts. Reading
# twice costs: on the monorepo 17.3 s of CPU instead of 9.7 (--jobs 1; 10.0 s instead of 6.0 s
# wall at 2 jobs) for a peak of 259 MiB instead of 992, so only a run that needs it pays.
# Below MIN_FILES files, never (engine.STREAM_MIN_FILES, the same for a run without the cache).
# Where the extra CPU goes (cProfile of the chunks' processes, monorepo): between them rounds 1b
# and 2 read and model every dashboard once more than the one pass (~4 of ~12 extra profiled s);
# round 2 models every other file's shadow in each of ~9 chunks. Building the shadow Sources
# once in the parent before the forks saved no CPU measurable on this machine (+-2 s run to run)
# and raised the peak by 6 MiB (25 MiB with the light rule shadows of round 1b too: their freed
# arenas stay in the parent, inherited by every chunk), so each chunk builds its own.
# CHUNK_BYTES of files are held at once (~4-5x in memory).
PEAK_PER_BYTE = 5
MIN_FILES = 500
CHUNK_BYTES = 24 * 1024 * 1024


def budget() -> int | None:
    """The memory a run may use, in bytes (None: unknown, no streaming)."""
    raw = os.environ.get("OBSLINT_MAX_MEMORY")
    if raw:
        try:
            return int(float(raw) * 1024 * 1024)
        except ValueError:
            pass
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 // 2
    except (OSError, ValueError, IndexError):
        pass
    return None


def worth_it(rows) -> bool:
    if len(rows) < MIN_FILES:
        return False
    limit = budget()
    return limit is not None and _bytes(rows) * PEAK_PER_BYTE > limit


def wanted(files) -> bool:
    """worth_it for discover()'s (path, format) list, before the run's own scan."""
    if len(files) < MIN_FILES:
        return False
    rows = []
    for path, _fmt in files:
        try:
            rows.append([None, None, None, (0, os.stat(path).st_size)])
        except OSError:
            rows.append([None, None, None, None])
    return worth_it(rows)


def _bytes(rows) -> int:
    return sum(r[3][1] for r in rows if r[3] is not None)


def _size(r) -> int:
    return r[3][1] if r[3] is not None else 0


def _chunks(rows, idx) -> list[list[int]]:
    """`idx` cut into runs of about CHUNK_BYTES, each format's files in order of size: files of
    nearly one size are often copies of one template, which then share one chunk's parsed
    expressions and memos (as obslint.parallel deals files out)."""
    idx = sorted(idx, key=lambda i: (rows[i][1], _size(rows[i]), rows[i][2]))
    out: list[list[int]] = [[]]
    size = 0
    for i in idx:
        if out[-1] and size >= CHUNK_BYTES:
            out.append([])
            size = 0
        out[-1].append(i)
        size += _size(rows[i])
    return [sorted(c) for c in out if c]


class _Abort(Exception):
    """This tree cannot be streamed exactly: read it in one pass."""


def run(rows, config, rules, scope, jobs: int = 1):
    """Entries for every file, keyed by absolute path (as parallel.run), or None."""
    try:
        return _run(rows, config, rules, scope, max(1, jobs))
    except _Abort:
        return None


# What every chunk's process needs, set before it is forked (the children inherit it).
_S: dict = {}


def _run(rows, config, rules, scope, jobs):
    from obslint import findingcap
    from obslint.config import relative
    from obslint.incremental import light_ok

    by_code = {r.code: r for r in rules}
    _S.clear()
    _S.update(rows=rows, names=[relative(r[0]) for r in rows], config=config, rules=rules, by_code=by_code,
              internal=by_code.get("IN011"), active=frozenset(by_code), bound=findingcap.limit(),
              scope=None if scope is None else {i for i, r in enumerate(rows) if os.path.normpath(r[2]) in scope})
    try:
        return _rounds(rows, jobs, light_ok)
    finally:
        _S.clear()


def _rounds(rows, jobs, light_ok):
    kinds: dict = {}
    facts: dict = {}
    yaml_idx = [i for i, r in enumerate(rows) if r[1] != "json"]
    json_idx = [i for i, r in enumerate(rows) if r[1] == "json"]
    # Round 1a: the YAML files' shadows (rule files and core files: what a dashboard's facts read).
    for got in _map(_read_task, _chunks(rows, yaml_idx), jobs):
        kinds.update(got)
    core = {i for i in yaml_idx if kinds[i][0] is None}
    rule_files = [i for i in yaml_idx if kinds[i][0] is not None]
    _S["light_rules"] = {i: kinds[i][5] for i in rule_files}  # recording rules whole: what facts read
    # Round 1b: the facts, JSON files' shadows and facts. A JSON core file (an alerting export, a
    # datasource resource) may change what queries the others' facts count: then again, with it.
    while True:
        _S["kinds"], _S["core"] = kinds, core
        facts = {}
        for got in _map(_rule_facts_task, _chunks(rows, rule_files), jobs):
            facts.update(got)
        found = set()
        for got_kinds, got_facts in _map(_dash_task, _chunks(rows, json_idx), jobs):
            kinds.update(got_kinds)
            facts.update(got_facts)
            found.update(i for i, v in got_kinds.items() if v[0] is None)
        if found <= core:
            break
        core = core | found
    light = _S["light"] = light_ok(_S["active"], any(v[4] for v in kinds.values()))
    pick = 5 if light else 1
    _S["shadows"] = {i: v[pick] for i, v in kinds.items() if v[pick] is not None}
    _S["facts"] = facts
    _S["by_display"] = {kinds[i][2]: f for i, f in facts.items() if f}
    # Round 2: the leaf files again, a chunk at a time, checked; their entries kept.
    entries: dict = {}
    for got in _map(_check_task, _chunks(rows, [i for i in range(len(rows)) if i not in core]), jobs):
        entries.update(got)
    return _merge(rows, kinds, entries)


def _map(fn, chunks, jobs: int) -> list:
    """fn(chunk) for each chunk, each in a forked process (at most `jobs` at once): a chunk's
    files, trees and model go with its process, no collector pass needed."""
    import multiprocessing

    try:
        mp = multiprocessing.get_context("fork")
    except ValueError:
        raise _Abort from None
    results: list = [None] * len(chunks)
    running: list = []

    def finish() -> None:
        k, proc, conn = running.pop(0)
        try:
            got = conn.recv()
        except (EOFError, OSError):
            got = RuntimeError("a chunk's process ended without an answer")
        finally:
            conn.close()
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
        if isinstance(got, BaseException):
            raise _Abort(repr(got))
        results[k] = got

    try:
        for k, chunk in enumerate(chunks):
            if len(running) >= jobs:
                finish()
            reader, writer = mp.Pipe(duplex=False)
            proc = mp.Process(target=_child, args=(writer, fn, chunk), daemon=True)
            proc.start()
            writer.close()
            running.append((k, proc, reader))
        while running:
            finish()
    finally:
        for _k, proc, conn in running:
            conn.close()
            proc.kill()
            proc.join(timeout=5)
    return results


def _child(conn, fn, chunk) -> None:
    from obslint.parallel import in_child

    in_child(conn, lambda: conn.send(fn(chunk)))


def _read(path, fmt, result):
    from obslint import engine

    return engine.read_file(path, fmt, _S["config"], result, _S["by_code"], _S["internal"])


def _first_read(i):
    """(kind, shadow, display, marker, reads rules, light shadow, hash of the text) of one
    file, its Source and its documents to model."""
    from obslint import engine
    from obslint.incremental import reads_rules
    from obslint.parallel import leaf_shadows

    src, _problems, docs = _read(_S["rows"][i][0], _S["rows"][i][1], engine.Result())
    kind, shadow, lighter = leaf_shadows(src, docs, _S["config"].policy)
    marker = "obslint" in (src.text or "")
    return (kind, shadow, src.display, marker, reads_rules(docs), lighter, hash(src.text)), src, docs


def _read_task(chunk) -> dict:
    return {i: _first_read(i)[0] for i in chunk}


def _project(full: dict, shadows: dict):
    """A Project of the files in `full` (index -> (Source, docs, ...)), the `shadows` (index ->
    marshalled shadow) and the core files read afresh, in the order of the run's files."""
    from obslint import engine
    from obslint.incremental import build_shadow
    from obslint.model import Project
    from obslint.resources import link as link_resources

    config, names, core = _S["config"], _S["names"], _S["core"]
    project = Project(policy=config.policy)
    made: dict = {}
    for i, r in enumerate(_S["rows"]):
        path, fmt = r[0], r[1]
        if i in full:
            src, docs = full[i][0], full[i][1]
            project.sources.append(src)
            for d in docs:
                project.add(d)
        elif i in shadows:
            src = made[i] = build_shadow(path, names[i], fmt, config.max_file_size, True, marshal.loads(shadows[i]))
            project.sources.append(src)
            for d in src.documents:
                project.add(d)
        elif i in core:
            engine.load_file(path, fmt, config, project, engine.Result(), _S["by_code"], _S["internal"])
    link_resources(project)
    project.finish()
    return project, made


def _context(project):
    from obslint import engine

    ctx = engine.Context(_S["config"], project, _S["active"])
    ctx.cache["scale.memo"] = True
    return ctx


def _facts_of(ctx, sources: dict) -> dict:
    from obslint.incremental import facts_of

    kinds, active = _S["kinds"], _S["active"]
    return {i: facts_of(kinds[i][0], src, ctx, active) for i, src in sources.items()}


def _rule_facts_task(chunk) -> dict:
    """Rule files' facts from their whole data (the full shadow), the others light."""
    kinds = _S["kinds"]
    shadows = {**_S["light_rules"], **{i: kinds[i][1] for i in chunk}}
    project, made = _project({}, shadows)
    return _facts_of(_context(project), {i: made[i] for i in chunk})


def _dash_task(chunk):
    kinds, full = {}, {}
    for i in chunk:
        kinds[i], src, docs = _first_read(i)
        full[i] = (src, docs)
    _S["kinds"].update(kinds)  # (this process's copy)
    project, _made = _project(full, _S["light_rules"])
    return kinds, _facts_of(_context(project), {i: full[i][0] for i in chunk if kinds[i][0] is not None})


def _check_task(chunk) -> dict:
    from obslint import engine

    kinds, facts = _S["kinds"], _S["facts"]
    result = engine.Result()
    full = {}
    for i in chunk:
        again, src, docs, problems = _second_read(i, result)
        if again != (kinds[i][0], kinds[i][6]):
            raise _Abort("a file changed since round 1")
        full[i] = (src, docs, problems)
    project, _made = _project(full, {i: s for i, s in _S["shadows"].items() if i not in full})
    ctx = _context(project)
    _known_facts(ctx, full, facts)
    mine = {kinds[i][2] for i in chunk}
    ctx.cache["scale.facts"] = {d: f for d, f in _S["by_display"].items() if d not in mine}
    scope = _S["scope"]
    checked = {id(full[i][0]) for i in chunk if scope is None or i in scope}
    producers: dict = {}
    out = engine.run_rules(_S["rules"], project, ctx, checked, producers)
    return _entries(chunk, full, out, producers, checked, ctx, result)


def _known_facts(ctx, full, facts) -> None:
    """The chunk's own facts, as round 1 found them (scalefacts' memo: not worked out again)."""
    rated = ctx.cache.setdefault(("scale.of-source", "rated"), {})
    dirs = ctx.cache.setdefault(("scale.of-source", "dirs"), {})
    for i, (src, _docs, _problems) in full.items():
        f = facts.get(i) or {}
        if "rated" in f:
            rated[id(src)] = set(f["rated"])
        if "dirs" in f:
            dirs[id(src)] = {d: set(m) for d, m in f["dirs"].items()}


def _second_read(i, result):
    """The file read again: ((kind, hash of its text) to compare with round 1's, Source, docs,
    problems). The same text gives the same documents, shadow and flavour."""
    from obslint.incremental import leaf_kind

    src, problems, docs = _read(_S["rows"][i][0], _S["rows"][i][1], result)
    return (leaf_kind(src, docs), hash(src.text)), src, docs, problems


def _entries(chunk, full, out, producers, checked, ctx, result) -> dict:
    """Each checked file's entry, as a parallel worker makes it (parallel._entry)."""
    from obslint.incremental import shadow_docs, signature
    from obslint.parallel import _entry

    kinds, facts, active, bound, light = _S["kinds"], _S["facts"], _S["active"], _S["bound"], _S["light"]
    entries: dict = {}
    by_src: dict = {}
    timed_out = {f.file for f in out if f.code == "IN010"}
    for f in out:
        src = producers.get(id(f))
        if src is not None:
            by_src.setdefault(id(src), []).append(f)
    for i in chunk:
        src, _docs, problems = full[i]
        kind = kinds[i][0]
        try:  # what the cache keeps: after modelling (rule flavours known), light when it may be
            shadow = marshal.dumps(shadow_docs(kind, src, light))
        except (ValueError, TypeError):
            continue
        if id(src) not in checked:  # out of the report's scope: a shadow, its findings unknown
            skip = _skip(src, result)
            entries[i] = (kind, None, shadow, signature(kind, src, facts[i], active), facts[i], skip)
            continue
        found = list(problems) + by_src.get(id(src), [])
        if src.display in timed_out or any(f.code == "IN010" for f in found):
            continue
        entry = _entry(src, found, kind, shadow, facts[i], ctx, active, bound, result)
        if entry is not None:
            entries[i] = entry
    return entries


def _skip(src, result):
    if src.display in result.skipped and not any(d.kind for d in src.documents):
        return result.skip_reasons.get(src.display, "")
    return None


def _merge(rows, kinds, entries) -> dict:
    out = {}
    for i, r in enumerate(rows):
        got = entries.get(i)
        display, marker = kinds[i][2], kinds[i][3]
        out[r[2]] = got if got is not None else ("core", None, None, None, None, None)
        r[5] = (r[3], r[4], display, marker)
    return out
