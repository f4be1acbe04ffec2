"""DB040-DB042: dashboard template variables."""
from __future__ import annotations

import json

from tests.checks.helpers import found, panel


def _dash(panels, variables=(), **extra):
    d = {"uid": "api", "title": "API", "schemaVersion": 39, "panels": panels,
         "templating": {"list": list(variables)}}
    d.update(extra)
    return {"d.json": json.dumps(d, indent=2)}


def _var(name, query="label_values(up, job)", vtype="query", **extra):
    return {"name": name, "type": vtype, "query": query, **extra}


def test_db040_undefined_variable_in_query_title_repeat_and_datasource(lint_files):
    r = lint_files(_dash([
        panel(1, "Requests of $job", 'sum(rate(x{job="$job", env="${env}", pod="[[pod:regex]]"}[$__rate_interval]))'),
        panel(2, "B", "up", repeat="node", datasource="${DS_PROM}"),
        panel(3, "C", 'up{cluster="$Cluster"}')],
        [_var("job"), _var("cluster")]))
    got = found(r, "DB040")
    assert sorted(f.context["variable"] for f in got) == ["Cluster", "DS_PROM", "env", "node"]
    cluster = next(f for f in got if f.context["variable"] == "Cluster")
    assert cluster.fix == "did you mean `$cluster`? Variable names are case-sensitive"
    assert all(f.severity.name == "ERROR" for f in got)
    effect = {f.context["variable"]: f.message.split(": ", 1)[1] for f in got}
    assert effect["DS_PROM"] == "Grafana finds no datasource of that name, so the queries fail"
    assert effect["node"] == "the panel is not repeated"
    assert effect["env"] == "Grafana leaves it as text, so it matches nothing"


def test_db040_in_a_title_or_legend_is_a_warning(lint_files):
    # A title, description, link or legend is shown as written: nothing stops working.
    legend = panel(2, "B", 'up{job="$job"}')
    legend["targets"][0]["legendFormat"] = "{{pod}} in $zone"
    r = lint_files(_dash([panel(1, "Requests of $service", "up"), legend], [_var("job")]))
    got = {f.context["variable"]: f for f in found(r, "DB040")}
    assert set(got) == {"service", "zone"}
    assert all(f.severity.name == "WARNING" and f.message.endswith("Grafana shows it as written")
               for f in got.values())


def test_db040_variables_juju_injects_into_charm_dashboards_are_defined(lint_files):
    # Juju's COS library adds `prometheusds`, `lokids` and the `juju_*` topology variables to
    # every dashboard a charm ships; charm dashboards use them without defining them
    r = lint_files(_dash([
        panel(1, "Up of $juju_application", 'up{juju_model="$juju_model", juju_unit=~"$juju_unit", x="$other"}',
              datasource="${prometheusds}"),
        panel(2, "Logs", 'rate({juju_model_uuid="$juju_model_uuid"}[5m])', datasource={"uid": "${lokids}"})]))
    assert [f.context["variable"] for f in found(r, "DB040")] == ["other"]


def test_db040_built_ins_inputs_and_escaped_dollars_are_defined(lint_files):
    r = lint_files(_dash([
        panel(1, "${__field.labels.pod}", 'sum(rate(x{job=~"$job", t!~"\\\\$SYS.*"}[$__interval])) / $__range_s '
                                          '+ ($__interval_ms) * label_replace(y, "a", "$1", "b", "(.*)")',
              datasource="${DS_PROMETHEUS}", links=[{"url": "/d/x?var-job=${job}&${__url_time_range}"}]),
        panel(2, "Legacy [[interval]]", "rate(x[$interval])")],
        [_var("job")], __inputs=[{"name": "DS_PROMETHEUS", "type": "datasource", "pluginId": "prometheus"}]))
    assert not found(r, "DB040")


def test_db040_skips_queries_of_other_languages(lint_files):
    p = panel(1, "Logs", None, datasource={"type": "influxdb", "uid": "influx"},
              targets=[{"refId": "A", "query": "SELECT mean(v) FROM m WHERE $timeFilter", "alias": "$tag_host $col"}])
    assert not found(lint_files(_dash([p])), "DB040")


def test_db041_unused_variable_is_info(lint_files):
    r = lint_files(_dash([panel(1, "A", 'up{job="$job"}')],
                         [_var("job"), _var("pod"), _var("ns", "label_values(up{pod=~\"$pod2\"}, ns)"),
                          _var("pod2"), {"name": "Filters", "type": "adhoc"}]))
    got = found(r, "DB041")
    assert [(f.context["variable"], f.severity.name) for f in got] == [("pod", "INFO"), ("ns", "INFO")]


def test_db041_quiet_when_links_pass_variables_on(lint_files):
    r = lint_files(_dash([panel(1, "A", "up")], [_var("job")], links=[{"type": "dashboards", "includeVars": True}]))
    assert not found(r, "DB041")


def test_db042_variable_query_promql_must_parse(lint_files):
    r = lint_files(_dash([panel(1, "A", 'up{job="$job", pod="$pod", x="$x", y="$y"}')], [
        _var("job", 'label_values(pgbouncer_up{,job=~"$job"}, job)'),
        _var("pod", {"query": "query_result(topk(5, sum by (pod) (rate(x[5m]))", "refId": "V"}),
        _var("x", "label_values(up{job=\"a\"}, instance)"), _var("y", "label_values(job)"),
        _var("z", "label_values({a=\"b\",}, c)", datasource={"type": "loki"})]))
    got = found(r, "DB042")
    assert [f.context["variable"] for f in got] == ["job", "pod"]
    assert "the PromQL in `label_values(...)` does not parse" in got[0].message


def test_a_datasource_variable_whose_name_is_not_text_breaks_no_check(lint_files):
    # Found by the mutation fuzzer: `{"type": "datasource", "name": [...]}` made DB040 fail.
    r = lint_files(_dash([panel(1, "A", 'up{job="$job"}', datasource="$ds")],
                         [{"type": "datasource", "name": ["ds"], "query": "prometheus"}, _var("job")]))
    assert not [f for f in r.findings if f.code == "IN011"]
    assert [f.context["variable"] for f in found(r, "DB040")] == ["ds"]


def test_an_import_input_with_a_space_or_a_dot_in_its_name_is_defined(lint_files):
    # aws-observability: `${DS_ADOT_METRICS GA}`; Grafana's import replaces `${...}` whole
    from tests.checks.helpers import dashboard, found

    for name in ("DS_PROM GA", "DS_PROM.GA"):
        d = dashboard(panels=[{"id": 1, "type": "timeseries", "title": "Up", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
                               "datasource": {"type": "prometheus", "uid": "${%s}" % name},
                               "targets": [{"refId": "A", "expr": "up"}]}],
                      __inputs=[{"name": name, "type": "datasource", "pluginId": "prometheus"}])
        assert not found(lint_files({"d.json": d}), "DB040"), name
    d = dashboard(panels=[{"id": 1, "type": "timeseries", "title": "Up", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
                           "datasource": {"type": "prometheus", "uid": "${DS_OTHER}"},
                           "targets": [{"refId": "A", "expr": "up"}]}],
                  __inputs=[{"name": "DS_PROM GA", "type": "datasource", "pluginId": "prometheus"}])
    assert found(lint_files({"d.json": d}), "DB040")
