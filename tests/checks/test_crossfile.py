"""XF001 Prometheus/Grafana parity, XF002 alert metrics on dashboards, XF003 threshold lines."""
from __future__ import annotations

from tests.checks.helpers import alert, dashboard, found, grafana_file, grafana_rule, panel, record, rules

EXPR = "sum(rate(http_requests_total{code=~'5..'}[5m])) / sum(rate(http_requests_total[5m]))"


def _pair(prom_expr=EXPR + " > 0.02", prom_for="5m", graf_expr=EXPR, graf_threshold=0.02, graf_for="5m",
          prom_sev="critical", graf_sev="critical"):
    return {"r.yaml": rules(alert("Errors", prom_expr, for_=prom_for, labels={"severity": prom_sev})),
            "g.yaml": grafana_file(grafana_rule("Errors", graf_expr, threshold=graf_threshold, for_=graf_for,
                                                labels={"severity": graf_sev}))}


def test_xf001_agreeing_pair(lint_files):
    assert not found(lint_files(_pair()), "XF001")


def test_xf001_threshold(lint_files):
    [f] = found(lint_files(_pair(graf_threshold=0.05)), "XF001")
    assert f.file == "g.yaml"
    assert f.message == "Grafana rule `Errors` fires at `> 0.05`, the Prometheus rule at `> 0.02` (r.yaml:4)"


def test_xf001_for_metric_severity(lint_files):
    r = lint_files(_pair(graf_for=None, graf_expr="sum(rate(grpc_errors_total[5m]))", graf_sev="warning"))
    msgs = sorted(f.message for f in found(r, "XF001"))
    assert len(msgs) == 3
    assert any("`for: 0s`, the Prometheus rule `for: 5m`" in m for m in msgs)
    assert any("only the Grafana rule reads `grpc_errors_total`; only the Prometheus rule reads "
               "`http_requests_total`" in m for m in msgs)
    assert any("severity `warning`, the Prometheus rule `critical`" in m for m in msgs)


def test_xf001_metric_through_recording_rules(lint_files):
    files = _pair(prom_expr="job:errors:ratio5m > 0.02")
    files["r.yaml"] = rules(record("job:errors:ratio5m", EXPR), alert("Errors", "job:errors:ratio5m > 0.02",
                                                                      labels={"severity": "critical"}))
    assert not found(lint_files(files), "XF001")


def test_xf001_defers_to_the_policy(lint_files):
    # Prometheus drifted, Grafana matches the policy: AL002 reports the Prometheus rule, XF001 is quiet.
    cfg = {"alerts": {"required": [{"name": "Errors", "comparison": ">", "threshold": "2%"}]}}
    r = lint_files(_pair(prom_expr=EXPR + " > 0.05"), config=cfg)
    assert [(f.code, f.file) for f in r.findings] == [("AL002", "r.yaml")]


def test_xf002_alert_metric_on_no_dashboard_of_the_stack(lint_files):
    r = lint_files({
        "stack/rules/alerts.yaml": rules(
            alert("Errors", EXPR + " > 0.02"),
            alert("Latency", "histogram_quantile(0.9, sum by (le) (rate(latency_seconds_bucket[5m]))) > 1"),
            alert("Queue", "max(queue_length) > 100"),
            alert("Down", 'up{job="api"} == 0')),
        "stack/dashboards/api.json": dashboard(panels=[
            panel(1, "Errors", "sum(rate(http_requests_total[$__rate_interval]))"),
            panel(2, "Latency", "rate(latency_seconds_sum[5m]) / rate(latency_seconds_count[5m])", x=12)]),
        "elsewhere/deep/er/alerts.yaml": rules(alert("Lonely", "max(queue_length) > 100"))})
    [f] = found(r, "XF002")
    assert f.message == "alert `Queue` watches `queue_length`, which no dashboard of this stack shows"


def test_xf002_skips_a_rule_file_whose_stack_is_another_components(lint_files):
    # VictoriaMetrics deployment/docker: rules/ beside vmanomaly/*/dashboard.json, while the rules'
    # own dashboards are the repository's dashboards/ (mounted by docker-compose)
    vm_alerts = rules(alert("DiskFull", "vm_free_disk_space_bytes < 1e9"),
                      alert("Churn", "rate(vm_new_timeseries_created_total[5m]) > 1000"),
                      alert("Slow", "rate(vm_slow_row_inserts_total[5m]) > 10"))
    anomaly = dashboard(panels=[panel(1, "Score", "max(anomaly_score)")])
    r = lint_files({"docker/rules/alerts.yaml": vm_alerts, "docker/vmanomaly/preset/dashboard.json": anomaly})
    assert not found(r, "XF002")
    # the same file with one of its metrics on the stack's dashboard: the stack is its own
    shows_one = dashboard(panels=[panel(1, "Score", "max(anomaly_score)"),
                                  panel(2, "Disk", "min(vm_free_disk_space_bytes)", x=12)])
    r = lint_files({"docker/rules/alerts.yaml": vm_alerts, "docker/vmanomaly/preset/dashboard.json": shows_one})
    assert sorted(f.context["alert"] for f in found(r, "XF002")) == ["Churn", "Slow"]


def test_xf002_needs_dashboards(lint_files):
    assert not found(lint_files({"alerts.yaml": rules(alert("Queue", "max(queue_length) > 100"))}), "XF002")


LINKED = {"dashboards": {"required": [{"uid": "api", "panels": [{"title": "Error rate", "alert": "Errors"},
                                                                {"title": "Latency", "threshold": "250ms"}]}]}}


def _dash(err_unit, err_steps, lat_unit="ms", lat_steps=(250,)):
    return dashboard(uid="api", panels=[panel(1, "Error rate", EXPR, unit=err_unit, steps=list(err_steps)),
                                        panel(2, "Latency", "job:latency:p99", x=12, unit=lat_unit,
                                              steps=list(lat_steps))])


def test_xf003_threshold_lines_in_panel_units(lint_files):
    files = {"r.yaml": rules(alert("Errors", EXPR + " > 0.02"))}
    assert not found(lint_files({**files, "d.json": _dash("percentunit", [0.02])}, config=LINKED), "XF003")
    assert not found(lint_files({**files, "d.json": _dash("percent", [2], "s", [0.25])}, config=LINKED), "XF003")


def test_xf003_mismatch(lint_files):
    files = {"r.yaml": rules(alert("Errors", EXPR + " > 0.02")), "d.json": _dash("percent", [5], "ms", [])}
    msgs = [f.message for f in found(lint_files(files, config=LINKED), "XF003")]
    assert msgs == ["panel `Error rate` draws thresholds at 5, but alert `Errors` fires at 2 in the panel's unit "
                    "`percent` (r.yaml:4)",
                    "panel `Latency` draws no threshold; the policy's threshold 250ms fires at 0.25 (the policy)"]


def test_xf003_percentage_mode_is_not_compared(lint_files):
    d = dashboard(uid="api", panels=[panel(1, "Error rate", EXPR, steps=[80])])
    d = d.replace('"mode": "absolute"', '"mode": "percentage"')
    files = {"r.yaml": rules(alert("Errors", EXPR + " > 0.02")), "d.json": d}
    assert not found(lint_files(files, config={"dashboards": {"required": [
        {"uid": "api", "panels": [{"title": "Error rate", "alert": "Errors"}]}]}}), "XF003")


def test_xf003_legacy_graph_thresholds(lint_files):
    p = panel(1, "Error rate", EXPR, ptype="graph", thresholds=[{"value": 0.05, "op": "gt"}],
              yaxes=[{"format": "percentunit"}, {"format": "short"}])
    files = {"r.yaml": rules(alert("Errors", EXPR + " > 0.02")), "d.json": dashboard(uid="api", panels=[p])}
    [f] = found(lint_files(files, config={"dashboards": {"required": [
        {"uid": "api", "panels": [{"title": "Error rate", "alert": "Errors"}]}]}}), "XF003")
    assert "draws thresholds at 0.05" in f.message
