"""A cold run a chunk at a time (obslint.stream, bounded memory) gives the results of the
one-pass run, field by field and in order (issue 19)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

import obslint
from obslint import engine, stream
from tests.conftest import CORPUS, REPO
from tests.scale.helpers import assert_same, rows
from tests.scale.test_cache import _dashboard, tree  # noqa: F401 - the fixture

CONFIGMAP = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dash\ndata:\n  api.json: |\n    "
             + _dashboard("api", "API copy", ["sum(rate(http_requests_total[5m]))"]).replace("\n", "\n    ") + "\n")
ALERTING_JSON = """{"apiVersion": 1, "groups": [{"orgId": 1, "name": "g", "folder": "f", "interval": "1m",
 "rules": [{"uid": "r1", "title": "High queue", "condition": "A", "for": "5m",
  "data": [{"refId": "A", "datasourceUid": "prom", "relativeTimeRange": {"from": 600, "to": 0},
            "model": {"refId": "A", "expr": "max(queue_depth_total) > 5"}}]}]}]}
"""


@pytest.fixture
def always_stream(monkeypatch):
    """Every run streams, a few files a chunk (several chunks even on a small tree)."""
    monkeypatch.setattr(stream, "MIN_FILES", 0)
    monkeypatch.setattr(engine, "STREAM_MIN_FILES", 0)
    monkeypatch.setattr(stream, "CHUNK_BYTES", 1500)
    monkeypatch.setenv("OBSLINT_MAX_MEMORY", "0.0001")


def _both(paths, monkeypatch, jobs=1, **opts):
    streamed = obslint.lint(paths, None, jobs=jobs, **opts)
    assert streamed.cache_mode == "stream"
    with monkeypatch.context() as m:
        m.delenv("OBSLINT_MAX_MEMORY")
        m.setattr(stream, "budget", lambda: None)
        one = obslint.lint(paths, None, jobs=1, **opts)
    assert getattr(one, "cache_mode", "plain") == "plain"
    assert_same(streamed, one)
    assert rows(streamed) == rows(one)  # the order too
    return one, streamed


def test_streamed_equals_one_pass_on_a_small_tree(tree, always_stream, monkeypatch):  # noqa: F811
    (tree / "team-a" / "cm.yaml").write_text(CONFIGMAP)  # a core file: every chunk reads it whole
    one, _ = _both([Path("repo")], monkeypatch)
    assert {f.code for f in one.findings} >= {"AL006", "RF021", "DB004"}  # cross-file: label flow, uid twice
    assert one.suppressed  # the `# obslint:` comments of team-b/rules.yml
    _both([Path("repo")], monkeypatch, jobs=2)
    _both([Path("repo/team-a")], monkeypatch, project_root=Path("repo"))  # a scope: the rest are shadows
    _both([Path("repo")], monkeypatch, select=["PQ", "DB", "XF"])
    _both([Path("repo")], monkeypatch, report_unused=True)
    monkeypatch.setenv("OBSLINT_MAX_PER_CODE", "1")  # capped files are left to the merge
    _both([Path("repo")], monkeypatch)


def test_datasource_references_per_grafana_in_every_chunk(tree, always_stream, monkeypatch):  # noqa: F811
    """Each chunk finds the provisioning files once (datasource_refs._provisioned) and judges every
    directory's references against the datasources of the Grafanas that serve it (here the root's
    and team-b/grafana's), as the one pass does."""
    grafana = tree / "team-b" / "grafana"
    (grafana / "datasources").mkdir(parents=True)
    (grafana / "datasources" / "ds.yaml").write_text(
        "apiVersion: 1\ndatasources:\n  - name: Loki\n    uid: loki\n    type: loki\n    url: http://loki:3100\n")
    (grafana / "dashboards").mkdir()
    (grafana / "dashboards" / "logs.json").write_text(_dashboard("logs", "Logs", ["max(up)"]))
    (tree / "team-a" / "dashboards" / "gone.json").write_text(
        _dashboard("gone", "Gone", ["max(up)"]).replace('"uid": "prom"', '"uid": "nowhere"'))
    one, _ = _both([Path("repo")], monkeypatch)
    assert "repo/team-a/dashboards/gone.json" in {f.file for f in one.findings if f.code == "DS001"}


def test_a_json_core_file_is_read_before_the_facts_are_final(tree, always_stream, monkeypatch):  # noqa: F811
    (tree / "alerting.json").write_text(ALERTING_JSON)
    (tree / "zz-resources").mkdir()
    (tree / "zz-resources" / "alerting.json").write_text(ALERTING_JSON.replace('"r1"', '"r2"'))
    one, _ = _both([Path("repo")], monkeypatch)
    assert any(f.file.endswith("alerting.json") for f in one.findings)


def test_a_file_changed_between_the_reads_gives_the_one_pass_answer(tree, always_stream, monkeypatch):  # noqa: F811
    real = stream._first_read
    dash = tree / "team-b" / "web.json"

    def first_read(i):  # the file is rewritten once round 1 has read it
        got = real(i)
        if stream._S["rows"][i][0] == Path("repo/team-b/web.json"):
            dash.write_text(_dashboard("web", "Web", ["sum(rate(queue_depth_total[1m]))"]))
        return got

    monkeypatch.setattr(stream, "_first_read", first_read)
    streamed = obslint.lint([Path("repo")], None, jobs=1)
    assert streamed.cache_mode == "cold"  # fell back to one pass, after the file changed
    monkeypatch.setattr(stream, "budget", lambda: None)
    assert_same(streamed, obslint.lint([Path("repo")], None, jobs=1))


def test_streamed_with_the_cache(tree, always_stream, tmp_path):  # noqa: F811
    cache = tmp_path / "cache"
    first = obslint.lint([Path("repo")], None, jobs=1, cache=True, cache_dir=cache)
    assert first.cache_mode == "stream"
    again = obslint.lint([Path("repo")], None, jobs=1, cache=True, cache_dir=cache)
    assert again.cache_mode == "reuse"
    assert_same(again, first)


def test_small_and_roomy_runs_read_once(tree, monkeypatch):  # noqa: F811
    assert getattr(obslint.lint([Path("repo")], None, jobs=1), "cache_mode", "plain") == "plain"
    monkeypatch.setattr(stream, "MIN_FILES", 0)
    monkeypatch.setattr(engine, "STREAM_MIN_FILES", 0)
    monkeypatch.setenv("OBSLINT_MAX_MEMORY", "100000")  # 100 GB: no need
    assert getattr(obslint.lint([Path("repo")], None, jobs=1), "cache_mode", "plain") == "plain"


def test_chunks_keep_near_copies_together():
    sizes = [1000, 50_000, 1001, 50_001, 1002, 50_002]
    rows_ = [[f"f{i}.json", "json", f"/r/f{i}.json", (0, s, i)] for i, s in enumerate(sizes)]
    old = stream.CHUNK_BYTES
    try:
        stream.CHUNK_BYTES = 3000
        chunks = stream._chunks(rows_, range(len(rows_)))
    finally:
        stream.CHUNK_BYTES = old
    assert chunks[0] == [0, 2, 4] and sorted(i for c in chunks for i in c) == list(range(6))


@pytest.mark.slow
def test_streamed_equals_one_pass_on_corpus_and_monorepo(tmp_path, monkeypatch, always_stream):
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    sys.path.insert(0, str(REPO / "bench"))
    from monorepo import generate

    monkeypatch.setattr(stream, "CHUNK_BYTES", 400_000)
    generate(tmp_path / "mono", dashboards=60, rules=30)
    monkeypatch.chdir(tmp_path)
    _both([Path("mono")], monkeypatch)
    monkeypatch.chdir(CORPUS.parent)
    _both([Path("corpus")], monkeypatch)
    _both([Path("corpus/grafana-alerting")], monkeypatch, project_root=Path("corpus"))


def test_fixing_reads_once(tree, always_stream):  # noqa: F811
    """The fixer plans from the findings' documents: a run with fixes never streams."""
    result = obslint.lint([Path("repo")], None, fix="unsafe", write=False)
    assert getattr(result, "cache_mode", "plain") == "plain"
    assert result.fixes is not None
