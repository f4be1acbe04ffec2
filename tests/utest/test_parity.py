"""Parity with the real `promtool test rules`: on test files promtool runs cleanly obslint
reports no UT error, and on broken copies (one static defect each) promtool fails and obslint
reports the defect with the expected code."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CORPUS, INFRA, lint_tree, need_binary

TESTDATA = CORPUS / "prometheus-testdata" / "cmd" / "promtool" / "testdata"
# test file -> the rule file it loads
GOOD_CORPUS = {"at-modifier-test.yml": "at-modifier.yml", "negative-offset-test.yml": "negative-offset.yml",
               "long-period.yml": "rules.yml"}
INFRA_TEST = INFRA / "grafana" / "tests" / "alert-rules.test.yml"
INFRA_RULES = INFRA / "grafana" / "provisioning" / "alerting" / "alert-rules.yml"

# A small pair for the label check: the alert keeps only `job`.
RULES = """groups:
  - name: api
    rules:
      - alert: ApiErrors
        expr: sum by (job) (rate(http_requests_total{status="500"}[5m])) > 0.5
        for: 5m
        labels: {severity: page}
        annotations: {summary: "{{ $labels.job }} fails"}
"""
TEST = """rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'http_requests_total{job="api", instance="a:80", status="500"}'
        values: '0+60x20'
    alert_rule_test:
      - eval_time: 15m
        alertname: ApiErrors
        exp_alerts:
          - exp_labels: {job: api, severity: page}
            exp_annotations: {summary: api fails}
    promql_expr_test:
      - expr: sum by (job) (rate(http_requests_total[5m]))
        eval_time: 15m
        exp_samples: [{labels: '{job="api"}', value: 1}]
"""


def promtool_ok(path: Path) -> bool:
    out = subprocess.run([need_binary("promtool"), "test", "rules", path.name], cwd=path.parent,
                         capture_output=True, text=True, timeout=120)
    return out.returncode == 0


def ut_errors(root: Path) -> list[str]:
    result = lint_tree(root, {}, select=["UT"])
    return sorted({f.code for f in result.findings if str(f.severity) == "error"})


@pytest.mark.parametrize("name", sorted(GOOD_CORPUS))
def test_corpus_files_promtool_runs_have_no_ut_errors(tmp_path, name):
    if not TESTDATA.is_dir():
        pytest.skip("../shared/corpus is not present")
    for f in (name, GOOD_CORPUS[name]):
        shutil.copy(TESTDATA / f, tmp_path / f)
    assert promtool_ok(tmp_path / name)
    assert ut_errors(tmp_path) == []


def _stack_copy(tmp_path: Path) -> Path:
    (tmp_path / "tests").mkdir()
    (tmp_path / "provisioning" / "alerting").mkdir(parents=True)
    shutil.copy(INFRA_RULES, tmp_path / "provisioning" / "alerting" / "alert-rules.yml")
    test = tmp_path / "tests" / "alert-rules.test.yml"
    shutil.copy(INFRA_TEST, test)
    return test


def test_stack_test_file_is_clean(tmp_path):
    test = _stack_copy(tmp_path)
    assert promtool_ok(test)
    assert ut_errors(tmp_path) == []


# (code, text to replace once, replacement) on the stack's test file
STACK_MUTATIONS = [
    ("UT001", "    alert_rule_test:\n", "    alert_rule_tests:\n"),
    ("UT002", "../provisioning/alerting/alert-rules.yml", "../provisioning/alert-rules.yml"),
    ("UT003", 'values: "0+920x20"', 'values: "0+920x20,"'),
    ("UT004", """'http_requests_total{service="auth-svc", method="GET", route="/api/v1/items", status="200\"""",
     """'http_requests_total{service=~"auth-svc", method="GET", route="/api/v1/items", status="200\""""),
    ("UT005", "eval_time: 10m", "eval_time: 10.5m"),
    ("UT006", "      - eval_time: 10m\n        alertname: AuthService5xxErrorRateHigh",
     "      - eval_time: 10m\n        alertname: AuthService5xxErrorRateHi"),
    ("UT009", '              summary: "Auth service 5xx', '              sumary: "Auth service 5xx'),
]


@pytest.mark.parametrize("code,old,new", STACK_MUTATIONS, ids=[m[0] for m in STACK_MUTATIONS])
def test_broken_stack_copy(tmp_path, code, old, new):
    test = _stack_copy(tmp_path)
    text = test.read_text()
    assert old in text
    test.write_text(text.replace(old, new, 1))
    assert not promtool_ok(test)
    assert ut_errors(tmp_path) == [code]


SMALL_MUTATIONS = [
    ("UT010", "exp_labels: {job: api, severity: page}", "exp_labels: {job: api, instance: 'a:80', severity: page}"),
    ("UT010", "exp_labels: {job: api, severity: page}", "exp_labels: {job: api, severity: ticket}"),
    ("UT007", "expr: sum by (job) (rate(http_requests_total[5m]))", "expr: sum by (job) (rate(http_request_total[5m]))"),
    ("UT008", "expr: sum by (job) (rate(http_requests_total[5m]))", "expr: sum by (job) (rate(http_requests_total[5m])"),
]


def test_small_pair_is_clean(tmp_path):
    (tmp_path / "rules.yml").write_text(RULES)
    (tmp_path / "t.yml").write_text(TEST)
    assert promtool_ok(tmp_path / "t.yml")
    assert ut_errors(tmp_path) == []


@pytest.mark.parametrize("code,old,new", SMALL_MUTATIONS, ids=[f"{m[0]}-{i}" for i, m in enumerate(SMALL_MUTATIONS)])
def test_broken_small_pair(tmp_path, code, old, new):
    (tmp_path / "rules.yml").write_text(RULES)
    assert old in TEST
    (tmp_path / "t.yml").write_text(TEST.replace(old, new, 1))
    assert not promtool_ok(tmp_path / "t.yml")
    assert ut_errors(tmp_path) == [code]


def test_finding_points_inside_the_values_string(tmp_path):
    (tmp_path / "t.yml").write_text("rule_files: []\ntests:\n  - input_series:\n      - series: up\n"
                                    "        values: '1 2 3,4'\n")
    result = lint_tree(tmp_path, {}, select=["UT003"])
    (f,) = result.findings
    assert (f.line, f.col) == (5, 23)
