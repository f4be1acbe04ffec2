"""SARIF 2.1.0 (`--format sarif`) for GitHub code scanning and other SARIF viewers.

One run; `tool.driver.rules` describes every check (id, name, short and full description,
help text and markdown with the examples and how to suppress, default level); each result
has a rule id and index, a level, a message (with the fix) and a physical location with a
path relative to `%SRCROOT%` (the working directory, given in `originalUriBaseIds`), line
and column. Columns count Unicode code points.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote

from obslint import __version__, registry
from obslint.engine import Result
from obslint.findings import Severity
from obslint.suppress import flow_yaml, hint

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Iterator, TextIO

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def rule_markdown(rule) -> str:
    from obslint.docs import doc

    body = doc(rule)
    from obslint.suppress import ways

    return (f"**{rule.code} {rule.name}**: {rule.summary}\n\n{body}\n\n## Suppress\n"
            + "".join(f"- {scope[0].upper()}{scope[1:]}: {how}.\n" for scope, how in ways(rule.code)))


def _plain(markdown: str) -> str:
    text = re.sub(r"^#+\s*", "", markdown, flags=re.M)
    return re.sub(r"\*\*([^*]+)\*\*", r"\1", text)


def _first_paragraph(rule) -> str:
    from obslint.docs import doc

    intro = doc(rule).split("\n## ", 1)[0].strip().split("\n\n", 1)[0]
    return " ".join(intro.split()) or rule.summary


def rule_descriptor(rule) -> dict:
    md = rule_markdown(rule)
    desc = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _first_paragraph(rule)},
        "help": {"text": _plain(md), "markdown": md},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"tags": ["obslint", registry.family(rule.code)[0]],
                       "precision": "very-high"},
    }
    return desc


def artifact_location(file: str) -> dict:
    """A display path -> SARIF artifactLocation: relative to %SRCROOT% when the path is
    relative, a file:// URI when it is absolute."""
    if os.path.isabs(file):
        return {"uri": Path(file).as_uri()}
    # A name that is not UTF-8 carries its bytes as surrogates: percent-encode those bytes.
    return {"uri": quote(file.replace(os.sep, "/"), safe="/-_.~", errors="surrogateescape"),
            "uriBaseId": "%SRCROOT%"}


def to_dict(result: Result, opts: dict | None = None) -> dict:
    doc, results = _skeleton(result, opts)
    doc["runs"][0]["results"] = list(results)
    return doc


def _skeleton(result: Result, opts: dict | None) -> tuple[dict, Iterator[dict]]:
    """The SARIF log without its results, and the results (made one at a time)."""
    from obslint import registry

    rules = registry.load_all()
    codes = list(rules)
    extra = sorted({f.code for f in result.findings} - set(rules))
    descriptors = [rule_descriptor(r) for r in rules.values()]
    for code in extra:  # a code without a registered rule (should not happen); still describe it
        descriptors.append({"id": code, "shortDescription": {"text": code}})
        codes.append(code)
    index = {c: i for i, c in enumerate(codes)}
    srcroot = Path.cwd().as_uri().rstrip("/") + "/"
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "obslint",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": descriptors,
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": srcroot}},
            "invocations": [{"executionSuccessful": True}],
            "columnKind": "unicodeCodePoints",
            "results": [],
        }],
    }
    return doc, _results(result, opts or {}, index)


def _results(result: Result, opts: dict, index: dict[str, int]) -> Iterator[dict]:
    from obslint.report.console import config_root

    root = config_root(opts)
    sources = {s.display: s for s in (result.project.sources if result.project else [])}
    formats = {d: s.format for d, s in sources.items()}
    for f in result.findings:
        text = f"{f.message}\nfix: {f.fix}" if f.fix else f.message
        physical: dict = {"artifactLocation": artifact_location(f.file)}
        if f.line and f.line >= 1:
            region = {"startLine": f.line}
            if f.col and f.col >= 1:
                region["startColumn"] = f.col
            physical["region"] = region
        res = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": LEVEL[f.severity],
            "message": {"text": text},
            "locations": [{"physicalLocation": physical}],
        }
        ctx = {k: v for k, v in f.context.items() if isinstance(v, (str, int, float))}
        how = hint(f, formats.get(f.file), root)
        props: dict = {"suppression": how["comment"] or f"ignore: - {flow_yaml(how['ignore'])}"}
        if ctx:
            props["context"] = ctx
        res["properties"] = props
        if f.autofix is not None or f.doc is None:
            fixes = sarif_fixes(f, sources.get(f.file))
            if fixes:
                res["fixes"] = fixes
        yield res


def sarif_fixes(finding, source) -> list[dict] | None:
    """SARIF `fixes` of a finding: one fix whose replacements are its edits (regions in
    lines and code point columns, end exclusive; a byte order mark as its bytes)."""
    from obslint.report.fixes import edits_of

    data = edits_of(finding, source)
    if data is None:
        return None
    replacements = []
    if data.get("strip_bom"):
        replacements.append({"deletedRegion": {"byteOffset": 0, "byteLength": 3}})
    for e in data["edits"]:
        replacements.append({"deletedRegion": {"startLine": e["start_line"], "startColumn": e["start_col"],
                                               "endLine": e["end_line"], "endColumn": e["end_col"]},
                             "insertedContent": {"text": e["replacement"]}})
    desc = f"{data['title'] or 'fix'} ({data['applicability']})"
    return [{"description": {"text": desc},
             "artifactChanges": [{"artifactLocation": artifact_location(finding.file),
                                  "replacements": replacements}]}]


def report(result: Result, out: TextIO, opts: dict) -> None:
    """Streamed: one result serialised at a time (report.jsonstream)."""
    from obslint.report import jsonstream

    doc, results = _skeleton(result, opts)
    doc["runs"][0]["results"] = [jsonstream.PLACEHOLDER]
    jsonstream.write(doc, results, out)
    out.write("\n")
