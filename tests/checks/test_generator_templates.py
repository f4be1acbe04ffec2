"""Templates of a dashboard generator (ScyllaDB's make_dashboards.py): the dashboard, rows and
panels name a `class` of the generator instead of a panel `type`. They are not Grafana
dashboards until expanded, so they are skipped with a reason instead of linted as dashboards.
Likewise a bare list of rule groups, which a module system wraps into resources."""
from __future__ import annotations

import json

from tests.checks.helpers import dashboard, found, panel


def _template(wrapped: bool) -> str:
    d = {"class": "dashboard", "uid": "mgr", "title": "Manager",
         "rows": [{"class": "row", "panels": [{"class": "text_panel", "content": "x"},
                                              {"class": "graph_panel", "targets": [{"expr": "up"}]}]}]}
    return json.dumps({"dashboard": d} if wrapped else d)


def test_generator_templates_are_skipped_with_a_reason(lint_files):
    r = lint_files({"wrapped.template.json": _template(True), "bare.template.json": _template(False)})
    assert not r.findings, [(f.code, f.message) for f in r.findings]
    assert sorted(r.skipped) == ["bare.template.json", "wrapped.template.json"]
    assert all("generator" in r.skip_reasons[p] for p in r.skipped)


def test_a_grafana_dashboard_is_still_one(lint_files):
    wrapped = json.dumps({"dashboard": json.loads(dashboard(panels=[panel(1, "P", "up")])), "meta": {}})
    r = lint_files({"d.json": wrapped})
    assert [f.code for f in found(r, "DB020")] == ["DB020"] and not r.skipped


def test_a_bare_list_of_rule_groups_is_skipped_with_a_reason(lint_files):
    # deckhouse keeps `- name: ...\n  rules: [...]` files that its modules wrap into PrometheusRule resources
    r = lint_files({"monitoring/prometheus-rules/node.yaml": "- name: node\n  rules:\n  - alert: A\n    expr: up == 0\n"})
    assert not r.findings and r.skipped == ["monitoring/prometheus-rules/node.yaml"]
    assert "bare list of rule groups" in r.skip_reasons["monitoring/prometheus-rules/node.yaml"]


def test_a_bundle_of_generated_outputs_is_not_a_wrapped_dashboard(lint_files):
    # slo-libsonnet's example: {alerts, dashboard, recordingrule} dumped by one jsonnet run
    model = {"title": "App", "uid": "app", "schemaVersion": 39, "panels": []}
    r = lint_files({"bundle.json": json.dumps({"alerts": [], "dashboard": model, "recordingrule": []}),
                    "wrapped.json": json.dumps({"dashboard": model, "meta": {"slug": "app"}}),
                    "request.json": json.dumps({"dashboard": model, "overwrite": True})})
    got = sorted((f.file, f.severity.name) for f in found(r, "DB020"))
    assert got == [("bundle.json", "INFO"), ("request.json", "INFO"), ("wrapped.json", "ERROR")]
