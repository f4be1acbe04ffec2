"""The Grafana-managed rules (rules.yml) and the Prometheus rules (alert-rules.yml) are the same alerts.

Same names, thresholds, comparison, `for`, severity, team and service; the Grafana file is in the
shape Grafana's file provisioning accepts; and, with promtool, the Grafana queries with their
thresholds fire and stay silent on exactly the inputs of the Prometheus unit tests.
"""
from __future__ import annotations

import re

import pytest
import yaml

from stack_files import (
    DATASOURCES,
    EXPECTED_ALERTS,
    PROM_RULES,
    UNIT_TESTS,
    load_yaml,
    nodes,
    parse_duration,
    parse_promql,
    result_labels,
    run,
    selectors,
    template_labels,
    top_comparison,
)

GRAFANA_OPS = {"gt": ">", "lt": "<"}

# Keys Grafana's file provisioning reads (pkg/services/provisioning/alerting/rules_types.go);
# it silently drops anything else, so a typo (`datasourceUID`) would be lost without this check.
GROUP_KEYS = {"orgId", "name", "folder", "interval", "rules"}
RULE_KEYS = {"uid", "title", "condition", "data", "dashboardUid", "panelId", "noDataState", "execErrState",
             "for", "keepFiringFor", "missing_series_evals_to_resolve", "annotations", "labels", "isPaused",
             "notification_settings", "record"}
QUERY_KEYS = {"refId", "queryType", "relativeTimeRange", "datasourceUid", "model"}


def grafana_threshold(rule: dict) -> tuple[str, float]:
    """(op, value) of the threshold expression the rule's condition points at."""
    by_ref = {q["refId"]: q for q in rule["data"]}
    cond = by_ref[rule["condition"]]["model"]
    assert cond["type"] == "threshold", rule["title"]
    (condition,) = cond["conditions"]
    evaluator = condition["evaluator"]
    (value,) = evaluator["params"]
    return GRAFANA_OPS[evaluator["type"]], float(value)


def grafana_query(rule: dict) -> dict:
    """The Prometheus query node (refId A) of a Grafana rule."""
    (query,) = [q for q in rule["data"] if q["datasourceUid"] != "__expr__"]
    return query


# -------------------------------------------------------------------------------------------------
# parity
# -------------------------------------------------------------------------------------------------
def test_same_alert_names(prom_alerts, grafana_alerts, grafana_rules):
    grafana_titles = [r["title"] for g in grafana_rules["groups"] for r in g["rules"]]
    assert len(grafana_titles) == len(set(grafana_titles)), "duplicate Grafana rule titles"
    assert set(prom_alerts) == set(grafana_alerts) == set(EXPECTED_ALERTS)
    assert len(EXPECTED_ALERTS) == 22


@pytest.mark.parametrize("name", sorted(EXPECTED_ALERTS))
def test_same_threshold_and_for(name, prom_alerts, grafana_alerts):
    prom, graf = prom_alerts[name], grafana_alerts[name]
    expected = EXPECTED_ALERTS[name]
    prom_op, prom_value = top_comparison(prom["expr"])
    graf_op, graf_value = grafana_threshold(graf)
    assert (prom_op, prom_value) == (graf_op, graf_value)
    assert (prom_op, prom_value) == (expected["op"], expected["threshold"])
    assert parse_duration(prom["for"]) == parse_duration(graf["for"]) == expected["for"]


@pytest.mark.parametrize("name", sorted(EXPECTED_ALERTS))
def test_same_labels_and_annotations(name, prom_alerts, grafana_alerts):
    prom, graf = prom_alerts[name], grafana_alerts[name]
    expected = EXPECTED_ALERTS[name]
    assert prom["labels"] == graf["labels"]
    assert prom["labels"]["severity"] == expected["severity"]
    assert prom["labels"]["team"]
    assert prom["labels"].get("service") == expected["service"]
    assert set(prom["annotations"]) == set(graf["annotations"]) == {"summary", "description", "runbook_url"}
    assert prom["annotations"]["summary"] == graf["annotations"]["summary"]
    assert prom["annotations"]["runbook_url"] == graf["annotations"]["runbook_url"]
    assert prom["annotations"]["runbook_url"] == f"https://runbooks.example.edu/observability/{name}"


@pytest.mark.parametrize("name", sorted(EXPECTED_ALERTS))
def test_both_query_the_service_they_alert_on(name, prom_alerts, grafana_alerts, recording_rules):
    recording = {k: v["expr"] for k, v in recording_rules.items()}
    prom_query = prom_alerts[name]["expr"]
    graf_query = grafana_query(grafana_alerts[name])["model"]["expr"]
    if EXPECTED_ALERTS[name]["scope"] == "platform":  # one series for the platform, in both
        assert "service" not in prom_alerts[name]["labels"]
        for expr in (recording[prom_query.split()[0]], graf_query):
            assert "sum(" in expr.replace(" ", "") and "by(service)" not in expr.replace(" ", ""), expr
        return
    # the result keeps the `service` label in both
    assert "service" in result_labels(prom_query, recording)
    assert "service" in result_labels(graf_query)
    if "Latency" in name:  # P95 on both sides
        prom_exprs = [prom_query] + [recording[vs.name] for vs in selectors(prom_query) if vs.name in recording]
        for exprs in (prom_exprs, [graf_query]):
            quantiles = {float(c.args[0].val) for e in exprs for c in nodes(e, "Call")
                         if c.func.name == "histogram_quantile"}
            assert quantiles == {0.95}, exprs
    service = EXPECTED_ALERTS[name]["service"]
    if service:
        for expr in (prom_query, graf_query):
            assert f'service="{service}"' in expr, expr


@pytest.mark.parametrize("name", sorted(EXPECTED_ALERTS))
def test_annotations_only_use_labels_the_result_carries(name, prom_alerts, grafana_alerts, recording_rules):
    recording = {k: v["expr"] for k, v in recording_rules.items()}
    prom, graf = prom_alerts[name], grafana_alerts[name]
    platform = EXPECTED_ALERTS[name]["scope"] == "platform"  # sum() without `by`: no labels at all
    prom_labels = (set() if platform else result_labels(prom["expr"], recording)) | set(prom["labels"])
    graf_labels = (set() if platform else result_labels(grafana_query(graf)["model"]["expr"])) | set(graf["labels"])
    for text in prom["annotations"].values():
        assert template_labels(text) <= prom_labels, text
    for text in graf["annotations"].values():
        assert template_labels(text) <= graf_labels, text
    # value formatting: Prometheus uses $value, Grafana the reduced value of B
    assert "$value" in prom["annotations"]["description"]
    assert "$values.B.Value" in graf["annotations"]["description"]
    assert "$value " not in graf["annotations"]["description"]


def test_thresholds_are_stated_in_the_descriptions(prom_alerts, grafana_alerts):
    for name, rule in prom_alerts.items():
        op, value = top_comparison(rule["expr"])
        if "Latency" in name:
            unit_text = f"{value:g}s"
        elif value < 1:
            unit_text = f"{value * 100:g}%"
        else:
            unit_text = f"{value:g}x"
        for desc in (rule["annotations"]["description"], grafana_alerts[name]["annotations"]["description"]):
            assert unit_text in desc, (name, desc)


# -------------------------------------------------------------------------------------------------
# Grafana provisioning shape
# -------------------------------------------------------------------------------------------------
def test_grafana_file_shape(grafana_rules):
    assert grafana_rules["apiVersion"] == 1
    assert set(grafana_rules) == {"apiVersion", "groups"}
    names = [g["name"] for g in grafana_rules["groups"]]
    assert len(names) == len(set(names))
    for group in grafana_rules["groups"]:
        assert set(group) <= GROUP_KEYS, set(group) - GROUP_KEYS
        assert group["orgId"] == 1
        assert group["name"].strip() and group["folder"].strip()
        parse_duration(group["interval"])
        assert group["rules"]


def test_grafana_rule_uids(grafana_rules):
    uids = [r["uid"] for g in grafana_rules["groups"] for r in g["rules"]]
    assert len(uids) == len(set(uids))
    for uid in uids:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid), uid


def test_grafana_datasource_uid_is_the_provisioned_one():
    (datasource,) = load_yaml(DATASOURCES)["datasources"]
    assert datasource["uid"] == "prometheus" and datasource["type"] == "prometheus"


@pytest.mark.parametrize("name", sorted(EXPECTED_ALERTS))
def test_grafana_rule_shape(name, grafana_alerts):
    rule = grafana_alerts[name]
    assert set(rule) <= RULE_KEYS, set(rule) - RULE_KEYS
    assert rule["noDataState"] in {"NoData", "Alerting", "OK", "KeepLast"}
    assert rule["execErrState"] in {"Error", "Alerting", "OK", "KeepLast"}
    assert rule.get("isPaused") is False
    # Grafana env-expands titles and labels: no `$` there (templates belong in annotations).
    assert "$" not in rule["title"]
    assert not any("$" in str(v) or "{{" in str(v) for v in rule["labels"].values())
    refs = [q["refId"] for q in rule["data"]]
    assert refs == ["A", "B", "C"] and rule["condition"] == "C"
    for q in rule["data"]:
        assert set(q) <= QUERY_KEYS, set(q) - QUERY_KEYS
        assert q["model"]["refId"] == q["refId"]
        assert isinstance(q["relativeTimeRange"]["from"], int) and isinstance(q["relativeTimeRange"]["to"], int)
    a, b, c = rule["data"]
    assert a["datasourceUid"] == "prometheus"
    assert a["relativeTimeRange"] == {"from": 600, "to": 0}
    assert a["model"]["datasource"] == {"type": "prometheus", "uid": "prometheus"}
    assert a["model"]["instant"] is True
    parse_promql(a["model"]["expr"])
    assert b["datasourceUid"] == "__expr__" and b["model"]["type"] == "reduce"
    assert b["model"]["expression"] == "A" and b["model"]["reducer"] == "last"
    assert c["datasourceUid"] == "__expr__" and c["model"]["type"] == "threshold"
    assert c["model"]["expression"] == "B"


def test_placeholder_is_labelled_stage_2(prom_alerts, grafana_alerts):
    for rule in (prom_alerts["InferenceCostSpikePlaceholder"], grafana_alerts["InferenceCostSpikePlaceholder"]):
        assert "Stage-2 placeholder" in rule["annotations"]["summary"]
        assert "Stage-2 placeholder" in rule["annotations"]["description"]
        assert rule["labels"]["severity"] == "info"


# -------------------------------------------------------------------------------------------------
# behaviour: the Grafana queries fire on the same inputs as the Prometheus rules
# -------------------------------------------------------------------------------------------------
def test_grafana_queries_pass_the_prometheus_unit_tests(promtool, grafana_rules, tmp_path):
    """Translate every Grafana rule into a Prometheus alert (`(A) <op> <threshold>`, same `for` and
    labels, no annotations), then run the Prometheus unit tests against it with the annotations
    dropped: every firing, pending and silent case must hold for the Grafana queries too."""
    groups = []
    for group in grafana_rules["groups"]:
        rules = []
        for rule in group["rules"]:
            op, value = grafana_threshold(rule)
            expr = grafana_query(rule)["model"]["expr"]
            rules.append({"alert": rule["title"], "expr": f"({expr}) {op} {value!r}", "for": rule["for"],
                          "labels": rule["labels"]})
        groups.append({"name": group["name"], "rules": rules})
    (tmp_path / "grafana-as-prometheus.yml").write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))

    tests = load_yaml(UNIT_TESTS)
    for test in tests["tests"]:
        test.pop("promql_expr_test", None)  # recording rules: the Grafana file has none
        for case in test.get("alert_rule_test") or []:
            for alert in case.get("exp_alerts") or []:
                alert.pop("exp_annotations", None)
    tests["rule_files"] = ["grafana-as-prometheus.yml"]
    test_file = tmp_path / "grafana.test.yml"
    test_file.write_text(yaml.safe_dump(tests, sort_keys=False))

    check = run([promtool, "check", "rules", str(tmp_path / "grafana-as-prometheus.yml")])
    assert check.returncode == 0, check.stdout + check.stderr
    proc = run([promtool, "test", "rules", str(test_file)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_prometheus_file_is_not_grafana_provisioning():
    """alert-rules.yml sits in provisioning/alerting but is a Prometheus rule file; Grafana must not
    be given it (docker-compose mounts only rules.yml), and it must not look like one."""
    doc = load_yaml(PROM_RULES)
    assert "apiVersion" not in doc
    assert all("folder" not in g for g in doc["groups"])
