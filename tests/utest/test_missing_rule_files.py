"""UT002 on a rule file that does not exist: a wrong path is an error (promtool stops on it);
a file the repository's `.gitignore` lists is a build output not built yet (a mixin's `make`
writes `prometheus_rules.yaml` before `promtool test rules tests/*.yaml`): info."""
from __future__ import annotations

from tests.checks.helpers import found

TEST = "rule_files:\n  - {}\nevaluation_interval: 1m\ntests: []\n"


def test_a_gitignored_missing_rule_file_is_a_build_output(lint_files):
    r = lint_files({".gitignore": "vendor/\n/prometheus_*.yaml\n",
                    "tests/built.yaml": TEST.format("../prometheus_rules.yaml"),
                    "tests/typo.yaml": TEST.format("../prometheus_rulez.yml")})
    fs = sorted(found(r, "UT002"), key=lambda f: f.file)
    assert [(f.file, f.severity.name) for f in fs] == [("tests/built.yaml", "INFO"), ("tests/typo.yaml", "ERROR")]
    assert ".gitignore" in fs[0].message and "build step" in fs[0].message


def test_a_gitignore_beyond_the_repository_root_does_not_count(lint_files, tmp_path):
    (tmp_path / ".gitignore").write_text("rules.yaml\n")  # outside the repository below
    r = lint_files({"repo/.git/HEAD": "ref: refs/heads/main\n", "repo/tests/t.yaml": TEST.format("rules.yaml")})
    [f] = found(r, "UT002")
    assert f.severity.name == "ERROR"


GO_TEST = 'func TestRules(t *testing.T) {{\n\ttest.PrometheusRule(rule, "testdata/{}")\n}}\n'


def test_a_rule_file_a_program_beside_the_test_writes_is_info(lint_files):
    # gardener: a Go test renders the PrometheusRule into testdata/, runs promtool, removes it
    r = lint_files({"component/rules_test.go": GO_TEST.format("api.prometheusrule.test.yaml"),
                    "component/testdata/api.prometheusrule.test.yaml": TEST.format("api.prometheusrule.yaml"),
                    "component/testdata/worker/pods.test.yaml": TEST.format("../pods.yaml"),
                    "other/testdata/db.test.yaml": TEST.format("db.yaml")})
    fs = sorted(found(r, "UT002"), key=lambda f: f.file)
    assert [(f.file, f.severity.name) for f in fs] == [
        ("component/testdata/api.prometheusrule.test.yaml", "INFO"),
        ("component/testdata/worker/pods.test.yaml", "ERROR"),  # no program names this test file
        ("other/testdata/db.test.yaml", "ERROR")]
    assert "component/rules_test.go" in fs[0].message and "runs promtool on this test file" in fs[0].message


def test_a_program_outside_the_repository_does_not_count(lint_files, tmp_path):
    (tmp_path / "run.sh").write_text("promtool test rules repo/t/t.yaml\n")
    r = lint_files({"repo/.git/HEAD": "ref: refs/heads/main\n", "repo/t/t.yaml": TEST.format("rules.yaml")})
    [f] = found(r, "UT002")
    assert f.severity.name == "ERROR"


def test_a_script_that_runs_promtool_on_the_test_folder_is_a_driver(lint_files):
    # openshift/cluster-monitoring-operator: hack/test-rules.sh loops over test/rules/*.yaml and
    # rewrites each test's rule_files to the rules `make` builds
    script = 'for rule in ./test/rules/*.yaml; do\n  promtool test rules "$rule"\ndone\n'
    r = lint_files({"hack/test-rules.sh": script, "test/rules/TargetDown.yaml": TEST.format("rules.yaml"),
                    "other/t.yaml": TEST.format("rules.yaml"),
                    "lint/check.sh": "yamllint test/rules/\n", "lint/t/x.yaml": TEST.format("rules.yaml")})
    fs = sorted(found(r, "UT002"), key=lambda f: f.file)
    assert [(f.file, f.severity.name) for f in fs] == [
        ("lint/t/x.yaml", "ERROR"), ("other/t.yaml", "ERROR"), ("test/rules/TargetDown.yaml", "INFO")]
    assert "hack/test-rules.sh" in fs[2].message


APP_TEST = """$schema: /app-interface/prometheus-rule-test-1.yml
rule_files:
  - {}
tests:
  - interval: 1m
    input_series:
      - series: up{{job="api"}}
        values: 0x10
    alert_rule_test:
      - eval_time: 10m
        alertname: {}
        exp_alerts: [{{exp_labels: {{job: api, severity: page}}}}]
"""
RESOURCE = """$schema: /openshift/prometheus-rule-1.yml
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: api}
spec:
  groups:
    - name: api
      rules:
        - alert: ApiDown
          expr: up == 0
          for: 5m
          labels: {severity: page}
"""


def test_an_app_interface_test_reads_resource_paths_and_resources(lint_files):
    # rhobs/configuration: `$schema` marks the test as app-interface's; `rule_files` are paths
    # from the resources root, naming PrometheusRule resources
    r = lint_files({"resources/obs/rules/api.prometheusrules.yaml": RESOURCE,
                    "resources/obs/rules/api.prometheusrulestests.yaml": APP_TEST.format(
                        "/obs/rules/api.prometheusrules.yaml", "ApiDown"),
                    "tests/api.prometheusrulestests.yaml": APP_TEST.format("/obs/rules/api.prometheusrules.yaml",
                                                                           "ApiDown"),
                    "tests/stale.prometheusrulestests.yaml": APP_TEST.format("/obs/rules/api.prometheusrules.yaml",
                                                                             "ApiIsDown"),
                    "tests/lost.prometheusrulestests.yaml": APP_TEST.format("/obs/rules/gone.yaml", "ApiDown")})
    assert [(f.file, f.line) for f in found(r, "UT002")] == [("tests/lost.prometheusrulestests.yaml", 3)]
    # the test is checked against the resource's rules: a renamed alert is found
    assert [f.file for f in found(r, "UT006")] == ["tests/stale.prometheusrulestests.yaml"]
    keys = found(r, "UT001")
    assert {f.severity.name for f in keys} == {"INFO"} and len(keys) == 4
    assert "app-interface" in keys[0].message


def test_without_schema_a_resource_path_and_a_resource_stay_errors(lint_files):
    r = lint_files({"resources/obs/api.yaml": RESOURCE,
                    "tests/abs.yaml": APP_TEST.replace("$schema: /app-interface/prometheus-rule-test-1.yml\n", "")
                    .format("/obs/api.yaml", "ApiDown"),
                    "resources/obs/t.yaml": APP_TEST.replace("$schema: /app-interface/prometheus-rule-test-1.yml\n", "")
                    .format("api.yaml", "ApiDown")})
    fs = sorted(found(r, "UT002"), key=lambda f: f.file)
    assert [(f.file, f.severity.name) for f in fs] == [("resources/obs/t.yaml", "ERROR"), ("tests/abs.yaml", "ERROR")]
    assert "PrometheusRule resource" in fs[0].message


def test_a_resource_is_fine_where_po_test_runs_the_tests(lint_files):
    # Altinity clickhouse-operator: run-alerts-tests.sh loops `po-test` over *.test.yaml, and
    # po-test (a promtool wrapper) reads PrometheusRule resources
    script = 'for file in "${CUR_DIR}/*.test.yaml"; do\n  po-test $file\ndone\n'
    r = lint_files({"deploy/prometheus/rules.yaml": RESOURCE, "deploy/prometheus/run-alerts-tests.sh": script,
                    "deploy/prometheus/clickhouse.test.yaml": TEST.format("rules.yaml"),
                    "other/rules.yaml": RESOURCE, "other/t.test.yaml": TEST.format("rules.yaml"),
                    "other/run.sh": 'for f in *.test.yaml; do promtool test rules "$f"; done\n'})
    fs = sorted(found(r, "UT002"), key=lambda f: f.file)
    assert [(f.file, f.severity.name) for f in fs] == [
        ("deploy/prometheus/clickhouse.test.yaml", "INFO"), ("other/t.test.yaml", "ERROR")]  # promtool refuses it
    assert "po-test" in fs[0].message
