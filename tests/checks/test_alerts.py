"""AL001-AL010: alert conditions, policy thresholds/for/severity/labels/metric, annotations
and templates."""
from __future__ import annotations

from tests.checks.helpers import alert, found, grafana_file, grafana_rule, record, rules


def test_al001_no_comparison(lint_files):
    r = lint_files({"r.yaml": rules(
        alert("Always", "sum by (job) (rate(errors_total[5m]))"),
        alert("Compared", "sum by (job) (rate(errors_total[5m])) > 1"),
        alert("Reversed", "1 < sum by (job) (rate(errors_total[5m]))"),
        alert("Inside", "sum by (topic) (backlog > 0)"),
        alert("Unless", "count by (i) (x offset 1h) unless count by (i) (x)"),
        alert("And", "x and changes(x[1m]) > 0"),
        alert("Absent", 'absent(up{job="api"})'),
        alert("State", 'kube_node_spec_unschedulable{node="a"}'),
        alert("Watchdog", "vector(1)"),
        alert("BoolOnly", "sum(rate(errors_total[5m])) > bool 1"))})
    names = sorted(f.message.split("`")[1] for f in found(r, "AL001"))
    assert names == ["Always", "BoolOnly"]


def test_al001_grafana_condition_on_the_query(lint_files):
    rule = grafana_rule("Direct", "sum(rate(errors_total[5m]))")
    rule["condition"] = "A"
    ok = grafana_rule("Thresholded", "sum(rate(errors_total[5m]))")
    r = lint_files({"g.yaml": grafana_file(rule, ok)})
    [f] = found(r, "AL001")
    assert "`Direct` uses query A as its condition" in f.message


POLICY = {"alerts": {"required": [
    {"name": "ErrorsHigh", "comparison": ">", "threshold": "2%", "for": "5m", "severity": "critical",
     "metric": "http_requests_total", "annotations": ["runbook_url"], "labels": {"team": "web"}}]}}


def test_al002_threshold_units(lint_files):
    r = lint_files({"r.yaml": rules(alert("ErrorsHigh", "sum(rate(http_requests_total[5m])) > 0.05",
                                          labels={"severity": "critical", "team": "web"},
                                          annotations={"summary": "s", "description": "d", "runbook_url": "u"}))},
                   config=POLICY)
    [f] = found(r, "AL002")
    assert f.message == "alert `ErrorsHigh` fires at `> 0.05`, the policy says `> 2% (= 0.02)`"
    assert [x.code for x in r.findings] == ["AL002"]


def test_al002_any_comparison_may_carry_the_threshold(lint_files):
    expr = "sum(rate(http_requests_total[5m])) > 10 and job:errors:ratio > 0.02"
    r = lint_files({"r.yaml": rules(alert("ErrorsHigh", expr))},
                   config={"alerts": {"required": [{"name": "ErrorsHigh", "threshold": "2%", "comparison": ">"}]}})
    assert not found(r, "AL002")


def test_al002_no_comparison_at_all(lint_files):
    r = lint_files({"r.yaml": rules(alert("ErrorsHigh", "job:errors:ratio"))},
                   config={"alerts": {"required": [{"name": "ErrorsHigh", "threshold": 0.02}]}})
    [f] = found(r, "AL002")
    assert "has no comparison with a number" in f.message


def test_al002_grafana_rule_without_prometheus_twin(lint_files):
    cfg = {"alerts": {"required": [{"name": "ErrorsHigh", "comparison": ">", "threshold": "2%"}]}}
    text = grafana_file(grafana_rule("ErrorsHigh", "job:errors:ratio", threshold=0.03))
    r = lint_files({"g.yaml": text}, config=cfg)
    [f] = found(r, "AL002")
    params_line = text.splitlines().index("            - 0.03") + 1
    assert "fires at `> 0.03`" in f.message and f.line == params_line  # the evaluator's threshold


def test_al003_for(lint_files):
    cfg = {"alerts": {"min-for": "2m", "required": [{"name": "Slow", "for": "10m"}]}}
    r = lint_files({"r.yaml": rules(alert("NoFor", "up == 0", for_=None), alert("Short", "up == 0", for_="1m"),
                                    alert("Fine", "up == 0", for_="2m"), alert("Slow", "up == 0", for_="5m"))},
                   config=cfg)
    msgs = [f.message for f in found(r, "AL003")]
    assert msgs == [
        "alert `NoFor` has no `for`, so it fires on the first evaluation; expected at least 2m "
        "(the policy's `alerts.min-for: 2m`)",
        "alert `Short` has `for: 1m`, shorter than 2m (the policy's `alerts.min-for: 2m`)",
        "alert `Slow` has `for: 5m`, shorter than 10m (the policy's `for: 10m` for this alert)"]


def test_al004_severity(lint_files):
    cfg = {"alerts": {"severities": ["critical", "warning"], "required": [{"name": "Pinned", "severity": "critical"}]}}
    r = lint_files({"r.yaml": rules(alert("Page", "up == 0", labels={"severity": "page"}),
                                    alert("None", "up == 0"),
                                    alert("Templated", "up == 0", labels={"severity": "{{ $labels.sev }}"}),
                                    alert("Pinned", "up == 0", labels={"severity": "warning"}),
                                    alert("Ok", "up == 0", labels={"severity": "warning"}))}, config=cfg)
    msgs = [f.message for f in found(r, "AL004")]
    assert msgs == ["severity `page` of alert `Page` is not one of critical, warning",
                    "alert `None` has no `severity` label (allowed: critical, warning)",
                    "alert `Pinned` has severity `warning`, the policy says `critical`"]


def test_al004_needs_a_policy(lint_files):
    assert not found(lint_files({"r.yaml": rules(alert("A", "up == 0", labels={"severity": "pageteam"}))}), "AL004")


def test_al005_annotations_default_and_policy(lint_files):
    files = {"r.yaml": rules(alert("Bare", "up == 0", annotations={}),
                             alert("Old", "up == 0", annotations={"summary": "s", "message": "m"}),
                             alert("Empty", "up == 0", annotations={"summary": "", "description": "d"}))}
    r = lint_files(files)
    assert [f.message for f in found(r, "AL005")] == ["alert `Bare` has no `summary`, `description` annotations",
                                                       "alert `Empty` has no `summary` annotation"]
    r = lint_files(files, config={"alerts": {"annotations": ["runbook_url"]}})
    assert len(found(r, "AL005")) == 3


def test_al006_label_lost_in_aggregation(lint_files):
    r = lint_files({"r.yaml": rules(
        alert("Agg", "sum by (service) (rate(x_total[5m])) > 1",
              annotations={"summary": "{{ $labels.instance }} of {{ $labels.service }}", "description": "d"}),
        alert("Without", "sum without (pod) (x) > 1",
              annotations={"summary": "{{ $labels.pod }} {{ $labels.node }}", "description": "d"}),
        alert("Absent", 'absent(up{job="api"})',
              annotations={"summary": "{{ $labels.job }} {{ $labels.instance }}", "description": "d"}),
        alert("OwnLabel", "sum(x) > 1", labels={"team": "web"},
              annotations={"summary": "{{ $labels.team }}", "description": "d"}),
        alert("Joined", "sum by (pod) (x) * on (pod) group_left (node) info > 1",
              annotations={"summary": '{{ $labels.node }} {{ index $labels "pod" }}', "description": "d"}),
        alert("Raw", "x > 1", annotations={"summary": "{{ $labels.anything }}", "description": "d"}))})
    msgs = [f.message for f in found(r, "AL006")]
    assert msgs == [
        "annotation `summary` of alert `Agg` uses `$labels.instance`, but the query's result keeps only `service`",
        "annotation `summary` of alert `Without` uses `$labels.pod`, but the query's result drops `pod`",
        "annotation `summary` of alert `Absent` uses `$labels.instance`, but the query's result keeps only `job`",
        "annotation `summary` of alert `OwnLabel` uses `$labels.team`, but the query's result keeps no labels "
        "(it is set by the rule's `labels:`, which Prometheus templates do not see)"]


def test_al006_labels_inside_range_and_with_blocks_are_not_the_alerts(lint_files):
    # Inside `range`/`with` the dot is a query sample or an item (rook's Ceph alerts range over
    # `printf "..." .Labels.cluster | query`); the block's own pipeline and `$labels` still
    # read the alert's labels.
    listing = ('{{- range printf "(up{cluster=\'%s\'} == 0)" .Labels.cluster | query }} {{ .Labels.pod }}'
               ' on {{ .Labels.node }}{{ end }}')
    r = lint_files({"r.yaml": rules(
        alert("Listed", "count by (cluster) (up == 0) > 1",
              annotations={"summary": "{{ $labels.cluster }}", "description": listing}),
        alert("WithBlock", "count by (cluster) (up == 0) > 1",
              annotations={"summary": '{{ with query "up" }}{{ (first .).Labels.pod }}{{ end }}',
                           "description": "{{ range $i, $s := query \"up\" }}{{ $labels.pod }}{{ end }}"}),
        alert("Header", "count by (cluster) (up == 0) > 1",
              annotations={"summary": '{{ range printf "up{pod=\'%s\'}" .Labels.pod | query }}{{ end }}',
                           "description": "d"}))})
    assert [(f.message.split("`")[3], f.message.split("`")[5]) for f in found(r, "AL006")] == [
        ("WithBlock", "$labels.pod"), ("Header", "$labels.pod")]


def test_al006_grafana_sees_rule_labels(lint_files):
    rule = grafana_rule("G", "sum by (service) (rate(x_total[5m]))", labels={"team": "web"},
                        annotations={"summary": "{{ $labels.team }} {{ $labels.service }} {{ $labels.alertname }}",
                                     "description": "{{ $labels.pod }}"})
    [f] = found(lint_files({"g.yaml": grafana_file(rule)}), "AL006")
    assert "`$labels.pod`" in f.message


def test_al007_value_in_labels(lint_files):
    rule = grafana_rule("G", "x", labels={"v": "{{ $values.B.Value }}"})
    r = lint_files({"r.yaml": rules(alert("P", "x > 1", labels={"value": "{{ $value }}", "ok": "static"})),
                    "g.yaml": grafana_file(rule)})
    assert sorted(f.message.split(" of ")[0] for f in found(r, "AL007")) == ["label `v`", "label `value`"]


def test_al008_grafana_templates(lint_files):
    def rule(title, text):
        return grafana_rule(title, "x", annotations={"summary": text, "description": "d"})

    r = lint_files({"g.yaml": grafana_file(
        rule("Unclosed", "{{ $labels.job "),
        rule("UnknownFunc", "{{ humanizeBytes $values.B.Value }}"),
        rule("ValueNumber", "{{ $value | humanizePercentage }}"),
        rule("ValueNumber2", "{{ humanize $value }}"),
        rule("BadRef", "{{ $values.Z.Value }}"),
        rule("Query", '{{ query "up" | first | value }}'),
        rule("Good", "{{ humanizePercentage $values.B.Value }} {{ $labels.job }} {{ $value }}"),
        rule("GrafanaFunc", "{{ removeLabels $labels \"job\" }}"))}, config={"grafana": {"version": "11.6"}})
    titles = [f.message for f in found(r, "AL008")]
    assert len(titles) == 6
    assert "cannot render in Grafana: unclosed action" in titles[0]
    assert 'function "humanizeBytes" not defined' in titles[1]
    assert "formats `$value` as a number" in titles[2] and "formats `$value`" in titles[3]
    assert "no query or expression with refId `Z`" in titles[4]
    assert "calls `query`" in titles[5]


def test_al008_value_is_the_number_in_grafana_12_with_one_datasource(lint_files):
    one = grafana_rule("One", "x", annotations={"summary": "{{ $value | humanizePercentage }}", "description": "d"})
    two = grafana_rule("Two", "x", annotations={"summary": "{{ humanize $value }}", "description": "d"})
    two["data"].insert(1, {"refId": "Z", "datasourceUid": "other", "model": {"expr": "y", "refId": "Z"}})
    r = lint_files({"g.yaml": grafana_file(one, two)})  # no policy: the newest Grafana
    assert [f.node[:4] for f in found(r, "AL008")] == [("groups", 0, "rules", 1)]  # only the two-datasource rule
    r = lint_files({"g.yaml": grafana_file(one, two)}, config={"grafana": {"version": "11.x"}})
    assert len(found(r, "AL008")) == 2


def test_al009_metric_through_recording_rules(lint_files):
    cfg = {"alerts": {"required": [{"name": "A", "metric": "http_requests_total"},
                                   {"name": "B", "metric": "http_request_duration_seconds"},
                                   {"name": "C", "metric": "http_requests_total"}]}}
    r = lint_files({"r.yaml": rules(
        record("job:errors:rate5m", 'sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))'),
        alert("A", "job:errors:rate5m > 1"),
        alert("B", "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 1"),
        alert("C", "sum(rate(grpc_errors_total[5m])) > 1"))}, config=cfg)
    [f] = found(r, "AL009")
    assert f.message == ("alert `C` does not read `http_requests_total` as the policy says (it reads "
                         "`grpc_errors_total`)")


def test_al010_labels(lint_files):
    cfg = {"alerts": {"required": [{"name": "A", "labels": {"team": "web", "service": "api"}}]}}
    r = lint_files({"r.yaml": rules(alert("A", "up == 0", labels={"team": "db"}))}, config=cfg)
    assert [f.message for f in found(r, "AL010")] == [
        "alert `A` has no label `service` (the policy says `service: api`)",
        "alert `A` has `team: db`, the policy says `team: web`"]
