"""Applying the fixes of a lint run to its files (`--fix`, `--unsafe-fixes`, `--diff`).

Per file, in one pass: the fixes of the run's reported findings that are allowed (safe, or
unsafe too with `unsafe`), overlapping ones dropped whole (fixes.apply_fixes). The new text
must parse, and to the very data the old one held except where the fixes said they would
change it (each fix's `expect`): a fix that breaks this is dropped and reported, the others
are kept. Files are written atomically (a temporary file in the same folder, fsync, rename;
the mode is kept) and only when asked; `diff()` renders what would change.
"""
from __future__ import annotations

import copy
import json
import os
import re

from obslint.fixes import apply_fixes
from obslint.fixspan import MISSING, Embedded, Pieces, value_at

BOM = "\ufeff"


class FileFix:
    """What fixing does to one file: its old and new text, and which findings it fixes."""

    def __init__(self, source, old: str, new: str, bom: bool, keep_bom: bool, fixed: list) -> None:
        self.source, self.old, self.new, self.bom, self.keep_bom, self.fixed = source, old, new, bom, keep_bom, fixed

    @property
    def path(self):
        return self.source.path

    @property
    def display(self) -> str:
        return self.source.display

    def old_text(self) -> str:
        return (BOM if self.bom else "") + self.old

    def new_text(self) -> str:
        return (BOM if self.bom and self.keep_bom else "") + self.new

    @property
    def changed(self) -> bool:
        return self.old_text() != self.new_text()


class Outcome:
    """The fixes of a run: `files` (FileFix, changed ones only), `dropped` ((finding, reason)),
    `written` (paths written), `errors` (one line each: a file that could not be written)."""

    def __init__(self) -> None:
        self.files: list[FileFix] = []
        self.dropped: list[tuple] = []
        self.written: list = []
        self.errors: list[str] = []

    @property
    def fixed(self) -> int:
        return sum(len(f.fixed) for f in self.files)


def fix_of(finding, sources: dict):
    """The finding's Fix (made by its rule for findings without a document), or None."""
    fix = finding.autofix
    if fix is None and finding.doc is None:
        src = sources.get(finding.file)
        if src is None:
            return None
        from obslint import registry

        try:
            fix = registry.rule_class(finding.code)().fix_for(finding, src)
        except KeyError:
            return None
    return fix


def plan(result, unsafe: bool) -> Outcome:
    """Work out every file's fixed text (nothing is written)."""
    out = Outcome()
    project = result.project
    sources = {s.display: s for s in (project.sources if project else [])}
    by_source: dict = {}
    for f in result.findings:
        fix = fix_of(f, sources)
        if fix is None or not fix.allowed(unsafe):
            continue
        src = f.doc.source if f.doc is not None else sources.get(f.file)
        if src is None or src.text is None or fix.empty:
            continue
        if f.doc is not None:
            fix.doc_index = (f.doc.parent or f.doc).index
        by_source.setdefault(id(src), (src, []))[1].append((f, fix))
    for src, pairs in by_source.values():
        pairs.sort(key=lambda pair: pair[1].applicability != "safe")  # where fixes overlap, a safe one wins
        done = _fix_file(src, pairs, out)
        if done is not None and done.changed:
            out.files.append(done)
    return out


def _fix_file(src, pairs, out: Outcome) -> FileFix | None:
    if getattr(src, "encoding", "utf-8") != "utf-8":  # written back as UTF-8 it would be another file
        for f, _fix in pairs:
            out.dropped.append((f, "the file is UTF-16, and obslint writes UTF-8 only: save it as UTF-8 first"))
        return None
    fixes = [fix for _f, fix in pairs]
    old_docs: list = []  # the old text's documents, parsed once for every check below
    finding_of = {id(fix): f for f, fix in pairs}
    new, applied, dropped = apply_fixes(src.text, fixes)
    for fix in dropped:
        out.dropped.append((finding_of[id(fix)], "it overlaps another fix in the same place"))
    if _verify(src, new, applied, old_docs) is not None:
        # Some fix breaks the file: keep the fixes that are fine on their own.
        good = []
        for fix in applied:
            why = _verify(src, apply_fixes(src.text, [fix])[0], [fix], old_docs)
            if why is None:
                good.append(fix)
            else:
                out.dropped.append((finding_of[id(fix)], why))
        new, applied, _ = apply_fixes(src.text, good)
        if _verify(src, new, applied, old_docs) is not None:
            for fix in applied:
                out.dropped.append((finding_of[id(fix)], "together with the file's other fixes it breaks the file"))
            return None
    if not applied:
        return None
    bom = _has_bom(src)
    keep_bom = not any(fix.strip_bom for fix in applied)
    return FileFix(src, src.text, new, bom, keep_bom, [finding_of[id(fix)] for fix in applied])


def _has_bom(src) -> bool:
    try:
        with open(src.path, "rb") as fh:
            return fh.read(3) == b"\xef\xbb\xbf"
    except OSError:
        return False


def _parse(text: str, fmt: str):
    """The documents of a text, or None when it does not parse cleanly."""
    if fmt == "json":
        try:
            return [json.loads(text)]
        except (ValueError, RecursionError):
            return None
    from obslint.load.yamlload import parse_yaml

    parsed = parse_yaml(text)
    if any(p.kind in ("syntax", "duplicate-key") for p in parsed.problems):
        return None
    return list(parsed.documents)


def _verify(src, new: str, applied, old_docs: list) -> str | None:
    """None when `new` parses to the old data changed exactly as the fixes expect; else why
    not. `old_docs`: a one-item memo of the old text's documents (filled on first use)."""
    if not any(fix.edits for fix in applied):
        return None  # only a byte order mark goes
    docs = _parse(new, src.format)
    if docs is None:
        return "it would leave the file unparseable"
    if not old_docs:
        old_docs.append(_parse(src.text, src.format))
    old = old_docs[0]
    if old is None:
        return "the file does not parse as it is"
    want = copy.deepcopy(old)
    by_doc: dict = {}
    for fix in applied:
        by_doc.setdefault(fix.doc_index, []).extend(fix.expect)
    for index, expectations in by_doc.items():
        if not _expected(want, index, expectations):
            return "it changes a place it does not own"
    if docs != want:
        return "it would change the file's data beyond the fixed value"
    return None


def _expected(docs: list, index: int, expectations) -> bool:
    """Change docs[index] as the expectations say: values set, keys gone (MISSING), string
    pieces replaced (the pieces of several fixes of one string together), and JSON held in a
    string changed by its own expectations (Embedded). False when a path is not there."""
    pieces: dict = {}
    embedded: dict = {}
    for path, value in expectations:
        path = tuple(path)
        if isinstance(value, Pieces):
            pieces.setdefault(path, Pieces()).extend(value)
        elif isinstance(value, Embedded):
            embedded.setdefault(path, []).extend(value)
        elif not _set(docs, index, path, value):
            return False
    for path, more in pieces.items():
        node = _get(docs, index, path)
        new_value = more.apply(node) if isinstance(node, str) else None
        if new_value is None or not _set(docs, index, path, new_value):
            return False
    for path, inner in embedded.items():
        node = _get(docs, index, path)
        try:
            data = [json.loads(node)] if isinstance(node, str) else None
        except ValueError:
            data = None
        if data is None or not _expected(data, 0, inner) or not _set(docs, index, path, JsonText(data[0])):
            return False
    return True


class JsonText:
    """Equal to a string that parses as JSON to `data` (what an embedded document must read)."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, data) -> None:
        self.data = data

    def __eq__(self, other) -> bool:
        if not isinstance(other, str):
            return NotImplemented
        try:
            return json.loads(other) == self.data
        except ValueError:
            return False

    def __ne__(self, other) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __deepcopy__(self, memo) -> "JsonText":
        return JsonText(copy.deepcopy(self.data, memo))


def _get(docs: list, index: int, path: tuple):
    node = value_at(docs[index] if index < len(docs) else None, path)
    return None if node is MISSING else node


def _set(docs: list, index: int, path: tuple, value) -> bool:
    if index >= len(docs):
        return False
    if not path:
        docs[index] = copy.deepcopy(value)
        return True
    node = docs[index]
    for step in path[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return False
    last = path[-1]
    if value is MISSING:
        if isinstance(node, dict) and last in node:
            del node[last]
            return True
        return False
    if isinstance(node, dict) or (isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node)):
        node[last] = copy.deepcopy(value)
        return True
    return False


def write(outcome: Outcome) -> None:
    """Write every changed file atomically, keeping its mode; a file changed on disk since
    it was read is left alone (reported in `errors`)."""
    for ff in outcome.files:
        target = os.path.realpath(ff.path)  # a symlinked file: write where it points, keep the link
        try:
            with open(target, "rb") as fh:
                now = fh.read()
            if now != ff.old_text().encode("utf-8"):
                outcome.errors.append(f"{ff.display}: changed on disk while obslint read it; not fixed")
                continue
            write_keeping_mode(target, ff.new_text().encode("utf-8"))
            outcome.written.append(ff.path)
        except OSError as exc:
            outcome.errors.append(f"{ff.display}: cannot write the fix: {exc.strerror or exc}")


def write_keeping_mode(path: str, data: bytes) -> None:
    """Replace the file at path by data atomically (fsync'd), keeping the old file's mode."""
    from obslint.atomic import write_atomic

    write_atomic(path, data, mode=os.stat(path).st_mode & 0o7777)


_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")


def diff(outcome: Outcome) -> str:
    """A unified diff of every changed file (`patch -p1` applies it)."""
    import difflib

    out = []
    for ff in outcome.files:
        name = str(ff.display)
        a, b = (name, name) if os.path.isabs(name) else (f"a/{name}", f"b/{name}")
        old, new = _LINES.findall(ff.old_text()), _LINES.findall(ff.new_text())
        for line in difflib.unified_diff(old, new, a, b):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
