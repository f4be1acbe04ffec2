"""Suppressions: YAML comments and policy `ignore:` entries.

Comment forms (YAML only; JSON has no comments):

- `# obslint: disable=CODE[,CODE...]` at the end of a line silences those codes for findings on
  that line, and for every finding inside the rule / panel / alert that starts on that line.
- The same comment alone on its line (or `# obslint: disable-next-line=CODE`) applies to the first
  line after it that is not a comment (a block of comment lines may sit in between).
- `# obslint: disable-file=CODE[,CODE...]` anywhere silences those codes in the whole file.

A code may be a full code (`RF001`), a prefix (`RF`), a check name (`unknown-field`) or `ALL`.
Text after the codes is free (`# obslint: disable=RF001 -- imported as is`).

Policy `ignore:` entries (obslint.yaml) match by `code`, `path` glob, `dashboard` uid, `panel`
title and `alert` name; every key given must match. Path globs are relative to the config
file's directory (or to the working directory): `*` and `?` stay within one path segment, `**`
spans directories, a pattern without `/` matches a file name at any depth, and a directory
matches everything below it.
"""
from __future__ import annotations

import fnmatch
import json
import os
import re

from obslint.findings import Finding
from obslint.globset import GlobSet

_TOKEN = r"[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*"
_DIRECTIVE = re.compile(
    r"obslint:\s*(disable-file|disable-next-line|disable)\s*=\s*(" + _TOKEN + r"(?:\s*,\s*" + _TOKEN + r")*)")
_BLOCK_SCALAR = re.compile(r"^(?:.*[:?-][ \t]+|[ \t]*)[|>][0-9+-]*$")


def _normalise(token: str) -> str:
    """A token from a comment or an ignore entry -> a code, a code prefix or ALL."""
    t = token.strip()
    if t.upper() == "ALL":
        return "ALL"
    if re.fullmatch(r"[A-Z]+[0-9]*", t):
        return t
    from obslint import registry

    rule = registry.get(t)  # a check name (`unknown-field`) or a code in any case
    return rule.code if rule is not None else t.upper()


def code_matches(selector: str, code: str) -> bool:
    """`selector` (normalised) names `code`: ALL, the code itself, or a prefix of letters/digits."""
    return selector == "ALL" or selector == code or (len(selector) < len(code) and code.startswith(selector))


def comment_of(line: str) -> int:
    """Offset of the `#` that starts a YAML comment on this line, or -1. Quotes are tracked so a
    `#` inside a quoted scalar is not a comment; a `#` must follow a blank or the line start."""
    quote = None
    prev = ""  # last non-blank character outside quotes
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if quote == "'":
            if ch == "'":
                if i + 1 < n and line[i + 1] == "'":
                    i += 2
                    continue
                quote = None
                prev = "'"
        elif quote == '"':
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                quote = None
                prev = '"'
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
        elif ch in "'\"" and prev in ("", ":", "-", "[", "{", ",", "?") and (i == 0 or line[i - 1] in " \t[{,"):
            quote = ch
        elif not ch.isspace():
            prev = ch
        i += 1
    return -1


class Suppressions:
    """The suppression comments of one file, and which of them were used."""

    def __init__(self, text: str | None) -> None:
        # target line -> [(line of the comment, {codes})]
        self.by_target: dict[int, list[tuple[int, set[str]]]] = {}
        self.file_codes: dict[str, int] = {}  # code -> line of the disable-file comment
        self.used: set[tuple[int, str]] = set()
        self._all: list[tuple[int, str]] = []
        if not text or "obslint:" not in text:
            return
        lines = text.splitlines()
        pending: list[tuple[int, set[str]]] = []  # comments alone on their line, waiting for their target
        block_indent: int | None = None  # inside a block scalar deeper than this indent
        for lineno, line in enumerate(lines, 1):
            stripped = line.strip()
            indent = len(line) - len(line.lstrip(" "))
            if block_indent is not None:
                if not stripped or indent > block_indent:
                    continue  # block scalar content: a `#` here is text, not a comment
                block_indent = None
            if not stripped:
                pending = []  # a blank line ends the reach of comments above it
                continue
            hash_at = comment_of(line)
            code_part = line[:hash_at] if hash_at >= 0 else line
            if _BLOCK_SCALAR.match(code_part.rstrip()):
                block_indent = indent  # the lines after it, indented deeper, are the scalar's text
            directive = None
            if hash_at >= 0 and "obslint:" in line[hash_at:]:
                m = _DIRECTIVE.search(line, hash_at)
                if m and not line[hash_at + 1:m.start()].strip():
                    directive = (m.group(1), {_normalise(t) for t in m.group(2).split(",") if t.strip()})
            alone = hash_at >= 0 and not code_part.strip()
            if pending and not alone:  # the first content line after comments above it
                self.by_target.setdefault(lineno, []).extend(pending)
                pending = []
            if directive is not None:
                kind, codes = directive
                for c in sorted(codes):
                    self._all.append((lineno, c))
                if kind == "disable-file":
                    for c in codes:
                        self.file_codes.setdefault(c, lineno)
                elif alone or kind == "disable-next-line":
                    pending.append((lineno, codes))  # waits for the next content line
                else:
                    self.by_target.setdefault(lineno, []).append((lineno, codes))

    def suppresses(self, finding: Finding, scope_line: int | None) -> bool:
        for c, line in self.file_codes.items():
            if code_matches(c, finding.code):
                self.used.add((line, c))
                return True
        for target in (finding.line, scope_line):
            if not target:
                continue
            for line, codes in self.by_target.get(target, ()):
                for c in codes:
                    if code_matches(c, finding.code):
                        self.used.add((line, c))
                        return True
        return False

    def unused(self, active=None) -> list[tuple[int, str]]:
        """(line, code) of every comment code that silenced nothing. Codes that name only
        checks outside `active` (the codes this run checked) are left out: the run could not
        have used them."""
        out = []
        for line, c in self._all:
            if (line, c) in self.used:
                continue
            if active is not None and _known(c) and not any(code_matches(c, a) for a in active):
                continue
            out.append((line, c))
        return sorted(set(out))


def _known(selector: str) -> bool:
    from obslint import registry

    return any(code_matches(selector, c) for c in registry.load_all())


# --- policy ignore entries -------------------------------------------------------------

class IgnoreEntry(dict):
    """A policy `ignore:` entry that knows the directory its path globs are relative to,
    where it was written (for reports), and how many findings it silenced in this run."""

    def __init__(self, data: dict, root: str | None = None, line: int = 0) -> None:
        super().__init__(data)
        self.root = root
        self.line = line
        self.hits = 0
        self.codes = [_normalise(t) for t in str(data["code"]).split(",")] if "code" in data else None
        self.spec = GlobSet([data["path"]]) if "path" in data else None


def prepare_ignores(entries: list, root: str | None, lines: list[int] | None = None) -> list[IgnoreEntry]:
    return [IgnoreEntry(e, root, (lines[i] if lines and i < len(lines) else 0)) for i, e in enumerate(entries)]


_MATCH_KEYS = ("code", "path", "dashboard", "panel", "alert")


def policy_ignores(finding: Finding, entries: list[IgnoreEntry]) -> bool:
    """True when one of the entries silences the finding (and count that entry's hit)."""
    for e in entries:
        if not any(k in e for k in _MATCH_KEYS):
            continue  # an entry with only a `reason` silences nothing
        if e.codes is not None and not any(code_matches(c, finding.code) for c in e.codes):
            continue
        if e.spec is not None and not _path_matches(finding.file, e.spec, e.root):
            continue
        ctx = finding.context or {}
        if any(k in e and not _glob_value(ctx.get(k), e[k]) for k in ("dashboard", "panel", "alert")):
            continue
        e.hits += 1
        return True
    return False


def _glob_value(value, pattern: str) -> bool:
    if value is None:
        return False
    return fnmatch.fnmatchcase(str(value), str(pattern))


def _path_matches(file: str, spec, root: str | None) -> bool:
    candidates = [file.replace(os.sep, "/")]
    if root is not None:
        try:
            rel = os.path.relpath(os.path.abspath(file), root).replace(os.sep, "/")
        except ValueError:
            rel = None
        if rel and not rel.startswith("../"):
            candidates.append(rel)
    return any(spec(c) for c in candidates)


# --- the exact text that silences a finding ---------------------------------------------

def glob_escape(text: str) -> str:
    """Escape glob metacharacters so a pattern matches exactly this text."""
    if "*" not in text and "?" not in text and "[" not in text:
        return text  # (most names: no regular expression to run)
    return re.sub(r"([*?\[])", r"[\1]", text)


def ignore_entry(finding: Finding, config_root: str | None = None) -> dict:
    """The narrowest policy `ignore:` entry that silences this finding."""
    path = finding.file
    if config_root:
        try:
            rel = os.path.relpath(os.path.abspath(finding.file), config_root)
            if not rel.startswith(".."):
                path = rel
        except ValueError:
            pass
    entry = {"code": finding.code, "path": glob_escape(path.replace(os.sep, "/"))}
    ctx = finding.context or {}
    for key in ("dashboard", "panel", "alert"):
        if isinstance(ctx.get(key), str) and ctx[key]:
            entry[key] = glob_escape(ctx[key])
    return entry


def flow_yaml(entry: dict) -> str:
    """A one-line YAML flow mapping (values double-quoted, JSON-style, which YAML reads as is)."""
    return "{" + ", ".join(f"{k}: {json.dumps(v, ensure_ascii=False) if k != 'code' else v}"
                           for k, v in entry.items()) + "}"


def hint(finding: Finding, source_format: str | None, config_root: str | None = None) -> dict:
    """How to silence a finding: `comment` (YAML files only) and the policy `ignore` entry."""
    return {
        "comment": finding.suppression if source_format == "yaml" else None,
        "ignore": ignore_entry(finding, config_root),
    }


def ways(code: str) -> list[tuple[str, str]]:
    """Every way to silence a check, (scope, how) with `code` spans: what `obslint explain`
    and SARIF's rule help both print."""
    return [
        ("YAML, one place", f"`# obslint: disable={code}` at the end of the line, or alone on the line above it "
                            "or above the rule or panel it belongs to"),
        ("YAML, one file", f"`# obslint: disable-file={code}`"),
        ("any file (JSON too)", f"an entry in obslint.yaml's `ignore:` list, e.g. "
                                f"`- {{code: {code}, path: \"dashboards/legacy/*.json\"}}` "
                                "(also by `dashboard: UID`, `panel: TITLE`, `alert: NAME`)"),
        ("everywhere", f"`checks: {{ignore: [{code}]}}` in obslint.yaml, or `--ignore {code}`"),
    ]
