"""Inputs that used to end in a traceback: each is now a finding at the right place or one
clear line and exit 2. Real processes under RLIMIT_AS, within the case's deadline
(test_adversarial.check)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.robustness.test_adversarial import check, obslint, write

BIG = "9" * 5_000  # past Python's 4,300-digit limit for int(str)

CONSTRUCTOR_CASES = {  # name: (text, line:col of the bad value, words of the message)
    "timestamp.yaml": ("groups:\n  - name: g\n    interval: !!timestamp nope\n    rules: []\n", "3:15",
                       "'nope' is tagged !!timestamp"),
    "int.yaml": ("groups:\n  - name: !!int abc\n    rules: []\n", "2:11", "'abc' is tagged !!int"),
    "digits-duplicate-key.yaml": (f"groups:\n  - name: g\n    rules: []\n    x: {BIG}\n    x: 1\n", "4:8",
                                  "an integer of 5,000 digits"),
    "digits-merge-key.yaml": (f"groups:\n  - name: g\n    rules: []\n    <<: {{a: {BIG}}}\n", "4:13",
                              "an integer of 5,000 digits"),
    "digits-second-document.yaml": (f"groups:\n  - name: g\n    rules: []\n---\na: {BIG}\n", "5:4",
                                    "an integer of 5,000 digits"),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTOR_CASES))
def test_yaml_values_that_cannot_be_constructed(tmp_path, name):
    text, where, words = CONSTRUCTOR_CASES[name]
    write(tmp_path / name, text)
    run = check(obslint("--no-config", "-q", name, cwd=tmp_path), name=name, codes=["IN003"], exit_codes=(1,))
    assert f"{name}:{where}: error IN003 invalid YAML: {words}" in run.out, run.out


def test_directories_nested_a_thousand_deep(tmp_path):
    top = path = str(tmp_path / "deep")
    os.mkdir(path)
    for _ in range(1_000):  # (os.makedirs itself recurses)
        path = os.path.join(path, "d")
        os.mkdir(path)
    write(Path(path) / "rules.yaml", "groups:\n  - name: g\n    rules:\n      - record: r\n"
          "        expr: sum(up\n")
    try:
        run = check(obslint("--no-config", "-q", "deep", cwd=tmp_path), name="rules.yaml", codes=["PQ001"],
                    exit_codes=(1,))
        assert "deep" + "/d" * 1_000 + "/rules.yaml:5:" in run.out and "error PQ001" in run.out
    finally:  # pytest's own clean-up (shutil.rmtree) recurses too
        os.remove(os.path.join(path, "rules.yaml"))
        while path != top:
            os.rmdir(path)
            path = os.path.dirname(path)


@pytest.mark.parametrize("limit", [str(3 * 10**10), str(2**63), str(10**40)])
def test_huge_max_file_size_reserves_nothing(tmp_path, limit):
    write(tmp_path / "r.yaml", "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: sum(up\n")
    check(obslint("--no-config", "-q", "--max-file-size", limit, "r.yaml", cwd=tmp_path), name="r.yaml",
          codes=["PQ001"], exit_codes=(1,))


@pytest.mark.parametrize("limit", ["3e10", "-1", "0", "abc"])
def test_max_file_size_that_is_not_a_positive_integer(tmp_path, limit):
    write(tmp_path / "r.yaml", "groups: []\n")
    run = obslint("--no-config", f"--max-file-size={limit}", "r.yaml", cwd=tmp_path)
    assert run.code == 2 and "Traceback" not in run.err
    (line,) = run.err.strip().splitlines()
    assert line.startswith("obslint: error:") and "max-file-size" in line
