"""promtool as the oracle for the Prometheus side of infra/grafana.

`promtool check rules`, `promtool check config` and `promtool test rules` must pass, the unit-test
file must cover every alert with a firing and a silent case, and the unit tests must be sharp enough
to notice a threshold moved just past the silent cases.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from stack_files import (
    EXPECTED_ALERTS,
    GRAFANA,
    PROM_CONFIG,
    PROM_RULES,
    UNIT_TESTS,
    load_yaml,
    parse_duration,
    run,
    top_comparison,
)


def test_check_rules(promtool, prom_rules):
    proc = run([promtool, "check", "rules", str(PROM_RULES)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    n_rules = sum(len(g["rules"]) for g in prom_rules["groups"])
    assert f"SUCCESS: {n_rules} rules found" in proc.stdout, proc.stdout


def test_check_config_resolves_rule_files_next_to_the_config(promtool, tmp_path):
    # Run from an unrelated directory: rule_files must resolve relative to prometheus.yml itself
    # (that is how the same relative path also works inside the Prometheus container).
    proc = run([promtool, "check", "config", str(PROM_CONFIG)], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 1 rule files found" in proc.stdout, proc.stdout
    assert f"Checking {PROM_RULES}" in proc.stdout, proc.stdout


def test_check_config_from_the_repository_root(promtool):
    proc = run([promtool, "check", "config", "infra/grafana/prometheus.yml"], cwd=GRAFANA.parents[1])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_unit_tests_pass(promtool):
    proc = run([promtool, "test", "rules", str(UNIT_TESTS)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout
    assert "FAILED" not in proc.stdout


def test_unit_tests_load_the_rule_file(unit_tests):
    files = [(UNIT_TESTS.parent / f).resolve() for f in unit_tests["rule_files"]]
    assert files == [PROM_RULES.resolve()]


def _cases(unit_tests):
    """(test index, alert test) for every alert_rule_test of the unit-test file."""
    for i, test in enumerate(unit_tests["tests"]):
        for case in test.get("alert_rule_test") or []:
            yield i, case


def test_every_alert_has_a_firing_and_a_silent_case(unit_tests, prom_alerts):
    assert set(prom_alerts) == set(EXPECTED_ALERTS)
    for name, rule in prom_alerts.items():
        cases = [(i, c) for i, c in _cases(unit_tests) if c["alertname"] == name]
        firing = [(i, c) for i, c in cases if c.get("exp_alerts")]
        assert firing, f"{name}: no case where it fires"
        # A silent scenario: a test whose input never makes this alert fire (just under the threshold).
        firing_tests = {i for i, _ in firing}
        silent_tests = {i for i, c in cases if not c.get("exp_alerts")} - firing_tests
        assert silent_tests, f"{name}: no scenario where it stays silent"
        # It must fire only once `for` has passed, with the rule's labels and annotations.
        for_s = parse_duration(rule["for"])
        for _, case in firing:
            assert parse_duration(case["eval_time"]) >= for_s, f"{name}: fires before its `for`"
            for alert in case["exp_alerts"]:
                labels = alert["exp_labels"]
                for key, value in rule["labels"].items():
                    assert labels.get(key) == value, f"{name}: expected label {key}={value}"
                if EXPECTED_ALERTS[name]["scope"] == "service":
                    assert labels.get("service"), f"{name}: firing case without a service label"
                else:
                    assert "service" not in labels, f"{name}: a platform alert with a service label"
                annotations = alert["exp_annotations"]
                assert set(annotations) == set(rule["annotations"]), name
                assert annotations["summary"] == rule["annotations"]["summary"]
                assert annotations["runbook_url"] == rule["annotations"]["runbook_url"]
                assert "{{" not in annotations["description"], f"{name}: unrendered template"


def test_every_alert_is_checked_while_still_pending(unit_tests, prom_alerts):
    """A case at an eval_time before the firing one, in the same test, expects nothing yet."""
    for name in prom_alerts:
        ok = False
        for test in unit_tests["tests"]:
            cases = [c for c in test.get("alert_rule_test") or [] if c["alertname"] == name]
            fire_times = [parse_duration(c["eval_time"]) for c in cases if c.get("exp_alerts")]
            quiet_times = [parse_duration(c["eval_time"]) for c in cases if not c.get("exp_alerts")]
            if fire_times and any(t < min(fire_times) for t in quiet_times):
                ok = True
        assert ok, f"{name}: no check that it is still pending before `for` has passed"


def test_at_least_38_alert_cases(unit_tests):
    assert sum(1 for _ in _cases(unit_tests)) >= 38


def _mutate_thresholds(text: str, prom_alerts) -> str:
    """Move every alert threshold 10% towards its silent case: > X becomes > 0.9X, < X becomes < 1.05X."""
    for rule in prom_alerts.values():
        op, value = top_comparison(rule["expr"])
        new = value * 0.9 if op == ">" else value * 1.05
        pattern = re.compile(re.escape(op) + r"\s*" + re.escape(_num(value)) + r"(?![0-9.])")
        expr = rule["expr"]
        mutated = pattern.sub(f"{op} {new!r}", expr)
        assert mutated != expr, rule["alert"]
        text = text.replace(_yaml_expr(expr), _yaml_expr(mutated), 1) if "\n" not in expr else \
            text.replace(_indent(expr), _indent(mutated), 1)
    return text


def _num(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _yaml_expr(expr: str) -> str:
    return f"expr: {expr}\n"


def _indent(expr: str) -> str:
    return "\n".join("          " + line for line in expr.rstrip("\n").splitlines())


def test_unit_tests_notice_a_threshold_drift(promtool, prom_alerts, tmp_path):
    """With every threshold moved 10% towards its silent case, every alert's unit tests must fail."""
    mutated = _mutate_thresholds(PROM_RULES.read_text(encoding="utf-8"), prom_alerts)
    rules_dir = tmp_path / "provisioning" / "alerting"
    rules_dir.mkdir(parents=True)
    (rules_dir / PROM_RULES.name).write_text(mutated, encoding="utf-8")
    # sanity: the mutation really changed every threshold
    mutated_alerts = {r["alert"]: r for g in yaml.safe_load(mutated)["groups"] for r in g["rules"] if "alert" in r}
    for name, rule in prom_alerts.items():
        assert top_comparison(mutated_alerts[name]["expr"]) != top_comparison(rule["expr"]), name
    tests_dir = tmp_path / "tests"
    tests_dir.mkdir()
    shutil.copy(UNIT_TESTS, tests_dir / UNIT_TESTS.name)
    proc = run([promtool, "test", "rules", str(tests_dir / UNIT_TESTS.name)])
    assert proc.returncode != 0, "unit tests still pass with every threshold moved"
    failed = set(re.findall(r"alertname: (\w+), time:", proc.stdout + proc.stderr))
    assert failed == set(prom_alerts), f"drift not noticed for: {sorted(set(prom_alerts) - failed)}"


@pytest.mark.parametrize("path", [PROM_RULES, UNIT_TESTS, PROM_CONFIG], ids=lambda p: Path(p).name)
def test_yaml_files_are_single_documents(path):
    text = Path(path).read_text(encoding="utf-8")
    assert "\t" not in text
    docs = list(yaml.safe_load_all(text))
    assert len(docs) == 1 and isinstance(docs[0], dict)
    assert load_yaml(path) == docs[0]
