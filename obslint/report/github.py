"""GitHub Actions workflow commands (`--format github`): one annotation per finding,

    ::error file=rules.yaml,line=12,col=9,title=RF001::unknown field `annotation` ...%0Afix: ...

`error`, `warning` and `notice` follow the finding's severity. Data and property values are
escaped as the Actions runner expects (`%`, CR, LF; and `:` `,` in properties), so every
line of this output is exactly one workflow command; control characters from the linted files
(ESC, BEL, backspace...) are shown as escapes (obslint.report.text), never sent to the log viewer.
"""
from __future__ import annotations

import os

from obslint.engine import Result
from obslint.findings import Severity
from obslint.report.text import printable, printable_lines

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TextIO

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(f, suppression: str | None = None) -> str:
    props = [f"file={escape_property(printable(f.file.replace(os.sep, '/')))}"]
    if f.line and f.line >= 1:
        props.append(f"line={f.line}")
        if f.col and f.col >= 1:
            props.append(f"col={f.col}")
    props.append(f"title={escape_property(f.code)}")
    body = printable_lines(f.message)  # newlines stay: escape_data makes them %0A
    if f.fix:
        body += f"\nfix: {printable_lines(f.fix)}"
    if suppression:
        body += f"\nsuppress: {printable_lines(suppression)}"
    return f"::{COMMAND[f.severity]} {','.join(props)}::{escape_data(body)}"


def report(result: Result, out: TextIO, opts: dict) -> None:
    from obslint.report.console import config_root, suppression_text

    root = config_root(opts)
    formats = {s.display: s.format for s in (result.project.sources if result.project else [])}
    for f in result.findings:
        out.write(command(f, suppression_text(f, formats.get(f.file), root)) + "\n")
