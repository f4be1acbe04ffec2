"""Which Grafana the files are for (policy `grafana: {version: "12.x"}`; default the newest),
and the version-dependent facts the checks need."""
from __future__ import annotations

from obslint.model import EXPRESSION_DATASOURCES

NEWEST_GRAFANA = 12


def grafana_major(policy: dict | None) -> int:
    """The major version of policy `grafana.version` ("12.x", "11.6", "10"), else the newest."""
    g = (policy or {}).get("grafana")
    version = g.get("version") if isinstance(g, dict) else None
    if isinstance(version, (int, float)) and not isinstance(version, bool):
        return int(version)
    if isinstance(version, str):
        head = version.strip().split(".", 1)[0]
        if head.isdigit():
            return int(head)
    return NEWEST_GRAFANA


def surely_before(policy: dict | None, major: int, minor: int = 0) -> bool:
    """Whether policy `grafana.version` is surely older than `major.minor`: "11.2" is older than
    11.3, "11" or "11.x" is not surely so, and no version means the newest."""
    g = (policy or {}).get("grafana")
    version = g.get("version") if isinstance(g, dict) else None
    if version is None:
        return False
    have = grafana_major(policy)
    if have != major:
        return have < major
    parts = str(version).strip().split(".")
    return len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < minor


def value_is_number(rule_data: dict, policy: dict | None) -> bool:
    """Does `$value` hold the query's number in this Grafana alert rule? From Grafana 12, a
    rule whose queries all use one datasource gives `$value` (and `.Value`) the number, as
    Prometheus does; otherwise it is the evaluation string `[ var='A' labels={...} value=1 ]`."""
    if grafana_major(policy) < 12:
        return False
    data = rule_data.get("data")
    if not isinstance(data, list):
        return False
    sources = {d.get("datasourceUid") for d in data
               if isinstance(d, dict) and d.get("datasourceUid") not in (*EXPRESSION_DATASOURCES, None)}
    return len(sources) == 1
