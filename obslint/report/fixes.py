"""What `--fix`, `--fix-only` and `--diff` print: the diff (stdout), a summary and every
fix that was dropped (stderr), and the fix of a finding as data (JSON and SARIF reports)."""
from __future__ import annotations

import sys

from obslint.report.text import printable


def render_fixes(outcome, diff: bool, fix_only: bool = False) -> int | None:
    """Print the fixing part of a run. Returns the exit status for `--diff` (1 if anything
    would change) and `--fix-only` (0, or 2 when a file could not be written); None with
    `--fix`, whose report of the remaining findings follows."""
    from obslint import fixer

    if outcome is None:
        return None
    if diff:
        sys.stdout.write(fixer.diff(outcome))
    for finding, why in outcome.dropped:
        where = f"{printable(finding.file)}:{finding.line}:{finding.col}"
        print(f"obslint: fix of {finding.code} at {where} not applied: {why}", file=sys.stderr)
    for line in outcome.errors:
        print(f"obslint: error: {printable(line)}", file=sys.stderr)
    n, files = outcome.fixed, len(outcome.files)
    verb = "Would fix" if diff else "Fixed"
    print(f"{verb} {n} finding{'s' * (n != 1)} in {files} file{'s' * (files != 1)}.", file=sys.stderr)
    if diff:
        return 1 if outcome.files else 0
    if fix_only:
        return 2 if outcome.errors else 0
    return None


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of an offset, counted at C speed (no line index of the file)."""
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def edits_of(finding, source) -> dict | None:
    """The finding's fix as data: applicability, title and its edits (character offsets in
    the file's text and 1-based line:column of each end), or None when it has none."""
    from obslint.fixer import fix_of

    sources = {source.display: source} if source is not None else {}
    fix = fix_of(finding, sources)
    if fix is None or fix.empty or source is None or source.text is None:
        return None
    text = source.text
    edits = []
    for e in fix.edits:
        (sl, sc), (el, ec) = _line_col(text, e.start), _line_col(text, e.end)
        edits.append({"start": e.start, "end": e.end, "start_line": sl, "start_col": sc, "end_line": el,
                      "end_col": ec, "replacement": e.replacement})
    out = {"applicability": fix.applicability, "title": fix.title, "edits": edits}
    if fix.strip_bom:
        out["strip_bom"] = True
    return out
