"""grafana-operator custom resources: embedded and gzipped dashboards, ConfigMap references,
sources obslint cannot read, alert rule groups."""
from __future__ import annotations

import base64
import gzip
import zlib

from tests.resources.helpers import block, classic, gzip_b64, line_of, operator_dashboard, v2_dashboard


def _codes(result):
    return [f.code for f in result.findings]


def test_bad_promql_in_spec_json_points_inside_the_block_scalar(lint_files):
    text = operator_dashboard("api", "  json: >\n" + block(classic(expr="rate(x[5m]")))
    result = lint_files({"dash.yaml": text})
    pq = [f for f in result.findings if f.code == "PQ001"]
    assert [(f.line) for f in pq] == [line_of(text, '"expr"')]
    assert pq[0].col > 10


def test_v2_dashboard_in_spec_json_is_checked_with_positions(lint_files):
    text = operator_dashboard("api", "  json: |\n" + block(v2_dashboard(expr="sum(rate(x[5m])")))
    result = lint_files({"dash.yaml": text})
    assert [f.line for f in result.findings if f.code == "PQ001"] == [line_of(text, '"expr"')]


def test_gzip_json_is_decoded_and_checked(lint_files):
    body = f"  gzipJson: {gzip_b64(classic(uid='gz', expr='rate(x[5m]'))}\n"
    text = operator_dashboard("api", body)
    result = lint_files({"dash.yaml": text})
    pq = [f for f in result.findings if f.code == "PQ001"]
    assert len(pq) == 1 and pq[0].line == line_of(text, "gzipJson")
    assert result.project.dashboards[0].uid == "gz"


def test_broken_gzip_json_is_an_error_at_its_line(lint_files):
    not_gzip = base64.b64encode(b"plain text, not gzip").decode()
    cut = gzip_b64(classic())[:-12]
    cut = cut + "=" * (-len(cut) % 4)
    text = (operator_dashboard("a", "  gzipJson: H4sI%%%notbase64\n") + "---\n"
            + operator_dashboard("b", f"  gzipJson: {not_gzip}\n") + "---\n"
            + operator_dashboard("c", f"  gzipJson: {cut}\n"))
    result = lint_files({"dash.yaml": text})
    rs = [f for f in result.findings if f.code == "RS003"]
    assert [f.line for f in rs] == [line_of(text, "gzipJson", n) for n in (1, 2, 3)]
    assert all(f.severity.name == "ERROR" for f in rs)
    assert "base64" in rs[0].message and "gzip" in rs[1].message


def test_gzip_bomb_is_refused_without_inflating_it(lint_files):
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * (1 << 20)
    raw = b"".join(comp.compress(chunk) for _ in range(64)) + comp.flush()  # 64 MiB of spaces
    text = operator_dashboard("bomb", f"  gzipJson: {base64.b64encode(raw).decode()}\n")
    result = lint_files({"dash.yaml": text})
    rs = [f for f in result.findings if f.code == "RS003"]
    assert len(rs) == 1 and "more than" in rs[0].message


def test_uncheckable_sources_are_info(lint_files):
    text = (operator_dashboard("u", '  url: "https://example.com/d.json"\n') + "---\n"
            + operator_dashboard("g", "  grafanaCom:\n    id: 1860\n") + "---\n"
            + operator_dashboard("j", "  jsonnet: |\n    {}\n"))
    result = lint_files({"dash.yaml": text})
    rs = [(f.line, f.severity.name) for f in result.findings if f.code == "RS002"]
    assert rs == [(line_of(text, "url:"), "INFO"), (line_of(text, "grafanaCom:"), "INFO"),
                  (line_of(text, "jsonnet:"), "INFO")]


def test_empty_json_next_to_another_source_is_unset(lint_files):
    # the operator takes `json` only when it is not "" (content.GetSourceTypes): with `url` set
    # as well, an empty `json: ""` is no broken content
    text = (operator_dashboard("u", '  url: "https://example.com/d.json"\n  json: ""\n') + "---\n"
            + operator_dashboard("e", '  json: ""\n'))
    result = lint_files({"dash.yaml": text})
    alone = text[:text.rindex('json: ""')].count("\n") + 1  # the second resource: `json: ""` and nothing else
    assert [(f.code, f.line) for f in result.findings if f.code in ("RS002", "RS003")] == [
        ("RS002", line_of(text, "url:")), ("RS003", alone)]


def test_config_map_ref_resolved_when_the_config_map_is_linted(lint_files):
    cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api-dash\ndata:\n  api.json: >\n"
          + block(classic(expr="rate(x[5m]")))
    ref = operator_dashboard("api", "  configMapRef:\n    name: api-dash\n    key: api.json\n")
    result = lint_files({"cm.yaml": cm, "ref.yaml": ref})
    assert "RS004" not in _codes(result)
    assert [f.file for f in result.findings if f.code == "PQ001"] == ["cm.yaml"]


def test_config_map_ref_not_linted_is_reported(lint_files):
    ref = operator_dashboard("api", "  configMapRef:\n    name: elsewhere\n    key: api.json\n")
    result = lint_files({"ref.yaml": ref})
    assert [(f.line, f.severity.name) for f in result.findings if f.code == "RS004"] == \
        [(line_of(ref, "configMapRef"), "INFO")]


def test_operator_folder_separates_titles(lint_files):
    a = operator_dashboard("a", "  json: >\n" + block(classic(uid="a", title="Same")), folder="One")
    b = operator_dashboard("b", "  json: >\n" + block(classic(uid="b", title="Same")), folder="Two")
    c = operator_dashboard("c", "  json: >\n" + block(classic(uid="c", title="Same")), folder="Two")
    result = lint_files({"a.yaml": a, "b.yaml": b, "c.yaml": c})
    assert sorted(f.file for f in result.findings if f.code == "DB005") == ["b.yaml", "c.yaml"]


def test_classic_file_and_operator_dashboard_in_one_directory_do_not_share_a_folder(lint_files):
    cr = operator_dashboard("a", "  json: >\n" + block(classic(uid="a", title="Same")))
    result = lint_files({"d/cr.yaml": cr, "d/source.json": __import__("json").dumps(classic(uid="b", title="Same"))})
    assert "DB005" not in _codes(result)


ALERT_GROUP = """\
apiVersion: grafana.integreatly.org/v1beta1
kind: GrafanaAlertRuleGroup
metadata:
  name: api
spec:
  folderRef: alerts
  instanceSelector:
    matchLabels:
      dashboards: grafana
  interval: 5m
  rules:
    - uid: api-down
      title: ApiDown
      condition: B
      for: 5m
      noDataState: Missing
      execErrState: Error
      notificationSettings:
        receiver: ops
      data:
        - refId: A
          datasourceUid: prom
          relativeTimeRange:
            from: 600
          model:
            expr: up{job="api"} ==
        - refId: B
          datasourceUid: __expr__
          model:
            type: threshold
            expression: A
            conditions: [{evaluator: {type: lt, params: [1]}}]
"""


def test_alert_rule_group_rules_go_through_grafana_alerting_checks(lint_files):
    result = lint_files({"rules.yaml": ALERT_GROUP})
    by = {f.code: f for f in result.findings}
    assert by["PQ001"].line == line_of(ALERT_GROUP, "expr:")
    assert by["GA001"].line == line_of(ALERT_GROUP, "noDataState")
    assert "GA002" not in by  # notificationSettings is the operator's name for notification_settings
    assert len(result.project.grafana_rules) == 1


def test_config_map_ref_resolved_through_a_kustomize_generator(lint_files):
    ref = operator_dashboard("api", "  configMapRef:\n    name: api-dash\n    key: api.json\n", folder="Team")
    kust = ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - dashboard.yaml\n"
            "configMapGenerator:\n  - name: api-dash\n    files:\n      - api.json=dashboards/api.json\n")
    result = lint_files({"k/dashboard.yaml": ref, "k/kustomization.yaml": kust,
                         "k/dashboards/api.json": __import__("json").dumps(classic())})
    assert "RS004" not in _codes(result)
    assert result.project.dashboards[0].doc.folder == "Grafana folder `Team`"
    missing = kust.replace("api.json=dashboards/api.json", "api.json=elsewhere.json")
    result = lint_files({"k/kustomization.yaml": missing})
    assert [f.message for f in result.findings if f.code == "RS004"][0].count("elsewhere.json") == 1


def test_templated_content_is_not_checkable_rather_than_broken(lint_files):
    text = (operator_dashboard("a", "  json: ($dashboardModel)\n") + "---\n"
            + operator_dashboard("b", "  gzipJson: |-\n    {{- .Files.Get \"d.gz\" | b64enc }}\n"))
    result = lint_files({"dash.yaml": text})
    assert "RS003" not in _codes(result)
    assert [f.line for f in result.findings if f.code == "RS002"] == [line_of(text, "json:"),
                                                                       line_of(text, "gzipJson:")]


def test_operator_record_target_datasource_is_not_an_unknown_key(lint_files):
    text = ALERT_GROUP.replace("      notificationSettings:\n        receiver: ops\n",
                               "      record:\n        from: A\n        metric: up:ok\n        targetDatasourceUid: prom\n")
    result = lint_files({"rules.yaml": text})
    assert "GA002" not in _codes(result)


def test_grafana_datasource_spec_uid_is_the_datasource_uid(lint_files):
    cr = ("apiVersion: grafana.integreatly.org/v1beta1\nkind: GrafanaDatasource\nmetadata: {name: t}\nspec:\n"
          "  instanceSelector: {matchLabels: {a: b}}\n  uid: prom-uid\n"
          "  datasource: {name: Prom, type: prometheus, access: proxy, url: 'http://p:9090'}\n")
    dash = __import__("json").dumps(classic(ds={"type": "prometheus", "uid": "prom-uid"}))
    result = lint_files({"ds.yaml": cr, "dash.json": dash})
    assert "DS001" not in _codes(result)


def test_deeply_nested_embedded_json_is_refused_not_crashed_on(lint_files):
    deep = "[" * 150 + "]" * 150
    text = (operator_dashboard("a", f"  json: '{{\"panels\": [], \"title\": \"x\", \"x\": {deep}}}'\n") + "---\n"
            + operator_dashboard("b", f"  gzipJson: {gzip_b64({'panels': [], 'x': __import__('json').loads(deep)})}\n"))
    result = lint_files({"dash.yaml": text})
    rs = [f for f in result.findings if f.code == "RS003"]
    assert len(rs) == 2 and all("levels deep" in f.message for f in rs)
    assert "IN011" not in _codes(result)


def test_folder_ref_and_folder_title_name_the_same_folder(lint_files):
    folder = ("apiVersion: grafana.integreatly.org/v1beta1\nkind: GrafanaFolder\nmetadata: {name: team-folder}\n"
              "spec:\n  instanceSelector: {matchLabels: {a: b}}\n  title: Team\n")
    a = operator_dashboard("a", "  json: >\n" + block(classic(uid="a", title="Same"))).replace(
        "spec:\n", "spec:\n  folderRef: team-folder\n", 1)
    b = operator_dashboard("b", "  json: >\n" + block(classic(uid="b", title="Same")), folder="Team")
    result = lint_files({"f.yaml": folder, "x/a.yaml": a, "y/b.yaml": b})
    assert sorted(f.file for f in result.findings if f.code == "DB005") == ["x/a.yaml", "y/b.yaml"]
    assert all(f.doc.folder == "Grafana folder `Team`" for f in result.findings if f.code == "DB005")


def test_unknown_datasource_in_an_operator_dashboard_points_inside_the_block(lint_files):
    pv = ("apiVersion: 1\ndatasources:\n  - {name: Prometheus, type: prometheus, uid: prom, access: proxy, "
          "url: 'http://p:9090'}\n")
    text = operator_dashboard("a", "  json: |\n" + block(classic(ds={"type": "prometheus", "uid": "gone"})))
    result = lint_files({"ds.yaml": pv, "dash.yaml": text})
    assert [f.line for f in result.findings if f.code == "DS001"] == [line_of(text, '"uid": "gone"')]


def test_malformed_operator_resources_never_crash(lint_files):
    head = "apiVersion: grafana.integreatly.org/v1beta1\nkind: {kind}\nmetadata: {{name: x}}\n"
    bodies = ["spec: []", "spec: {rules: x, interval: 5}", "spec: {rules: [7, {data: x}, {data: [5, {model: 3}]}]}",
              "spec: {json: 5}", "spec: {gzipJson: 5}", "spec: {configMapRef: x}", "spec: {configMapRef: {name: 3}}",
              "spec: {datasources: x, json: '{\"panels\": 3}'}", "spec: {template: x}",
              "spec: {template: {apiVersion: dashboard.grafana.app/v2, kind: Dashboard, spec: 5}}",
              "spec: {datasource: 5}", "spec: {title: [1]}", "spec: {json: '[1, 2]'}"]
    kinds = ["GrafanaDashboard", "GrafanaAlertRuleGroup", "GrafanaLibraryPanel", "GrafanaManifest",
             "GrafanaDatasource", "GrafanaFolder"]
    text = "---\n".join(head.format(kind=k) + b + "\n" for k in kinds for b in bodies)
    result = lint_files({"all.yaml": text})
    assert [f.message for f in result.findings if f.code in ("IN011", "IN010")] == []


def test_lists_where_names_belong_never_crash(lint_files):
    text = ("apiVersion: grafana.integreatly.org/v1beta1\nkind: GrafanaFolder\nmetadata: {name: [a]}\nspec: {title: [t]}\n"
            "---\nkind: [Dashboard]\nmetadata: {project: p}\nspec: {}\n---\n"
            + operator_dashboard("x", "  configMapRef: {name: [a], key: [b]}\n"))
    dash = classic()
    dash["panels"][0]["libraryPanel"] = {"uid": ["x"], "name": {"n": 1}}
    v2 = v2_dashboard()
    v2["spec"]["variables"] = [{"kind": ["QueryVariable"], "spec": {"name": "v"}}]
    result = lint_files({"a.yaml": text, "d.json": __import__("json").dumps(dash),
                         "v.json": __import__("json").dumps(v2), "lib.json": '{"uid": "u", "name": "n", "model": {"type": "x"}}'})
    assert [f.message for f in result.findings if f.code in ("IN011", "IN010")] == []


def test_an_object_without_panels_is_an_empty_dashboard(lint_files):
    # the operator posts any JSON object as the dashboard model: its own tests apply
    # `{"title": "Minimal Dashboard", "links": []}`; Grafana refuses only a model without a title
    text = (operator_dashboard("minimal", "  json: >\n" + block({"uid": "minimal", "title": "Minimal", "links": []}))
            + "---\n" + operator_dashboard("untitled", "  json: |\n    {\n    }\n")
            + "---\n" + operator_dashboard("cm", "  json: >\n" + block({"apiVersion": "v1", "kind": "ConfigMap"})))
    result = lint_files({"dash.yaml": text})
    errors = [(f.code, f.line) for f in result.findings if f.severity.name == "ERROR"]
    assert errors == [("DB001", line_of(text, "{", 2)), ("RS003", line_of(text, "json:", 3))], errors
    assert "title" in next(f.message for f in result.findings if f.code == "DB001")
    assert [d.uid for d in result.project.dashboards][:1] == ["minimal"]


def test_spec_uid_is_the_dashboards_uid(lint_files):
    # grafana-operator's GetGrafanaUID: `spec.uid`, then the model's uid, then metadata.uid
    model = {k: v for k, v in classic().items() if k != "uid"}
    named = operator_dashboard("a", "  uid: team-api\n  json: >\n" + block(model))
    unnamed = operator_dashboard("b", "  json: >\n" + block(dict(model, title="Other")))
    overriding = operator_dashboard("c", "  uid: team-api\n  json: >\n" + block(classic(uid="inner", title="Third")))
    result = lint_files({"a.yaml": named, "b.yaml": unnamed, "c.yaml": overriding})
    assert sorted(d.uid for d in result.project.dashboards if d.uid) == ["team-api", "team-api"]
    [missing] = [f for f in result.findings if f.code == "DB002"]
    assert missing.file == "b.yaml" and "metadata.uid" in missing.message and "spec.uid" in missing.fix
    assert {f.file for f in result.findings if f.code == "DB004"} == {"a.yaml", "c.yaml"}
