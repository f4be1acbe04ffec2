"""Cold runs on every core (issue 19): worker processes read and check the leaf files
(obslint.incremental) and hand back what the cache would keep of them; the parent then runs
as a warm run would, with every leaf file "cached": core files read and checked, project-wide
checks over all shadows, findings merged. Results and their order are those of one process.

Three rounds per worker over a pipe (forked, so the config and rules are inherited):
1. read its files, answer each leaf file's shadow (or "core");
2. given every other leaf file's shadow, build the whole project (its files in full, core
   files in full, the rest as shadows) and answer its dashboards' facts (obslint.scalefacts);
3. given the others' facts, check its files and answer their entries, findings placed.

A file a worker cannot vouch for (a finding it cannot place, a capped or timed-out file)
comes back as "core": the parent reads and checks it itself."""
from __future__ import annotations

import marshal
import os

# Below these, one process: forking, the three rounds and every worker modelling the others'
# shadows cost more than they save. Measured on generated monorepos (bench/monorepo.py) on this
# shared 2-core machine: 2 jobs took 1.76x the time of 1 at 35 files (1.4 MB), 1.43x at 200
# files (5 MB), 1.20x at 420 files (11 MB); 0.78x at 1,400 files (41 MB, bench case g).
MIN_FILES = 500
MIN_BYTES = 16 * 1024 * 1024


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def worth_it(rows, jobs: int) -> bool:
    if jobs <= 1 or len(rows) < MIN_FILES:
        return False
    return sum(r[3][1] for r in rows if r[3] is not None) >= MIN_BYTES


_PER_FILE = 3072  # what reading and checking a file costs besides its bytes, in bytes: on the 1,400-file
# monorepo the worker of the smaller files did 54% of the instructions counting bytes alone, 44%
# counting 8 KiB per file


def _split(rows, jobs: int) -> list[list[int]]:
    """File indexes per worker: each format's files in order of size, cut into runs of equal
    bytes. Files of nearly one size are often copies of one template (generated or vendored
    dashboards): in one worker they share its parsed expressions and memos, where dealing them
    out one by one made every worker parse every expression (2x the PromQL parses at 2 jobs)."""
    parts: list[list[int]] = [[] for _ in range(jobs)]
    by_fmt: dict = {}
    for i, r in enumerate(rows):
        by_fmt.setdefault(r[1], []).append(i)
    for idx in by_fmt.values():
        size = {i: (rows[i][3][1] if rows[i][3] else 0) + _PER_FILE for i in idx}
        idx.sort(key=lambda i: (size[i], rows[i][2]))
        total = sum(size.values())
        done = 0
        for i in idx:
            parts[min(jobs - 1, done * jobs // total)].append(i)
            done += size[i]
    return [sorted(p) for p in parts]


def run(s, rows, config, rules, scope, result, jobs: int):
    """Entries for every file (None: the parallel run failed, read serially)."""
    import multiprocessing

    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:
        return None
    files = [(r[0], r[1]) for r in rows]
    scope_files = None if scope is None else {i for i, r in enumerate(rows) if os.path.normpath(r[2]) in scope}
    workers = []
    try:
        for part in _split(rows, jobs):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(child, files, part, config, rules, scope_files), daemon=True)
            proc.start()
            child.close()
            workers.append((proc, parent, part))
        kinds: dict = {}
        for _proc, conn, _part in workers:
            kinds.update(_recv(conn))
        from obslint.incremental import light_ok

        light = light_ok(frozenset(r.code for r in rules), any(v[4] for v in kinds.values()))
        pick = 5 if light else 1  # light rule shadows are cheaper to model in every worker
        for _proc, conn, part in workers:
            mine = set(part)
            conn.send(({i: v[pick] for i, v in kinds.items() if v[pick] is not None and i not in mine}, light))
        facts: dict = {}
        for _proc, conn, _part in workers:
            facts.update(_recv(conn))
        for _proc, conn, part in workers:
            mine = set(part)
            conn.send({kinds[i][2]: f for i, f in facts.items() if f and i not in mine})
        entries: dict = {}
        for _proc, conn, _part in workers:
            entries.update(_recv(conn))
    except (EOFError, OSError, RuntimeError):
        return None
    finally:
        for proc, conn, _part in workers:
            try:
                conn.close()
            except OSError:
                pass
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
    out = {}
    for i, r in enumerate(rows):
        got = entries.get(i)
        kind, _shadow, display, marker, _reads, _light = kinds.get(i, (None, None, None, True, False, None))
        if got is None:
            out[r[2]] = ("core", None, None, None, None, None)
        else:
            out[r[2]] = got
        r[5] = (r[3], r[4], display, marker)
    return out


def _recv(conn):
    got = conn.recv()
    if isinstance(got, BaseException):
        raise RuntimeError(f"worker failed: {got!r}")
    return got


def _worker(conn, files, part, config, rules, scope_files) -> None:
    in_child(conn, lambda: _rounds(conn, files, part, config, rules, scope_files))


def in_child(conn, work) -> None:
    """Run `work` as a forked worker does: the collector off (as the CLI: the objects live
    until the process ends), a failure sent to the parent (which falls back to one process)
    instead of raised, and the process ended without Python's shutdown."""
    import gc

    gc.disable()
    try:
        work()
    except BaseException as exc:  # noqa: BLE001 - the parent falls back to one process
        try:
            conn.send(RuntimeError(f"{type(exc).__name__}: {exc}"))
        except Exception:  # noqa: BLE001
            pass
    finally:
        conn.close()
        os._exit(0)


def leaf_shadows(src, docs, policy):
    """(kind, shadow, light shadow) of a file just read: its leaf kind (None: a core file)
    and what the cache keeps of it, marshalled, with rule files' flavours as modelling finds them."""
    from obslint.incremental import leaf_kind, shadow_docs
    from obslint.lang.flavor import rule_flavor

    kind = leaf_kind(src, docs)
    shadow = lighter = None
    if kind is not None:
        try:
            if kind == "rules":
                for d in docs:  # the flavour as modelling will find it: shadows carry it
                    rule_flavor(d, policy)
            shadow = marshal.dumps(shadow_docs(kind, src))
            lighter = marshal.dumps(shadow_docs(kind, src, True)) if kind == "rules" else shadow
        except (ValueError, TypeError):
            kind = None
    return kind, shadow, lighter


def _rounds(conn, files, part, config, rules, scope_files) -> None:
    from obslint import engine, findingcap
    from obslint.config import relative
    from obslint.incremental import build_shadow, facts_of, reads_rules, shadow_docs
    from obslint.model import Project
    from obslint.resources import link as link_resources

    by_code = {r.code: r for r in rules}
    internal = by_code.get("IN011")
    result = engine.Result()
    mine: dict = {}
    answer: dict = {}
    for i in part:
        path, fmt = files[i]
        src, problems, docs = engine.read_file(path, fmt, config, result, by_code, internal)
        kind, shadow, lighter = leaf_shadows(src, docs, config.policy)
        marker = "obslint" in (src.text or "")
        answer[i] = (kind, shadow, src.display, marker, reads_rules(docs), lighter)
        if kind is not None:
            mine[i] = (src, problems, docs, kind, shadow)
    conn.send(answer)
    shadows, light = conn.recv()
    project = Project(policy=config.policy)
    for i, (path, fmt) in enumerate(files):
        if i in mine:
            src, _problems, docs, _kind, _shadow = mine[i]
            project.sources.append(src)
            for d in docs:
                project.add(d)
        elif i in shadows:
            src = build_shadow(path, relative(path), fmt, config.max_file_size, True, marshal.loads(shadows[i]))
            project.sources.append(src)
            for d in src.documents:
                project.add(d)
        else:  # a core file (here or in another worker): everyone needs it whole
            engine.load_file(path, fmt, config, project, engine.Result(), by_code, internal)
    link_resources(project)
    project.finish()
    active = frozenset(by_code)
    ctx = engine.Context(config, project, active)
    ctx.cache["scale.memo"] = True
    facts = {i: facts_of(m[3], m[0], ctx, active) for i, m in mine.items()}
    conn.send(facts)
    ctx.cache["scale.facts"] = conn.recv()
    checked = {id(m[0]) for i, m in mine.items() if scope_files is None or i in scope_files}
    producers: dict = {}
    out = engine.run_rules(rules, project, ctx, checked, producers)
    by_src: dict = {}
    timed_out = {f.file for f in out if f.code == "IN010"}
    for f in out:
        src = producers.get(id(f))
        if src is not None:
            by_src.setdefault(id(src), []).append(f)
    bound = findingcap.limit()
    entries: dict = {}
    for i, (src, problems, _docs, kind, shadow) in mine.items():
        if id(src) not in checked:
            continue  # out of the report's scope: not checked, nothing to vouch for
        found = list(problems) + by_src.get(id(src), [])
        if src.display in timed_out or any(f.code == "IN010" for f in found):
            continue
        try:  # what the cache keeps: after modelling (rule flavours known), light when it may be
            shadow = marshal.dumps(shadow_docs(kind, src, light))
        except (ValueError, TypeError):
            continue
        entry = _entry(src, found, kind, shadow, facts[i], ctx, active, bound, result)
        if entry is not None:
            entries[i] = entry
    conn.send(entries)


def _entry(src, found, kind, shadow, facts, ctx, active, bound, result):
    """The cache entry of one checked leaf file, its findings placed as engine._run places
    them; None when this worker cannot reproduce that exactly."""
    from obslint import engine
    from obslint.incremental import dump_finding, signature

    counts: dict = {}
    for f in found:
        if f.doc is not None:
            key = (f.file, id(f.doc), f.code)
            counts[key] = counts.get(key, 0) + 1
            if bound and counts[key] > bound:
                return None  # the cap decides which are placed: the parent's job
    marker = "obslint" in (src.text or "")
    rows = []
    for f in found:
        scope_line = None
        if f.doc is not None:
            try:
                if not f.line:
                    f.line, f.col = f.doc.locate(f.node, f.at_key)
                f.context = {**engine._scope_context(f.doc, f.scope), **f.context}
                if f.scope is not None and marker and f.doc.source.format == "yaml":
                    scope_line = f.doc.locate(f.scope)[0]
            except Exception:  # noqa: BLE001 - the parent reports it (IN011) as one process would
                return None
        try:
            rows.append(dump_finding(f, scope_line, None, src if f.file == src.display else None))
        except (TypeError, ValueError):
            return None
    skip = None
    if src.display in result.skipped and not any(d.kind for d in src.documents):
        skip = result.skip_reasons.get(src.display, "")
    try:
        marshal.dumps(rows)
    except (ValueError, TypeError):
        return None
    return (kind, rows, shadow, signature(kind, src, facts, active), facts, skip)
