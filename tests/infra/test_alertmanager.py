"""The stack's Alertmanager configuration, routing and webhook receiver, checked with the real amtool
and promtool; the generated local configurations keep the repository's jobs, rules and routes."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import urllib.error
import urllib.request

import pytest
import yaml

from stack_files import ALERTMANAGER_CONFIG, GRAFANA, PROM_CONFIG, PROM_RULES, WEBHOOK_RECEIVER, load_yaml, run


def _module(path, name):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def amtool() -> str:
    path = shutil.which("amtool")
    if not path:
        msg = "amtool not found: install the Debian/Ubuntu package `prometheus-alertmanager`"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def receivers_for(amtool: str, labels: dict[str, str]) -> set[str]:
    res = run([amtool, "config", "routes", "test", f"--config.file={ALERTMANAGER_CONFIG}",
               *(f"{k}={v}" for k, v in sorted(labels.items()))])
    assert res.returncode == 0, res.stderr
    return set(res.stdout.strip().split(","))


def test_amtool_accepts_the_configuration(amtool):
    res = run([amtool, "check-config", str(ALERTMANAGER_CONFIG)])
    assert res.returncode == 0 and "SUCCESS" in res.stdout, res.stdout + res.stderr


def test_every_alert_reaches_its_team_and_critical_pages_oncall(amtool, prom_alerts):
    teams = {"identity", "learning", "payments", "assessment", "iep", "finops"}
    for name, rule in prom_alerts.items():
        labels = {"alertname": name, **rule["labels"]}
        got = receivers_for(amtool, labels)
        assert labels["team"] in teams, name
        expected = {f"team-{labels['team']}"} | ({"oncall-pager"} if labels["severity"] == "critical" else set())
        assert got == expected, (name, got)


def test_an_alert_without_team_reaches_only_the_catch_all(amtool):
    assert receivers_for(amtool, {"alertname": "Orphan", "severity": "warning"}) == {"unrouted"}


def test_webhook_receiver_records_notifications():
    wr = _module(WEBHOOK_RECEIVER, "webhook_receiver")
    receiver = wr.WebhookReceiver(port=0).start()
    try:
        doc = {"version": "4", "receiver": "team-iep", "status": "firing",
               "alerts": [{"status": "firing", "labels": {"alertname": "IEPComplianceScoreLow", "service": "iep-svc"}}]}
        req = urllib.request.Request(receiver.url + "/hooks/team-iep", data=json.dumps(doc).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.status == 200
        for path, body, status in (("/hooks/team-iep", b"[1, 2]", 400), ("/hooks/team-iep", b"{not json", 400),
                                   ("/elsewhere", b"{}", 404)):
            req = urllib.request.Request(receiver.url + path, data=body, method="POST")
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(req, timeout=5)
            assert err.value.code == status
        with urllib.request.urlopen(receiver.url + "/notifications", timeout=5) as resp:
            (got,) = json.loads(resp.read())["notifications"]
        assert got["path"] == "team-iep" and got["alerts"] == doc["alerts"]
        assert receiver.alerts() == [("team-iep", "firing", doc["alerts"][0])]
    finally:
        receiver.stop()


def test_generated_prometheus_config_keeps_jobs_and_rules(promtool, tmp_path):
    ls = _module(GRAFANA / "local_stack.py", "local_stack")
    assert ls.rule_files() == [PROM_RULES]
    doc = ls.prometheus_config("127.0.0.1:18000", "127.0.0.1:19090", [str(PROM_RULES)], "127.0.0.1:19093", "1s")
    source = load_yaml(PROM_CONFIG)
    assert [j["job_name"] for j in doc["scrape_configs"]] == [j["job_name"] for j in source["scrape_configs"]]
    targets = {j["job_name"]: j["static_configs"][0]["targets"] for j in doc["scrape_configs"]}
    assert targets == {"prometheus": ["127.0.0.1:19090"], "edu-services": ["127.0.0.1:18000"]}
    assert doc["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["127.0.0.1:19093"]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(doc))
    res = run([promtool, "check", "config", str(path)])
    assert res.returncode == 0, res.stdout + res.stderr


def test_generated_alertmanager_config_keeps_routes(amtool, tmp_path):
    ls = _module(GRAFANA / "local_stack.py", "local_stack")
    doc = ls.alertmanager_config("http://127.0.0.1:18080", fast=True)
    source = load_yaml(ALERTMANAGER_CONFIG)
    urls = [w["url"] for r in doc["receivers"] for w in r["webhook_configs"]]
    assert urls == [w["url"].replace("127.0.0.1:9095", "127.0.0.1:18080")
                    for r in source["receivers"] for w in r["webhook_configs"]]
    assert doc["route"]["group_wait"] == "1s" and doc["route"]["group_interval"] == "2s"
    assert [r["matchers"] for r in doc["route"]["routes"]] == [r["matchers"] for r in source["route"]["routes"]]
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(doc))
    res = run([amtool, "check-config", str(path)])
    assert res.returncode == 0, res.stdout + res.stderr
