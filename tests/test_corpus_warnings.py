"""The policy and PromQL-aware checks on the production sets of the real-world corpus, each
set linted as its own project with no policy (as a user would).

- No error-level finding of these checks except true bugs named here with the reason.
- The number of findings per check and set is pinned, so a change in the false-positive
  (or true-positive) rate shows up in review: update the numbers together with the change
  that moves them, and say why.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import CORPUS

# Codes of the policy/PromQL-aware checks (dashboards.py, catalog.py, types.py, alert_*.py,
# required.py, crossfile.py, hygiene.py).
CODES = ("DB002", "DB003", "DB004", "DB005", "DB006", "DB007", "PL", "AL", "XF", "PQ1")

# Per production set: {code: findings}. Without a policy, the catalog (PL001-PL004), required
# content (PL010-PL014) and policy-driven alert checks (AL002-AL004, AL009, AL010) do not run.
PINNED = {
    "monitoring-mixins": {
        "AL001": 1,  # cilium-enterprise CiliumAgentEndpointFailures: `sum by (pod) (...)`, fires at 0
        "AL005": 69,  # alerts without summary or description
        "AL006": 23,  # (not ceph's `.Labels.ceph_daemon` inside `range printf ... | query`) e.g. jaeger `$labels.operation` after `sum by (instance, job, namespace)`
        "DB006": 3,  # loki-operational: panel ids 78-80 used twice
        "DB007": 80,  # overlapping gridPos (haproxy, apache-http, redis, ...)
        "PQ101": 1,  # thanos ThanosBucketReplicateRunLatency drops `le` (see TRUE_POSITIVES)
        "PQ104": 30,  # `increase(...[$__interval])` in dashboards (activemq, ...)
        "PQ110": 397,  # `job=~"integrations/couchbase"` and the like, mostly generated dashboards
        "PQ111": 8,
        "PQ113": 34,  # `avg(rate(x_sum) / rate(x_count))` and the like
        "XF002": 305,  # alerts on metrics no dashboard of the mixin shows (not kube-cockroachdb, kube-state-metrics,
                       # prometheus-operator: no dashboards of their own, only other mixins' in assets/*/dashboards)
    },
    "awesome-prometheus-alerts": {
        "AL006": 231,  # the boilerplate `(instance {{ $labels.instance }})` after aggregations; label flow adds
                       # KubernetesHpaScaleInability: `* on (horizontalpodautoscaler, namespace)` keeps only those
        "PQ110": 4,
        "PQ111": 4,
    },
    "sloth": {
        "AL005": 44,  # generated SLO alerts have `summary` and `title` but no `description` (or none)
    },
    "dotdc-grafana-dashboards-kubernetes": {
        "PQ113": 1,
    },
    "rfmoz-grafana-dashboards": {
        "DB002": 1,  # a dashboard without uid
        "PQ110": 18,
    },
    "grafana-alerting": {
        "AL005": 6,
    },
}

# (set, file suffix, code): why the error is a real defect of the upstream file.
TRUE_POSITIVES = {
    ("monitoring-mixins", "thanos/alerts.yaml", "PQ101"):
        "ThanosBucketReplicateRunLatency: `histogram_quantile(0.99, sum by (job) (rate(..._bucket[5m])))` "
        "aggregates `le` away, so the quantile is never computed and the alert can never fire",
}


def _mine(code: str) -> bool:
    # The label-flow and convention checks of issue 15 are pinned per folder in tests/flow.
    from tests.flow.test_flow_corpus import FLOW_CODES

    return code.startswith(CODES) and code not in FLOW_CODES


@pytest.fixture(scope="module")
def corpus_findings():
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    import os

    from obslint.config import Config
    from obslint.engine import lint

    out = {}
    old = os.getcwd()
    try:
        for name in PINNED:
            os.chdir(CORPUS / name)
            out[name] = [f for f in lint([Path(".")], Config()).findings if _mine(f.code)]
    finally:
        os.chdir(old)
    return out


@pytest.mark.parametrize("name", list(PINNED))
def test_finding_counts_are_pinned(corpus_findings, name):
    got = dict(sorted(Counter(f.code for f in corpus_findings[name]).items()))
    assert got == PINNED[name], (
        f"{name}: the number of findings per check changed; review the new or vanished findings and update "
        f"PINNED with the reason")


@pytest.mark.parametrize("name", list(PINNED))
def test_no_error_on_production_sets_but_named_bugs(corpus_findings, name):
    unexplained = []
    named = set()
    for f in corpus_findings[name]:
        if str(f.severity) != "error":
            continue
        key = next((k for k in TRUE_POSITIVES if k[0] == name and f.file.endswith(k[1]) and k[2] == f.code), None)
        if key is None:
            unexplained.append(f"{f.file}:{f.line}: {f.code} {f.message}")
        else:
            named.add(key)
    assert not unexplained, "\n".join(unexplained)
    assert named == {k for k in TRUE_POSITIVES if k[0] == name}
