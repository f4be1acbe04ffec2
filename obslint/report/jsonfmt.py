"""Machine-readable output. The shape is versioned: `version` changes when a field's
meaning changes; new fields may be added within a version."""
from __future__ import annotations

import json
from typing import TextIO

from obslint import __version__
from obslint.engine import Result

SCHEMA_VERSION = 1


def to_dict(result: Result) -> dict:
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "obslint", "version": __version__},
        "summary": {
            "files": result.files,
            "errors": sum(1 for f in result.findings if f.severity.name == "ERROR"),
            "warnings": sum(1 for f in result.findings if f.severity.name == "WARNING"),
            "info": sum(1 for f in result.findings if f.severity.name == "INFO"),
            "suppressed": result.suppressed,
            "elapsed_seconds": round(result.elapsed, 4),
        },
        "findings": [
            {
                "code": f.code,
                "severity": str(f.severity),
                "file": f.file,
                "line": f.line,
                "column": f.col,
                "message": f.message,
                "fix": f.fix,
                "suppression": f.suppression,
                "context": {k: v for k, v in f.context.items() if isinstance(v, (str, int, float))},
            }
            for f in result.findings
        ],
    }


def report(result: Result, out: TextIO, opts: dict) -> None:
    json.dump(to_dict(result), out, indent=2, ensure_ascii=False)
    out.write("\n")
