"""Read a file into a Source with its documents; every problem becomes a finding."""
from __future__ import annotations

import gc
import json
import os
import re
import stat
from itertools import compress
from pathlib import Path

# The module, not its names: obslint.document imports obslint.load.text, so importing
# obslint.document first runs this file while it is half initialised.
from obslint import document as _document
from obslint import fastpaths
from obslint.findings import Severity
from obslint.registry import Emitter

# Files over this size are reported (IN008), not read. The largest real files we know are
# near 1 MB; at 5 MiB every path stays within ~300 MB and a few seconds (YAML that needs
# PyYAML's exact reader, e.g. with a duplicate key, costs ~50 bytes of memory per byte).
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Documents nesting deeper than this are reported (IN009), not checked: checks may recurse
# over the data, and real files nest 13 levels at most. Same limit as yamlload.MAX_DEPTH.
MAX_DEPTH = 100

JSON_SUFFIXES = {".json"}
YAML_SUFFIXES = {".yaml", ".yml"}


def file_format(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in YAML_SUFFIXES:
        return "yaml"
    return None


def read_source(path: Path, display: str, fmt: str, max_bytes: int = DEFAULT_MAX_BYTES,
                rules: dict | None = None) -> tuple["_document.Source", list]:
    """Read and parse one file. Never raises for anything the file contains. Problems are
    findings made by their IN rules (`rules`: the run's active ones, code -> Rule)."""
    source = _document.Source(path, display, None, fmt)
    findings = Emitter(display, rules)
    try:
        raw = _read(path, max_bytes)
    except _Skip as skip:
        skip.report(findings, max_bytes)
        return source, findings
    except OSError as exc:
        findings.add("IN001", f"cannot read file: {exc.strerror or exc}", fix="check the file's permissions and that it still exists")
        return source, findings
    if len(raw) > max_bytes:
        findings.add("IN008", f"file grew over the limit of {max_bytes:,} bytes while being read; not read", fix=_RAISE_LIMIT)
        return source, findings

    text = _decode(raw, fmt, findings)
    if text is None:
        _foreign_input(findings, raw[:_SNIFF_BYTES].decode("utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff")
                                                           else "utf-8", "replace"))
        return source, findings
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        source.encoding = "utf-16"
    source.text = text
    if not text or text.isspace():  # (strip() would copy the whole text)
        findings.add("IN005", "file is empty", fix="remove the file or give it content")
        return source, findings
    if fmt == "json":
        _parse_json(source, findings)
    else:
        _parse_yaml(source, findings)
    if any(f.code == "IN003" for f in findings):
        _skip_if_templated(source, findings)
        if any(f.code == "IN003" for f in findings) and _tool_config(path):
            _foreign(findings, f"`{os.path.basename(str(path))}` is a developer tool's configuration (JSON with "
                               "comments), so it is taken as another tool's file")
        elif any(f.code == "IN003" for f in findings) and not _looks_linted(text):
            _foreign(findings)
    if any(f.code in _INPUT_CODES for f in findings):
        _foreign_input(findings, text)
    elif "{{" in text and (".Values" in text or ".Release." in text or "include \"" in text):
        _skip_if_templated(source, findings, helm=True)  # it parsed, but its values are Helm actions
    elif _JUJU_TOPOLOGY in text:
        _skip_juju_template(source, findings)
    return source, findings


# Keys that only the files obslint lints have at their top or panel level (dashboards, rule
# files, promtool tests, Prometheus, Alertmanager and Grafana provisioning), as a JSON key or
# a YAML mapping key. `rules:` and `tests:` are left out: RBAC roles and package manifests have them.
_OWN_KEY = None


def _looks_linted(text: str) -> bool:
    """Whether a text that does not parse could be a file obslint lints: one of their keys (or
    resource kinds) is in it. A broken tsconfig.json, CNI config or Kubernetes example is not."""
    global _OWN_KEY
    if _OWN_KEY is None:
        _OWN_KEY = re.compile(r"(?:^|[\s{,\[])[\"']?(?:panels|rows|schemaVersion|templating|dashboard|groups|expr|"
                              r"alert|record|rule_files|input_series|alert_rule_test|scrape_configs|route|receivers|"
                              r"inhibit_rules|datasources|deleteDatasources|providers|contactPoints|elements)[\"']?"
                              r"[ \t]*:|\bkind[\"']?[ \t]*:[ \t]*[\"']?(?:PrometheusRule|Grafana\w+|Dashboard)\b",
                              re.M)
    return _OWN_KEY.search(text) is not None


# Problems of the bytes or the shape of a file, not of its syntax: another tool's file with
# them (yyjson's test data, a tsconfig saved with a BOM) is not obslint's concern.
_INPUT_CODES = frozenset({"IN002", "IN006", "IN009"})
_SNIFF_BYTES = 1 << 20


def _foreign_input(findings: Emitter, text: str) -> None:
    """IN002/IN006/IN009 errors become info when nothing in the file is a key of the files
    obslint lints (and IN006 then offers no fix: obslint does not rewrite another tool's file)."""
    if _looks_linted(text[:_SNIFF_BYTES]):
        return
    for f in findings:
        if f.code in _INPUT_CODES and f.severity > Severity.INFO:
            f.severity = Severity.INFO
            f.message += ("; nothing in the file is a key of a dashboard, rule file or Grafana/Prometheus "
                          "configuration, so it is taken as another tool's file")


# Configuration files of developer tools, read as JSON with comments (JSONC): their keys may
# look like ours (ESLint's import-sort `groups`), but nothing obslint lints has these names.
_TOOL_CONFIG = re.compile(r"\.?(?:eslintrc|babelrc|jshintrc|swcrc|renovaterc)(?:\.json)?|(?:ts|js)config(?:\.[\w-]+)?"
                          r"\.json|(?:\.?devcontainer|launch|settings|tasks|extensions|tslint|renovate|biome|deno|"
                          r"package|composer)\.jsonc?", re.IGNORECASE)


def _tool_config(path) -> bool:
    return _TOOL_CONFIG.fullmatch(os.path.basename(str(path))) is not None


def _foreign(findings: Emitter, why: str = "nothing in the file is a key of a dashboard, rule file or "
             "Grafana/Prometheus configuration, so it is taken as another tool's file") -> None:
    """Syntax errors of a file that is none of obslint's become info: nothing obslint lints reads it."""
    for f in findings:
        if f.code == "IN003":
            f.severity = Severity.INFO
            f.message += "; " + why


# Juju charms (the Loki and Prometheus charm libraries) ship rule files whose selectors hold
# this placeholder; the charm replaces it with the unit's topology matchers before loading.
_JUJU_TOPOLOGY = "%%juju_topology%%"


def _skip_juju_template(source: "_document.Source", findings: Emitter) -> None:
    at = source.text.index(_JUJU_TOPOLOGY)
    line = source.text.count("\n", 0, at) + 1
    col = at - (source.text.rfind("\n", 0, at) + 1) + 1
    source.documents = []
    findings.add("IN012", f"skipped: a Juju charm rule template (`{_JUJU_TOPOLOGY}` at line {line}), not a rule "
                 "file until the charm fills in the topology", line, col,
                 fix="lint the rules the charm renders, or replace the placeholder with the matchers it stands for")


def _skip_if_templated(source: "_document.Source", findings: Emitter, helm: bool = False) -> None:
    """A Helm/Go template is YAML only once rendered: one info finding instead of syntax errors."""
    from obslint.classify import templated

    text = source.text or ""
    where = templated(text, helm)
    if where is None and not helm:
        where = _helm_action(text)
    what, fix = "a Helm/Go template", "lint the rendered output instead, e.g. `helm template . > rendered.yaml`"
    if where is None and not helm:
        where, what = _other_template(text, findings)
        fix = "lint the rendered output instead"
    if where is None:
        return
    line, col, action = where
    findings[:] = [f for f in findings if f.code not in ("IN003", "IN004")]
    source.documents = []
    kind = "JSON" if source.format == "json" else "YAML"
    findings.add("IN012", f"skipped: {what} (`{action}` at line {line}), not {kind} until "
                 "it is rendered", line, col, fix=fix)


# Other templates that are not YAML until rendered: a Jinja statement alone on its line
# (mkdocs `{% raw %}`, Ansible), and a shell placeholder (envsubst) where the text breaks.
_JINJA_STATEMENT = re.compile(r"^[ \t]*(\{%-?\s*(?:raw|endraw|if|elif|else|endif|for|endfor|set|include|import|"
                              r"macro|endmacro|block|endblock|extends|filter|endfilter)\b[^\n]*?%\})", re.M)
_SHELL_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def _other_template(text: str, findings: Emitter):
    """((line, column, action), what) of a Jinja or envsubst template, else (None, "")."""
    m = _JINJA_STATEMENT.search(text)
    if m is not None:
        start = m.start(1)
        line_start = text.rfind("\n", 0, start) + 1
        return (text.count("\n", 0, start) + 1, start - line_start + 1, m.group(1)[:60]), "a Jinja template"
    lines = None
    for f in findings:
        if f.code != "IN003" or not f.line:
            continue
        lines = lines if lines is not None else text.splitlines()
        for number in (f.line - 1, f.line):  # the broken line, or the one before it (a flow value's end)
            if 1 <= number <= len(lines):
                p = _SHELL_PLACEHOLDER.search(lines[number - 1])
                if p is not None:
                    return (number, p.start() + 1, p.group()), "a template with shell placeholders (envsubst)"
    return None, ""


_HELM_ONLY = re.compile(r"\{\{-?[^}\n]*?(?:\.(?:Values|Release|Chart|Capabilities)\b|\binclude\s+\"|\b(?:tpl|toYaml)\b)"
                        r"[^}\n]*\}\}")


def _helm_action(text: str):
    """(line, column, action) of a Helm-only action anywhere in a text that does not parse (inside a
    value or a quoted string: `name: app{{ if .Values.x }}-x{{ end }}`), or None. Alert
    annotations' `{{ $labels.x }}` and `{{ if ... }}` are not Helm's and do not count."""
    m = _HELM_ONLY.search(text)
    if m is None:
        return None
    line_start = text.rfind("\n", 0, m.start()) + 1
    action = m.group(0)
    return text.count("\n", 0, m.start()) + 1, m.start() - line_start + 1, action if len(action) <= 60 else action[:57] + "..."


_RAISE_LIMIT = "raise `max-file-size` in the obslint config (or pass --max-file-size) if this file is meant to be linted"
# Read-only, and never blocking: a FIFO or device named like a linted file opens at once
# and is refused by the fstat below (checking before opening would leave a race).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
_NOATIME = getattr(os, "O_NOATIME", 0)  # do not even touch the access time, when allowed


class _Skip(Exception):
    def __init__(self, kind: str, size: int = 0) -> None:
        super().__init__(kind)
        self.kind, self.size = kind, size

    def report(self, findings: Emitter, max_bytes: int) -> None:
        if self.kind == "too-large":
            findings.add("IN008", f"file is {self.size:,} bytes, over the limit of {max_bytes:,}; not read",
                         fix=_RAISE_LIMIT)
        else:
            findings.add("IN001", f"skipped: {self.kind}", fix="lint regular files only, or exclude this path")


def _read(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, read through a read-only descriptor; _Skip for what is not read."""
    try:
        fd = os.open(path, _OPEN_FLAGS | _NOATIME)
    except PermissionError:
        if os.path.isdir(path):
            raise _Skip("a directory") from None
        if not _NOATIME:
            raise
        fd = os.open(path, _OPEN_FLAGS)  # O_NOATIME is refused on files of other users
    except IsADirectoryError:
        raise _Skip("a directory") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise _Skip("a directory")
        if not stat.S_ISREG(st.st_mode):
            raise _Skip("not a regular file (FIFO, socket or device)")
        if st.st_size > max_bytes:
            raise _Skip("too-large", st.st_size)
        return _read_upto(fh, st.st_size, max_bytes)


def _read_upto(fh, size: int, max_bytes: int) -> bytes:
    """The file's bytes, at most max_bytes + 1 (more means it grew past the limit). Sized by
    the file, not by the limit: `read(n)` reserves n bytes first, and a limit of 30 GB or
    2**63 must not reserve them."""
    raw = fh.read(size + 1)
    if len(raw) <= size:
        return raw
    chunks, total = [raw], len(raw)  # it grew while being read
    while total <= max_bytes:
        chunk = fh.read(min(1 << 20, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _decode(raw: bytes, fmt: str, findings: Emitter) -> str | None:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        if fmt == "json":  # Go's encoding/json (Grafana's dashboards) reads UTF-8 only
            findings.add("IN002", "file is UTF-16; Grafana reads JSON as UTF-8", fix="save the file as UTF-8 without a byte order mark")
            return None
        try:  # Go's YAML readers (Prometheus, Alertmanager, Grafana provisioning) decode UTF-16 by its mark
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            findings.add("IN002", f"invalid UTF-16 (at byte {exc.start})", fix="re-encode the file as UTF-8")
            return None
        findings.add("IN002", "file is UTF-16; Prometheus and Grafana read it by its byte order mark, but "
                     "obslint cannot fix it and other tools may not read it", fix="save the file as UTF-8",
                     severity=Severity.INFO)
        return text
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        if fmt == "json":
            findings.add("IN006", "file starts with a UTF-8 byte order mark, which Grafana's JSON reader rejects", fix="save the file as UTF-8 without a byte order mark")
    nul = raw.find(b"\x00")
    if nul != -1:
        line, col = _byte_position(raw, nul)
        findings.add("IN002", "file contains NUL bytes: it is binary, not text", line, col, fix="restore the file's text, or exclude it")
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(raw, exc.start)
        findings.add("IN002", f"invalid UTF-8 (byte 0x{raw[exc.start]:02x}); Prometheus and Grafana read UTF-8", line, col, fix="re-encode the file as UTF-8")
        return None


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    col = len(raw[line_start:offset].decode("utf-8", "replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, col


def _duplicate_keys_hook():
    """(object_pairs_hook, seen): the hook keeps the last value (as Grafana's Go reader does)
    and appends to `seen` when an object repeats a key. A plain function, not an object
    with __call__: it runs once per JSON object, and the call costs less."""
    seen: list[bool] = []
    note = seen.append

    def hook(pairs):
        d = dict(pairs)
        if len(d) != len(pairs):
            note(True)
        return d

    return hook, seen


def _parse_json(source: "_document.Source", findings: Emitter) -> None:
    text = source.text
    hook, repeated = _duplicate_keys_hook()
    try:
        data = json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        findings.add("IN003", f"invalid JSON: {exc.msg}", exc.lineno, exc.colno, fix="fix the JSON syntax at this position")
        return
    except RecursionError:
        _too_deep(source, findings)
        return
    except ValueError as exc:  # e.g. integer strings too long for Python to convert
        findings.add("IN003", f"invalid JSON: {exc}")
        return
    if _json_nests_deeper(data, MAX_DEPTH):
        _too_deep(source, findings)
        return
    doc = _document.Document(source, 0, data)
    source.documents.append(doc)
    if not repeated:
        source.unique_keys = fastpaths.ENABLED  # the locator's early stop is a fast path
        return
    index = source.json_index()
    for path, offset in index.duplicates:
        line, col = source.lines.position(offset)
        findings.add("IN004", f"duplicate key {path[-1]!r}; the later value silently wins", line, col, fix="remove one of the two keys")


_YAML_CODES = {"syntax": "IN003", "duplicate-key": "IN004", "alias-bomb": "IN009",
               "recursive-alias": "IN009", "too-deep": "IN009"}


def _parse_yaml(source: "_document.Source", findings: Emitter) -> None:
    from obslint.load.yamlload import parse_yaml

    result = parse_yaml(source.text)
    if result.nodes is not None:
        source.yaml_nodes = result.nodes
    for p in result.problems:
        fix = {"duplicate-key": "remove one of the two keys",
               "syntax": "fix the YAML syntax at this position"}.get(p.kind, "simplify the document")
        message = p.message if p.kind != "syntax" else f"invalid YAML: {p.message}"
        findings.add(_YAML_CODES[p.kind], message, p.line, p.col, fix=fix)
    for i, data in enumerate(result.documents):
        if data is None:
            continue
        if (_json_nests_deeper if fastpaths.ENABLED else _nests_deeper)(data, MAX_DEPTH):
            _too_deep(source, findings, i, data)
            continue
        source.documents.append(_document.Document(source, i, data))


_CONTAINERS = (dict, list)


def _nests_deeper(data, limit: int) -> bool:
    """True when mappings and sequences nest more than `limit` levels. Iterative; a subtree
    shared through YAML aliases is walked once per reference, which the loaders bound."""
    if not isinstance(data, _CONTAINERS):
        return False
    stack = [(data, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > limit:
            return True
        depth += 1
        for value in (node.values() if isinstance(node, dict) else node):
            if isinstance(value, _CONTAINERS):
                push((value, depth))
    return False


_IS_CONTAINER_TYPE = frozenset(_CONTAINERS).__contains__


def _json_nests_deeper(data, limit: int) -> bool:
    """_nests_deeper for plain dicts and lists (from `json`, or a YAML loader: a subtree shared
    through aliases is walked once per reference, as there), a level at a time with the loops in C: gc.get_referents gives all values of a level's objects and
    arrays in one call (the collector must see every contained dict and list), and only
    the containers are kept. Should the referents not be exactly those values (another
    Python), that level is walked in Python."""
    if type(data) not in _CONTAINERS:
        return False
    level = [data]
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        values = gc.get_referents(*level)
        if len(values) != sum(map(len, level)):
            values = [v for node in level for v in (node.values() if type(node) is dict else node)]
        level = list(compress(values, map(_IS_CONTAINER_TYPE, map(type, values))))
    return False


def _deep_path(data, limit: int) -> tuple:
    """The path to a container at depth limit + 1 (the root is depth 1)."""
    stack = [(data, ())]
    while stack:
        node, path = stack.pop()
        if len(path) >= limit:
            return path
        items = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend((value, path + (key,)) for key, value in items if isinstance(value, _CONTAINERS))
    return ()


_JSON_NEST = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _json_deep_offset(text: str, limit: int) -> int:
    """Offset of the bracket that opens level limit + 1 of a JSON text."""
    depth = 0
    for m in _JSON_NEST.finditer(text):
        c = m.group()[0]
        if c in "[{":
            depth += 1
            if depth > limit:
                return m.start()
        elif c in "]}":
            depth -= 1
    return 0


def _too_deep(source: "_document.Source", findings: Emitter, index: int = 0, data=None) -> None:
    kind = "JSON" if source.format == "json" else "YAML"
    line, col = 1, 1
    try:
        if source.format == "json":
            line, col = source.lines.position(_json_deep_offset(source.text or "", MAX_DEPTH))
        elif data is not None:
            line, col = _document.Document(source, index, data).locate(_deep_path(data, MAX_DEPTH))
    except Exception:  # noqa: BLE001 - a position is a nicety; the finding must not be lost
        pass
    findings.add("IN009", f"{kind} nests more than {MAX_DEPTH} levels deep; it was not read "
                             "(real files nest a dozen levels at most)", line, col, fix="flatten the document")
