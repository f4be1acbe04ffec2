"""AM010/AM011: linted alerts followed through the route tree of the linted Alertmanager file."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from obslint import alertmanager as am
from tests.conftest import INFRA, lint_tree, write_tree

AM = """
route:
  receiver: catch-all
  routes:
    - receiver: pager
      matchers: ['severity="critical"']
      continue: true
    - receiver: api-team
      matchers: ['team=~"api|web"']
    - receiver: blackhole
      matchers: ['alertname="Watchdog"']
receivers:
  - name: catch-all
    webhook_configs: [{url: "http://127.0.0.1:9095/catch-all"}]
  - name: pager
    webhook_configs: [{url: "http://127.0.0.1:9095/pager"}]
  - name: api-team
    webhook_configs: [{url: "http://127.0.0.1:9095/api"}]
  - name: blackhole
"""


def rules(*alerts: dict) -> str:
    return yaml.safe_dump({"groups": [{"name": "g", "rules": list(alerts)}]}, sort_keys=False)


def alert(name: str, expr: str = 'sum(up{job="api"}) == 0', **labels) -> dict:
    return {"alert": name, "expr": expr, "for": "5m", "labels": labels}


def am_codes(tmp_path, files: dict) -> list[tuple[str, str]]:
    write_tree(tmp_path, files)
    return sorted((f.code, f.message.split("`")[1]) for f in lint_tree(tmp_path).findings
                  if f.code in ("AM010", "AM011"))


def test_routed_alerts_are_quiet(tmp_path):
    files = {"alertmanager.yml": AM, "rules.yml": rules(
        alert("ApiDown", severity="critical", team="api"),
        alert("WebSlow", severity="warning", team="web"),
        alert("PagerOnly", severity="critical", team="nobody"))}  # reaches the pager: not only the default
    assert am_codes(tmp_path, files) == []


def test_default_only_and_no_integration(tmp_path):
    files = {"alertmanager.yml": AM, "rules.yml": rules(
        alert("Typo", severity="warning", tema="api"),
        alert("Watchdog", expr="vector(1)", severity="none"))}
    assert am_codes(tmp_path, files) == [("AM010", "Typo"), ("AM011", "Watchdog")]


def test_a_label_the_expression_may_carry_is_not_judged(tmp_path):
    files = {"alertmanager.yml": AM, "rules.yml": rules(
        alert("ByTeam", expr="sum by (team) (rate(errors_total[5m])) > 1", severity="warning"),
        alert("Raw", expr="errors_total > 1", severity="warning"),
        alert("Templated", severity="warning", team="{{ $labels.owner }}"),
        # `sum()` keeps no label: `team` is surely absent, the alert surely goes to the default
        alert("Summed", expr="sum(rate(errors_total[5m])) > 1", severity="warning"))}
    assert am_codes(tmp_path, files) == [("AM010", "Summed")]


def test_external_labels_take_part(tmp_path):
    prom = "global:\n  external_labels: {team: api}\nscrape_configs: []\n"
    files = {"alertmanager.yml": AM, "prometheus.yml": prom,
             "rules.yml": rules(alert("Summed", expr="sum(rate(errors_total[5m])) > 1", severity="warning"))}
    assert am_codes(tmp_path, files) == []


@pytest.mark.parametrize("extra", [
    {"prometheus.yml": "alerting:\n  alert_relabel_configs: [{action: labeldrop, regex: replica}]\nscrape_configs: []\n"},
    {"other/alertmanager.yml": AM},
    {"broken-am.yml": "route: {receiver: x}\nreceivers: [{name: y, webhook_configs: [{url: 'http://a:1/'}]}]\n"},
], ids=["alert-relabelling", "two-configurations", "refused-configuration"])
def test_not_checked_when_routing_is_uncertain(tmp_path, extra):
    files = {"alertmanager.yml": AM, "rules.yml": rules(alert("Typo", severity="warning", tema="api")), **extra}
    if "broken-am.yml" in extra:  # the only configuration has an undefined receiver
        files["alertmanager.yml"] = extra.pop("broken-am.yml")
    write_tree(tmp_path, files)
    assert not [f for f in lint_tree(tmp_path).findings if f.code in ("AM010", "AM011")]


def test_suppressed_on_the_rule(tmp_path):
    text = rules(alert("Watchdog", expr="vector(1)", severity="none")).replace(
        "- alert: Watchdog", "- alert: Watchdog  # obslint: disable=AM011 heartbeat, dropped on purpose")
    assert am_codes(tmp_path, {"alertmanager.yml": AM, "rules.yml": text}) == []


def test_the_stack_routes_every_alert(tmp_path):
    result = lint_tree(INFRA)
    assert not [f for f in result.findings if f.code.startswith("AM")]


def test_route_walk_agrees_with_amtool_on_the_stack(prom_alerts_of_stack):
    """For every alert of the stack, the receivers obslint's walk reaches are the ones
    `amtool config routes test` prints for the alert's labels."""
    amtool = shutil.which("amtool")
    if not amtool:
        if os.environ.get("CI"):
            pytest.fail("amtool not found")
        pytest.skip("amtool not found: install prometheus-alertmanager")
    path = INFRA / "grafana" / "alertmanager" / "alertmanager.yml"
    config = yaml.safe_load(path.read_text())
    for name, labels in prom_alerts_of_stack.items():
        labels = {"alertname": name, **labels}
        reached, uncertain = am.route_alert(config["route"], lambda k: labels.get(k, ""))
        proc = subprocess.run([amtool, "config", "routes", "test", f"--config.file={path}",
                               *(f"{k}={v}" for k, v in sorted(labels.items()))], capture_output=True, text=True)
        assert not uncertain
        assert sorted(r for _p, r in reached) == sorted(proc.stdout.strip().split(",")), name


@pytest.fixture
def prom_alerts_of_stack() -> dict[str, dict]:
    doc = yaml.safe_load((INFRA / "grafana" / "provisioning" / "alerting" / "alert-rules.yml").read_text())
    return {r["alert"]: r["labels"] for g in doc["groups"] for r in g["rules"] if "alert" in r}


def test_parse_matchers_forms():
    assert am.parse_matchers('{severity="critical", team=~"pay.*"}') == [
        ("severity", "=", "critical"), ("team", "=~", "pay.*")]
    assert am.parse_matchers("env = prod") == [("env", "=", "prod")]
    assert am.parse_matchers('msg="a, \\"b\\""') == [("msg", "=", 'a, "b"')]
    with pytest.raises(ValueError):
        am.parse_matchers("severity critical")


@pytest.mark.parametrize(("rules_at", "checked"), [
    ("stack/rules/docker/rules.yml", True),        # the compose stack's own rules (loki production/docker)
    ("operator/internal/manifests/internal/alerts/prometheus-alerts.yaml", False),  # another part of the tree
    ("loki-mixin-compiled/alerts.yaml", False),   # beside the stack, not in it (loki production/)
    ("stack/alerts.yaml", True),
])
def test_only_rule_files_near_the_configuration_are_routed(tmp_path, rules_at, checked):
    files = {"stack/config/alertmanager.yml": AM, rules_at: rules(alert("Typo", severity="warning", tema="api"))}
    assert bool(am_codes(tmp_path, files)) == checked
