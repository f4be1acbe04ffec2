"""Read a file into a Source with its documents; every problem becomes a finding."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from obslint.document import Document, Source
from obslint.findings import Finding, Severity

DEFAULT_MAX_BYTES = 64 * 1024 * 1024

JSON_SUFFIXES = {".json"}
YAML_SUFFIXES = {".yaml", ".yml"}


def file_format(path: Path, head: bytes = b"") -> str | None:
    suffix = path.suffix.lower()
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in YAML_SUFFIXES:
        return "yaml"
    return None


def _problem(code: str, message: str, display: str, line: int = 1, col: int = 1,
             severity: Severity = Severity.ERROR, fix: str | None = None) -> Finding:
    return Finding(code=code, message=message, severity=severity, file=display, line=line, col=col, fix=fix)


def read_source(path: Path, display: str, fmt: str, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[Source, list[Finding]]:
    """Read and parse one file. Never raises for anything the file contains."""
    source = Source(path, display, None, fmt)
    findings: list[Finding] = []
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file (FIFO, socket or device)"
            findings.append(_problem("IN001", f"skipped: {kind}", display, severity=Severity.WARNING,
                                     fix="lint regular files only, or exclude this path"))
            return source, findings
        if st.st_size > max_bytes:
            findings.append(_problem("IN008", f"file is {st.st_size:,} bytes, over the limit of {max_bytes:,}; not read",
                                     display, fix="raise `max-file-size` in the obslint config if this file is meant to be linted"))
            return source, findings
        with open(path, "rb") as fh:  # read-only, always
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        findings.append(_problem("IN001", f"cannot read file: {exc.strerror or exc}", display,
                                 fix="check the file's permissions and that it still exists"))
        return source, findings
    if len(raw) > max_bytes:
        findings.append(_problem("IN008", f"file grew over the limit of {max_bytes:,} bytes while being read; not read", display))
        return source, findings

    text = _decode(raw, display, fmt, findings)
    if text is None:
        return source, findings
    source.text = text
    if not text.strip():
        findings.append(_problem("IN005", "file is empty", display, severity=Severity.INFO,
                                 fix="remove the file or give it content"))
        return source, findings
    if fmt == "json":
        _parse_json(source, findings)
    else:
        _parse_yaml(source, findings)
    return source, findings


def _decode(raw: bytes, display: str, fmt: str, findings: list[Finding]) -> str | None:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        findings.append(_problem("IN002", "file is UTF-16; Prometheus and Grafana read UTF-8", display,
                                 fix="save the file as UTF-8 without a byte order mark"))
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        if fmt == "json":
            findings.append(_problem("IN006", "file starts with a UTF-8 byte order mark, which Grafana's JSON reader rejects",
                                     display, fix="save the file as UTF-8 without a byte order mark"))
    nul = raw.find(b"\x00")
    if nul != -1:
        line, col = _byte_position(raw, nul)
        findings.append(_problem("IN002", "file contains NUL bytes: it is binary, not text", display, line, col,
                                 fix="restore the file's text, or exclude it"))
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(raw, exc.start)
        findings.append(_problem("IN002", f"invalid UTF-8 (byte 0x{raw[exc.start]:02x}); Prometheus and Grafana read UTF-8",
                                 display, line, col, fix="re-encode the file as UTF-8"))
        return None


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    col = len(raw[line_start:offset].decode("utf-8", "replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, col


class _DuplicateKeys:
    """object_pairs_hook that keeps the last value (as Grafana's Go reader does) and notes repeats."""

    __slots__ = ("seen",)

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, pairs):
        d = dict(pairs)
        if len(d) != len(pairs):
            self.seen = True
        return d


def _parse_json(source: Source, findings: list[Finding]) -> None:
    text = source.text
    hook = _DuplicateKeys()
    try:
        data = json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        findings.append(_problem("IN003", f"invalid JSON: {exc.msg}", source.display, exc.lineno, exc.colno,
                                 fix="fix the JSON syntax at this position"))
        return
    except RecursionError:
        findings.append(_problem("IN009", "JSON nests too deeply to be read", source.display,
                                 fix="flatten the document; real dashboards nest a few dozen levels at most"))
        return
    except ValueError as exc:  # e.g. integer strings too long for Python to convert
        findings.append(_problem("IN003", f"invalid JSON: {exc}", source.display))
        return
    doc = Document(source, 0, data)
    source.documents.append(doc)
    if hook.seen:
        index = source.json_index()
        for path, offset in index.duplicates:
            line, col = source.lines.position(offset)
            findings.append(_problem("IN004", f"duplicate key {path[-1]!r}; the later value silently wins",
                                     source.display, line, col, fix="remove one of the two keys"))


_YAML_CODES = {"syntax": "IN003", "duplicate-key": "IN004", "alias-bomb": "IN009",
               "recursive-alias": "IN009", "too-deep": "IN009"}


def _parse_yaml(source: Source, findings: list[Finding]) -> None:
    from obslint.load.yamlload import parse_yaml

    result = parse_yaml(source.text)
    if result.nodes is not None:
        source.yaml_nodes = result.nodes
    for p in result.problems:
        fix = {"duplicate-key": "remove one of the two keys",
               "syntax": "fix the YAML syntax at this position"}.get(p.kind, "simplify the document")
        message = p.message if p.kind != "syntax" else f"invalid YAML: {p.message}"
        findings.append(_problem(_YAML_CODES[p.kind], message, source.display, p.line, p.col, fix=fix))
    for i, data in enumerate(result.documents):
        if data is not None:
            source.documents.append(Document(source, i, data))
