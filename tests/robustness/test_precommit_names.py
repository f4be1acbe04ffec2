"""Files named like options cannot steer the pre-commit hook (argument injection).

pre-commit runs `entry + args + file names`. A committed file named `--config=x.yaml` used to
make obslint load `x.yaml` as its policy (which can switch every check off, so a broken rule
file "Passed"), and `-x.yaml` or `--help.yaml` broke the hook for everyone. The hook's `args`
end the options with `--`. This test commits such files into a real git repository and runs
the hook, as defined in .pre-commit-hooks.yaml, with real `pre-commit`: the findings of the
other files are still reported, and the option-named files are linted as files.

The hook is run as a `repo: local` hook with the definition's entry, args and file filters
(`language: system`, this checkout's obslint): no package index is needed."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.robustness.test_adversarial import MEMORY_LIMIT

HOOK = next(h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text()) if h["id"] == "obslint")
STEALTH_POLICY = "checks:\n  ignore: [ALL]\n"  # what `--config=x.yaml` would load: every check off
BROKEN_RULES = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 1.5h\n"
HOSTILE = {
    "--config=x.yaml": STEALTH_POLICY,
    "-x.yaml": BROKEN_RULES,
    "--help.yaml": "groups: []\n",
    "x.yaml": STEALTH_POLICY,
    "bad.yaml": BROKEN_RULES,
}


def _tools() -> None:
    if shutil.which("git") is None or shutil.which("pre-commit", path=os.path.dirname(sys.executable)
                                                   + os.pathsep + os.environ.get("PATH", "")) is None:
        msg = "git and pre-commit (installed by `.[test]`) are needed"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=60)


def _run_hook(tmp_path: Path, args: list[str]) -> subprocess.CompletedProcess:
    proj = tmp_path / "proj"
    proj.mkdir()
    _git(proj, "init", "-q")
    for name, text in HOSTILE.items():
        (proj / name).write_text(text)
    entry = HOOK["entry"].split()
    assert entry[0] == "obslint"
    hook = {"id": "obslint", "name": HOOK["name"], "language": "system",
            "entry": " ".join([sys.executable, "-m", "obslint", *entry[1:]]), "args": args,
            "types_or": HOOK["types_or"], "pass_filenames": HOOK["pass_filenames"],
            "require_serial": HOOK["require_serial"]}
    (proj / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}))
    _git(proj, "add", "--", *HOSTILE, ".pre-commit-config.yaml")
    _git(proj, "commit", "-q", "-m", "hostile names", "--no-verify")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PRE_COMMIT_COLOR": "never",
           "PYTHONPATH": str(REPO), "NO_COLOR": "1",
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}

    def limit():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (4 * MEMORY_LIMIT, 4 * MEMORY_LIMIT))  # pre-commit + obslint

    return subprocess.run(["pre-commit", "run", "--all-files"], cwd=proj, env=env, capture_output=True,
                          text=True, timeout=120, preexec_fn=limit)


def test_option_named_files_are_linted_as_files(tmp_path):
    _tools()
    assert HOOK["args"][-1] == "--", "the hook must end its options with `--`"
    res = _run_hook(tmp_path, HOOK["args"])
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert "Traceback" not in out and "unrecognized arguments" not in out, out
    assert "bad.yaml:6:14: error RF007" in out, out  # the policy in x.yaml was not loaded
    assert "-x.yaml:6:14: error RF007" in out, out  # a file named like an option is linted like any file
    assert "usage:" not in out  # `--help.yaml` did not print the help


def test_without_the_separator_the_names_are_options(tmp_path):
    """The reproduction: the same commit through a hook without `--` loses every finding."""
    _tools()
    res = _run_hook(tmp_path, [])
    out = res.stdout + res.stderr
    assert "bad.yaml:6:14: error RF007" not in out, out
