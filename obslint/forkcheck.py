"""A cold run of middling size checks its files in two processes (issue 19, bench case b).

obslint.parallel pays for itself only on big trees: its workers read their own files and
model the others' shadows. Below that, the read is the smaller part of the work and the
checks the larger (about 70% on the corpus rule files), so here the parent reads everything,
then forks once: the child runs the per-object checks of about half the files on its
copy-on-write view of the whole project, the parent the other half and the project-wide
checks, and the child's findings come back over a pipe, placed.

A file's checks all run in one process, in the order one process runs them, and project-wide
findings come last, so a file's findings keep their relative order: the only order the
engine's cap, its stable sort and suppressions can see. Whatever goes wrong in the child
(it dies, its findings cannot be sent), the parent runs the child's files itself."""
from __future__ import annotations

import gc
import os
import pickle
import signal
import struct

# Below these, one process: the fork, the child's memos built again and the findings sent
# cost more than half the checks save. Measured with bench/bench.py on this 2-core machine.
MIN_SOURCES = 48
MIN_BYTES = 384 * 1024
_HEADER = struct.Struct("<Q")


def worth_it(sources) -> bool:
    if len(sources) < MIN_SOURCES or not hasattr(os, "fork"):
        return False
    return sum(len(s.text or "") for s in sources) >= MIN_BYTES


# What checking a file costs besides its bytes, in bytes: per file and per alert (templates,
# annotations and label flow are the dearest checks). Fitted on the corpus rule files (bench
# case b), timed file by file: 0.18 ms per KB, 0.67 ms per file, 0.036 ms per alert. Counting
# bytes alone (+2 KiB per file) gave the child 243 files and 0.38-0.46 s, the parent 0.31-0.39 s;
# these weights cut at 234 files, 0.27-0.30 s each.
PER_FILE = 3584
PER_ALERT = 200


def split(sources, alerts=None) -> tuple[list, list]:
    """(child's, parent's): consecutive files (neighbours are often near copies, which share
    parsed expressions and memos) of about half the cost each. `alerts`: id(Source) -> its
    number of alerts."""
    alerts = alerts or {}
    sizes = [len(s.text or "") + PER_FILE + PER_ALERT * alerts.get(id(s), 0) for s in sources]
    total, done = sum(sizes), 0
    for i, size in enumerate(sizes):
        if done * 2 >= total:
            return sources[:i], sources[i:]
        done += size
    return sources, []


def alerts_by_source(project) -> dict:
    out: dict = {}
    for a in project.alerts:
        key = id(a.rule.doc.source)
        out[key] = out.get(key, 0) + 1
    return out


def run(per_object, project_wide, project, sources, producers) -> list | None:
    """`per_object(only, producers, here)`: the findings of the per-object checks on the
    files whose ids are in `only` (`here`: in the parent, which shows progress);
    `project_wide()`: the project-wide checks' findings. None: no fork here."""
    theirs, mine = split(sources, alerts_by_source(project))
    if not theirs or not mine:
        return None
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    gc.freeze()  # the child's collections leave the parent's objects alone: no page copied for them
    try:
        pid = os.fork()
    except OSError:
        gc.unfreeze()
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: never returns into the caller
        status = 1
        try:
            os.close(read_end)
            _child(per_object, project, {id(s) for s in theirs}, write_end)
            status = 0
        finally:
            os._exit(status)
    gc.unfreeze()
    os.close(write_end)
    reader = os.fdopen(read_end, "rb")
    try:
        mine_found = per_object({id(s) for s in mine}, producers, True)  # (the progress bar shows these)
        wide = project_wide()
        theirs_found = _receive(reader, pid, project, producers)
    except BaseException:  # (an unusable policy value, an interrupt): the child goes too
        _stop(pid)
        raise
    finally:
        reader.close()
    if theirs_found is None:  # the child failed: its files checked here
        theirs_found = per_object({id(s) for s in theirs}, producers)
    # Relative order within each file is one process's order; project-wide findings last.
    return theirs_found + mine_found + wide


def _stop(pid) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:  # (already reaped)
        pass


def _child(per_object, project, only, fd) -> None:
    producers: dict = {}
    found = per_object(only, producers)
    doc_index = {id(d): i for i, d in enumerate(project.documents)}
    src_index = {id(s): i for i, s in enumerate(project.sources)}
    rows = []
    for f in found:
        if f.doc is not None and not f.line:
            try:  # placed here, where the locators are warm; a failure is the parent's to report
                f.line, f.col = f.doc.locate(f.node, f.at_key)
            except Exception:  # noqa: BLE001
                f.line, f.col = 0, 0
        d = doc_index.get(id(f.doc)) if f.doc is not None else None
        if f.doc is not None and d is None:
            raise ValueError("a finding on a document the parent does not know")
        src = producers.get(id(f))
        rows.append((f.code, f.message, f.severity, f.file, f.line, f.col, f.fix, f.node, f.at_key, f.scope,
                     f.context, f.autofix, d, None if src is None else src_index.get(id(src))))
    blob = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
    with os.fdopen(fd, "wb") as out:
        out.write(_HEADER.pack(len(blob)))
        out.write(blob)


def _receive(reader, pid, project, producers) -> list | None:
    from obslint.findings import Finding

    try:
        head = reader.read(_HEADER.size)
        blob = reader.read(_HEADER.unpack(head)[0]) if len(head) == _HEADER.size else b""
    except (OSError, struct.error):
        blob = b""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        status = 1
    if status != 0 or not blob:
        return None
    try:
        rows = pickle.loads(blob)
    except Exception:  # noqa: BLE001 - a damaged answer: the files are checked here instead
        return None
    docs, sources = project.documents, project.sources
    out = []
    for (code, message, severity, file, line, col, fix, node, at_key, scope, context, autofix, d, s) in rows:
        f = Finding(code, message, severity, file, line, col, fix, None if d is None else docs[d], node, at_key,
                    scope, context, autofix)
        if producers is not None and s is not None:
            producers[id(f)] = sources[s]
        out.append(f)
    return out
