"""Machine-readable output (`--format json`). The shape is versioned: `version` changes when a
field is removed or its meaning changes; new fields may be added within a version. The shape
is documented in docs/integrations.md:

    {
      "version": 1,
      "tool": {"name": "obslint", "version": "0.1.0"},
      "summary": {"files": 14, "errors": 1, "warnings": 0, "info": 0, "suppressed": 2,
                  "elapsed_seconds": 0.18},
      "statistics": {"RF001": 1},
      "skipped": ["docker-compose.yml"],
      "findings": [
        {"code": "RF001", "name": "unknown-field", "severity": "error",
         "file": "rules.yaml", "line": 12, "column": 9,
         "message": "...", "fix": "...",
         "autofix": {"applicability": "safe", "title": "...", "edits": [{"start": 120, "end": 129,
                     "start_line": 12, "start_col": 9, "end_line": 12, "end_col": 18,
                     "replacement": "annotations"}]},
         "context": {"alert": "ApiDown"},
         "suppression": {"comment": "# obslint: disable=RF001",
                         "ignore": {"code": "RF001", "path": "rules.yaml", "alert": "ApiDown"}}}
      ]
    }
"""
from __future__ import annotations


from obslint import __version__
from obslint.engine import Result
from obslint.findings import Severity
from obslint.suppress import hint

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TextIO

SCHEMA_VERSION = 1


def to_dict(result: Result, opts: dict | None = None) -> dict:
    doc = _skeleton(result)
    doc["findings"] = list(_findings(result, opts or {}))
    return doc


def _skeleton(result: Result) -> dict:
    stats: dict[str, int] = {}
    for f in result.findings:
        stats[f.code] = stats.get(f.code, 0) + 1
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "obslint", "version": __version__},
        "summary": {
            "files": result.files,
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "info": result.count(Severity.INFO),
            "suppressed": result.suppressed,
            "elapsed_seconds": round(result.elapsed, 4),
        },
        "statistics": dict(sorted(stats.items())),
        "skipped": list(result.skipped),
        "findings": [],
    }


def _findings(result: Result, opts: dict):
    from obslint import registry
    from obslint.report.console import config_root

    root = config_root(opts)
    rules = registry.load_all()
    sources = {s.display: s for s in (result.project.sources if result.project else [])}
    formats = {d: s.format for d, s in sources.items()}
    from obslint.report.fixes import edits_of

    for f in result.findings:
        yield {
            "code": f.code,
            "name": rules[f.code].name if f.code in rules else None,
            "severity": str(f.severity),
            "file": f.file,
            "line": f.line,
            "column": f.col,
            "message": f.message,
            "fix": f.fix,
            "autofix": edits_of(f, sources.get(f.file)) if f.autofix is not None or f.doc is None else None,
            "context": {k: v for k, v in f.context.items() if isinstance(v, (str, int, float))},
            "suppression": hint(f, formats.get(f.file), root),
        }


def report(result: Result, out: TextIO, opts: dict) -> None:
    """Streamed: one finding serialised at a time (report.jsonstream)."""
    from obslint.report import jsonstream

    doc = _skeleton(result)
    doc["findings"] = [jsonstream.PLACEHOLDER]
    jsonstream.write(doc, _findings(result, opts), out)
    out.write("\n")
