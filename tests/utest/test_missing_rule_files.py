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
