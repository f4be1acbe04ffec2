"""The reference stack's services refuse hostile input and bad options clearly.

docker-compose publishes nothing beyond 127.0.0.1 unless asked and has no default Grafana
admin password."""
from __future__ import annotations

import re

import yaml

from tests.conftest import INFRA

COMPOSE = INFRA / "grafana" / "docker-compose.yml"


def _default(value: str) -> str:
    """A compose value with `${VAR:-default}` replaced by its default (what runs when VAR is unset)."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}", r"\1", value)


def test_compose_publishes_on_localhost_only_by_default():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    published = [(name, str(p)) for name, svc in services.items() for p in svc.get("ports", [])]
    assert {name for name, _p in published} == {"mock-services", "prometheus", "grafana"}
    for name, port in published:
        host_ip, _host, _container = _default(port).rsplit(":", 2)
        assert host_ip == "127.0.0.1", f"{name} publishes {port} beyond localhost"


def test_grafana_admin_password_comes_from_the_environment():
    env = yaml.safe_load(COMPOSE.read_text())["services"]["grafana"]["environment"]
    password = env["GF_SECURITY_ADMIN_PASSWORD"]
    # `${VAR:?message}`: compose refuses to start without it; no literal, no default
    assert re.fullmatch(r"\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}", password), password
    assert "admin/admin" not in COMPOSE.read_text()
