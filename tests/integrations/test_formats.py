"""Output formats: SARIF validated against the official 2.1.0 schema, GitHub workflow commands,
JUnit XML, the versioned JSON shape, and console suppression hints that really suppress."""
from __future__ import annotations

import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest

from tests.conftest import INFRA, REPO, run_cli, write_tree

# the official OASIS schema, vendored (source and licence: tests/data/README.md)
SARIF_SCHEMA = REPO / "tests" / "data" / "sarif-2.1.0.json"
FORMATS = ("console", "plain", "json", "sarif", "github", "junit")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """infra/ plus a deliberately broken copy of it, side by side (paths stay relative)."""
    root = tmp_path_factory.mktemp("ws")
    shutil.copytree(INFRA, root / "infra")
    broken = root / "broken"
    shutil.copytree(INFRA / "grafana", broken)
    dash = broken / "dashboards" / "auth-service.json"
    text = dash.read_text()
    dash.write_text(text.replace('"expr": "', '"expr": "sum(', 1))  # an unclosed parenthesis
    rules = broken / "provisioning" / "alerting" / "alert-rules.yml"
    rules.write_text(rules.read_text().replace("    rules:\n", "    rules:\n      - alert: Typo\n"
                                                "        expr: up == 0\n        for: 1.5h\n"
                                                "        annotation: {summary: \"a, b: 100%\"}\n", 1))
    (broken / "syntax.yaml").write_text("groups:\n  - name: x\n    rules: [\n")
    (broken / "weird \u00e9 name.json").write_text('{"title": "W", "uid": "w e", "schemaVersion": 39, '
                                                   '"panels": [{"type": "graph", "title": "ctl\\u0001",'
                                                   ' "targets": [{"expr": "rate(x[5m]"}]}]}')
    return root


def run(workspace, *args):
    return run_cli("infra", "broken", "--no-config", *args, cwd=workspace)


@pytest.fixture(scope="module")
def findings(workspace) -> list[dict]:
    res = run(workspace, "--format", "json")
    assert res.code == 1, res.err
    data = json.loads(res.out)
    assert len(data["findings"]) >= 5
    return data["findings"]


def test_sarif_validates_against_the_official_schema(workspace, findings):
    res = run(workspace, "--format", "sarif")
    assert res.code == 1
    sarif = json.loads(res.out)
    schema = json.loads(SARIF_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(sarif), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    run0 = sarif["runs"][0]
    results = run0["results"]
    assert len(results) == len(findings)
    rules = run0["tool"]["driver"]["rules"]
    for rule in rules:
        assert rule["id"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["markdown"] and f"disable={rule['id']}" in rule["help"]["markdown"]
    assert run0["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")
    for res_, f in zip(results, findings):
        assert rules[res_["ruleIndex"]]["id"] == res_["ruleId"] == f["code"]
        loc = res_["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        uri = loc["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:")) and unquote(uri) == f["file"]
        assert loc["region"]["startLine"] == f["line"] and loc["region"]["startColumn"] == f["column"]
        assert res_["level"] == {"error": "error", "warning": "warning", "info": "note"}[f["severity"]]
    assert any(" " in unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results)


_COMMAND = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


def _unescape(text: str) -> str:
    return (text.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",")
            .replace("%25", "%"))


def parse_command(line: str) -> tuple[str, dict, str]:
    m = _COMMAND.match(line)
    assert m, f"not a workflow command: {line!r}"
    props = {}
    for part in m.group(2).split(","):
        key, _, value = part.partition("=")
        props[key] = _unescape(value)
    return m.group(1), props, _unescape(m.group(3))


def test_github_lines_are_workflow_commands(workspace, findings):
    res = run(workspace, "--format", "github")
    assert res.code == 1
    lines = res.out.splitlines()
    assert len(lines) == len(findings)
    for line, f in zip(lines, findings):
        kind, props, message = parse_command(line)
        assert kind == {"error": "error", "warning": "warning", "info": "notice"}[f["severity"]]
        assert props["file"] == f["file"]
        assert int(props["line"]) == f["line"] and int(props["col"]) == f["column"]
        assert props["title"] == f["code"]
        assert message.splitlines()[0] == f["message"]
    # a property value with `,` and `:` and a message with `%` and newlines are escaped
    special = [p for p in (parse_command(x) for x in lines) if "100%" in p[2] or "\n" in p[2]]
    assert special


def test_github_escaping_unit():
    from obslint.findings import Finding, Severity
    from obslint.report.github import command

    f = Finding(code="RF001", message="50% of a:b,\nc", severity=Severity.WARNING, file="a,b:c.yaml", line=3, col=4)
    line = command(f)
    assert "\n" not in line
    assert parse_command(line) == ("warning", {"file": "a,b:c.yaml", "line": "3", "col": "4", "title": "RF001"},
                                   "50% of a:b,\nc")


def test_junit_parses_with_one_failure_per_finding(workspace, findings):
    res = run(workspace, "--format", "junit")
    assert res.code == 1
    root = ET.fromstring(res.out.encode("utf-8"))
    assert root.tag == "testsuites"
    failures = root.findall(".//testcase/failure")
    assert len(failures) == len(findings)
    cases = root.findall(".//testcase")
    names = [c.get("name") for c in cases]
    assert len(names) == len(set(names))  # one test case per file
    assert {f["file"] for f in findings} <= set(names)
    assert "infra/grafana/dashboards/auth-service.json" in names  # clean files are passing test cases
    by_case = {c.get("name"): [x.get("type") for x in c.findall("failure")] for c in cases}
    for f in findings:
        assert f["code"] in by_case[f["file"]]
    suite = root.find("testsuite")
    assert int(suite.get("tests")) == len(cases)
    assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)


def test_json_shape(workspace, findings):
    data = json.loads(run(workspace, "--format", "json").out)
    assert data["version"] == 1 and data["tool"]["name"] == "obslint"
    assert set(data["summary"]) == {"files", "errors", "warnings", "info", "suppressed", "elapsed_seconds"}
    assert sum(data["statistics"].values()) == len(data["findings"])
    for f in data["findings"]:
        assert set(f) == {"code", "name", "severity", "file", "line", "column", "message", "fix",
                          "autofix", "context", "suppression"}
        assert set(f["suppression"]) == {"comment", "ignore"}
        assert f["suppression"]["ignore"]["code"] == f["code"]
        if f["file"].endswith(".json"):
            assert f["suppression"]["comment"] is None
        else:
            assert f["suppression"]["comment"] == f"# obslint: disable={f['code']}"


def test_output_file_for_every_format(workspace, tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    for fmt in FORMATS:
        out = workspace / f"report.{fmt}"
        res = run(workspace, "--format", fmt, "--output", out.name)
        assert res.code == 1 and res.out == "" and out.stat().st_size > 0, fmt
        assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # a normal file, not mkstemp's 0600
        assert "\x1b[" not in out.read_text()  # never colour in a file
        out.unlink()


def test_also_output_writes_a_second_report(workspace):
    res = run(workspace, "--format", "github", "--also-output", "sarif:extra.sarif",
              "--also-output", "junit:extra.xml")
    assert res.code == 1 and res.out.startswith("::")
    sarif = json.loads((workspace / "extra.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == len(res.out.splitlines())
    ET.parse(workspace / "extra.xml")


# --- every console finding shows the exact suppression, and it works ---------------------

RULES = """\
groups:
  - name: api
    rules:
      - alert: A
        expr: up == 0
        for: 1.5h
      - alert: B
        expr: sum(rate(x[5m])
"""
DASH = json.dumps({"title": "D", "uid": "d-1", "schemaVersion": 39, "panels": [
    {"id": 1, "type": "timeseries", "title": "Rate [5m] *", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
     "targets": [{"refId": "A", "expr": "rate(x[5m]"}]},
    {"id": 2, "type": "timeseries", "title": "Other", "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8},
     "targets": [{"refId": "A", "expr": "rate(y[5m]"}]}]}, indent=2)
CONFIG = "checks: {select: [RF007, PQ001]}\n"


def _plain(cwd) -> tuple[int, str]:
    res = run_cli(".", "--format", "plain", cwd=cwd)
    return res.code, res.out


def test_console_suppression_hints_silence_exactly_their_finding(tmp_path):
    write_tree(tmp_path, {"rules.yaml": RULES, "dash.json": DASH, "obslint.yaml": CONFIG})
    code, out = _plain(tmp_path)
    assert code == 1
    blocks = re.findall(r"^  (\S+?):(\d+):\d+: \w+ (\w+) .*?\n(?:.*\n)*?\s+suppress: (.*)$", out, re.M)
    assert len(blocks) == 4, out
    for file, line, code_, hint in blocks:
        write_tree(tmp_path, {"rules.yaml": RULES, "dash.json": DASH, "obslint.yaml": CONFIG})
        before = set(re.findall(r"^  (\S+:\d+:\d+: \w+ \w+)", _plain(tmp_path)[1], re.M))
        if hint.startswith("# obslint:"):
            comment = hint.split("  (")[0]
            path = tmp_path / file
            lines = path.read_text().splitlines()
            lines[int(line) - 1] += "  " + comment
            path.write_text("\n".join(lines) + "\n")
        else:
            entry = hint.split("obslint.yaml: ", 1)[1]
            (tmp_path / "obslint.yaml").write_text(CONFIG + "ignore:\n  " + entry + "\n")
        after = set(re.findall(r"^  (\S+:\d+:\d+: \w+ \w+)", _plain(tmp_path)[1], re.M))
        gone = before - after
        assert len(gone) == 1 and next(iter(gone)).startswith(f"{file}:{line}:"), (hint, gone)
        assert after <= before


def test_quiet_and_statistics(tmp_path):
    write_tree(tmp_path, {"rules.yaml": RULES, "dash.json": DASH, "obslint.yaml": CONFIG})
    res = run_cli(".", "-q", cwd=tmp_path)
    assert res.code == 1
    assert all(re.match(r"^\S+:\d+:\d+: (error|warning|info) [A-Z]+\d+ ", x) for x in res.out.splitlines())
    assert len(res.out.splitlines()) == 4
    res = run_cli(".", "--statistics", "-q", cwd=tmp_path)
    assert re.search(r"^\s+3\s+PQ001\s+error\s+promql-syntax$", res.out, re.M)
    assert re.search(r"^\s+1\s+RF007\s+error\s+duration$", res.out, re.M)
    res = run_cli(".", "--statistics", "--format", "json", cwd=tmp_path)
    assert json.loads(res.out)["statistics"] == {"PQ001": 3, "RF007": 1}
    assert "PQ001" in res.err  # machine formats keep stdout clean; counts go to stderr
