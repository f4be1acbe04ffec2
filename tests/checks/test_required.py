"""PL010-PL014: required dashboards, pinned uids, panels, variables and alerts."""
from __future__ import annotations

from tests.checks.helpers import alert, dashboard, found, grafana_file, grafana_rule, panel, record, rules
from tests.conftest import write_tree


def test_pl010_and_pl011(lint_files):
    cfg = {"dashboards": {"required": [{"uid": "api", "title": "API"}, {"uid": "db", "title": "Database"},
                                       {"uid": "gone"}]}}
    r = lint_files({"a.json": dashboard(uid="api", title="API"), "b.json": dashboard(uid="database", title="Database")},
                   config=cfg)
    [missing] = found(r, "PL010")
    assert missing.message == "required dashboard `gone` is not in the linted files" and missing.file == "policy"
    [pinned] = found(r, "PL011")
    assert pinned.file == "b.json" and pinned.message == "dashboard `Database` has uid `database`, the policy pins `db`"


def test_pl011_copy_with_same_title_is_not_the_pinned_one(lint_files):
    cfg = {"dashboards": {"required": [{"uid": "api", "title": "API"}]}}
    r = lint_files({"a.json": dashboard(uid="api", title="API"), "x/b.json": dashboard(uid="api-old", title="API")},
                   config=cfg)
    assert not found(r, "PL011") and not found(r, "PL010")


PANELS = {"dashboards": {"required": [{"uid": "api", "panels": [
    {"title": "Request rate*", "metric": "http_requests_total", "function": "rate"},
    {"metric": "http_request_duration_seconds", "function": "histogram_quantile"},
    {"title": "Errors"}]}]}}


def test_pl012_panels_by_title_metric_and_function(lint_files):
    d = dashboard(uid="api", panels=[
        panel(1, "REQUEST RATE (rps)", "sum(rate(http_requests_total[$__rate_interval]))"),
        panel(2, "Latency", "histogram_quantile(0.9, sum by (le) (job:latency_bucket:rate5m))", x=12),
        panel(3, "Errors", None, y=8)])
    r = lint_files({"d.json": d, "r.yaml": rules(record(
        "job:latency_bucket:rate5m", "sum by (job, le) (rate(http_request_duration_seconds_bucket[5m]))"))},
        config=PANELS)
    assert not found(r, "PL012")


def test_pl012_title_without_the_query(lint_files):
    d = dashboard(uid="api", panels=[panel(1, "Request rate", "sum(http_requests_total)"),
                                     panel(2, "Errors", "up", x=12)])
    r = lint_files({"d.json": d}, config=PANELS)
    msgs = sorted(f.message for f in found(r, "PL012"))
    assert msgs == [
        "dashboard `api` has no panel querying `http_request_duration_seconds` through `histogram_quantile`, which the "
        "policy requires",
        "dashboard `api` has no panel titled `Request rate*` querying `http_requests_total` through `rate` (panel "
        "`Request rate` has the title but not the query), which the policy requires"]
    assert {f.line for f in found(r, "PL012")} == {d.splitlines().index('  "panels": [') + 1}


def test_pl013_variables(lint_files):
    cfg = {"dashboards": {"required": [{"uid": "api", "variables": ["datasource", "job"]}]}}
    r = lint_files({"d.json": dashboard(uid="api", variables=["job"])}, config=cfg)
    [f] = found(r, "PL013")
    assert f.message == "dashboard `api` has no template variable `datasource`, which the policy requires"


POLICY_ALERTS = {"alerts": {"required": [{"name": "A1"}, {"name": "A2"}, {"name": "B1"}, {"name": "B2"}]}}


def test_pl014_points_at_the_neighbours_group(lint_files):
    text = rules(alert("A1", "up == 0"), alert("A2", "up == 0"), group="a") + \
        "  - name: b\n    rules:\n" + alert("B2", "up == 0")
    r = lint_files({"r.yaml": text}, config=POLICY_ALERTS)
    [f] = found(r, "PL014")
    assert f.message.startswith("required alert `B1` (policy policy:1) has no Prometheus alerting rule; its neighbour "
                                "in the policy, `A2`, is in this group")
    assert f.line == text.splitlines().index("  - name: a") + 1


def test_pl014_in_every_kind_of_source(lint_files):
    cfg = {"alerts": {"required": [{"name": "A1"}, {"name": "B1", "sources": ["prometheus"]}, {"name": "C1"}]}}
    r = lint_files({"r.yaml": rules(alert("A1", "up == 0"), alert("B1", "up == 0"), alert("C1", "up == 0")),
                    "g.yaml": grafana_file(grafana_rule("C1", "up"))}, config=cfg)
    [f] = found(r, "PL014")
    assert f.file == "g.yaml" and "`A1`" in f.message and "Grafana-managed alert rule" in f.message


def test_pl014_without_any_alerts_points_at_the_policy(tmp_path, cli):
    write_tree(tmp_path, {"obslint.yaml": "alerts:\n  required:\n    - name: Lonely\n", "r.yaml": rules(
        record("a:b", "up"))})
    res = cli("r.yaml", "-q", cwd=tmp_path)
    assert "obslint.yaml:3:13: error PL014 required alert `Lonely` has no Prometheus alerting rule in the linted " \
           "files" in res.out
