"""The inputs of a run that are not linted files: the policy (obslint.yaml, pyproject.toml)
and the report's destination. Each hostile policy is one clear line and exit 2 (never a
traceback, gigabytes or a hang); policy regexes run in linear time; 200,000 excludes are
compiled once; a report never replaces a linted file, a device or a link to one. Real
processes under RLIMIT_AS, within each case's deadline (test_adversarial)."""
from __future__ import annotations

import json
import os
import random
import time

import pytest

from obslint import saferegex
from obslint.globset import GlobSet, clean
from tests.robustness.test_adversarial import MEMORY_LIMIT, TIME_LIMIT, check, obslint, write

RULES = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n"


def one_error_line(run, *words: str) -> str:
    assert run.code == 2, f"exit {run.code}\n{run.out[-2000:]}\n{run.err[-2000:]}"
    assert "Traceback" not in run.err + run.out
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("obslint: error:"), run.err
    for w in words:
        assert w in lines[0], lines[0]
    assert run.seconds < TIME_LIMIT and run.peak_rss < MEMORY_LIMIT, (run.seconds, run.peak_rss / 2**20)
    return lines[0]


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + chr(ord(c) - 1)] * 9)}]\n" for c in "bcdefghi") + "exclude: *i\n"

YAML_POLICIES = {  # name: (text, words of the one error line)
    "alias-bomb": (ALIAS_BOMB, "aliases expand"),
    "recursive-alias": ("exclude: &x [*x]\n", "exclude"),
    "key-not-a-string": ("checks: {severity: {1: error}}\n", "keys must be strings"),
    "wrong-type": ("checks: {ignore: 5}\n", "`checks.ignore` must be a list"),
    "timestamp": ("scrape-interval: !!timestamp nope\n", "'nope' is tagged !!timestamp"),
    "huge-int-duplicate": ("max-file-size: " + "9" * 5_000 + "\nmax-file-size: 1\n", "duplicate key"),
    "deep": ("metrics: " + "[" * 3_000 + "]" * 3_000 + "\n", "nests more than"),
    "two-documents": ("exclude: []\n---\nexclude: []\n", "one YAML document"),
    "bad-regex": ("dashboards: {uid-pattern: '(('}\n", "uid-pattern"),
    "python-tag": ("x: !!python/object/apply:os.system [echo pwned]\n", "obslint.yaml"),
}


@pytest.mark.parametrize("name", sorted(YAML_POLICIES))
def test_hostile_yaml_policy(tmp_path, name):
    text, words = YAML_POLICIES[name]
    write(tmp_path / "obslint.yaml", text)
    write(tmp_path / "r.yaml", RULES)
    write(tmp_path / "d.json", json.dumps({"uid": "x", "title": "T", "schemaVersion": 39, "panels": []}))
    one_error_line(obslint("r.yaml", "d.json", cwd=tmp_path), "obslint.yaml", words)


TOML_POLICIES = {
    "tool-is-a-number": ("tool = 5\n", "`tool` must be a table"),
    "obslint-is-a-number": ("[tool]\nobslint = 5\n", "`tool.obslint` must be a table"),
    "deep-array": ("[tool.obslint]\nx = " + "[" * 50_000 + "]" * 50_000 + "\n", "nests too deeply"),
    "huge-integer": ("[tool.obslint]\nmax-file-size = " + "9" * 5_000 + "\n", "invalid TOML"),
    "invalid": ("[tool.obslint\n", "invalid TOML"),
}


@pytest.mark.parametrize("name", sorted(TOML_POLICIES))
def test_hostile_pyproject(tmp_path, name):
    text, words = TOML_POLICIES[name]
    write(tmp_path / "pyproject.toml", text)
    write(tmp_path / "r.yaml", RULES)
    one_error_line(obslint("--config", "pyproject.toml", "r.yaml", cwd=tmp_path), "pyproject.toml", words)


def test_exponential_regex_in_the_policy_does_not_hang(tmp_path):
    write(tmp_path / "obslint.yaml", "dashboards: {uid-pattern: '^(a+)+$'}\n")
    # a valid uid that almost matches: 2**39 ways to fail for a backtracking engine
    write(tmp_path / "d.json", json.dumps({"uid": "a" * 39 + "b", "title": "T", "schemaVersion": 39, "panels": []}))
    run = check(obslint("-q", "d.json", cwd=tmp_path), name="d.json", codes=["DB003"], exit_codes=(1,))
    assert "does not match the policy's uid-pattern" in run.out
    assert run.seconds < 3


def test_saferegex_is_linear_and_refuses_what_re2_cannot_do():
    rx = saferegex.compile("^(a+)+$")
    start = time.monotonic()
    assert rx.search("a" * 5_000 + "!") is None
    assert time.monotonic() - start < 1
    with pytest.raises(saferegex.PatternError):
        saferegex.compile("(?=x)y")  # look-ahead: not RE2, not Prometheus either


def test_saferegex_fallback_refuses_nested_repetition(monkeypatch):
    monkeypatch.setattr(saferegex, "_re2", None)
    with pytest.raises(saferegex.PatternError, match="repetition inside a repetition"):
        saferegex.compile("^(a+)+$")
    assert saferegex.compile("^edu-[a-z0-9-]+$").match("edu-api")


def test_two_hundred_thousand_excludes(tmp_path):
    write(tmp_path / "obslint.yaml", "exclude:\n" + "".join(f"  - 'gen/d{i}/**'\n" for i in range(200_000)))
    for i in range(20):
        write(tmp_path / f"r{i}.yaml", RULES)
    write(tmp_path / "gen" / "d7" / "bad.yaml", "groups: [}\n")
    run = obslint("-q", ".", cwd=tmp_path)
    assert run.code == 0 and "Traceback" not in run.err, run.err[-2000:]
    assert "bad.yaml" not in run.out  # excluded
    assert run.seconds < TIME_LIMIT and run.peak_rss < MEMORY_LIMIT


def test_globset_means_what_pathspec_means():
    """The indexed matcher (many patterns) answers as pathspec's gitignore matcher, for
    exclude: and ignore: path: alike."""
    import pathspec

    rng = random.Random(11)
    atoms = ["a", "b", "dash", "*", "?", "[ab]", "[!a]", "**", "/", ".json", "x.yaml", "d1", "", "[", "]", "."]
    paths = ["a", "a/b", "dash/x.json", "b/a/dash.json", "d1/d2/x.yaml", "x.yaml", "a/x.yaml", "ab", "dash",
             "[ab]", "a]/b", "a.b/c", "d1/a/b/dash"]
    filler = [f"gen/d{i}/**" for i in range(40)]  # past the size where pathspec itself matches
    for _ in range(3_000):
        patterns = ["".join(rng.choice(atoms) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 4))]
        patterns = [p for p in patterns if p.strip() and not p.startswith(("!", "#"))] or ["a"]
        try:
            reference = pathspec.PathSpec.from_lines("gitignore", [clean(p) for p in patterns])
        except Exception:  # noqa: BLE001 - a pattern pathspec refuses: not a case to compare
            continue
        globs = GlobSet(filler + patterns)
        assert globs.spec is None  # the indexed path is the one under test
        for p in paths:
            for is_dir in (False, True):
                want = reference.match_file(p + ("/" if is_dir else ""))
                assert globs(p, is_dir=is_dir) == want, (patterns, p, is_dir)


def test_exclude_and_ignore_share_the_gitignore_dialect(tmp_path):
    write(tmp_path / "obslint.yaml", "exclude: ['gen/*.yaml']\n")  # `*` stays in one directory
    write(tmp_path / "gen" / "top.yaml", "groups: [}\n")
    write(tmp_path / "gen" / "deep" / "bad.yaml", "groups: [}\n")
    run = obslint("-q", ".", cwd=tmp_path)
    assert "top.yaml" not in run.out and "bad.yaml" in run.out, run.out


# --- where the report goes --------------------------------------------------------------------------

def _tree(tmp_path):
    write(tmp_path / "sub" / "r.yaml", RULES)
    return tmp_path


@pytest.mark.parametrize("how", ["inside-a-linted-directory", "symlink-to-linted", "hard-link-to-linted",
                                 "also-output"])
def test_report_never_replaces_a_linted_file(tmp_path, how):
    _tree(tmp_path)
    target = "sub/r.yaml"
    args = ["--no-config", "."]
    if how == "symlink-to-linted":
        os.symlink("sub/r.yaml", tmp_path / "report.json")
        target = "report.json"
    elif how == "hard-link-to-linted":
        os.link(tmp_path / "sub" / "r.yaml", tmp_path / "report.txt")
        target = "report.txt"
    if how == "also-output":
        args += ["--also-output", f"sarif:{target}"]
    else:
        args += ["--output", target]
    one_error_line(obslint(*args, cwd=tmp_path), "a file being linted")
    assert (tmp_path / "sub" / "r.yaml").read_text() == RULES


def test_report_never_replaces_a_device_or_a_link_to_one(tmp_path):
    _tree(tmp_path)
    os.symlink(os.devnull, tmp_path / "null.txt")
    for target in ("null.txt", os.devnull):
        for option in ("--output", "--also-output"):
            value = target if option == "--output" else f"json:{target}"
            one_error_line(obslint("--no-config", "sub", option, value, cwd=tmp_path), "not a regular file")
    assert os.path.islink(tmp_path / "null.txt")
    assert not os.path.isfile(os.devnull)  # still the device


def test_report_next_to_linted_files_is_written(tmp_path):
    _tree(tmp_path)
    run = obslint("--no-config", ".", "--format", "json", "--output", "report.txt", cwd=tmp_path)
    assert run.code == 0, run.err
    assert json.loads((tmp_path / "report.txt").read_text())["version"] == 1
