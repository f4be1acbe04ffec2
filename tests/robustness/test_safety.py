"""obslint never changes what it reads, survives files changing under it, writes reports
atomically, and turns its own failures and slowness into findings instead of a crash."""
from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from obslint import engine
from obslint.atomic import write_atomic
from tests.conftest import CORPUS, codes, lint_tree, run_cli, write_tree
from tests.robustness.test_adversarial import NESTING_CASES, TEXT_CASES, check, obslint

RULES = "groups:\n  - name: g\n    rules:\n      - record: job:x:rate5m\n        expr: sum(rate(x[5m])\n"
DASH = json.dumps({"uid": "d", "title": "D", "panels": [{"type": "graph", "targets": [{"expr": "rate(x[5m]"}]}]})


def _snapshot(root: Path) -> dict:
    """Every path under root with its bytes and modification time (symlinks as links)."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = os.lstat(p)
            if p.is_symlink():
                snap[str(p)] = ("link", os.readlink(p), st.st_mtime_ns)
            elif p.is_file():
                snap[str(p)] = ("file", p.read_bytes(), st.st_mtime_ns, st.st_mode)
            else:
                snap[str(p)] = ("other", st.st_mode, st.st_mtime_ns)
    return snap


def test_linted_files_are_unchanged_after_a_run(tmp_path):
    """Bytes, modification times, modes and the set of files are identical after linting a tree
    of real files and hostile ones (with and without --output elsewhere)."""
    tree = tmp_path / "tree"
    for sub in ("prometheus-testdata/cmd/promtool/testdata", "awesome-prometheus-alerts/dist/rules/docker",
                "dotdc-grafana-dashboards-kubernetes"):
        src = CORPUS / sub
        if src.is_dir():
            shutil.copytree(src, tree / "corpus" / sub.replace("/", "_"), symlinks=True)
    for name, (data, _codes, _exit) in TEXT_CASES.items():
        (tree / "hostile").mkdir(parents=True, exist_ok=True)
        (tree / "hostile" / name).write_bytes(data)
    for name, text in NESTING_CASES.items():
        (tree / "hostile" / name).write_text(text)
    write_tree(tree, {"rules.yaml": RULES, "dash.json": DASH})
    (tree / "link.yaml").symlink_to("rules.yaml")
    os.mkfifo(tree / "pipe.yaml")
    os.utime(tree / "rules.yaml", ns=(1_000_000_000, 1_000_000_000))  # an old mtime that a write would change
    before = _snapshot(tree)
    assert len(before) > 20
    run = obslint("tree", cwd=tmp_path)
    assert run.code == 1 and "Traceback" not in run.err
    run = obslint("tree", "--format", "json", "--output", tmp_path / "report.json", cwd=tmp_path)
    assert run.code == 1 and json.loads((tmp_path / "report.json").read_text())
    assert _snapshot(tree) == before


def test_files_are_opened_read_only(tmp_path, monkeypatch):
    """Every descriptor obslint opens on a linted file is read-only; nothing is created."""
    write_tree(tmp_path, {"rules.yaml": RULES, "dash.json": DASH, "noext": DASH, "bad.yaml": "a: [\n"})
    opened = []
    real_open = os.open

    def spy(path, flags, *args, **kw):
        opened.append((str(path), flags))
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", spy)
    result = lint_tree(tmp_path)
    assert {"PQ001", "IN003"} <= set(codes(result))
    linted = [(p, f) for p, f in opened if Path(p).name in ("rules.yaml", "dash.json", "noext", "bad.yaml")]
    assert len(linted) >= 4
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    assert all(f & write_flags == 0 for _p, f in linted), linted


def test_file_deleted_between_discovery_and_read(tmp_path, monkeypatch):
    write_tree(tmp_path, {"gone.yaml": RULES, "kept.yaml": RULES})
    real_discover = engine.discover

    def discover_then_delete(*args, **kw):
        found = real_discover(*args, **kw)
        (tmp_path / "gone.yaml").unlink()
        return found

    monkeypatch.setattr(engine, "discover", discover_then_delete)
    result = lint_tree(tmp_path)
    gone = [f for f in result.findings if f.file == "gone.yaml"]
    assert [(f.code, f.line) for f in gone] == [("IN001", 1)]
    assert "No such file" in gone[0].message
    assert "PQ001" in [f.code for f in result.findings if f.file == "kept.yaml"]


def test_file_replaced_by_a_fifo_between_discovery_and_read_does_not_hang(tmp_path, monkeypatch):
    write_tree(tmp_path, {"swap.yaml": RULES})
    real_discover = engine.discover

    def discover_then_swap(*args, **kw):
        found = real_discover(*args, **kw)
        (tmp_path / "swap.yaml").unlink()
        os.mkfifo(tmp_path / "swap.yaml")
        return found

    monkeypatch.setattr(engine, "discover", discover_then_swap)
    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("result", lint_tree(tmp_path)), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "reading a FIFO blocked"
    (finding,) = box["result"].findings
    assert (finding.code, finding.file) == ("IN001", "swap.yaml") and "not a regular file" in finding.message


def test_file_growing_past_the_limit_while_read_is_refused(tmp_path, monkeypatch):
    """The size is checked on the open descriptor, and again on what was read."""
    write_tree(tmp_path, {"r.yaml": RULES})
    real_fstat = os.fstat

    def small_fstat(fd):
        st = real_fstat(fd)
        return os.stat_result((st.st_mode, st.st_ino, st.st_dev, st.st_nlink, st.st_uid, st.st_gid, 10,
                               st.st_atime, st.st_mtime, st.st_ctime))

    monkeypatch.setattr(os, "fstat", small_fstat)
    result = lint_tree(tmp_path, {"max-file-size": 20})
    (finding,) = result.findings
    assert finding.code == "IN008" and "grew" in finding.message


# --- writing reports ------------------------------------------------------------------------------


def test_output_through_a_symlink_never_writes_outside(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "precious.txt"
    target.write_text("keep me\n")
    tree = tmp_path / "tree"
    write_tree(tree, {"rules.yaml": RULES})
    (tree / "report.txt").symlink_to(target)
    res = run_cli("rules.yaml", "--format", "json", "--output", "report.txt", cwd=tree)
    assert res.code == 1
    assert target.read_text() == "keep me\n"
    assert not (tree / "report.txt").is_symlink()
    assert json.loads((tree / "report.txt").read_text())
    assert sorted(p.name for p in tree.iterdir()) == ["report.txt", "rules.yaml"]  # no temporary file left


def test_output_into_a_symlinked_directory_leading_out_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    tree = tmp_path / "tree"
    write_tree(tree, {"rules.yaml": RULES})
    (tree / "reports").symlink_to(outside, target_is_directory=True)
    res = run_cli("rules.yaml", "--output", "reports/r.txt", cwd=tree)
    assert res.code == 2 and "outside" in res.err
    assert list(outside.iterdir()) == []


def test_atomic_write_keeps_the_old_file_when_the_write_fails(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    target.write_text("old report\n")

    def fail(*_a, **_kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomic(target, "new report\n" * 1000)
    assert target.read_text() == "old report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # the temporary file is gone


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("x" * 100_000)
    write_atomic(target, "short\n")
    assert target.read_text() == "short\n"


# --- the engine's own guards ----------------------------------------------------------------------


def test_a_failing_check_is_reported_and_the_others_still_run(tmp_path, monkeypatch):
    from obslint.checks.promql_syntax import PromqlSyntax

    def broken(self, query, ctx):
        yield from ()
        raise KeyError("boom")

    monkeypatch.setattr(PromqlSyntax, "check_query", broken)
    write_tree(tmp_path, {"r.yaml": RULES + "      - record: job:y:rate5m\n        expr: up\n        bogus: 1\n"})
    result = lint_tree(tmp_path)
    internal = [f for f in result.findings if f.code == "IN011"]
    # one per query, word for word the same at the same place: listed once
    assert len(internal) == 1 and all(f.file == "r.yaml" and f.line == 1 for f in internal)
    assert "PQ001" in internal[0].message and "KeyError" in internal[0].message
    assert "RF001" in codes(result)  # the other checks still ran and reported
    assert "IN011" not in codes(lint_tree(tmp_path, {"checks": {"ignore": ["IN011"]}}))


def test_config_errors_raised_by_checks_still_reach_the_cli(tmp_path, monkeypatch):
    from obslint.checks.promql_syntax import PromqlSyntax
    from obslint.config import ConfigError

    def bad_policy(self, query, ctx):
        raise ConfigError("policy: something unusable")

    monkeypatch.setattr(PromqlSyntax, "check_query", bad_policy)
    write_tree(tmp_path, {"r.yaml": RULES})
    res = run_cli("r.yaml", "--no-config", cwd=tmp_path)
    assert res.code == 2 and "something unusable" in res.err


def test_time_budget_stops_checking_a_file(tmp_path, monkeypatch):
    monkeypatch.setenv("OBSLINT_TIME_BUDGET", "1e-9")
    write_tree(tmp_path, {"a.yaml": RULES * 1, "b.json": DASH})
    result = lint_tree(tmp_path)
    budget = sorted(f.file for f in result.findings if f.code == "IN010")
    assert budget == ["a.yaml", "b.json"]
    assert all(f.line == 1 and "budget" in f.message for f in result.findings if f.code == "IN010")
    monkeypatch.setenv("OBSLINT_TIME_BUDGET", "0")  # 0: no budget
    assert "IN010" not in codes(lint_tree(tmp_path))


def test_symlink_loop_given_on_the_command_line(tmp_path):
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    res = run_cli("loop.yaml", cwd=tmp_path)
    assert res.code == 1 and "IN001" in res.out and "Traceback" not in res.err


@pytest.mark.parametrize("body,expect", [
    ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", -11),  # a native crash
    ("x = bytearray(600 * 1024 * 1024)", 1),  # over the address-space limit: MemoryError
    ("import time; time.sleep(0.2); print('r.yaml'); raise SystemExit(2)", 2),  # a usage error
], ids=["segfault", "memory-limit", "exit-2"])
def test_adversarial_harness_catches_what_it_must(tmp_path, body, expect):
    """The subprocess harness sees a segfault, the memory limit and exit 2, so none can pass."""
    write_tree(tmp_path, {"fake/obslint/__init__.py": "", "fake/obslint/__main__.py": body + "\n"})
    run = obslint("r.yaml", cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "fake")})
    assert run.code == expect, (run.code, run.err[-500:])
    with pytest.raises(AssertionError):
        check(run, name="r.yaml")
