"""Dashboards that a jsonnet file imports: inputs of a mixin's build, not what Grafana loads.

grafana/loki's loki-mixin keeps raw panels in `dashboards/dashboard-*.json` without any
variables, and `loki-*.libsonnet` imports each file and adds `$datasource`, `$cluster` and
the rest. Read alone, such a file uses variables it does not define; rendered, it does. The
importer is looked for where mixins keep it: in the dashboard's directory and the two above
it (`mixin.libsonnet` importing `dashboards/x.json`), among the `.jsonnet` and `.libsonnet`
files there, by resolving each `import`/`importstr` of a `.json` path relative to the
importing file as jsonnet does. A warm run compares those files' stat signatures (`digest`),
so adding or editing an importer is never served a stale answer."""
from __future__ import annotations

import os
import re

SUFFIXES = (".jsonnet", ".libsonnet")
LEVELS = 3  # the dashboard's directory and two above it
MAX_BYTES = 1 << 20  # a bigger jsonnet file is not read (generated code, not a mixin's glue)
_IMPORT = re.compile(r"\bimport(?:str|bin)?\s*(['\"])([^'\"\n]+?\.json)\1")
# a string (kept) or a comment (dropped): `// import 'x.json'` imports nothing
_STRING_OR_COMMENT = re.compile(r"(\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*')|//[^\n]*|#[^\n]*|/\*.*?\*/", re.S)


def _dirs(path: str) -> list[str]:
    out = []
    d = os.path.dirname(os.path.abspath(path))
    for _ in range(LEVELS):
        out.append(d)
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    return out


def _jsonnet_files(directory: str, memo: dict) -> list:
    """(path, stat signature) of the jsonnet files directly in `directory`, by name."""
    hit = memo.get(directory)
    if hit is None:
        hit = []
        try:
            with os.scandir(directory) as it:
                entries = sorted((e for e in it if e.name.endswith(SUFFIXES)), key=lambda e: e.name)
            for e in entries:
                try:
                    if e.is_file():
                        st = e.stat()
                        hit.append((e.path, (st.st_mtime_ns, st.st_size, st.st_ino)))
                except OSError:
                    continue
        except OSError:
            pass
        memo[directory] = hit
    return hit


def _imports(path: str, size: int, memo: dict) -> frozenset:
    """The absolute paths of the `.json` files a jsonnet file imports."""
    hit = memo.get(path)
    if hit is None:
        hit = frozenset()
        if size <= MAX_BYTES:
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    text = fh.read(MAX_BYTES + 1)
            except OSError:
                text = ""
            if ".json" in text:
                text = _STRING_OR_COMMENT.sub(lambda m: m.group(1) or " ", text)
                base = os.path.dirname(path)
                hit = frozenset(os.path.normpath(os.path.join(base, m.group(2))) for m in _IMPORT.finditer(text))
        memo[path] = hit
    return hit


def importer(path, memo: dict) -> str | None:
    """The jsonnet file near `path` that imports it, or None. `memo`: a dict kept for the run."""
    dirs = memo.setdefault("dirs", {})
    texts = memo.setdefault("imports", {})
    target = os.path.normpath(os.path.abspath(path))
    for d in _dirs(path):
        for jpath, sig in _jsonnet_files(d, dirs):
            if target in _imports(jpath, sig[1], texts):
                return jpath
    return None


def dashboard_importer(dash, ctx) -> str | None:
    """The jsonnet file that imports the dashboard's own JSON file, memoized for the run."""
    doc = dash.doc
    if doc.parent is not None or doc.source.format != "json":
        return None
    return importer(doc.source.path, ctx.cache.setdefault("jsonnet-inputs", {}))


def digest(json_paths) -> list:
    """Every jsonnet file `importer` may read for these dashboards, with its stat signature:
    what a cached answer depends on besides the linted files."""
    dirs: dict = {}
    seen: set = set()
    out = []
    for parent in {os.path.dirname(p) for p in json_paths}:
        for d in _dirs(os.path.join(parent, "_")):
            if d in seen:
                continue
            seen.add(d)
            out.extend(_jsonnet_files(d, dirs))
    return sorted(out)
