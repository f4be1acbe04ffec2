"""promtool unit-test files: the model (`model`), the input-series notation (`notation`),
the rules a test file loads (`ruleset`), and where inside a string a problem sits."""
from __future__ import annotations

from obslint import classify as kinds


def test_files(ctx) -> list:
    """Every promtool test file of the run, as TestFile models (memoised)."""
    if "ut.files" not in ctx.cache:
        from obslint.testfiles.model import from_document

        out = []
        for doc in ctx.project.documents:
            if doc.kind == kinds.PROMTOOL_TEST:
                tf = from_document(doc)
                if tf is not None:
                    out.append(tf)
        ctx.cache["ut.files"] = out
    return ctx.cache["ut.files"]


def place_in_string(finding, value: str, offset: int):
    """Move a finding on a one-line string scalar to `offset` characters into the string
    (plain, single- or double-quoted YAML/JSON without escapes before that point)."""
    doc = finding.doc
    if doc is None or not isinstance(value, str) or "\n" in value:
        return finding
    try:
        line, col = doc.locate(finding.node[len(doc.base):], finding.at_key)
    except Exception:  # noqa: BLE001 - a position is a nicety; the node's own place is kept
        return finding
    text = doc.source.line_text(line)
    seg = text[col - 1:]
    prefix = value[:offset]
    if seg[:1] in ("'", '"') and seg[1:1 + len(prefix)] == prefix:
        col += 1 + offset
    elif seg.startswith(prefix):
        col += offset
    finding.line, finding.col = line, col
    return finding
