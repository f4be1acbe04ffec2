"""A middling cold run that checks half its files in a forked process gives the results of one
process, field by field and in the same order (obslint.forkcheck, issue 19)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import obslint
from obslint import forkcheck
from tests.conftest import CORPUS, REPO
from tests.scale.helpers import assert_same, rows
from tests.scale.test_cache import tree  # noqa: F401 - the fixture

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


@pytest.fixture
def forks(monkeypatch):
    """Every run forks (no size threshold); counts the runs whose child's findings came back."""
    monkeypatch.setattr(forkcheck, "MIN_SOURCES", 2)
    monkeypatch.setattr(forkcheck, "MIN_BYTES", 0)
    merged = []
    real = forkcheck._receive

    def receive(*args):
        got = real(*args)
        merged.append(got is not None)
        return got

    monkeypatch.setattr(forkcheck, "_receive", receive)
    return merged


def _both(paths, forks, **opts):
    one = obslint.lint(paths, None, jobs=1, **opts)
    before = len(forks)
    two = obslint.lint(paths, None, jobs=2, **opts)
    assert forks[before:] == [True], "the run did not fork, or the child's findings were lost"
    assert_same(two, one)
    assert rows(two) == rows(one)  # the order too
    return one, two


def test_forked_run_equals_one_process_on_a_small_tree(tree, forks):  # noqa: F811
    one, _ = _both([Path("repo")], forks)
    assert {f.code for f in one.findings} >= {"AL006", "RF021"}  # findings of both kinds of file
    _both([Path("repo/team-a")], forks, project_root=Path("repo"))  # project-wide view, part reported
    _both([Path("repo")], forks, select=["PQ", "DB", "XF"])


def test_forked_run_equals_one_process_on_every_documented_bad_example(forks, tmp_path, monkeypatch):
    """Each rule's Bad example in a folder of its own (those without a policy): findings of
    nearly every code, fixable ones among them, and the reference stack beside them."""
    from obslint import registry
    from obslint.docs import examples
    from tests.conftest import write_tree

    n = 0
    for rule in registry.load_all().values():
        for kind, files in examples(rule):
            if kind == "bad" and "obslint.yaml" not in files:
                n += 1
                write_tree(tmp_path / "ex" / f"{rule.code}-{n}", files)
    monkeypatch.chdir(tmp_path)
    one, _ = _both([Path("ex"), REPO / "infra"], forks)
    assert len({f.code for f in one.findings}) > 60
    assert any(f.autofix is not None for f in one.findings)  # fixes come back from the child, edits made


@pytest.mark.slow
def test_forked_run_equals_one_process_on_the_corpus(forks, monkeypatch):
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    import sys

    sys.path.insert(0, str(REPO / "bench"))
    from bench import corpus_dashboards, corpus_rule_files

    one, _ = _both(corpus_rule_files(), forks)
    assert len(one.findings) > 500
    _both(corpus_dashboards(), forks)


def test_a_child_that_fails_leaves_its_files_to_the_parent(tree, forks, monkeypatch):  # noqa: F811
    def broken(*args):
        raise RuntimeError("the child fails")

    monkeypatch.setattr(forkcheck, "_child", broken)
    one = obslint.lint([Path("repo")], None, jobs=1)
    two = obslint.lint([Path("repo")], None, jobs=2)
    assert forks == [False]
    assert rows(two) == rows(one)


def test_small_runs_do_not_fork(tree, monkeypatch):  # noqa: F811
    called = []
    monkeypatch.setattr(forkcheck, "run", lambda *a: called.append(a))
    obslint.lint([Path("repo")], None, jobs=2)
    assert called == []


def test_no_fork_with_the_cache_or_one_job(tree, forks, tmp_path):  # noqa: F811
    obslint.lint([Path("repo")], None, jobs=1)
    obslint.lint([Path("repo")], None, jobs=2, cache=True, cache_dir=tmp_path / "cache")
    assert forks == []  # the cache keeps facts the checks gather in this process


class _Src:
    def __init__(self, size: int) -> None:
        self.text = "x" * size


def test_split_gives_each_process_consecutive_files_of_half_the_bytes():
    sources = [_Src(s) for s in (100_000, 5_000, 5_000, 90_000, 1_000, 1_000, 1_000, 100)]
    theirs, mine = forkcheck.split(sources)
    assert theirs + mine == sources and theirs and mine
    size = [sum(len(s.text) for s in part) for part in (theirs, mine)]
    assert abs(size[0] - size[1]) <= 100_000
    assert forkcheck.split(sources[:1])[1] == []  # one file: nothing to share


def test_split_counts_alerts_as_work():
    sources = [_Src(10_000) for _ in range(10)]
    assert len(forkcheck.split(sources)[0]) == 5
    heavy = {id(s): 100 for s in sources[:3]}  # 100 alerts in each of the first three files
    theirs, mine = forkcheck.split(sources, heavy)
    assert len(theirs) == 3 and theirs + mine == sources
