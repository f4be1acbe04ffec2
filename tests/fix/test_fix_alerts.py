"""The alert fixes (unsafe): AL002 sets a threshold to the policy's, AL003 raises `for` to the
policy's, XF001 sets a Grafana-managed rule's threshold to its Prometheus twin's; only with
`--unsafe-fixes`, and only where the number to change is unambiguous."""
from __future__ import annotations

import yaml

from tests.conftest import lint_tree, write_tree

POLICY = {"alerts": {"min-for": "5m", "required": [
    {"name": "ApiErrorRateHigh", "comparison": ">", "threshold": "2%"}]}}


def _rules(expr: str, extra: str = "") -> str:
    return ("groups:\n  - name: api  # api alerts\n    rules:\n      - alert: ApiErrorRateHigh\n"
            f"        expr: {expr}\n{extra}        labels: {{severity: critical}}\n")


def test_al002_threshold_to_the_policys_and_al003_for_added(tmp_path):
    write_tree(tmp_path, {"rules.yaml": _rules("job:http_errors:ratio_rate5m > 0.05")})
    safe = lint_tree(tmp_path, POLICY, fix="safe")
    assert not safe.fixes.files  # both fixes are unsafe
    result = lint_tree(tmp_path, POLICY, fix="unsafe")
    text = (tmp_path / "rules.yaml").read_text()
    assert text == ("groups:\n  - name: api  # api alerts\n    rules:\n      - alert: ApiErrorRateHigh\n"
                    "        for: 5m\n        expr: job:http_errors:ratio_rate5m > 0.02\n"
                    "        labels: {severity: critical}\n")
    assert not {"AL002", "AL003"} & {f.code for f in result.findings}


def test_al003_raises_a_short_for(tmp_path):
    write_tree(tmp_path, {"rules.yaml": _rules("job:http_errors:ratio_rate5m > 0.02", "        for: '1m'\n")})
    lint_tree(tmp_path, POLICY, fix="unsafe")
    assert "        for: '5m'\n" in (tmp_path / "rules.yaml").read_text()  # the quoting is kept


def test_ambiguous_threshold_gets_no_fix(tmp_path):
    expr = "job:http_errors:ratio_rate5m > 0.05 or job:http_errors:ratio_rate1h > 0.05"
    write_tree(tmp_path, {"rules.yaml": _rules(expr, "        for: 5m\n")})
    result = lint_tree(tmp_path, POLICY, fix="unsafe")
    assert expr in (tmp_path / "rules.yaml").read_text()
    assert "AL002" in {f.code for f in result.findings}


GRAFANA = """apiVersion: 1
groups:
  - orgId: 1
    name: api
    folder: API
    interval: 1m
    rules:
      - uid: api-errors
        title: ApiErrors
        condition: B
        data:
          - refId: A
            datasourceUid: prometheus
            model: {expr: 'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))', refId: A}
          - refId: B
            datasourceUid: __expr__
            model: {type: threshold, expression: A, refId: B,
                    conditions: [{evaluator: {type: gt, params: [0.05]}}]}
        for: 5m
"""
PROM = """groups:
  - name: api
    rules:
      - alert: ApiErrors
        expr: sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.02
        for: 5m
"""


def test_xf001_grafana_threshold_to_the_prometheus_rules(tmp_path):
    write_tree(tmp_path, {"alerting.yaml": GRAFANA, "rules.yaml": PROM})
    result = lint_tree(tmp_path, fix="unsafe")
    assert (tmp_path / "alerting.yaml").read_text() == GRAFANA.replace("params: [0.05]", "params: [0.02]")
    assert (tmp_path / "rules.yaml").read_text() == PROM
    assert "XF001" not in {f.code for f in result.findings}
    data = yaml.safe_load((tmp_path / "alerting.yaml").read_text())
    assert data["groups"][0]["rules"][0]["data"][1]["model"]["conditions"][0]["evaluator"]["params"] == [0.02]
