"""`--jobs N` gives the results of one process, in the same order (issue 19)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

import obslint
from obslint import parallel
from tests.conftest import CORPUS, REPO
from tests.scale.helpers import assert_same, rows
from tests.scale.test_cache import tree  # noqa: F401 - the fixture


@pytest.fixture
def always_parallel(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_FILES", 0)
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)


def _both(paths, **opts):
    one = obslint.lint(paths, None, jobs=1, **opts)
    many = obslint.lint(paths, None, jobs=2, **opts)
    assert many.cache_mode == "parallel"
    assert_same(many, one)
    assert rows(many) == rows(one)  # the order too
    return one, many


def test_jobs_equal_one_process_on_a_small_tree(tree, always_parallel):  # noqa: F811
    one, _ = _both([Path("repo")])
    assert {f.code for f in one.findings} >= {"AL006", "RF021"}
    _both([Path("repo/team-a")], project_root=Path("repo"))
    _both([Path("repo")], select=["PQ", "DB", "XF"])


def test_jobs_with_the_cache(tree, always_parallel, tmp_path):  # noqa: F811
    cache = tmp_path / "cache"
    first = obslint.lint([Path("repo")], None, jobs=2, cache=True, cache_dir=cache)
    assert first.cache_mode == "parallel"
    again = obslint.lint([Path("repo")], None, jobs=2, cache=True, cache_dir=cache)
    assert again.cache_mode == "reuse"
    assert_same(again, obslint.lint([Path("repo")], None))


def test_small_runs_stay_in_one_process(tree):  # noqa: F811
    result = obslint.lint([Path("repo")], None, jobs=2)
    assert result.cache_mode == "cold"


@pytest.mark.slow
def test_jobs_equal_one_process_on_corpus_and_monorepo(tmp_path, monkeypatch, always_parallel):
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    sys.path.insert(0, str(REPO / "bench"))
    from monorepo import generate

    generate(tmp_path / "mono", dashboards=60, rules=30)
    monkeypatch.chdir(tmp_path)
    _both([Path("mono")])
    monkeypatch.chdir(CORPUS.parent)
    _both([Path("corpus")])


def test_split_keeps_near_copies_together_and_balances_bytes():
    """Files of one format in order of size, cut at equal bytes: copies of a template (equal
    sizes) land in one worker (but where the cut falls), every worker gets its share of each
    format."""
    sizes = [1000, 1001, 1002, 50_000, 50_001, 50_002] * 3
    rows = [[f"f{i}.json", "json", f"/r/f{i}.json", (0, s, i)] for i, s in enumerate(sizes)]
    rows += [[f"r{i}.yml", "yaml", f"/r/r{i}.yml", (0, 3000, 100 + i)] for i in range(4)]
    parts = parallel._split(rows, 2)
    assert sorted(i for p in parts for i in p) == list(range(len(rows)))
    where = {i: w for w, p in enumerate(parts) for i in p}
    split = [size for size in set(sizes) if len({where[i] for i, s in enumerate(sizes) if s == size}) > 1]
    assert len(split) <= 1  # only where the cut falls
    for fmt in ("json", "yaml"):
        per = [sum(rows[i][3][1] for i in p if rows[i][1] == fmt) for p in parts]
        assert min(per) > 0
