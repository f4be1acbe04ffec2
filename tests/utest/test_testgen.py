"""`obslint gen-tests`: generated tests pass the real promtool on the reference stack, fail when
an alert's threshold or `for` is mutated (they really test), and come out the same every run."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import INFRA, run_cli, need_binary

STACK_RULES = INFRA / "grafana" / "provisioning" / "alerting" / "alert-rules.yml"


def promtool(files: list[Path], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([need_binary("promtool"), "test", "rules", *[str(f) for f in files]], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def generate(paths, out: Path) -> dict:
    res = run_cli("gen-tests", "--no-config", *paths, "-o", out, "--format", "json")
    assert res.code == 0, res.err
    return json.loads(res.out)


def test_stack_alerts_all_get_tests_that_pass_promtool(tmp_path):
    report = generate([INFRA], tmp_path / "out")
    alerts = {a["alert"] for a in report["tested"]}
    stack = json.loads(run_cli("coverage", INFRA, "--format", "json").out)["alerts"]
    assert alerts == {a["alert"] for a in stack} and len(alerts) >= 18 and report["skipped"] == []
    assert "InferenceCostSpikePlaceholder" in alerts
    files = [Path(f) for f in report["files"]]
    out = promtool(files, tmp_path / "out")
    assert out.returncode == 0, out.stdout + out.stderr


def test_output_is_deterministic_and_hand_written_like(tmp_path):
    generate([STACK_RULES], tmp_path / "a")
    generate([STACK_RULES], tmp_path / "b")
    a = (tmp_path / "a" / "alert-rules.test.yml").read_text()
    assert a == (tmp_path / "b" / "alert-rules.test.yml").read_text()
    assert a.startswith("# promtool unit tests for alert-rules.yml")
    assert "  # AuthService5xxErrorRateHigh: " in a and "exp_annotations:" in a


MUTATIONS = [
    # (alert, text in the rule file, mutated text)
    ("AuthService5xxErrorRateHigh", 'expr: service:http_request_errors:ratio_rate5m{service="auth-svc"} > 0.02',
     'expr: service:http_request_errors:ratio_rate5m{service="auth-svc"} > 0.021'),
    ("AuthServiceP95LatencyHigh", 'expr: service:http_request_duration_seconds:p95_5m{service="auth-svc"} > 1',
     'expr: service:http_request_duration_seconds:p95_5m{service="auth-svc"} > 1.2'),
    ("IEPComplianceScoreLow", 'min by (service) (iep_compliance_score_ratio{service="iep-svc"}) < 0.85',
     'min by (service) (iep_compliance_score_ratio{service="iep-svc"}) < 0.8'),
    ("InferenceCostSpikePlaceholder", "            > 2\n", "            > 2.5\n"),
]


@pytest.fixture
def stack_copy(tmp_path):
    rules = tmp_path / "alert-rules.yml"
    shutil.copy(STACK_RULES, rules)
    report = generate([rules], tmp_path / "out")
    assert report["skipped"] == []
    test = tmp_path / "out" / "alert-rules.test.yml"
    assert promtool([test], tmp_path / "out").returncode == 0
    return rules, test


@pytest.mark.parametrize("alert,old,new", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_a_mutated_threshold_fails_the_generated_test(stack_copy, alert, old, new):
    rules, test = stack_copy
    text = rules.read_text()
    assert old in text
    rules.write_text(text.replace(old, new, 1))
    out = promtool([test], test.parent)
    assert out.returncode != 0
    assert f"alertname: {alert}" in out.stdout + out.stderr


@pytest.mark.parametrize("new_for", ["4m", "6m"])
def test_a_mutated_for_fails_the_generated_test(stack_copy, new_for):
    rules, test = stack_copy
    text = rules.read_text()
    block = text.index("- alert: PaymentTransactionFailureRateHigh")
    at = text.index("for: 5m", block)
    rules.write_text(text[:at] + f"for: {new_for}" + text[at + len("for: 5m"):])
    out = promtool([test], test.parent)
    assert out.returncode != 0
    assert "alertname: PaymentTransactionFailureRateHigh" in out.stdout + out.stderr


def test_unmodelled_alerts_are_listed_with_the_reason(tmp_path):
    (tmp_path / "rules.yml").write_text(
        "groups:\n  - name: g\n    rules:\n"
        "      - alert: NoTarget\n        expr: absent(up{job=\"api\"})\n        for: 5m\n"
        "      - alert: Always\n        expr: vector(1)\n"
        "      - alert: DiskFull\n        expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1\n"
        "        for: 10m\n        annotations:\n          summary: '{{ $labels.instance }} has {{ $value | humanizePercentage }} free'\n")
    report = generate([tmp_path / "rules.yml"], tmp_path / "out")
    assert [a["alert"] for a in report["tested"]] == ["DiskFull"]
    reasons = {s["alert"]: s["reason"] for s in report["skipped"]}
    assert set(reasons) == {"NoTarget", "Always"}
    assert all(reasons.values())
    text = (tmp_path / "out" / "rules.test.yml").read_text()
    assert "# not modelled: NoTarget: " in text
    assert promtool([tmp_path / "out" / "rules.test.yml"], tmp_path / "out").returncode == 0


def test_coverage_of_the_stack_is_full():
    res = run_cli("coverage", INFRA, "--format", "json", "--require", "both")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    n = data["totals"]["alerts"]
    assert n >= 18 and data["totals"]["both"] == n and data["totals"]["untested"] == 0


def test_coverage_reports_an_untested_alert(tmp_path):
    (tmp_path / "rules.yml").write_text("groups:\n  - name: g\n    rules:\n"
                                        "      - {alert: A, expr: up == 0, for: 5m}\n      - {alert: B, expr: up == 2}\n")
    (tmp_path / "t.yml").write_text("rule_files: [rules.yml]\ntests:\n  - input_series: [{series: up, values: '0x10'}]\n"
                                    "    alert_rule_test:\n      - {eval_time: 10m, alertname: A, exp_alerts: [{}]}\n")
    res = run_cli("coverage", "--no-config", tmp_path, "--format", "plain", "--require", "firing")
    assert res.code == 1
    assert "1 untested" in res.out and "B " in res.out
