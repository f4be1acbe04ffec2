"""The label-flow, dead-expression, variable, convention, rule-set and dashboard-linter checks
on every folder of the real-world corpus, each folder linted as its own project with no
policy. Counts are pinned so that a change in precision shows up in review; every error is a
named upstream defect."""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import CORPUS

FLOW_CODES = ("PQ120", "PQ121", "PQ122", "PQ123", "PQ124", "PQ125", "PQ126", "AL020", "DB040", "DB041", "DB042", "DB043",
              "DB044", "DB045", "DB046", "DB047", "RF020", "RF021", "RF022", "PL020", "PL021")

PINNED = {
    "awesome-prometheus-alerts": {
        "AL020": 2,  # PrometheusJobMissing / PrometheusAlertmanagerJobMissing: absent() with `for: 0m`
        "PQ120": 5,  # grafana-mimir: `(a / ignoring(limit) b{limit=...}) and b{limit=...}` never pairs
        "PQ125": 1,  # kube_pod_container_status_restarts_total > N read raw
        "RF021": 246,  # the generator writes `for: 0m` on most alerts
    },
    "dotdc-grafana-dashboards-kubernetes": {
        "DB043": 2,  # rate of node_disk_*_bytes_total shown in `bytes`, not `Bps`
        "PQ125": 1,
    },
    "grafana-alerting": {},
    "grafana-resources": {
        "DB041": 4,  # pgwatch v13 resources `locktype`, `agg_interval`; operator example `namespace`: never referenced
    },
    "helm-templated": {},
    "logs-datasource-dashboards": {"DB046": 1},
    "loki-rules": {"AL020": 2, "RF021": 1},
    "metricsql": {
        "DB040": 5,  # clusterbytenant `$accountID` (variable `account`); end-to-end-tests troubleshooting (a v2
                     # resource): `$instance` x2 (none), `$job_vmagent`, `$job_vmauth` (variables `job_agent`, `job_auth`)
        "RF021": 1,  # end-to-end-tests custom-alerts CustomHighMemoryUsage `for: 0s`
    },
    "monitoring-mixins": {
        "AL020": 3,
        "DB040": 4,  # ceph `${Cluster}` (var `cluster`), wso2 `repeat: node` x2, nodejs `$hostname`
        "DB041": 9,  # wso2-streaming-integrator, spinnaker, ceph: selectors nothing uses
        "DB042": 5,  # pgbouncer, f5-bigip: `label_values(m{,job=~"$job"}, l)` does not parse
        "DB043": 4,  # loki heap in `binBps` x3, ceph bytes in `s`
        # DB044: none; the 6 of loki-bloom-gateway and nomad were target uids under a `${datasource}` panel,
        # which Grafana replaces with the panel's (PanelQueryRunner)
        "DB045": 16,  # thanos/argocd `GC Time Quantiles` without `s`, supabase memory panels without `bytes`
        "DB046": 10,  # haproxy, rabbitmq, harbor, promscale stat panels without titles
        "PQ120": 4,  # gitlab 5xx/4xx `by (instance, status) / by (instance)`, spinnaker, redis
        "PQ121": 1,  # kafka ZookeeperSyncConnect: `rate(...) < 0`
        "PQ122": 69,  # istio, apache-cassandra: `increase(sum(...)[$__interval:])`
        "PQ125": 36,  # raw counters in dashboards (wso2 max_over_time, couchdb, go_memstats_mallocs_total)
        "RF020": 2,  # kafka JvmMemoryFillingUp, JvmThreadsDeadlocked in two groups (promtool agrees)
        "RF021": 3,
    },
    "prometheus-testdata": {
        "PQ123": 2,  # promtool's at-modifier.yml and negative-offset.yml fixtures
        "RF020": 6,  # test.yaml, test_aliases.yaml, rules_duplicates.yml (promtool agrees)
    },
    "rfmoz-grafana-dashboards": {"DB045": 1},
    "sloth": {"RF020": 2},  # contrib-slo-plugins: MyServiceHighErrorRate twice with the same labels
    "thanos-mimir-cortex-rules": {
        "AL020": 1,
        "PQ120": 4,  # cortex-tools: `on (namespace, pod, cluster)` against `max by (namespace, pod)`
        # vmalert-tool SameAlertNameWithDifferentGroup (promtool agrees); vmalert's rules1-bad.rules
        # (on purpose) and rules3-good.rules (`Conns` in two groups of the file)
        "RF020": 3,
    },
}

# (folder, file suffix, code): the upstream defect behind each error-level finding.
TRUE_ERRORS = {
    ("metricsql", "clusterbytenant.json", "DB040"): "`$accountID` is not defined (the variable is `account`)",
    ("metricsql", "custom_dashboards/troubleshooting.json", "DB040"):
        "`$instance` is not defined; `$job_vmagent`/`$job_vmauth` for the variables `job_agent`/`job_auth`",
    ("monitoring-mixins", "ceph/dashboards/multi-cluster-overview.json", "DB040"): "`${Cluster}` vs `cluster`",
    ("monitoring-mixins", "wso2-enterprise-integrator/dashboards/Cluster_Metrics.json", "DB040"): "repeat `node`",
    ("monitoring-mixins", "wso2-enterprise-integrator/dashboards/Node_Metrics.json", "DB040"): "repeat `node`",
    ("monitoring-mixins", "nodejs/dashboards/nodejs-overview.json", "DB040"): "`$hostname` is not defined",
    ("monitoring-mixins", "pgbouncer/dashboards/overview", "DB042"): "`{,job=~...}` is invalid PromQL",
    ("monitoring-mixins", "pgbouncer/dashboards/clusterOverview", "DB042"): "`{,job=~...}` is invalid PromQL",
    ("monitoring-mixins", "f5-bigip/dashboards/bigip-pool-overview.json", "DB042"): "`{, pool=~...}`",
    ("monitoring-mixins", "f5-bigip/dashboards/bigip-virtual-server-overview.json", "DB042"): "`{, ...}`",
}


@pytest.fixture(scope="module")
def corpus_findings():
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    from obslint.config import Config
    from obslint.engine import lint

    out = {}
    old = os.getcwd()
    try:
        for name in PINNED:
            os.chdir(CORPUS / name)
            out[name] = [f for f in lint([Path(".")], Config(), select=list(FLOW_CODES)).findings
                         if f.code in FLOW_CODES]
    finally:
        os.chdir(old)
    return out


@pytest.mark.parametrize("name", list(PINNED))
def test_flow_counts_are_pinned(corpus_findings, name):
    got = dict(sorted(Counter(f.code for f in corpus_findings[name]).items()))
    assert got == PINNED[name], f"{name}: review the new or vanished findings and update PINNED with the reason"


@pytest.mark.parametrize("name", list(PINNED))
def test_flow_errors_are_named_defects(corpus_findings, name):
    unexplained = [f"{f.file}:{f.line}: {f.code} {f.message}" for f in corpus_findings[name]
                   if str(f.severity) == "error"
                   and not any(k[0] == name and f.file.endswith(k[1]) and k[2] == f.code for k in TRUE_ERRORS)]
    assert not unexplained, "\n".join(unexplained)
