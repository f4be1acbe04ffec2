"""Prometheus' own rulefmt test files: every `*.bad.yaml` is rejected, every other file accepted."""
from __future__ import annotations

from pathlib import Path

import pytest

from obslint.config import from_dict
from obslint.engine import lint
from obslint.findings import Severity
from tests.conftest import CORPUS

RULEFMT = CORPUS / "prometheus-testdata" / "model" / "rulefmt" / "testdata"
FILES = sorted(RULEFMT.glob("*.yaml")) if RULEFMT.is_dir() else []
LEGACY_ONLY = "legacy_validation_annotation.bad.yaml"


def errors(path: Path, config=None):
    result = lint([path], from_dict(config or {}))
    return [f for f in result.findings if f.severity == Severity.ERROR]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_rulefmt_testdata(path):
    found = errors(path)
    if path.name.endswith(".bad.yaml") and path.name != LEGACY_ONLY:
        assert found, f"{path.name} is bad but obslint accepted it"
    else:
        assert not found, [(f.code, f.line, f.message) for f in found]


def test_legacy_annotation_name_rejected_only_under_legacy_validation():
    if not RULEFMT.is_dir():
        pytest.skip("../shared/corpus is not present")
    path = RULEFMT / LEGACY_ONLY
    assert not errors(path)
    found = errors(path, {"checks": {"options": {"RF005": {"legacy-names": True}}}})
    assert [(f.code, f.line) for f in found] == [("RF005", 7)]


def test_corpus_present():
    if not RULEFMT.is_dir():
        pytest.skip("../shared/corpus is not present")
    assert len(FILES) >= 15
