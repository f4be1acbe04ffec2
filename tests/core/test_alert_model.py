"""model.Alert: one view of an alert for Prometheus rules and Grafana-managed rules, and the
one `check_alert` hook that sees both kinds (each rule's `applies_to` narrows it)."""
from __future__ import annotations

import textwrap

from obslint.config import Config
from obslint.engine import Context, load_project, run_rules
from obslint.model import GRAFANA_ALERT, PROMETHEUS_ALERT
from obslint.registry import Rule

PROM = textwrap.dedent("""\
    groups:
      - name: api
        rules:
          - record: job:errors:ratio5m
            expr: sum by (job) (rate(errors_total[5m])) / sum by (job) (rate(requests_total[5m]))
          - alert: ApiErrors
            expr: job:errors:ratio5m > 0.02
            for: 5m
            keep_firing_for: 10m
            labels: {severity: critical}
            annotations: {summary: "{{ $labels.job }} fails"}
    """)

GRAFANA = textwrap.dedent("""\
    apiVersion: 1
    groups:
      - orgId: 1
        name: api
        folder: API
        interval: 1m
        rules:
          - uid: api-errors
            title: ApiErrors
            condition: B
            data:
              - refId: A
                datasourceUid: prometheus
                model: {expr: 'job:errors:ratio5m', refId: A}
              - refId: B
                datasourceUid: __expr__
                model: {type: threshold, expression: A, refId: B,
                        conditions: [{evaluator: {type: gt, params: [0.02]}}]}
            for: 5m
            labels: {severity: critical}
          - uid: api-recorded
            title: ApiRecorded
            record: {metric: api_recorded, from: A}
            data:
              - refId: A
                datasourceUid: prometheus
                model: {expr: 'sum(up)', refId: A}
    """)


def _project(tmp_path):
    (tmp_path / "rules.yml").write_text(PROM)
    (tmp_path / "alerting.yaml").write_text(GRAFANA)
    project, _found, _files = load_project([tmp_path], Config())
    return project


def test_both_kinds_share_one_view(tmp_path):
    project = _project(tmp_path)
    by_kind = {a.kind: a for a in project.alerts}
    assert set(by_kind) == {PROMETHEUS_ALERT, GRAFANA_ALERT}  # the recording rules are no alerts
    prom, graf = by_kind[PROMETHEUS_ALERT], by_kind[GRAFANA_ALERT]
    for a in (prom, graf):
        assert a.name == "ApiErrors"
        assert a.labels == {"severity": "critical"}
        assert a.for_ == "5m"
        assert [(t.op, t.value) for t in a.thresholds] == [(">", 0.02)]
    assert prom.keep_firing_for == "10m" and graf.keep_firing_for is None
    assert prom.annotations == {"summary": "{{ $labels.job }} fails"} and graf.annotations == {}
    assert prom.query.expr == "job:errors:ratio5m > 0.02" and prom.expr_path == prom.query.path
    assert graf.query.expr == "job:errors:ratio5m" and graf.expr_path == graf.path + ("data",)
    assert prom.mirrors == [graf] and graf.mirrors == [prom]
    assert graf.is_mirror and not prom.is_mirror
    assert "grafana_folder" in graf.template_labels and not prom.template_labels


def test_check_alert_sees_both_kinds_unless_applies_to_narrows_it(tmp_path):
    project = _project(tmp_path)
    seen: dict[str, list] = {"all": [], "prom": []}

    class Every(Rule):  # no code: not registered
        def check_alert(self, alert, ctx):
            seen["all"].append(alert.kind)
            return ()

    class PromOnly(Rule):
        applies_to = ("prometheus-rules",)

        def check_alert(self, alert, ctx):
            seen["prom"].append(alert.kind)
            return ()

    rules = [Every(), PromOnly()]
    run_rules(rules, project, Context(Config(), project))
    assert sorted(seen["all"]) == [GRAFANA_ALERT, PROMETHEUS_ALERT]
    assert seen["prom"] == [PROMETHEUS_ALERT]
