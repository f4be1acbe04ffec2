"""Every file of ../shared/corpus/grafana-resources is linted (with pinned counts of what
was found) or skipped with a stated reason; the only error-level finding is a real defect."""
from __future__ import annotations

import collections
from pathlib import Path

import pytest

from tests.conftest import CORPUS

FOLDER = CORPUS / "grafana-resources"


@pytest.fixture(scope="module")
def result():
    if not FOLDER.is_dir():
        pytest.skip("../shared/corpus is not present")
    from obslint.config import Config
    from obslint.engine import lint

    return lint([FOLDER], Config())


def test_counts_of_what_is_found(result):
    p = result.project
    assert result.files == 79
    assert (len(p.dashboards), len(p.panels), len(p.queries), len(p.grafana_rules)) == (30, 197, 74, 5)
    v2 = [d for d in p.dashboards if d.doc.label.startswith("v2")]
    assert len(v2) == 17  # 16 pgwatch dashboards and the v2beta1 one inside a GrafanaManifest
    assert sum(len(pa.queries) for d in v2 for pa in d.panels) == 56  # the PromQL ones; SQL is not PromQL
    assert collections.Counter(q.origin for q in p.queries) == {"panel": 70, "grafana-alert": 4}


def test_every_file_is_linted_or_skipped_with_a_reason(result):
    from obslint.config import relative

    files = sorted(relative(f) for f in FOLDER.rglob("*") if f.suffix in (".json", ".yaml", ".yml"))
    linted = {s.display for s in result.project.sources if any(d.kind for d in s.documents)}
    for f in files:
        assert f in linted or f in result.skipped, f
    reasons = result.skip_reasons
    perses = [s for s in result.skipped if "perses__perses" in s]
    assert len(perses) == 16
    assert all("Perses" in reasons[s] for s in perses)
    operator = [s for s in result.skipped if "grafana-operator" in s and "jsonnetfile" not in s]
    assert operator and all("grafana-operator" in reasons[s] for s in operator)
    generic = [s for s in result.skipped if s not in reasons]
    assert sorted(Path(s).name for s in generic) == ["jsonnetfile.json", "jsonnetfile.lock.json"]


def test_findings_per_code(result):
    from tests.flow.test_flow_corpus import FLOW_CODES  # issue 15's checks are pinned per folder there

    counts = collections.Counter((f.code, f.severity.name) for f in result.findings if f.code not in FLOW_CODES)
    assert counts == {("RS002", "INFO"): 12, ("RS001", "WARNING"): 11, ("DB002", "WARNING"): 11,
                      ("AL005", "WARNING"): 4, ("XF002", "WARNING"): 3, ("DB007", "WARNING"): 2,
                      ("RS001", "ERROR"): 1}  # flow's codes (DB041 on v2 views) are pinned in tests/flow


def test_the_one_error_is_a_transformation_grafana_cannot_run(result):
    errors = [f for f in result.findings if f.severity.name == "ERROR"]
    assert len(errors) == 1
    assert errors[0].file.endswith("postgres/v13/lock-details.json")
    assert '"ConvertFieldType"' in errors[0].message
