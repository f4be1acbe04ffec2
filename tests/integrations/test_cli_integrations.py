"""CLI: selection and exit-status flags, usage errors, `rules` and `explain`, --output safety,
and --project-root (what the pre-commit hook uses)."""
from __future__ import annotations

import json
import os
import re

import pytest

from obslint import registry
from tests.conftest import run_cli, write_tree

RULES = """\
groups:
  - name: api
    rules:
      - alert: A
        expr: up == 0
        for: 1.5h
        foo: 1
      - record: job:up:sum
        expr: sum by (job) (up)
        expr: sum(up)
"""


@pytest.fixture
def tree(tmp_path):
    write_tree(tmp_path, {"rules.yaml": RULES})
    return tmp_path


def codes(res) -> list[str]:
    return [f["code"] for f in json.loads(res.out)["findings"]]


def test_select_and_ignore(tree):
    base = ["--no-config", "--format", "json"]
    all_codes = set(codes(run_cli(".", *base, cwd=tree)))
    assert {"RF001", "RF007", "IN004"} <= all_codes
    assert set(codes(run_cli(".", *base, "--select", "RF007", cwd=tree))) == {"RF007"}
    assert set(codes(run_cli(".", *base, "--select", "RF001,duration", cwd=tree))) == {"RF001", "RF007"}
    assert set(codes(run_cli(".", *base, "--select", "RF", "--select", "IN", cwd=tree))) <= {"RF001", "RF007", "IN004"}
    assert "RF001" not in codes(run_cli(".", *base, "--ignore", "unknown-field", cwd=tree))
    assert not {"RF001", "RF007"} & set(codes(run_cli(".", *base, "--ignore", "RF", cwd=tree)))


def test_fail_on_min_severity_exit_zero(tmp_path):
    # RF008 (duplicate rule) is a warning by default; nothing else here is wrong.
    write_tree(tmp_path, {"rules.yaml": "groups:\n  - name: g\n    rules:\n"
                          "      - record: a:b\n        expr: sum(up)\n      - record: a:b\n        expr: sum(up)\n"})
    sel = ["--no-config", "--select", "RF008"]
    assert run_cli(".", *sel, cwd=tmp_path).code == 0  # default --fail-on error
    assert run_cli(".", *sel, "--fail-on", "warning", cwd=tmp_path).code == 1
    assert run_cli(".", *sel, "--fail-on", "info", cwd=tmp_path).code == 1
    assert run_cli(".", *sel, "--fail-on", "warning", "--exit-zero", cwd=tmp_path).code == 0
    assert run_cli(".", *sel, "--fail-on", "never", cwd=tmp_path).code == 0
    res = run_cli(".", *sel, "--fail-on", "warning", "--min-severity", "error", "-q", cwd=tmp_path)
    assert res.code == 0 and res.out == ""  # hidden findings do not fail the run
    res = run_cli(".", *sel, "--min-severity", "warning", "-q", cwd=tmp_path)
    assert "RF008" in res.out


def test_max_file_size(tmp_path):
    write_tree(tmp_path, {"rules.yaml": "groups: []\n" + "# padding\n" * 100})
    res = run_cli(".", "--no-config", "--max-file-size", "100", "-q", cwd=tmp_path)
    assert res.code == 1 and "IN008" in res.out
    assert run_cli(".", "--no-config", "--max-file-size", "0", cwd=tmp_path).code == 2
    assert run_cli(".", "--no-config", "-q", cwd=tmp_path).code == 0


def test_clean_run_exits_zero(tmp_path):
    write_tree(tmp_path, {"rules.yaml": "groups: []\n"})
    res = run_cli(".", "--no-config", cwd=tmp_path)
    assert res.code == 0 and "0 errors" in res.out


@pytest.mark.parametrize("args,needle", [
    (["--format", "xml"], "--format"),
    (["--select", "NOPE999"], "unknown check"),
    (["--ignore", "no-such-check"], "unknown check"),
    (["--fail-on", "fatal"], "unknown severity"),
    (["--min-severity", "loud"], "unknown severity"),
    (["missing-dir"], "no such file"),
    (["--also-output", "sarif"], "FORMAT:FILE"),
    (["--also-output", "pdf:x.pdf"], "FORMAT:FILE"),
    (["--project-root", "nowhere"], "--project-root"),
    (["--config", "nope.yaml"], "config file not found"),
    (["--bogus-flag"], "unrecognized"),
])
def test_usage_errors_are_one_line_and_exit_2(tree, args, needle):
    res = run_cli(".", *args, cwd=tree) if args[0] != "missing-dir" else run_cli(*args, cwd=tree)
    assert res.code == 2
    assert res.out == ""
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("obslint: error:") and needle in lines[0], res.err


def test_bad_policy_is_exit_2(tmp_path):
    write_tree(tmp_path, {"obslint.yaml": "ignore:\n  - {colour: red}\n", "rules.yaml": "groups: []\n"})
    res = run_cli(".", cwd=tmp_path)
    assert res.code == 2 and len(res.err.strip().splitlines()) == 1


def test_help_and_version_exit_0(capsys):
    from obslint.cli import main

    assert main(["--help"]) == 0
    assert "--project-root" in capsys.readouterr().out
    assert main(["--version"]) == 0


# --- rules and explain -----------------------------------------------------------------------

def test_rules_lists_every_check_and_filters():
    res = run_cli("rules")
    assert res.code == 0
    listed = re.findall(r"^([A-Z]+\d+)\s", res.out, re.M)
    assert listed == list(registry.load_all())
    res = run_cli("rules", "RF", "PQ001")
    listed = re.findall(r"^([A-Z]+\d+)\s", res.out, re.M)
    assert listed and all(c.startswith("RF") or c == "PQ001" for c in listed)
    data = json.loads(run_cli("rules", "--format", "json").out)
    assert {d["code"] for d in data} == set(registry.load_all())
    assert all({"code", "name", "severity", "summary", "options"} <= set(d) for d in data)
    md = run_cli("rules", "--format", "markdown").out
    assert md.startswith("| code |") and "`RF001`" in md
    assert run_cli("rules", "ZZ").code == 2


@pytest.mark.parametrize("code", sorted(registry.load_all()))
def test_explain_has_every_section(code):
    res = run_cli("explain", code)
    assert res.code == 0
    out = res.out
    rule = registry.get(code)
    assert out.startswith(f"{code}  {rule.name}") and rule.summary in out
    for section in ("Why it matters", "Bad example", "Options", "How to suppress"):
        assert re.search(rf"^{section}", out, re.M), (code, section)
    assert f"# obslint: disable={code}" in out and f"disable-file={code}" in out and f"--ignore {code}" in out
    if rule.options:
        for key in rule.options:
            assert key in out


def test_explain_by_name_and_unknown():
    assert run_cli("explain", "unknown-field").out.startswith("RF001")
    assert "Good example" in run_cli("explain", "RF001").out
    res = run_cli("explain", "XX999")
    assert res.code == 2 and "unknown check" in res.err


# --- --output safety -------------------------------------------------------------------------

def test_output_is_atomic_and_replaces_a_symlink_without_following_it(tree, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "victim.txt"
    outside.write_text("precious\n")
    link = tree / "report.json"
    link.symlink_to(outside)
    res = run_cli(".", "--no-config", "--format", "json", "--output", "report.json", cwd=tree)
    assert res.code == 1, res.err
    assert outside.read_text() == "precious\n"
    assert not link.is_symlink() and json.loads(link.read_text())["version"] == 1
    assert not [p for p in os.listdir(tree) if p.endswith(".tmp")]


def test_output_refuses_a_directory_symlink_out_of_the_tree(tree, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside2")
    (tree / "out").symlink_to(outside, target_is_directory=True)
    res = run_cli(".", "--no-config", "--format", "sarif", "--output", "out/r.sarif", cwd=tree)
    assert res.code == 2 and "refusing" in res.err
    assert list(outside.iterdir()) == []
    res = run_cli(".", "--no-config", "--also-output", "sarif:out/r.sarif", cwd=tree)
    assert res.code == 2 and list(outside.iterdir()) == []


def test_output_to_a_directory_or_missing_directory_is_exit_2(tree):
    (tree / "adir").mkdir()
    assert run_cli(".", "--no-config", "--output", "adir", cwd=tree).code == 2
    res = run_cli(".", "--no-config", "--output", "no/such/dir/r.txt", cwd=tree)
    assert res.code == 2 and "cannot write" in res.err


def test_output_keeps_the_old_file_when_writing_fails(tree, monkeypatch):
    # (a .txt name: a .json file in the linted tree is linted, and a report may not replace it)
    (tree / "r.txt").write_text("old\n")
    import obslint.atomic

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(obslint.atomic.os, "fsync", boom)
    res = run_cli(".", "--no-config", "--format", "json", "--output", "r.txt", cwd=tree)
    assert res.code == 2 and "No space left" in res.err
    assert (tree / "r.txt").read_text() == "old\n"
    assert sorted(os.listdir(tree)) == ["r.txt", "rules.yaml"]


# --- --project-root: the whole tree for cross-file checks, findings for the given files only ----

def _dash(uid: str, expr: str = "sum(rate(http_requests_total[5m]))") -> str:
    return json.dumps({"title": uid + " title", "uid": uid, "schemaVersion": 39, "panels": [
        {"id": 1, "type": "timeseries", "title": "RPS", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
         "targets": [{"refId": "A", "expr": expr}]}]})


def test_project_root_sees_the_whole_tree_and_reports_only_the_given_files(tmp_path):
    write_tree(tmp_path, {
        "dashboards/a.json": _dash("same", "rate(x[5m]"),  # duplicate uid and a syntax error, not changed
        "dashboards/b.json": _dash("same"),  # changed: the duplicate is only visible with the whole tree
        "dashboards/c.json": _dash("other", "rate(y[5m]"),  # changed
        "obslint.yaml": "checks: {select: [DB004, PQ001]}\n",
    })
    alone = run_cli("dashboards/b.json", "--format", "json", cwd=tmp_path)
    assert codes(alone) == []  # linting b.json alone cannot see the clash
    res = run_cli("--project-root", ".", "dashboards/b.json", "dashboards/c.json", "--format", "json", cwd=tmp_path)
    assert res.code == 1
    got = sorted((f["file"], f["code"]) for f in json.loads(res.out)["findings"])
    assert got == [("dashboards/b.json", "DB004"), ("dashboards/c.json", "PQ001")]
    # a directory argument reports everything below it
    res = run_cli("--project-root", ".", "dashboards", "--format", "json", cwd=tmp_path)
    assert {f["file"] for f in json.loads(res.out)["findings"]} == {"dashboards/a.json", "dashboards/b.json",
                                                                  "dashboards/c.json"}
    # the clean case exits 0 with nothing reported
    res = run_cli("--project-root", ".", "obslint.yaml", "--format", "json", cwd=tmp_path)
    assert res.code == 0 and codes(res) == []


def test_project_root_junit_lists_only_the_reported_files(tmp_path):
    import xml.etree.ElementTree as ET

    write_tree(tmp_path, {"a.json": _dash("a"), "b.json": _dash("b"), "c.json": _dash("c")})
    res = run_cli("--no-config", "--project-root", ".", "b.json", "--format", "junit", cwd=tmp_path)
    names = [c.get("name") for c in ET.fromstring(res.out).iter("testcase")]
    assert names == ["b.json"]


def test_project_root_unused_suppressions_only_for_given_files(tmp_path):
    body = "groups: []  # obslint: disable=RF001\n"
    write_tree(tmp_path, {"a.yaml": body, "b.yaml": body})
    res = run_cli("--no-config", "--project-root", ".", "b.yaml", "--report-unused-suppressions",
                  "--format", "json", cwd=tmp_path)
    assert [(f["file"], f["code"]) for f in json.loads(res.out)["findings"]] == [("b.yaml", "SU001")]
