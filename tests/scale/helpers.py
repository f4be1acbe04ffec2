"""Shared by the scale tests: lint with and without the cache and compare field by field."""
from __future__ import annotations

import os
from pathlib import Path

import obslint

FIELDS = ("code", "message", "severity", "file", "line", "col", "fix", "node", "at_key", "scope", "context")


def rows(result) -> list[tuple]:
    return [tuple(getattr(f, k) for k in FIELDS) for f in result.findings]


def _fixes(result) -> list:
    from obslint.report.fixes import edits_of

    sources = {s.display: s for s in (result.project.sources if result.project else [])}
    return [edits_of(f, sources.get(f.file)) if f.autofix is not None or f.doc is None else None
            for f in result.findings]


def _shown(result) -> list:
    """The source line the console shows under each finding (a cached file's from the cache)."""
    sources = {s.display: s for s in (result.project.sources if result.project else [])}
    return [sources[f.file].line_text(f.line) if f.file in sources and f.line else "" for f in result.findings]


def summary(result) -> tuple:
    return (rows(result), _fixes(result), result.files, result.skipped, result.skip_reasons, result.suppressed,
            rows(type(result)(findings=result.unused_suppressions)), _shown(result))


def assert_same(cached, cold) -> None:
    a, b = summary(cached), summary(cold)
    if a != b:
        ra, rb = set(map(repr, a[0])), set(map(repr, b[0]))
        raise AssertionError(f"cached run differs: only cached {sorted(ra - rb)[:3]}, only cold {sorted(rb - ra)[:3]}, order equal {sorted(a[0], key=repr) == sorted(b[0], key=repr)}, "
                             f"files {a[1]} vs {b[1]}, skipped equal {a[2] == b[2]}, suppressed {a[4]} vs {b[4]}")


def lint_both(paths, cache_dir, config=None, **opts):
    """(cached result, uncached result) of the same run."""
    cached = obslint.lint([Path(p) for p in paths], config, cache=True, cache_dir=cache_dir, **opts)
    cold = obslint.lint([Path(p) for p in paths], config, **opts)
    assert_same(cached, cold)
    return cached, cold


def touch_later(path: Path) -> None:
    """Make sure a rewritten file's stat signature moves even on a coarse clock."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 3_000_000_000))
