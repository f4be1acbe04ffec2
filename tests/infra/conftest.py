"""Fixtures for the tests of the reference stack in infra/grafana (helpers: stack_files.py)."""
from __future__ import annotations

import os
import shutil

import pytest

from stack_files import GRAFANA_RULES, PROM_RULES, UNIT_TESTS, load_yaml


@pytest.fixture(scope="session")
def prom_rules() -> dict:
    return load_yaml(PROM_RULES)


@pytest.fixture(scope="session")
def grafana_rules() -> dict:
    return load_yaml(GRAFANA_RULES)


@pytest.fixture(scope="session")
def unit_tests() -> dict:
    return load_yaml(UNIT_TESTS)


@pytest.fixture(scope="session")
def prom_alerts(prom_rules) -> dict[str, dict]:
    return {r["alert"]: r for g in prom_rules["groups"] for r in g["rules"] if "alert" in r}


@pytest.fixture(scope="session")
def recording_rules(prom_rules) -> dict[str, dict]:
    return {r["record"]: r for g in prom_rules["groups"] for r in g["rules"] if "record" in r}


@pytest.fixture(scope="session")
def grafana_alerts(grafana_rules) -> dict[str, dict]:
    return {r["title"]: r for g in grafana_rules["groups"] for r in g["rules"]}


@pytest.fixture(scope="session")
def promtool() -> str:
    """Path of promtool; fails under CI (env CI set) when missing, skips otherwise."""
    path = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if not path:
        msg = ("promtool not found: install the Debian/Ubuntu package `prometheus` (or put promtool on "
               "PATH, or point the PROMTOOL environment variable at it)")
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path
