"""The cache never changes results (issue 19): cold and warm runs compared field by field on a
small tree with cross-file facts (duplicate uids, recording rules followed by label flow,
counters rated elsewhere, alerts' metrics on dashboards), through edits, renames, deletions,
and on damaged or unwritable caches."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import obslint
from tests.scale.helpers import assert_same, lint_both, touch_later


def _dashboard(uid: str, title: str, exprs: list[str], panel_title: str = "Requests") -> str:
    panels = [{"id": i + 1, "type": "timeseries", "title": f"{panel_title} {i}", "gridPos": {"x": 0, "y": i * 8, "w": 24, "h": 8},
               "datasource": {"type": "prometheus", "uid": "prom"},
               "targets": [{"refId": "A", "expr": e, "datasource": {"type": "prometheus", "uid": "prom"}}]}
              for i, e in enumerate(exprs)]
    return json.dumps({"uid": uid, "title": title, "schemaVersion": 39, "panels": panels}, indent=2) + "\n"


RULES = """groups:
  - name: api
    rules:
      - record: job:http_requests:rate5m
        expr: sum by (job) (rate(http_requests_total[5m]))
      - alert: ApiErrors
        expr: job:http_requests:rate5m > 10
        for: 5m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.instance }} is failing"
      - alert: QueueStuck
        expr: queue_depth_total > 100
        for: 0m
"""

SUPPRESSED = """groups:
  - name: other
    rules:
      # obslint: disable=RF021
      - alert: DiskFull
        expr: node_filesystem_free_bytes < 10
        for: 0m
"""

DATASOURCES = """apiVersion: 1
datasources:
  - name: Prometheus
    uid: prom
    type: prometheus
    url: http://prometheus:9090
"""


@pytest.fixture
def tree(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    (root / "team-a" / "dashboards").mkdir(parents=True)
    (root / "team-a" / "rules").mkdir(parents=True)
    (root / "team-b").mkdir(parents=True)
    (root / "team-a" / "dashboards" / "api.json").write_text(_dashboard(
        "api", "API", ["sum(rate(http_requests_total[5m]))", "job:http_requests:rate5m", "max(queue_depth_total)"]))
    (root / "team-a" / "dashboards" / "db.json").write_text(_dashboard("db", "DB", ["max(pg_up)"]))
    (root / "team-b" / "web.json").write_text(_dashboard("web", "Web", ["sum(rate(nginx_requests_total[1m]))"]))
    (root / "team-a" / "rules" / "api.yml").write_text(RULES)
    (root / "team-b" / "rules.yml").write_text(SUPPRESSED)
    (root / "datasources.yml").write_text(DATASOURCES)
    monkeypatch.chdir(tmp_path)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    touch_later(path)


def _step(root, cache, mode: str | None, **opts):
    cached, cold = lint_both([root.name], cache, **opts)
    if mode is not None:
        assert cached.cache_mode == mode
    return cached, cold


def test_warm_runs_equal_cold_through_edits(tree):
    cache = tree.parent / "cache"
    first, _ = _step(tree, cache, "cold")
    assert any(f.code == "AL006" for f in first.findings)  # label flow through the recording rule (cross-file)
    _step(tree, cache, "reuse")
    dash = tree / "team-a" / "dashboards" / "api.json"
    _edit(dash, '"Requests 0"', '"Requests served"')  # nothing other files read: only this file again
    _step(tree, cache, "incremental")
    _edit(tree / "team-a" / "rules" / "api.yml", "> 10", "> 20")  # an alert's threshold
    _step(tree, cache, "incremental")
    # another dashboard takes api's uid: a finding on the unchanged api.json too
    _edit(tree / "team-a" / "dashboards" / "db.json", '"uid": "db"', '"uid": "api"')
    cached, _ = _step(tree, cache, "cold")
    assert {f.file for f in cached.findings if "uid" in f.message and f.code.startswith("DB")} >= {
        str(Path("repo/team-a/dashboards/api.json")), str(Path("repo/team-a/dashboards/db.json"))}
    # the recording rule changes what the alert's labels can be (AL006 on the alert)
    _edit(tree / "team-a" / "rules" / "api.yml", "sum by (job) (rate", "sum by (job, instance) (rate")
    cached, _ = _step(tree, cache, "cold")
    assert not any(f.code == "AL006" for f in cached.findings)
    # a counter now rated on a dashboard of another file: PQ125 elsewhere changes
    _edit(tree / "team-b" / "web.json", "sum(rate(nginx_requests_total[1m]))", "sum(rate(queue_depth_total[1m]))")
    _step(tree, cache, "cold")
    _step(tree, cache, "reuse")
    (tree / "team-b" / "web.json").rename(tree / "team-b" / "web2.json")
    _step(tree, cache, "cold")
    (tree / "team-a" / "dashboards" / "db.json").unlink()
    _step(tree, cache, "cold")
    (tree / "team-b" / "new.json").write_text(_dashboard("new", "New", ["up"]))
    _step(tree, cache, "cold")
    _edit(tree / "datasources.yml", "uid: prom", "uid: prom2")  # a core file: everything again
    _step(tree, cache, "cold")
    _edit(tree / "team-b" / "rules.yml", "      # obslint: disable=RF021\n", "")  # a suppression removed
    cached, _ = _step(tree, cache, "incremental")
    assert any(f.code == "RF021" and "DiskFull" in f.message for f in cached.findings)


def test_metricsql_on_a_datasource_elsewhere_is_followed_through_edits(tree):
    """A type-rule error is a PQ002 warning while another dashboard queries the same datasource
    in MetricsQL, and a PQ001 error again once it stops: a fact of the other file."""
    cache = tree.parent / "cache"
    db = tree / "team-a" / "dashboards" / "db.json"
    web = tree / "team-b" / "web.json"
    _edit(db, '"max(pg_up)"', '"max_over_time((max by (set) (pg_up == 1))[10m])"')
    _edit(web, '"sum(rate(nginx_requests_total[1m]))"', '"topk_max(5, rate(nginx_requests_total[1m]))"')
    cached, _ = _step(tree, cache, "cold")
    assert {f.code for f in cached.findings if f.file.endswith("db.json") and f.code.startswith("PQ00")} == {"PQ002"}
    _edit(web, '"Requests 0"', '"Requests served"')  # the fact unchanged: web.json alone again
    _step(tree, cache, "incremental")
    _edit(web, "topk_max(5, rate(", "topk(5, rate(")
    cached, _ = _step(tree, cache, "cold")
    assert {f.code for f in cached.findings if f.file.endswith("db.json") and f.code.startswith("PQ00")} == {"PQ001"}
    _step(tree, cache, "reuse")



def test_names_other_dashboards_query_are_followed_through_edits(tree):
    """PQ124 takes `a-b` as a meant subtraction when the project queries `a` and `b` on their
    own, here in another dashboard: a cached dashboard keeps those names as a fact (its shadow
    has no queries), so a warm run after an edit elsewhere agrees with a cold one."""
    cache = tree.parent / "cache"
    api = tree / "team-a" / "dashboards" / "api.json"
    db = tree / "team-a" / "dashboards" / "db.json"
    _edit(api, '"max(queue_depth_total)"', '"sum(apples-pears)"')
    _edit(db, '"max(pg_up)"', '"sum(apples) + sum(pears)"')
    cached, _ = _step(tree, cache, "cold")
    assert not [f for f in cached.findings if f.code == "PQ124"]
    _edit(api, '"Requests 0"', '"Requests served"')  # db.json is a shadow now
    cached, _ = _step(tree, cache, "incremental")
    assert not [f for f in cached.findings if f.code == "PQ124"]
    _edit(db, "sum(pears)", "sum(plums)")  # the fact changed: the subtraction is no longer meant
    cached, _ = _step(tree, cache, "cold")
    assert [f.file for f in cached.findings if f.code == "PQ124"] == ["repo/team-a/dashboards/api.json"]

def test_a_jsonnet_importer_added_edited_or_removed_is_followed(tree):
    """DB040 on a dashboard a jsonnet file imports is info; the jsonnet file is no linted file,
    but a warm run must see it come, change and go."""
    cache = tree.parent / "cache"
    db = tree / "team-a" / "dashboards" / "db.json"
    _edit(db, '"max(pg_up)"', '"max(pg_up{cluster=\\"$cluster\\"})"')

    def severities():
        cached, _ = _step(tree, cache, None)
        return {f.severity.name for f in cached.findings if f.code == "DB040"}

    assert severities() == {"ERROR"}
    assert severities() == {"ERROR"}  # (reused)
    importer = tree / "team-a" / "dashboards" / "db.libsonnet"
    importer.write_text("(import './db.json')\n")
    assert severities() == {"INFO"}
    importer.write_text("(import './other.json')\n")
    touch_later(importer)
    assert severities() == {"ERROR"}
    importer.write_text("(import './db.json')\n")
    touch_later(importer)
    assert severities() == {"INFO"}
    importer.unlink()
    assert severities() == {"ERROR"}


def test_options_and_scope_are_part_of_the_key(tree):
    cache = tree.parent / "cache"
    _step(tree, cache, "cold")
    _step(tree, cache, "cold", select=["PQ", "AL"])
    _step(tree, cache, "reuse", select=["PQ", "AL"])
    _step(tree, cache, "cold", ignore=["XF002"])
    _step(tree, cache, "incremental", project_root=tree, report_unused=True)


def test_pre_commit_runs_share_one_cache(tree):
    """`--project-root . CHANGED_FILES`: another set of files each commit, one cache for all."""
    cache = tree.parent / "cache"
    api = tree / "team-a" / "dashboards" / "api.json"
    rules = tree / "team-a" / "rules" / "api.yml"

    def commit(*targets, mode):
        cached = obslint.lint(list(targets), None, project_root=tree, cache=True, cache_dir=cache)
        assert_same(cached, obslint.lint(list(targets), None, project_root=tree))
        assert cached.cache_mode == mode
        return cached

    commit(api, mode="cold")
    _edit(api, '"Requests 0"', '"Requests served"')
    commit(api, mode="incremental")
    _edit(rules, "> 10", "> 12")
    commit(rules, mode="incremental")  # rules.yml was not checked before: read now
    # a run that read changed files does not write the whole run's findings for reuse: the
    # next one over the same files reads none again, writes them, and the one after reuses them
    commit(rules, mode="incremental")
    commit(rules, mode="reuse")
    _edit(rules, "> 12", "> 13")
    commit(api, rules, mode="incremental")
    _step(tree, cache, "incremental")  # the whole tree: the files never checked are read


@pytest.mark.parametrize("damage", [b"", b"garbage", b"\x00" * 100, None])
def test_damaged_cache_is_rebuilt(tree, damage):
    cache = tree.parent / "cache"
    _step(tree, cache, "cold")
    for part in cache.glob("run-*"):
        if damage is None:  # truncated
            part.write_bytes(part.read_bytes()[: len(part.read_bytes()) // 2])
        else:
            part.write_bytes(damage)
    _step(tree, cache, "cold")
    _step(tree, cache, "reuse")


def test_mixed_parts_of_two_writers_are_not_used(tree):
    cache = tree.parent / "cache"
    _step(tree, cache, "cold")
    saved = {p.name: p.read_bytes() for p in cache.glob("run-*")}
    _edit(tree / "team-a" / "dashboards" / "db.json", '"uid": "db"', '"uid": "db2"')  # rewrites every part
    _step(tree, cache, "cold")
    for name, data in saved.items():
        if not name.endswith(".idx"):
            (cache / name).write_bytes(data)  # the old parts beside the new index
    _step(tree, cache, "cold")
    _step(tree, cache, "reuse")


def test_unwritable_cache_dir_only_costs_warmth(tree):
    blocker = tree.parent / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    _step(tree, blocker / "cache", "cold")
    _step(tree, blocker / "cache", "cold")


def test_default_location_is_gitignored(tree, monkeypatch):
    from obslint.cli import main

    monkeypatch.delenv("OBSLINT_NO_CACHE")

    assert main(["--no-config", "-q", "repo"]) in (0, 1)
    assert (tree.parent / ".obslint_cache" / ".gitignore").read_text().strip().endswith("*")
    shutil.rmtree(tree.parent / ".obslint_cache")
    assert main(["--no-config", "-q", "--no-cache", "repo"]) in (0, 1)
    assert not (tree.parent / ".obslint_cache").exists()
    assert main(["--no-config", "-q", "--cache-dir", "elsewhere", "repo"]) in (0, 1)
    assert list((tree.parent / "elsewhere").glob("run-*.idx"))


def test_without_core_files_rule_shadows_are_light_and_exact(tree):
    (tree / "datasources.yml").unlink()  # no core file: other rule files are kept light
    cache = tree.parent / "cache"
    _step(tree, cache, "cold")
    for n in range(3):  # successive warm runs accumulate their entries beside the big part
        _edit(tree / "team-a" / "dashboards" / "api.json", f'"Requests {n}"' if n else '"Requests 0"',
              f'"Requests {n + 1}"')
        _step(tree, cache, "incremental")
        _edit(tree / "team-b" / "rules.yml", f"< {10 + n}", f"< {11 + n}")
        cached, _ = _step(tree, cache, "incremental")
        assert any(f.code == "AL006" for f in cached.findings)  # the recording rule still followed
    _step(tree, cache, "incremental")  # nothing changed: the whole run's findings written for reuse
    _step(tree, cache, "reuse")


def test_concurrent_runs_leave_a_usable_cache(tree):
    import subprocess
    import sys

    cache = tree.parent / "cache"
    cmd = [sys.executable, "-m", "obslint", "--no-config", "-q", "--format", "json", "--cache-dir", str(cache), "repo"]
    env = {k: v for k, v in __import__("os").environ.items() if k != "OBSLINT_NO_CACHE"}
    for round_ in range(3):
        procs = [subprocess.Popen(cmd, cwd=tree.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(4)]
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode in (0, 1) for p in procs), [o[1] for o in outs]
        assert all(not o[1] for o in outs)  # nothing on stderr: no traceback
        reports = [json.loads(o[0]) for o in outs]
        assert all(r["findings"] == reports[0]["findings"] for r in reports)  # the same findings from each
        _edit(tree / "team-a" / "rules" / "api.yml", f"> {10 + round_}", f"> {11 + round_}")
    _step(tree, cache, None)


def test_warm_run_shows_cached_lines_without_reading_the_files(tree, tmp_path):
    """A restored finding carries the line the console prints under it: an unchanged file is
    not read again to show it, and the line is the one a cold run shows."""
    from obslint.incremental import ShadowSource
    from obslint.report.console import report
    import io

    cache = tmp_path / "cache"
    obslint.lint([Path("repo")], None, cache=True, cache_dir=cache)
    _edit(tree / "team-a" / "dashboards" / "db.json", "max(pg_up)", "max(pg_up) by (job)")
    warm, cold = _step(tree, cache, "incremental")
    shadows = [s for s in warm.project.sources if isinstance(s, ShadowSource)]
    assert shadows and any(s.known for s in shadows)
    shown = {f.file for f in warm.findings if f.line}
    for s in shadows:
        if s.display in shown and "_text" not in s.__dict__:
            assert all(s.known.get(f.line) is not None for f in warm.findings if f.file == s.display and f.line)
    outs = []
    for result in (warm, cold):
        buf = io.StringIO()
        result.elapsed = 0.0
        report(result, buf, {})
        outs.append(buf.getvalue())
    assert outs[0] == outs[1]
    assert "|" in outs[0]  # source lines were printed


def test_a_run_part_marshal_cannot_write_is_left_out(tmp_path):
    """The index is still written (warm runs keep the per-file entries), without the run."""
    from obslint.cache import Store

    store = Store(str(tmp_path / "c"), "k" * 32)
    assert store.save({"stat": {}, "has_run": True}, {"files": {"a": 1}, "run": {"found": [object()]}},
                      optional={"run": "has_run"})
    index = store.load()
    assert index["has_run"] is False and "run" not in store.tokens
    assert store.part("files") == {"a": 1} and store.part("run") is None


def test_other_code_under_the_same_version_is_not_served_the_old_findings(tmp_path):
    """A pre-commit `rev` between releases, or an editable install after `git pull`, runs new
    code under an unchanged version number: its first run must not reuse the old code's cache."""
    import os
    import subprocess
    import sys

    from obslint import schemas

    code = tmp_path / "code"
    shutil.copytree(Path(obslint.__file__).parent, code / "obslint",
                    ignore=shutil.ignore_patterns("__pycache__"))
    if not (code / "obslint" / "schemadata").exists():
        shutil.copytree(schemas.schema_dir(), code / "obslint" / "schemadata")
    project = tmp_path / "project"
    project.mkdir()
    (project / "rules.yml").write_text(SUPPRESSED.replace("      # obslint: disable=RF021\n", ""))

    def run() -> str:
        env = {**os.environ, "PYTHONPATH": str(code)}
        env.pop("OBSLINT_NO_CACHE", None)
        proc = subprocess.run([sys.executable, "-P", "-m", "obslint", "--format", "json", "--exit-zero", "rules.yml"],
                              cwd=project, env=env, capture_output=True, text=True, check=True)
        return " ".join(f["message"] for f in json.loads(proc.stdout)["findings"] if f["code"] == "RF021")

    first = run()
    assert "fires on the first evaluation" in first
    assert (project / ".obslint_cache").is_dir()
    module = code / "obslint" / "checks" / "ruleset.py"
    module.write_text(module.read_text().replace("it fires on the first evaluation", "it fires at once"))
    assert run() == first.replace("it fires on the first evaluation", "it fires at once")
    assert len(list((project / ".obslint_cache").glob("run-*.idx"))) == 2


@pytest.mark.parametrize("raw", [b'{"uid": "a"}\n', b'\xef\xbb\xbf{"uid": "a"}\r\n', b"groups: []\n# caf\xc3\xa9\n",
                                 b"\xff\xfeg\x00", b"x: \xff\n"])
def test_a_cached_files_text_is_the_text_a_full_read_gives(tmp_path, raw):
    """Shadows read their text without parsing it: the same text read_source gives (BOM,
    CRLF, undecodable bytes, refused encodings)."""
    from obslint.incremental import _read_text
    from obslint.load import read_source

    for name, fmt in (("f.json", "json"), ("f.yml", "yaml")):
        path = tmp_path / name
        path.write_bytes(raw)
        full = read_source(path, name, fmt, 1 << 20, {})[0].text
        assert _read_text(path, name, fmt, 1 << 20) == (full or "")
