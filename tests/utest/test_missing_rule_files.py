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
