"""At most MAX_PER_CODE findings of one code on one document.

A generated dashboard with 220,000 copies of one panel has 220,000 duplicate ids: listing
them all helps no one, placing each costs seconds, and every reporter then writes hundreds
of megabytes. The engine asks a `Cap` about each finding before placing it: once one code
has MAX_PER_CODE findings kept on a document, its further findings are only counted (not
placed, not matched against suppressions), and `finish` adds one finding after the last kept
one that says how many were left out. OBSLINT_MAX_PER_CODE=N changes the bound (0: none)."""
from __future__ import annotations

import os

from obslint.findings import Finding

MAX_PER_CODE = 100


def limit() -> int:
    try:
        return max(0, int(os.environ.get("OBSLINT_MAX_PER_CODE", MAX_PER_CODE)))
    except ValueError:
        return MAX_PER_CODE


def _key(f: Finding) -> tuple:
    return f.file, id(f.doc) if f.doc is not None else None, f.code


class Cap:
    def __init__(self, bound: int | None = None, key=None) -> None:
        self.bound = limit() if bound is None else bound
        self._key = key or _key  # the cache's findings name their document by a token (obslint.incremental)
        self.kept_count: dict[tuple, int] = {}
        self.left_out: dict[tuple, int] = {}

    def key(self, f: Finding) -> tuple:
        return self._key(f)

    def full(self, f: Finding, key: tuple | None = None) -> bool:
        """True (and f counted as left out) when f's code is already at the bound on its document.
        `key`: f's key when the caller has it (computed once per finding)."""
        if not self.bound:
            return False
        if key is None:
            key = self._key(f)
        if self.kept_count.get(key, 0) < self.bound:
            return False
        self.left_out[key] = self.left_out.get(key, 0) + 1
        return True

    def kept(self, f: Finding, key: tuple | None = None) -> None:
        if key is None:
            key = self._key(f)
        self.kept_count[key] = self.kept_count.get(key, 0) + 1

    def finish(self, findings: list[Finding]) -> list[Finding]:
        """The sorted findings with, after the last kept finding of each capped key, a summary."""
        if not self.left_out:
            return findings
        last: dict[tuple, int] = {}
        for i, f in enumerate(findings):
            if self._key(f) in self.left_out:
                last[self._key(f)] = i
        after = {i: key for key, i in last.items()}
        out: list[Finding] = []
        for i, f in enumerate(findings):
            out.append(f)
            key = after.get(i)
            if key is not None:
                label = f" ({f.doc.label})" if f.doc is not None and getattr(f.doc, "label", None) else ""
                out.append(Finding(code=f.code, severity=f.severity, file=f.file, line=f.line, col=f.col,
                                   message=f"{self.left_out[key]:,} more {f.code} findings in this document{label} "
                                           f"are not listed (the first {self.bound} are)",
                                   fix="fix the ones listed first, or list them all with OBSLINT_MAX_PER_CODE=0"))
        return out
