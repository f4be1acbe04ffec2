"""The command line as a user meets it: exit codes, one-line usage errors, rules and explain."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO, write_tree

BAD_RULES = "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: rate(x)\n"
DUPLICATE_RULES = ("groups:\n  - name: a\n    rules:\n      - record: a:b:c\n        expr: up\n"
                   "      - record: a:b:c\n        expr: up\n")
GOOD_RULES = "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 5m\n"


def test_clean_tree_exits_0(tmp_path, cli):
    write_tree(tmp_path, {"r.yaml": GOOD_RULES})
    res = cli(str(tmp_path / "r.yaml"), "--select", "RF,PQ001")
    assert res.code == 0, res.out
    assert "0 errors" in res.out


def test_findings_exit_1_with_location(tmp_path, cli):
    write_tree(tmp_path, {"r.yaml": BAD_RULES})
    res = cli("r.yaml", cwd=tmp_path)
    assert res.code == 1
    assert "r.yaml:5:15: error PQ001" in res.out
    assert "suppress: # obslint: disable=PQ001" in res.out


def test_fail_on_and_exit_zero(tmp_path, cli):
    write_tree(tmp_path, {"r.yaml": BAD_RULES, "w.yaml": DUPLICATE_RULES})
    assert cli("r.yaml", "--exit-zero", cwd=tmp_path).code == 0
    # w.yaml has only a warning (RF008): exit 0 by default, 1 with --fail-on warning.
    assert cli("w.yaml", "--select", "RF008", cwd=tmp_path).code == 0
    assert cli("w.yaml", "--select", "RF008", "--fail-on", "warning", cwd=tmp_path).code == 1


def test_usage_errors_exit_2_with_one_line(tmp_path, cli):
    for args in (["--nope"], ["missing/dir"], ["--fail-on", "fatal", "."], ["--select", "ZZ999", "."]):
        res = cli(*args, cwd=tmp_path)
        assert res.code == 2, args
        assert len(res.err.strip().splitlines()) == 1, res.err
        assert res.err.startswith("obslint: error:")


def test_bad_config_exits_2(tmp_path, cli):
    write_tree(tmp_path, {"obslint.yaml": "checks:\n  selct: [RF]\n", "r.yaml": GOOD_RULES})
    res = cli(".", cwd=tmp_path)
    assert res.code == 2
    assert "selct" in res.err and len(res.err.strip().splitlines()) == 1


def test_json_format(tmp_path, cli):
    write_tree(tmp_path, {"r.yaml": BAD_RULES})
    res = cli("r.yaml", "--format", "json", cwd=tmp_path)
    data = json.loads(res.out)
    assert data["version"] == 1
    (pq,) = [f for f in data["findings"] if f["code"] == "PQ001"]
    assert (pq["file"], pq["line"], pq["column"]) == ("r.yaml", 5, 15)


def test_rules_and_explain(cli):
    res = cli("rules")
    assert res.code == 0 and "RF001" in res.out and "PQ001" in res.out
    res = cli("explain", "RF001")
    assert res.code == 0 and "Bad" in res.out and "RF001" in res.out
    res = cli("explain", "unknown-field")
    assert res.code == 0
    assert cli("explain", "XX1").code == 2


def test_installed_entry_point_and_module():
    res = subprocess.run([sys.executable, "-m", "obslint", "--version"], capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 0 and res.stdout.startswith("obslint ")


def test_plain_output_when_not_a_tty(tmp_path):
    write_tree(tmp_path, {"r.yaml": BAD_RULES})
    res = subprocess.run([sys.executable, "-m", "obslint", "r.yaml"], capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 1
    assert "\x1b[" not in res.stdout
    assert "Checked 1 file" in res.stdout


def test_output_never_overwrites_a_linted_file(tmp_path, cli):
    write_tree(tmp_path, {"r.yaml": GOOD_RULES})
    res = cli("r.yaml", "--output", "r.yaml", "--format", "json", cwd=tmp_path)
    assert res.code == 2 and "a file being linted" in res.err
    assert (tmp_path / "r.yaml").read_text() == GOOD_RULES
