"""The policy (infra/obslint.yaml) requires the FinOps scope: taking away a cost panel, the IEP AI
throughput panel, the cost-optimisation table or a budget alert makes `obslint infra/` fail."""
from __future__ import annotations

import json
import shutil

import pytest
import yaml

from stack_files import REPO
from tests.conftest import run_cli


@pytest.fixture
def infra(tmp_path):
    shutil.copytree(REPO / "infra", tmp_path / "infra")
    return tmp_path / "infra"


def _drop_panel(path, title):
    doc = json.loads(path.read_text())
    doc["panels"] = [p for p in doc["panels"] if p["title"] != title]
    path.write_text(json.dumps(doc, indent=2))


def test_the_stack_is_clean(infra):
    res = run_cli(str(infra))
    assert res.code == 0, res.out


@pytest.mark.parametrize("dashboard,title", [
    ("auth-service.json", "Hourly Cost (USD/hour)"),
    ("payment-service.json", "Cost per Request (USD)"),
    ("iep-service.json", "AI Generation Throughput"),
    ("finops-dashboard.json", "Cost Optimisation Candidates"),
])
def test_required_finops_panels(infra, dashboard, title):
    _drop_panel(infra / "grafana" / "dashboards" / dashboard, title)
    res = run_cli(str(infra), "--format", "json")
    codes = [f["code"] for f in json.loads(res.out)["findings"]]
    assert res.code == 1 and codes == ["PL012"], res.out


@pytest.mark.parametrize("alert", ["ServiceBudgetForecastExceeded", "PlatformBudgetForecastAbove80Percent"])
def test_required_budget_alerts(infra, alert):
    rules = infra / "grafana" / "provisioning" / "alerting" / "alert-rules.yml"
    doc = yaml.safe_load(rules.read_text())
    for group in doc["groups"]:
        group["rules"] = [r for r in group["rules"] if r.get("alert") != alert]
    rules.write_text(yaml.safe_dump(doc, sort_keys=False))
    res = run_cli(str(infra), "--format", "json")
    findings = json.loads(res.out)["findings"]
    # PL014: the policy requires it; UT006: the promtool unit tests name an alert that is gone
    assert res.code == 1 and {f["code"] for f in findings} == {"PL014", "UT006"}, res.out
    assert any(alert in f["message"] for f in findings if f["code"] == "PL014")
