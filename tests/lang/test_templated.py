"""Helm/Go-templated files are skipped with one info finding that says why."""
from tests.checks.helpers import found


def test_helm_templated_yaml_and_json_are_skipped_with_a_reason(lint_files):
    r = lint_files({
        "prometheusrule.yaml": "{{- if .Values.rules.enabled }}\ngroups:\n  - name: a\n    rules: []\n{{- end }}\n",
        "values-rule.yaml": "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up == 0\n"
                            "        for: {{ .Values.for }}\n",
        "dashboard.json": '{\n  "title": "API",\n  "uid": {{ .Values.uid | quote }},\n  "panels": []\n}\n',
    })
    assert not [f for f in r.findings if f.code == "IN003"]
    got = sorted((f.file, f.line, str(f.severity)) for f in found(r, "IN012"))
    assert got == [("dashboard.json", 3, "info"), ("prometheusrule.yaml", 1, "info"), ("values-rule.yaml", 6, "info")]
    assert "Helm/Go template" in found(r, "IN012")[0].message


def test_alert_templates_in_strings_do_not_make_a_file_a_template(lint_files):
    r = lint_files({"rules.yaml": 'groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up{job="x"} == 0\n'
                                  '        for: 5m\n        annotations:\n          summary: "{{ $labels.job }} down\n'})
    assert found(r, "IN003") and not found(r, "IN012")  # a real syntax error (unclosed quote) stays one


def test_juju_charm_rule_templates_are_skipped_with_a_reason(lint_files):
    r = lint_files({"loki_alert_rules/alerting.rule":
                    "groups:\n  - name: errors\n    rules:\n      - alert: TooManyLogs\n"
                    "        expr: count_over_time(({%%juju_topology%%})[30s]) > 40\n        for: 1m\n"})
    assert not found(r, "PQ001") and not found(r, "LQ001")
    (skip,) = found(r, "IN012")
    assert (skip.line, skip.col, str(skip.severity)) == (5, 33, "info") and "Juju charm" in skip.message


def test_rule_files_named_dot_rules_are_linted_and_other_dot_rules_files_are_not(tmp_path, cli):
    (tmp_path / "alert.rules").write_text("groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up = 0\n")
    (tmp_path / "recording.rule").write_text("# recording rules\n---\ngroups: []\n")
    (tmp_path / "99-disks.rules").write_text('ACTION=="add", KERNEL=="sd*", RUN+="/bin/true"\n')  # udev
    (tmp_path / "old.rules").write_text("ALERT InstanceDown\n  IF up == 0\n  FOR 5m\n")  # Prometheus 1.x syntax
    res = cli("--format", "json", "--exit-zero", str(tmp_path))
    import json

    report = json.loads(res.out)
    assert {f["code"] for f in report["findings"] if f["file"].endswith("alert.rules")} >= {"PQ001"}
    assert not [f for f in report["findings"] if f["file"].endswith(("99-disks.rules", "old.rules", "recording.rule"))]
    assert report["summary"]["files"] == 2


def test_a_helm_action_inside_a_value_makes_a_broken_file_a_template(lint_files):
    # gardener's charts: the action sits inside a name and a quoted string, where YAML breaks on it
    r = lint_files({"role.yaml": "kind: ClusterRole\nmetadata:\n  name: sni{{ if .Values.isolated }}:x{{ end }}\n"
                                 "  labels:\n    chart: \"{{ .Chart.Name }}-{{ .Chart.Version | replace \"+\" \"_\" }}\"\n"
                                 "rules: []\n",
                    # an alert template's `{{ if }}` is not Helm's: a real syntax error stays one
                    "rules.yaml": "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up == 0\n"
                                  "        annotations:\n          summary: \"{{ if $labels.job }}x{{ end }}\n"})
    assert [(f.file, f.line, f.col) for f in found(r, "IN012")] == [("role.yaml", 3, 12)]
    assert [(f.file, str(f.severity)) for f in found(r, "IN003")] == [("rules.yaml", "error")]


def test_jinja_and_shell_placeholder_templates_are_skipped_with_a_reason(lint_files):
    # external-secrets' docs snippets are wrapped in `{% raw %}`; m3's prometheus-template.yml
    # holds `[${targets}]` for envsubst
    snippet = ("{% raw %}\napiVersion: v1\nkind: ConfigMap\ndata:\n  config: |\n    datasources:\n"
               "    - name: G\n      type: graphite\n      password: \"{{ .password }}\"\n{% endraw %}\n")
    prom = "global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: app\n    static_configs:\n" \
           "      - targets: [${app_targets}]\n"
    broken = "global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: ${job}\n    static_configs:\n" \
             "      - targets: [a, b\n  - job_name: other\n"  # a placeholder, but not where it breaks
    r = lint_files({"snippet.yaml": snippet, "prometheus-template.yml": prom, "broken.yml": broken})
    skipped = {f.file: f.message for f in found(r, "IN012")}
    assert set(skipped) == {"snippet.yaml", "prometheus-template.yml"}
    assert "Jinja" in skipped["snippet.yaml"] and "envsubst" in skipped["prometheus-template.yml"]
    assert [f.file for f in found(r, "IN003")] == ["broken.yml"]
