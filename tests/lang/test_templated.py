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
