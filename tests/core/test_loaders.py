"""Malformed input becomes a finding at the right line:col, never a traceback."""
from __future__ import annotations

from tests.conftest import codes


def where(result, code):
    return [(f.file, f.line, f.col) for f in result.findings if f.code == code]


def test_invalid_json_points_at_the_error(lint_files):
    r = lint_files({"d.json": '{\n  "title": "x",\n  "panels": [\n    {"id": 1,}\n  ]\n}\n'})
    assert where(r, "IN003") == [("d.json", 4, 14)]


def test_invalid_yaml_points_at_the_error(lint_files):
    r = lint_files({"r.yaml": "groups:\n  - name: a\n    rules: [\n      - record: x\n"})
    (f,) = [f for f in r.findings if f.code == "IN003"]
    assert f.file == "r.yaml" and f.line >= 3


def test_tabs_in_yaml_indentation(lint_files):
    r = lint_files({"r.yaml": "groups:\n\t- name: a\n"})
    (f,) = [f for f in r.findings if f.code == "IN003"]
    assert (f.line, f.col) == (2, 1)
    assert "tab" in f.message.lower()


def test_duplicate_yaml_key_reported_at_the_second_key(lint_files):
    r = lint_files({"r.yaml": "groups:\n  - name: a\n    name: b\n    rules: []\n"})
    assert where(r, "IN004") == [("r.yaml", 3, 5)]


def test_duplicate_json_keys_at_every_level(lint_files):
    text = '{"title": "a", "title": "b", "panels": [{"id": 1, "id": 2, "type": "graph"}]}'
    r = lint_files({"d.json": text})
    assert where(r, "IN004") == [("d.json", 1, 16), ("d.json", 1, 51)]


def test_invalid_utf8_position(lint_files):
    r = lint_files({"r.yaml": b"groups:\n  - name: caf\xe9\n"})
    assert where(r, "IN002") == [("r.yaml", 2, 14)]


def test_utf16_file(lint_files):
    r = lint_files({"d.json": '{"title": "x", "panels": []}'.encode("utf-16")})
    assert codes(r) == ["IN002"] and str(r.findings[0].severity) == "error"


def test_utf16_yaml_is_read_as_prometheus_reads_it(lint_files):
    # promtool decodes a UTF-16 rule file by its byte order mark; obslint lints it, and never fixes it
    r = lint_files({"r.yaml": "groups:\n  - name: a\n    rules:\n      - record: x\n        expr: sum(rate(x[5m])\n"
                    .encode("utf-16"),
                    "ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n".encode("utf-16")})
    assert [(f.code, f.file, str(f.severity)) for f in r.findings if f.code in ("IN002", "PQ001")] == [
        ("IN002", "r.yaml", "info"), ("PQ001", "r.yaml", "error")]  # nothing on the Namespace, which is skipped
    assert [f.line for f in r.findings if f.code == "PQ001"] == [5]


def test_a_utf16_file_is_never_rewritten(tmp_path):
    from obslint.engine import lint

    raw = "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up{job=~\"api\"} == 0\n".encode("utf-16")
    (tmp_path / "r.yaml").write_bytes(raw)
    result = lint([tmp_path], fix="unsafe")
    assert (tmp_path / "r.yaml").read_bytes() == raw
    assert any("UTF-16" in why for _f, why in result.fixes.dropped)


def test_json_bom_is_an_error_yaml_bom_is_fine(lint_files):
    r = lint_files({"d.json": b'\xef\xbb\xbf{"title": "x", "panels": []}', "r.yaml": b"\xef\xbb\xbfgroups: []\n"})
    assert where(r, "IN006") == [("d.json", 1, 1)]
    assert not [f for f in r.findings if f.file == "r.yaml"]


def test_nul_bytes(lint_files):
    r = lint_files({"d.json": b'{"title": "x"\x00}'})
    assert where(r, "IN002") == [("d.json", 1, 14)]


def test_empty_file_is_info(lint_files):
    r = lint_files({"r.yaml": "", "w.yaml": "  \n\n"})
    assert sorted(where(r, "IN005")) == [("r.yaml", 1, 1), ("w.yaml", 1, 1)]
    assert all(f.severity.name == "INFO" for f in r.findings)


def test_multi_document_yaml_positions(lint_files):
    text = (
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: a}\n"
        "spec:\n  groups:\n    - name: a\n      rules:\n        - alert: A\n          expr: up == 0\n"
        "---\n"
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: b}\n"
        "spec:\n  groups:\n    - name: b\n      rules:\n        - alert: B\n          expr: rate(up)\n"
    )
    r = lint_files({"rules.yaml": text})
    assert where(r, "PQ001") == [("rules.yaml", 19, 17)]


def test_configmap_embedded_dashboard_positions(lint_files):
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dashboards\ndata:\n"
        "  api.json: |\n"
        "    {\n"
        "      \"title\": \"API\",\n"
        "      \"panels\": [\n"
        "        {\"id\": 1, \"type\": \"timeseries\", \"targets\": [{\"expr\": \"sum(rate(x[5m])\"}]}\n"
        "      ]\n"
        "    }\n"
    )
    r = lint_files({"cm.yaml": text})
    assert where(r, "PQ001") == [("cm.yaml", 10, 78)]  # where the expression ends too early


def test_configmap_list_dashboards_are_found_at_their_positions(lint_files):
    # `kind: ConfigMapList` (or `List`): what `kubectl get -o yaml` writes; kube-prometheus ships
    # its dashboards so. Each ConfigMap's dashboards are checked, and placed in the file.
    def item(name, expr):
        return ("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: " + name + "\n  data:\n"
                "    d.json: |\n      {\"title\": \"" + name + "\", \"uid\": \"" + name + "\", \"panels\": [\n"
                "        {\"id\": 1, \"type\": \"timeseries\", \"targets\": [{\"expr\": \"" + expr + "\"}]}]}\n")

    for kind in ("ConfigMapList", "List"):
        text = f"apiVersion: v1\nkind: {kind}\nitems:\n" + item("a", "up") + item("b", "sum(rate(x[5m])")
        r = lint_files({"list.yaml": text})
        assert where(r, "PQ001") == [("list.yaml", 19, 78)], kind  # where the second one's query ends
        assert len(r.project.dashboards) == 2


def test_wrapped_dashboard_and_suffixless_dashboard_are_found(lint_files):
    r = lint_files({
        "wrapped.json": '{"dashboard": {"title": "A", "panels": [{"type": "graph", "targets": [{"expr": "rate(x[5m]"}]}]}}',
        "dashboards/noext": '{"title": "B", "panels": [{"type": "graph", "targets": [{"expr": "rate(y[5m]"}]}]}',
    })
    assert sorted((f.file, f.code) for f in r.findings if f.code in ("PQ001", "DB020")) == [
        ("dashboards/noext", "PQ001"), ("wrapped.json", "DB020"), ("wrapped.json", "PQ001")]


def test_unknown_yaml_is_skipped_and_listed(lint_files):
    r = lint_files({"values.yaml": "replicaCount: 2\n", "other.json": "[1, 2]"})
    assert not r.findings
    assert sorted(r.skipped) == ["other.json", "values.yaml"]


def test_vendored_trees_are_skipped(lint_files):
    r = lint_files({"node_modules/x/rules.yaml": "groups:\n  - rules: [{expr: 'rate('}]\n",
                    ".git/rules.yaml": "groups: [{}]\n", ".venv/d.json": "{"})
    assert r.files == 0


def test_db020_a_save_request_for_the_api_is_info(lint_files):
    # redis-enterprise-observability posts `{"dashboard": ..., "overwrite": true}` with curl;
    # a saved `GET /api/dashboards/uid/...` answer (`meta`) or a bare wrapper is a provisioning mistake.
    inner = '{"title": "A", "uid": "a", "panels": []}'
    r = lint_files({"post.json": '{"dashboard": ' + inner + ', "overwrite": true, "folderUid": "x"}',
                    "get.json": '{"dashboard": ' + inner.replace('"a"', '"b"') + ', "meta": {"type": "db"}}',
                    "bare.json": '{"dashboard": ' + inner.replace('"a"', '"c"') + '}'})
    got = {f.file: f for f in r.findings if f.code == "DB020"}
    assert {k: f.severity.name for k, f in got.items()} == {"post.json": "INFO", "get.json": "ERROR",
                                                           "bare.json": "ERROR"}
    assert "save request for Grafana's HTTP API" in got["post.json"].message


def test_another_tools_json_with_a_bom_is_info_and_never_rewritten(tmp_path):
    # fluent-bit vendors yyjson's test data; a tsconfig saved by Visual Studio starts with a BOM
    from obslint.engine import lint

    foreign = b'\xef\xbb\xbf{"compilerOptions": {"strict": true}}'
    ours = b'\xef\xbb\xbf{"title": "x", "panels": []}'
    (tmp_path / "tsconfig.json").write_bytes(foreign)
    (tmp_path / "latin1.json").write_bytes(b'{"name": "caf\xe9"}')
    (tmp_path / "d.json").write_bytes(ours)
    result = lint([tmp_path], fix="safe")
    got = sorted((f.file.rsplit("/", 1)[-1], f.code, str(f.severity)) for f in result.findings
                 if f.code in ("IN002", "IN006"))
    assert got == [("latin1.json", "IN002", "info"), ("tsconfig.json", "IN006", "info")]  # d.json was fixed
    assert (tmp_path / "tsconfig.json").read_bytes() == foreign
    assert (tmp_path / "d.json").read_bytes() == ours[3:]


def test_a_tool_config_with_comments_is_another_tools_file(lint_files):
    # grafana/agent's .eslintrc.json: comments (JSONC) and an import-sort `groups` key
    text = '{\n  // sort imports\n  "settings": {"groups": [["^react"]]}\n}\n'
    r = lint_files({"ui/.eslintrc.json": text, "ui/tsconfig.app.json": text, "ui/rules.json": text})
    got = sorted((f.file, str(f.severity)) for f in r.findings if f.code == "IN003")
    assert got == [("ui/.eslintrc.json", "info"), ("ui/rules.json", "error"), ("ui/tsconfig.app.json", "info")]
