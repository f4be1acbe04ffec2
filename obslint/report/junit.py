"""JUnit XML (`--format junit`) for CIs that show test reports (GitLab, Jenkins, Azure, ...).

One `<testsuite name="obslint">`; one `<testcase>` per linted file (`name` and `file` are the
path); one `<failure>` per finding (`type` is the code, `message` the one-line finding, the
text adds the fix and the way to suppress it). Files that are not dashboards, rule files or
provisioning files are `<skipped>`. The `failures` attribute counts failed test cases.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from obslint.engine import Result
from obslint.report.text import printable_lines

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TextIO

# Characters XML 1.0 cannot hold, even escaped (file contents may carry them into messages).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    """Control characters and surrogates shown as escapes (as in the text formats), and any
    other character XML cannot hold replaced."""
    return _INVALID_XML.sub("\ufffd", printable_lines(text))


def report(result: Result, out: TextIO, opts: dict) -> None:
    from obslint.report.console import config_root, suppression_text

    root = config_root(opts)
    sources = result.project.sources if result.project else []
    formats = {s.display: s.format for s in sources}
    only = opts.get("report_files")  # the files a partial run reports on (pre-commit)
    files: list[str] = [s.display for s in sources if only is None or only(s.display)]
    by_file: dict[str, list] = {f: [] for f in files}
    for f in result.findings:
        by_file.setdefault(f.file, []).append(f)
    skipped = set(result.skipped)

    suites = ET.Element("testsuites", name="obslint")
    suite = ET.SubElement(suites, "testsuite", name="obslint",
                          timestamp=datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None).isoformat())
    failed = n_skipped = 0
    for file in sorted(by_file):
        findings = by_file[file]
        case = ET.SubElement(suite, "testcase", classname="obslint", name=_clean(file), file=_clean(file),
                             time="0")
        if findings:
            failed += 1
        elif file in skipped:
            n_skipped += 1
            ET.SubElement(case, "skipped",
                          message="not a dashboard, rule file or provisioning file obslint knows")
        for f in findings:
            head = f"{f.file}:{f.line}:{f.col}: {f.severity} {f.code} {f.message}"
            body = [head]
            if f.fix:
                body.append(f"fix: {f.fix}")
            body.append(f"suppress: {suppression_text(f, formats.get(f.file), root)}")
            failure = ET.SubElement(case, "failure", type=f.code, message=_clean(f"{f.code} {f.message}"))
            failure.text = _clean("\n".join(body))
    for el in (suites, suite):
        el.set("tests", str(len(by_file)))
        el.set("failures", str(failed))
        el.set("errors", "0")
        el.set("skipped", str(n_skipped))
        el.set("time", f"{result.elapsed:.3f}")
    ET.indent(suites)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suites, encoding="unicode"))
    out.write("\n")
