"""The pre-commit hook, through real `pre-commit` (PyPI): a commit with a bad dashboard is
refused with obslint's message, the fixed commit goes through, and cross-file checks see the
whole repository while only the committed files are reported.

pre-commit installs `language: python` hooks by pip-installing this repository (and its
dependencies from PyPI) into a fresh virtualenv, so this test needs the package index."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

pytestmark = pytest.mark.slow

HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())


def test_hook_definition():
    (hook,) = [h for h in HOOKS if h["id"] == "obslint"]
    assert hook["language"] == "python"
    assert set(hook["types_or"]) == {"json", "yaml"}
    assert hook["entry"].split()[:3] == ["obslint", "--project-root", "."]
    assert hook.get("pass_filenames", True) is True
    assert hook["require_serial"] is True  # one process reads the repository once


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=check,
                          timeout=600)


def snapshot_of_this_repo(dest: Path) -> str:
    """This working tree (tracked and untracked, not ignored files) committed in a new git repo."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = REPO / rel
        if not src.is_file():
            continue  # deleted in the working tree
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot", "--no-verify")
    return git(dest, "rev-parse", "HEAD").stdout.strip()


def dashboard(uid: str, expr: str) -> str:
    return json.dumps({"title": f"{uid} title", "uid": uid, "schemaVersion": 39, "panels": [
        {"id": 1, "type": "timeseries", "title": "RPS", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
         "targets": [{"refId": "A", "expr": expr}]}]}, indent=2) + "\n"


GOOD = "sum by (service) (rate(http_requests_total[5m]))"


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str, dict]:
    if shutil.which("pre-commit") is None or shutil.which("git") is None:
        msg = "pre-commit (pip install pre-commit) and git are needed"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    base = tmp_path_factory.mktemp("precommit")
    hooks = base / "obslint-src"
    hooks.mkdir()
    rev = snapshot_of_this_repo(hooks)
    env = {**os.environ, "PRE_COMMIT_HOME": str(base / "cache"), "PRE_COMMIT_COLOR": "never"}
    env.pop("PYTHONPATH", None)
    return hooks, rev, env


def test_commit_refused_then_accepted(hook_repo, tmp_path):
    hooks, rev, env = hook_repo
    proj = tmp_path / "proj"
    proj.mkdir()
    git(proj, "init", "-q")
    (proj / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks}\n    rev: {rev}\n    hooks:\n      - id: obslint\n")
    (proj / "dashboards").mkdir()
    # Already committed (before the hook): it shares its uid with the new dashboard and has its own
    # syntax error. The hook must see it (uid clash) but not report it (it is not being committed).
    (proj / "dashboards" / "old.json").write_text(dashboard("svc", "rate(x[5m]"))
    (proj / "README.md").write_text("demo\n")
    git(proj, "add", "-A")
    git(proj, "commit", "-q", "-m", "base", "--no-verify")
    subprocess.run(["pre-commit", "install"], cwd=proj, env=env, check=True, capture_output=True, timeout=120)

    (proj / "dashboards" / "new.json").write_text(dashboard("svc", "sum(rate(http_requests_total[5m])"))
    git(proj, "add", "dashboards/new.json")
    refused = subprocess.run(["git", "commit", "-m", "add new dashboard"], cwd=proj, env={
        **env, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e"}, capture_output=True, text=True, timeout=900)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    assert "obslint" in out and "Failed" in out
    assert "dashboards/new.json" in out and "PQ001" in out  # obslint's own message
    assert "DB004" in out and "also used by dashboards/old.json" in out  # cross-file: whole repo seen
    # old.json's own problems (its syntax error, its side of the clash) are not reported
    assert not re.search(r"^\s*dashboards/old\.json(:\d+:\d+:|$)", out, re.M), out
    assert re.search(r"^\s*dashboards/new\.json:\d+:\d+: error PQ001", out, re.M), out
    assert git(proj, "rev-list", "--count", "HEAD").stdout.strip() == "1"

    (proj / "dashboards" / "new.json").write_text(dashboard("svc-new", GOOD))
    git(proj, "add", "dashboards/new.json")
    accepted = subprocess.run(["git", "commit", "-m", "add new dashboard"], cwd=proj, env={
        **env, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e"}, capture_output=True, text=True, timeout=900)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    both = accepted.stdout + accepted.stderr
    assert re.search(r"^obslint\.+Passed$", both, re.M), both
    assert git(proj, "rev-list", "--count", "HEAD").stdout.strip() == "2"


def test_try_repo(hook_repo, tmp_path):
    """`pre-commit try-repo` against this repository (it installs into a fresh store each time,
    so one call)."""
    hooks, rev, env = hook_repo
    proj = tmp_path / "try"
    proj.mkdir()
    git(proj, "init", "-q")
    (proj / "good.json").write_text(dashboard("good", GOOD))
    (proj / "bad.yaml").write_text("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n"
                                   "        for: 1.5h\n")
    (proj / "notes.txt").write_text("for: 1.5h\n")  # not JSON/YAML: never passed to the hook
    git(proj, "add", "-A")
    res = subprocess.run(["pre-commit", "try-repo", str(hooks), "obslint", "--ref", rev, "--all-files"],
                         cwd=proj, env=env, capture_output=True, text=True, timeout=900)
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert re.search(r"^\s*bad\.yaml:6:14: error RF007 ", out, re.M), out
    assert "good.json:" not in out and "notes.txt" not in out
