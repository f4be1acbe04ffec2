"""The corpus folders added for dialects and formats (../shared/corpus/README.md, "Added for
dialects and formats"), each linted as its own project with no policy, as a new user would.

- No error-level finding except the real defects named here with their reason.
- The number of findings per code (errors, warnings and info) is pinned per folder: a change
  in the false-positive (or true-positive) rate shows in review. Update the numbers with the
  change that moves them, and say why.
- Every LogQL query of the corpus parses, but the ones broken on purpose.
"""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import CORPUS

PINNED = {
    "loki-rules": {
        "AL005": 15,  # alerts without summary or description (+4: the Juju charm's `.rule` files, linted since)
        "IN012": 2,  # Juju charm `.rule` templates with `%%juju_topology%%`: skipped, said so
        "LQ001": 3,  # operator/hack/lokirules_invalid.yaml: `expr: broken expr`, on purpose
        "PQ001": 3,  # nomad fake/alerts.yml `1 > 0`, charm tests/resources/alert.rule (2): see TRUE_POSITIVES
        "RF002": 3,  # lokirules_invalid.yaml (twice), loki_basic_failure.yaml: on purpose
        "RF007": 2,  # lokirules_invalid.yaml `for: brokenFor`, on purpose
        "RF008": 141,  # large-rules-app.yaml repeats rules with the same name and labels
    },
    "thanos-mimir-cortex-rules": {
        # +76 AL005, +3 AL006, +2 RF008, 2 PQ103 and the errors below: vmalert's `*.rules` testdata,
        # linted since `.rules` files are discovered (the `*-bad.rules` ones are broken on purpose)
        "AL005": 331,
        "AL006": 10,  # (not `.Labels.pod` inside `range ... | query`: the sample's labels) e.g. VMRule `$labels.dc` after `sum by (cluster)`; vmalert `$labels.instance` after `sum`
        "PQ001": 1,  # rules0-bad.rules `vm_rows{ > 0`, on purpose
        "PQ103": 2,  # rules_interval_*.rules: `rate(...[2s])`
        "RF001": 4,  # rules-multi-doc-bad.rules `invalid-field-*`, on purpose
        "RF002": 3,  # cortex-tools loki_basic_failure.yaml (empty group name), rules1-bad/rules6-bad.rules, on purpose
        "RF003": 4,  # rules0-bad/rules3-bad/rules4-bad.rules, on purpose
        "RF006": 2,  # dir/rules0-bad/rules2-bad.rules: broken templates, on purpose
        "RF008": 27,
        "UT002": 1, "UT006": 1,  # vmalert-tool failed-test*.yaml, broken on purpose (see TRUE_POSITIVES)
    },
    "metricsql": {
        "AL005": 6,
        # topk_max/topk_last on Prometheus-type datasources: valid MetricsQL, no dialect set;
        # +2: the `WITH` queries of the v2 dashboard troubleshooting.json, linted since issue 18
        "PQ002": 17,
        "XF002": 41,  # -1: a metric an alert watches is shown by one of the v2 dashboards
        "DB006": 4,  # troubleshooting.json (v2): panel ids 39, 40, 43, 44 used twice, a real defect
        "RS001": 16,  # comparison.json (v2): timeSettings/variables keys missing, `sort: alphabetical` (warnings)
    },
    "logs-datasource-dashboards": {"DB002": 1},
    "helm-templated": {"IN012": 18},  # every file is a Helm template: skipped, said so
    # Since issue 18 (Grafana 12 resources, operator CRs) these files are linted, not skipped:
    # DB002 operator dashboards without uid; RS001 11 warnings + 1 error (see TRUE_POSITIVES);
    # RS002 sources obslint cannot read offline (info); AL005/XF002 on GrafanaAlertRuleGroups;
    # DB007 a real overlap in both lock-details v2 dashboards.
    "grafana-resources": {"DB002": 11, "RS001": 12, "RS002": 12, "AL005": 4, "XF002": 3, "DB007": 2},
}

# (folder, file suffix, code): why the error is a real defect of the upstream file.
TRUE_POSITIVES = {
    ("loki-rules", "operator/hack/lokirules_invalid.yaml", "LQ001"):
        "`expr: broken expr`: the Loki operator's invalid sample, broken on purpose",
    ("loki-rules", "operator/hack/lokirules_invalid.yaml", "RF002"):
        "the same group name twice and `interval: broken`, on purpose",
    ("loki-rules", "operator/hack/lokirules_invalid.yaml", "RF007"): "`for: brokenFor`, on purpose",
    ("loki-rules", "pkg/tool/rules/testdata/loki_basic_failure.yaml", "RF002"):
        "a group with an empty name: lokitool's failure fixture",
    ("loki-rules", "examples/nomad/loki-monolithic/rules/fake/alerts.yml", "PQ001"):
        "`1 > 0` compares two scalars without `bool`, which Prometheus refuses; Loki's ruler accepts it, but "
        "nothing in the file says Loki (no LogQL): `rules: {flavor: loki}` in the policy makes it a Loki file",
    ("grafana-resources", "postgres/v13/lock-details.json", "RS001"):
        "a v2 transformation `{kind: ConvertFieldType}` instead of `{kind: Transformation, group: convertFieldType, "
        "spec: {options}}`: Grafana cannot run it",
    ("loki-rules", "tests/resources/alert.rule", "PQ001"):
        "the Juju charm's broken-rule fixture (`sum(rate({) by (job)`), on purpose; nothing in it says Loki, so "
        "it is read as PromQL (it is invalid either way)",
    ("thanos-mimir-cortex-rules", "testdata/rules/rules0-bad.rules", "PQ001"): "vmalert's bad fixture: `vm_rows{ > 0`",
    ("thanos-mimir-cortex-rules", "testdata/rules/rules0-bad.rules", "RF003"):
        "vmalert's bad fixture: an alert without `expr` and one with an empty name",
    ("thanos-mimir-cortex-rules", "testdata/dir/rules3-bad.rules", "RF003"): "vmalert's bad fixture: neither record nor alert",
    ("thanos-mimir-cortex-rules", "testdata/dir/rules4-bad.rules", "RF003"): "vmalert's bad fixture: both record and alert",
    ("thanos-mimir-cortex-rules", "testdata/dir/rules0-bad.rules", "RF006"): "vmalert's bad fixture: a template that does not parse",
    ("thanos-mimir-cortex-rules", "testdata/dir/rules2-bad.rules", "RF006"): "vmalert's bad fixture: an unknown template function",
    ("thanos-mimir-cortex-rules", "testdata/dir/rules1-bad.rules", "RF002"): "vmalert's bad fixture: a group name used twice",
    ("thanos-mimir-cortex-rules", "testdata/dir/rules6-bad.rules", "RF002"): "vmalert's bad fixture: `headers` not a list",
    ("thanos-mimir-cortex-rules", "testdata/rules/rules-multi-doc-bad.rules", "RF001"):
        "vmalert's bad fixture: unknown top-level fields in a multi-document file",
    ("thanos-mimir-cortex-rules", "pkg/rules/testdata/loki_basic_failure.yaml", "RF002"):
        "a group with an empty name: cortextool's failure fixture",
    ("thanos-mimir-cortex-rules", "unittest/testdata/failed-test-with-missing-rulefile.yaml", "UT002"):
        "vmalert-tool's fixture naming a rule file that does not exist, on purpose",
    ("thanos-mimir-cortex-rules", "unittest/testdata/failed-test.yaml", "UT006"):
        "vmalert-tool's failing-test fixture: it expects an alert no rule file defines, on purpose",
}


@pytest.fixture(scope="module")
def runs():
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    from obslint.config import Config
    from obslint.engine import lint

    out = {}
    old = os.getcwd()
    try:
        for name in PINNED:
            os.chdir(CORPUS / name)
            out[name] = lint([Path(".")], Config())
    finally:
        os.chdir(old)
    return out


@pytest.mark.parametrize("name", list(PINNED))
def test_finding_counts_are_pinned(runs, name):
    from tests.flow.test_flow_corpus import FLOW_CODES  # issue 15's checks are pinned per folder there

    got = dict(sorted(Counter(f.code for f in runs[name].findings if f.code not in FLOW_CODES).items()))
    assert got == PINNED[name], f"{name}: findings per code changed; review them and update PINNED with the reason"


@pytest.mark.parametrize("name", list(PINNED))
def test_no_error_but_named_defects(runs, name):
    from tests.flow.test_flow_corpus import FLOW_CODES  # named with their defects in tests/flow

    unexplained, named = [], set()
    for f in runs[name].findings:
        if str(f.severity) != "error" or f.code in FLOW_CODES:
            continue
        key = next((k for k in TRUE_POSITIVES if k[0] == name and f.file.endswith(k[1]) and k[2] == f.code), None)
        if key is None:
            unexplained.append(f"{f.file}:{f.line}: {f.code} {f.message}")
        else:
            named.add(key)
    assert not unexplained, "\n".join(unexplained)
    assert named == {k for k in TRUE_POSITIVES if k[0] == name}


def test_every_logql_query_parses_but_the_broken_ones(runs):
    from obslint import promql
    from obslint.lang import logql

    queries = [q for name in ("loki-rules", "thanos-mimir-cortex-rules", "logs-datasource-dashboards")
               for q in runs[name].project.other_queries if q.language == "logql"]
    assert len(queries) > 150  # the ruler files, operator CRs and the quickpizza dashboards
    broken = sorted({q.doc.source.display for q in queries
                     if logql.parse(promql.substitute(q.expr) if q.grafana else q.expr).error})
    assert broken == ["grafana__loki/operator/hack/lokirules_invalid.yaml"]


def test_queries_of_other_datasources_are_not_parsed(runs):
    project = runs["logs-datasource-dashboards"].project
    types = Counter(q.datasource.type for q in project.other_queries if q.language == "other")
    assert types["grafana-postgresql-datasource"] > 100 and types["grafana-clickhouse-datasource"] > 50
    assert types["grafana-opensearch-datasource"] > 0
    assert all(q.datasource.type in ("prometheus",) for q in project.queries)
