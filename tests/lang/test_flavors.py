"""Rule-file flavours: detected per file or set by the policy; their keys accepted and checked."""
from __future__ import annotations

import pytest

from obslint.lang.flavor import detect
from tests.checks.helpers import found

VMALERT = """groups:
  - name: vm
    concurrency: 2
    eval_offset: 1m
    headers: ["X-Scope-OrgID: 1"]
    params: {nocache: ["1"]}
    rules:
      - alert: Down
        expr: up == 0
        debug: true
        annotations: {summary: "{{ $labels.job }} down since {{ $activeAt }}", description: "{{ $expr }}"}
"""
THANOS = "groups:\n  - name: t\n    partial_response_strategy: warn\n    rules:\n      - record: a:b\n        expr: sum(up)\n"
MIMIR = ("namespace: team\ngroups:\n  - name: m\n    source_tenants: [a, b]\n    evaluation_delay: 1m\n"
         "    align_evaluation_time_on_interval: true\n    rules:\n      - record: a:b\n        expr: sum(up)\n")
LOKI = ('groups:\n  - name: l\n    rules:\n      - alert: Errors\n        expr: sum(rate({app="api"} |= "error" [5m])) > 1\n'
        '        annotations: {summary: s, description: d}\n')


@pytest.mark.parametrize("text, flavor", [(VMALERT, "vmalert"), (THANOS, "thanos"), (MIMIR, "mimir"), (LOKI, "loki"),
                                          ("groups: []\n", "prometheus")])
def test_flavour_is_detected_from_the_file(text, flavor):
    import yaml

    assert detect(yaml.safe_load(text)) == flavor


@pytest.mark.parametrize("text", [VMALERT, THANOS, MIMIR, LOKI])
def test_each_flavour_is_clean_in_its_own_flavour(lint_files, text):
    r = lint_files({"rules.yaml": text})
    assert [f for f in r.findings if str(f.severity) == "error"] == []


def test_another_flavours_key_is_named_when_the_policy_says_prometheus(lint_files):
    r = lint_files({"rules.yaml": VMALERT}, config={"rules": {"flavor": "prometheus"}})
    messages = sorted(f.message for f in found(r, "RF001"))
    assert "`concurrency` is a vmalert key; Prometheus refuses the file" in messages
    assert any("`debug` is a vmalert key" in m for m in messages)
    assert not found(lint_files({"rules.yaml": VMALERT}, config={"rules": {"flavor": "vmalert"}}), "RF001")


def test_flavour_values_are_checked(lint_files):
    bad = THANOS.replace("warn", "sometimes")
    (f,) = found(lint_files({"rules.yaml": bad}), "RF002")
    assert "`partial_response_strategy` must be `warn` or `abort`" in f.message and f.line == 3
    bad = VMALERT.replace("concurrency: 2", "concurrency: many").replace('["X-Scope-OrgID: 1"]', '["no colon"]')
    assert sorted(f.message.split(" must")[0] for f in found(lint_files({"rules.yaml": bad}), "RF002")) == [
        "`concurrency`", "`headers`"]


def test_loki_ruler_rules_are_logql_and_need_metric_queries(lint_files):
    r = lint_files({"rules.yaml": LOKI.replace('expr: sum(rate({app="api"} |= "error" [5m])) > 1',
                                               """expr: '{app="api"} |= "error"'""")})
    (f,) = found(r, "LQ001")
    assert "needs a metric query" in f.message and not found(r, "PQ001")


def test_vmalert_graphite_groups_are_not_parsed(lint_files):
    text = "groups:\n  - name: g\n    type: graphite\n    rules:\n      - record: a:b\n        expr: sumSeries(a.*.b)\n"
    r = lint_files({"rules.yaml": text})
    assert not found(r, "PQ001") and not found(r, "PQ002")
    assert [q.language for q in r.project.other_queries] == ["other"]


def test_google_managed_prometheus_rules_resources_are_linted(lint_files):
    # GoogleCloudPlatform/prometheus-engine: Rules, ClusterRules and GlobalRules hold Prometheus rule groups
    from tests.checks.helpers import found

    for kind in ("Rules", "ClusterRules", "GlobalRules"):
        text = (f"apiVersion: monitoring.googleapis.com/v1\nkind: {kind}\nmetadata: {{name: r}}\nspec:\n  groups:\n"
                "  - name: g\n    rules:\n    - record: job:up:sum\n      expr: sum by (job) (up\n")
        r = lint_files({"rules.yaml": text})
        assert [f.line for f in found(r, "PQ001")] == [9], kind
