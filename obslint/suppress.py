"""Suppression comments in YAML (`# obslint: disable=CODE`, `# obslint: disable-file=CODE`)
and policy `ignore:` entries."""
from __future__ import annotations

import fnmatch
import re

from obslint.findings import Finding

_COMMENT = re.compile(r"#\s*obslint:\s*(disable|disable-file|disable-next-line)\s*=\s*([A-Za-z0-9_,\s-]+)")


class Suppressions:
    """The suppression comments of one file, and which of them were used."""

    def __init__(self, text: str | None) -> None:
        self.by_target: dict[int, tuple[set[str], bool]] = {}  # line -> (codes, comment alone on its line)
        self.file_codes: dict[str, int] = {}
        self.used: set[tuple[int, str]] = set()
        if not text or "obslint:" not in text:
            return
        for lineno, line in enumerate(text.splitlines(), 1):
            if "obslint:" not in line:
                continue
            m = _COMMENT.search(line)
            if not m:
                continue
            codes = {c.strip().upper() for c in m.group(2).split(",") if c.strip()}
            if m.group(1) == "disable-file":
                for c in codes:
                    self.file_codes[c] = lineno
            else:
                alone = line[: m.start()].strip() == ""
                self.by_target[lineno] = (codes, alone)

    @staticmethod
    def _hit(codes: set[str], code: str) -> str | None:
        for c in codes:
            if c == "ALL" or code == c or (len(c) < len(code) and code.startswith(c)):
                return c
        return None

    def suppresses(self, finding: Finding, scope_line: int | None) -> bool:
        c = self._hit(set(self.file_codes), finding.code)
        if c:
            self.used.add((self.file_codes[c], c))
            return True
        candidates = []
        for line in {finding.line, scope_line}:
            if not line:
                continue
            candidates.append((line, False))  # a comment at the end of the line itself
            candidates.append((line - 1, True))  # a comment alone on the line above
        for line, need_alone in candidates:
            entry = self.by_target.get(line)
            if not entry:
                continue
            codes, alone = entry
            if need_alone and not alone:
                continue
            c = self._hit(codes, finding.code)
            if c:
                self.used.add((line, c))
                return True
        return False

    def unused(self) -> list[tuple[int, str]]:
        out = []
        for line, (codes, _alone) in self.by_target.items():
            out += [(line, c) for c in codes if (line, c) not in self.used]
        out += [(line, c) for c, line in self.file_codes.items() if (line, c) not in self.used]
        return sorted(out)


def policy_ignores(finding: Finding, entries: list[dict]) -> bool:
    for e in entries:
        if "code" in e and not (finding.code == e["code"].upper() or finding.code.startswith(e["code"].upper())):
            continue
        if "path" in e and not (fnmatch.fnmatch(finding.file, e["path"]) or
                                fnmatch.fnmatch(finding.file, e["path"].rstrip("/") + "/*")):
            continue
        ctx = finding.context
        if "dashboard" in e and not fnmatch.fnmatch(str(ctx.get("dashboard", "")), e["dashboard"]):
            continue
        if "panel" in e and not fnmatch.fnmatch(str(ctx.get("panel", "")), e["panel"]):
            continue
        if "alert" in e and not fnmatch.fnmatch(str(ctx.get("alert", "")), e["alert"]):
            continue
        return True
    return False
