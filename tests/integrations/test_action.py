"""action.yml: a well-formed composite action whose run step, executed with bash the way the
runner does, prints annotations, writes SARIF and fails per `fail-on`."""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, write_tree
from tests.integrations.test_formats import SARIF_SCHEMA, parse_command

ACTION = yaml.safe_load((REPO / "action.yml").read_text())


def test_action_is_a_composite_with_documented_inputs_and_outputs():
    assert ACTION["runs"]["using"] == "composite"
    assert {"paths", "config", "fail-on", "sarif-file", "annotations", "args"} <= set(ACTION["inputs"])
    assert ACTION["inputs"]["fail-on"]["default"] == "error"
    assert {"exit-code", "sarif-file"} <= set(ACTION["outputs"])
    for step in ACTION["runs"]["steps"]:
        assert step["shell"] == "bash"
        # inputs reach scripts through env only (no `${{ }}` spliced into shell code)
        assert "${{" not in step["run"], step["name"]
    for name, out in ACTION["outputs"].items():
        assert re.fullmatch(r"\$\{\{ steps\.run\.outputs\.[\w-]+ \}\}", out["value"]), name


def _step(name: str) -> dict:
    return next(s for s in ACTION["runs"]["steps"] if s["name"] == name)


def run_step(workdir: Path, tmp_path: Path, **inputs) -> tuple[int, str, dict]:
    """Run the `Run obslint` step's script with bash, inputs mapped to env as the runner does."""
    step = _step("Run obslint")
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    shim = bindir / "obslint"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m obslint \"$@\"\n")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    defaults = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    values = {**defaults, **inputs}
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(REPO), "GITHUB_OUTPUT": str(tmp_path / "gh_output"),
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    for var, expr in step["env"].items():
        m = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", expr)
        assert m, expr
        env[var] = values[m.group(1)]
    (tmp_path / "gh_output").write_text("")
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=120)
    outputs = dict(line.split("=", 1) for line in (tmp_path / "gh_output").read_text().splitlines() if line)
    return proc.returncode, proc.stdout + proc.stderr, outputs


@pytest.fixture
def repo(tmp_path):
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    work = tmp_path / "repo"
    write_tree(work, {
        "dashboards/api.json": json.dumps({"title": "API", "uid": "api", "schemaVersion": 39, "panels": [
            {"id": 1, "type": "timeseries", "title": "RPS", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
             "targets": [{"refId": "A", "expr": "rate(http_requests_total[5m]"}]}]}),
        "rules/ok.yaml": "groups: []\n",
        "obslint.yaml": "checks: {select: [PQ001, RF]}\n",
    })
    return work


def test_run_step_annotates_writes_sarif_and_fails(repo, tmp_path):
    code, output, outputs = run_step(repo, tmp_path, paths="dashboards\nrules")
    assert code == 1, output
    commands = [parse_command(line) for line in output.splitlines() if line.startswith("::")]
    assert [(c[0], c[1]["file"], c[1]["title"]) for c in commands] == [("error", "dashboards/api.json", "PQ001")]
    assert commands[0][1]["line"] == "1" and int(commands[0][1]["col"]) > 1
    assert outputs == {"exit-code": "1", "sarif-file": "obslint.sarif"}
    sarif = json.loads((repo / "obslint.sarif").read_text())
    import jsonschema

    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    assert sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] \
        == "dashboards/api.json"
    assert "findings" in (tmp_path / "summary.md").read_text()


def test_run_step_fail_on_never_and_extra_args(repo, tmp_path):
    code, output, outputs = run_step(repo, tmp_path, **{"fail-on": "never"})
    assert code == 0 and outputs["exit-code"] == "0" and "::error" in output
    code, output, outputs = run_step(repo, tmp_path, args="--ignore PQ001")
    assert code == 0 and "::error" not in output


def test_run_step_without_annotations_or_sarif(repo, tmp_path):
    code, output, outputs = run_step(repo, tmp_path, annotations="false", **{"sarif-file": ""})
    assert code == 1 and "::error" not in output and "PQ001" in output
    assert outputs["sarif-file"] == "" and not (repo / "obslint.sarif").exists()


def test_run_step_usage_error_is_exit_2(repo, tmp_path):
    code, output, outputs = run_step(repo, tmp_path, **{"fail-on": "sometimes"})
    assert code == 2 and outputs["exit-code"] == "2" and "unknown severity" in output


def test_example_workflow_in_the_docs_uses_the_action():
    doc = (REPO / "docs" / "integrations.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", doc, re.S)
    workflows = [yaml.safe_load(b) for b in blocks if "jobs:" in b]
    assert workflows, "docs/integrations.md has no example workflow"
    steps = [s for w in workflows for job in w["jobs"].values() for s in job["steps"]]
    uses = [s.get("uses", "") for s in steps]
    assert any("upload-sarif" in u for u in uses)
    ours = [s for s in steps if "obslint" in s.get("uses", "")]
    assert ours and set(ours[0].get("with", {})) <= set(ACTION["inputs"])
