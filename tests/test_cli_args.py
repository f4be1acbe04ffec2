"""The command line is argparse's: `--` ends the options (pre-commit passes file names after
it), and `obslint check ARGS` gives exactly what `obslint.lint` gives for the same settings."""
from __future__ import annotations

import json
from pathlib import Path

import obslint
from obslint import cli
from obslint.findings import Severity
from tests.conftest import run_cli, write_tree

BAD = "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: rate(x)\n"
SUPPRESSED = ("groups:\n  - name: b\n    rules:\n      - alert: B  # obslint: disable=AL005,PQ001\n"
              "        expr: up == 0\n")


def test_double_dash_ends_the_options(tmp_path):
    write_tree(tmp_path, {"-q.yaml": BAD})
    res = run_cli("--no-config", "--format", "json", "--", "-q.yaml", cwd=tmp_path)
    assert res.code == 1, res.err
    assert {f["file"] for f in json.loads(res.out)["findings"]} == {"-q.yaml"}


def test_parser_errors_are_usage_errors():
    for argv in (["--format", "bogus"], ["--max-file-size", "x"], ["--nope"], ["--config"]):
        try:
            cli.build_parser().parse_args(argv)
        except cli.UsageError as exc:
            assert str(exc)
        else:
            raise AssertionError(argv)


def _key(f) -> tuple:
    return (f["code"], f["file"], f["line"], f["column"], f["severity"], f["message"], f["fix"])


def test_cli_result_equals_the_api(tmp_path, monkeypatch):
    write_tree(tmp_path, {"src/bad.yaml": BAD, "src/sup.yaml": SUPPRESSED,
                          "obslint.yaml": "ignore:\n  - {code: AL005, path: src/bad.yaml}\n"
                                          "  - {code: RF001, path: nowhere/*.yaml}\n"})
    monkeypatch.chdir(tmp_path)
    res = run_cli(".", "--format", "json", "--report-unused-suppressions", "--min-severity", "warning",
                  "--ignore", "AL006")
    from obslint.config import find_config, load_config

    result = obslint.lint([Path(".")], load_config(find_config(Path("."))), ignore=["AL006"],
                          report_unused=True, min_severity=Severity.WARNING)
    shown = json.loads(res.out)
    assert shown["summary"]["suppressed"] == result.suppressed == 2  # AL005 by the entry, by the comment
    api = [(f.code, f.file, f.line, f.col, str(f.severity), f.message, f.fix) for f in result.findings]
    assert [_key(f) for f in shown["findings"]] == api
    codes = [f.code for f in result.findings]
    assert "PQ001" in codes and codes.count("SU001") == 2  # the unused comment code and ignore entry
