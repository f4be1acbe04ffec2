"""docker-compose.yml, prometheus.yml and Grafana's provisioning files fit together.

These are the wiring mistakes that only show up when the stack starts: a rule file path that does
not resolve in the container, a datasource uid the dashboards and alert rules do not use, Grafana's
alerting provisioner handed the Prometheus rule file.
"""
from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from stack_files import (
    ALERTMANAGER_CONFIG,
    COMPOSE,
    DASHBOARD_PROVIDER,
    DATASOURCES,
    GRAFANA,
    GRAFANA_RULES,
    PROM_CONFIG,
    PROM_RULES,
    load_yaml,
    parse_duration,
)


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_yaml(COMPOSE)


@pytest.fixture(scope="module")
def prom_config() -> dict:
    return load_yaml(PROM_CONFIG)


def mounts(service: dict) -> dict[str, str]:
    """container path -> host path (relative to the compose file) of the bind mounts of a service."""
    out = {}
    for volume in service.get("volumes", []):
        parts = volume.split(":")
        host, container = parts[0], parts[1]
        if host.startswith("."):
            out[container] = host
    return out


def test_compose_services(compose):
    assert set(compose["services"]) == {"mock-services", "prometheus", "alertmanager", "webhook-receiver", "grafana"}


def test_mock_server_runs_on_port_8000(compose):
    mock = compose["services"]["mock-services"]
    assert mock["image"].startswith("python:")
    command = " ".join(mock["command"]) if isinstance(mock["command"], list) else mock["command"]
    assert "mock-health-server.py --host 0.0.0.0 --port 8000" in command
    assert "/app/mock-health-server.py" in mounts(mock)
    assert (GRAFANA / mounts(mock)["/app/mock-health-server.py"]).name == "mock-health-server.py"


def test_prometheus_scrapes_the_mock_and_itself(prom_config, compose):
    jobs = {j["job_name"]: j for j in prom_config["scrape_configs"]}
    assert set(jobs) == {"edu-services", "prometheus"}
    (edu,) = jobs["edu-services"]["static_configs"]
    assert edu["targets"] == ["mock-services:8000"]
    host, port = edu["targets"][0].split(":")
    assert host in compose["services"]
    assert jobs["edu-services"].get("metrics_path", "/metrics") == "/metrics"
    assert jobs["prometheus"]["static_configs"][0]["targets"] == ["localhost:9090"]
    parse_duration(prom_config["global"]["evaluation_interval"])
    parse_duration(prom_config["global"]["scrape_interval"])


def test_rule_files_resolve_in_the_repository_and_in_the_container(prom_config, compose):
    (rule_file,) = prom_config["rule_files"]
    assert not rule_file.startswith("/")
    # in the repository: relative to prometheus.yml
    assert (PROM_CONFIG.parent / rule_file).resolve() == PROM_RULES.resolve()
    # in the container: relative to the mounted config file
    prom = compose["services"]["prometheus"]
    m = mounts(prom)
    config_in_container = next(a for a in prom["command"] if a.startswith("--config.file=")).split("=", 1)[1]
    assert (GRAFANA / m[config_in_container]).resolve() == PROM_CONFIG.resolve()
    rules_in_container = str(PurePosixPath(config_in_container).parent / rule_file)
    assert rules_in_container in m, f"{rules_in_container} is not mounted"
    assert (GRAFANA / m[rules_in_container]).resolve() == PROM_RULES.resolve()


def test_grafana_provisioning_mounts(compose):
    m = mounts(compose["services"]["grafana"])
    assert (GRAFANA / m["/etc/grafana/provisioning/datasources"]).resolve() == DATASOURCES.parent.resolve()
    assert (GRAFANA / m["/etc/grafana/provisioning/dashboards"]).resolve() == DASHBOARD_PROVIDER.parent.resolve()
    assert (GRAFANA / m["/var/lib/grafana/dashboards"]).resolve() == (GRAFANA / "dashboards").resolve()
    # Grafana reads every YAML file in provisioning/alerting and would fail to start on the
    # Prometheus rule file (no folder, no interval): it gets rules.yml only.
    alerting = {c: h for c, h in m.items() if c.startswith("/etc/grafana/provisioning/alerting")}
    assert alerting == {"/etc/grafana/provisioning/alerting/rules.yml": "./provisioning/alerting/rules.yml"}
    assert (GRAFANA / alerting["/etc/grafana/provisioning/alerting/rules.yml"]).resolve() == GRAFANA_RULES.resolve()
    assert "/etc/grafana/provisioning" not in m


def test_dashboard_provider():
    doc = load_yaml(DASHBOARD_PROVIDER)
    assert doc["apiVersion"] == 1
    (provider,) = doc["providers"]
    assert provider["type"] == "file" and provider["name"] and provider["folder"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


def test_datasource_has_the_uid_dashboards_and_alerts_use(grafana_rules):
    doc = load_yaml(DATASOURCES)
    assert doc["apiVersion"] == 1
    (ds,) = doc["datasources"]
    assert ds["type"] == "prometheus" and ds["uid"] == "prometheus"
    assert ds["url"] == "http://prometheus:9090"
    assert ds["isDefault"] is True
    uids = {q["datasourceUid"] for g in grafana_rules["groups"] for r in g["rules"] for q in r["data"]}
    assert uids == {ds["uid"], "__expr__"}


def test_prometheus_sends_alerts_to_the_compose_alertmanager(prom_config, compose):
    (am,) = prom_config["alerting"]["alertmanagers"]
    (target,) = am["static_configs"][0]["targets"]
    host, port = target.split(":")
    assert host in compose["services"] and port == "9093"
    alertmanager = compose["services"]["alertmanager"]
    m = mounts(alertmanager)
    config = next(a for a in alertmanager["command"] if a.startswith("--config.file=")).split("=", 1)[1]
    assert (GRAFANA / m[config]).resolve() == ALERTMANAGER_CONFIG.resolve()


def test_webhook_receiver_shares_the_alertmanager_network(compose):
    """The receivers' URLs say 127.0.0.1:9095: in compose that is the alertmanager container's own
    loopback, which the webhook receiver shares."""
    hook = compose["services"]["webhook-receiver"]
    assert hook["network_mode"] == "service:alertmanager"
    assert "9095" in hook["command"] and "webhook_receiver.py" in hook["command"]
    urls = {w["url"] for r in load_yaml(ALERTMANAGER_CONFIG)["receivers"] for w in r.get("webhook_configs", [])}
    assert urls and all(u.startswith("http://127.0.0.1:9095/hooks/") for u in urls)
