"""scripts/compare_findings.py, the refactoring check: it sees every changed field of a finding
and nothing else (elapsed time is not a finding)."""
from __future__ import annotations

import importlib.util

from tests.conftest import REPO, write_tree

_spec = importlib.util.spec_from_file_location("compare_findings", REPO / "scripts" / "compare_findings.py")
compare_findings = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare_findings)

BAD = "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: rate(x)\n"


def _snap(tmp_path, text: str) -> dict:
    write_tree(tmp_path, {"r.yaml": text})
    return compare_findings.snapshot(compare_findings.run_json(str(REPO), ["r.yaml", "--no-config"], cwd=tmp_path))


def test_same_tree_twice_agrees(tmp_path):
    a = _snap(tmp_path, BAD)
    b = _snap(tmp_path, BAD)
    assert a["findings"] and compare_findings.compare(a, b) == []


def test_a_moved_finding_is_a_difference(tmp_path):
    a = _snap(tmp_path, BAD)
    b = _snap(tmp_path, "# moved\n" + BAD)  # every finding one line lower
    diff = compare_findings.compare(a, b)
    assert any(d.startswith("- PQ001 r.yaml:5:") for d in diff)
    assert any(d.startswith("+ PQ001 r.yaml:6:") for d in diff)


def test_snapshot_holds_no_file_text(tmp_path):
    snap = _snap(tmp_path, BAD)
    assert "rate(x)" not in repr(snap)
