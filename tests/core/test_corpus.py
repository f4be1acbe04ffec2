"""The whole real-world corpus: no crash, and no error-level finding on the production sets
except true positives named here one by one with the reason."""
from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest

from tests.conftest import CORPUS

PRODUCTION = ["monitoring-mixins", "awesome-prometheus-alerts", "sloth", "dotdc-grafana-dashboards-kubernetes",
              "rfmoz-grafana-dashboards", "grafana-alerting"]

# (file suffix, code): why it is a real defect of the upstream file.
TRUE_POSITIVES = {
    ("ceph/dashboards/radosgw-sync-overview.json", "PQ001"):
        "an unrendered jsonnet placeholder `{%(matchers)s}` left in a panel query",
    ("windows-active-directory/dashboards/activedirectory", "PQ001"):
        "`rate(x * 8[$__rate_interval])`: a range applied to a multiplication, which Prometheus refuses",
    ("thanos/alerts.yaml", "PQ101"):
        "ThanosBucketReplicateRunLatency: `histogram_quantile` over `sum by (job)` drops `le`, so it never fires",
}
# The undefined variables and broken variable queries of issue 15 (named in tests/flow).
from tests.flow.test_flow_corpus import TRUE_ERRORS as _FLOW_ERRORS  # noqa: E402

TRUE_POSITIVES.update({(suffix, code): why for (folder, suffix, code), why in _FLOW_ERRORS.items()
                       if folder in PRODUCTION})


def _run(path):
    return subprocess.run([sys.executable, "-m", "obslint", str(path), "--format", "json", "--no-config"],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def corpus_runs():
    """One run per set: each is one project's tree (uids are unique per project, not across them)."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return {s.name: _run(s) for s in sorted(CORPUS.iterdir()) if s.is_dir()}


def test_no_crash_on_the_corpus(corpus_runs):
    for name, proc in corpus_runs.items():
        assert proc.returncode in (0, 1), (name, proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr, name


def test_no_unexplained_errors_on_production_sets(corpus_runs):
    import json

    findings = [f for s in PRODUCTION for f in json.loads(corpus_runs[s].stdout)["findings"]]
    unexplained = []
    explained = Counter()
    for f in findings:
        if f["severity"] != "error":
            continue
        key = next((k for k in TRUE_POSITIVES if f["file"].endswith(k[0]) and f["code"] == k[1]), None)
        if key is None:
            unexplained.append(f"{f['file']}:{f['line']}: {f['code']} {f['message']}")
        else:
            explained[key] += 1
    assert not unexplained, "\n".join(unexplained[:50])
    # Every named true positive is still found (a check that stops finding it has regressed).
    assert set(explained) == set(TRUE_POSITIVES), set(TRUE_POSITIVES) - set(explained)
