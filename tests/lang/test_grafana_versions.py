"""Policy `grafana: {version}`: alerting apiVersion 2, provisioning keys Grafana reads."""
from tests.checks.helpers import found


ALERTING_V2 = """apiVersion: 2
groups:
  - orgId: 1
    name: api
    folder: API
    interval: 1m
    rules:
      - uid: api-down
        title: ApiDown
        condition: A
        data:
          - refId: A
            datasourceUid: prometheus
            model: {expr: 'up == 0', refId: A}
"""


def test_alerting_api_version_2_is_read_by_grafana_12(lint_files):
    assert found(lint_files({"alerting.yaml": ALERTING_V2}), "GA001") == []
    old = found(lint_files({"alerting.yaml": ALERTING_V2}, config={"grafana": {"version": "11.6"}}), "GA001")
    assert [f.message.split(";")[0] for f in old] == ["`apiVersion: 2` is read from Grafana 12"]
    assert old[0].line == 1


def test_provider_editable_and_datasource_correlations_are_grafana_keys(lint_files):
    files = {
        "dashboards.yaml": "apiVersion: 1\nproviders:\n  - name: default\n    editable: true\n"
                           "    options: {path: /var/lib/grafana/dashboards}\n",
        "datasources.yaml": "apiVersion: 1\ndatasources:\n  - name: Loki\n    type: loki\n    uid: loki\n"
                            "    correlations:\n      - targetUID: tempo\n        label: trace\n",
    }
    assert found(lint_files(files), "PV001") == []
    files["dashboards.yaml"] = files["dashboards.yaml"].replace("editable", "editabel")
    assert len(found(lint_files(files), "PV001")) == 1


def test_provisioning_deviations_grafana_reads_anyway_are_warnings(lint_files):
    # Grafana's reader is not strict (unknown keys ignored, null is the zero value) and replaces
    # an unknown `access` with `proxy`; a datasource without `type` it refuses. An empty `user:`
    # is as if left out (info); an empty `type:` or `url:` leaves the datasource unusable (warning).
    ds = ("apiVersion: 1\ndatasources:\n  - name: Prom\n    type: prometheus\n    access: browser\n"
          "    httpMethod: POST\n    user: null\n    withCredentials:\n  - name: NoType\n"
          "  - name: Empty\n    type:\n    url:\n")
    got = sorted((f.line, f.severity.name) for f in found(lint_files({"datasources.yaml": ds}), "PV001"))
    assert got == [(5, "WARNING"), (6, "WARNING"), (7, "INFO"), (8, "INFO"), (9, "ERROR"), (11, "WARNING"),
                   (12, "WARNING")]


def test_a_mapping_key_left_empty_is_no_finding(lint_files):
    # `secureJsonData:` with its keys commented out reads as an empty mapping, as if absent
    # (grafana/clickhouse-datasource's provisioning); a null where a text belongs is info.
    ds = ("apiVersion: 1\ndatasources:\n  - name: CH\n    type: grafana-clickhouse-datasource\n"
          "    jsonData:\n      port: 9000\n    secureJsonData:\n      # password: \"\"\n    user: null\n")
    got = [(f.line, f.severity.name) for f in found(lint_files({"datasources.yaml": ds}), "PV001")]
    assert got == [(9, "INFO")]


def test_policy_grafana_version_is_validated(tmp_path):
    import pytest

    from obslint.config import ConfigError, from_dict

    with pytest.raises(ConfigError):
        from_dict({"grafana": {"version": "twelve"}})
    assert from_dict({"grafana": {"version": "12.x"}}).policy["grafana"] == {"version": "12.x"}
