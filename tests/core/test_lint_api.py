"""`obslint.lint` takes paths as strings or Path objects alike (its docstring's example
passes a string)."""
from __future__ import annotations

from pathlib import Path

import obslint

ROOT = Path(__file__).resolve().parents[2]


def test_string_paths_lint_like_path_objects():
    target = ROOT / "infra" / "grafana" / "provisioning"
    by_path = obslint.lint([target], select=["AL", "RF"])
    by_str = obslint.lint([str(target)], select=["AL", "RF"])
    assert by_str.files == by_path.files > 0
    assert [(f.code, f.file, f.line) for f in by_str.findings] == [(f.code, f.file, f.line) for f in by_path.findings]
