"""Hostile input: every case runs `python -m obslint PATH` as a real process, under a 500 MiB
address-space limit, and must finish within 10 s with exit status 0 or 1 (never 2, never a
traceback or a signal), naming the file and the expected finding. Inputs are generated here,
at test time; nothing large is committed.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

TIME_LIMIT = 10.0  # seconds per case
MEMORY_LIMIT = 500 * 1024 * 1024  # bytes of address space (RLIMIT_AS) and of peak resident memory


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float
    peak_rss: int  # bytes


def _limits(drop_dac: bool):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        if drop_dac:  # root reads any file: drop that power so file modes apply (see _can_drop_dac)
            libc = ctypes.CDLL(None, use_errno=True)
            for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
                if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: gone after exec
                    raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
    return apply


# obslint is started by a small launcher process, which reports its child's peak RSS: a child
# forked from pytest itself starts with the RSS of pytest (hundreds of MiB late in a run), and
# the kernel keeps that high-water mark across exec.
_LAUNCHER = """\
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, "-m", "obslint", *sys.argv[2:]])
_pid, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(str(usage.ru_maxrss))
if os.WIFSIGNALED(status):  # die of the same signal, so the caller sees what obslint saw
    import signal
    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    os.kill(os.getpid(), os.WTERMSIG(status))
os._exit(os.WEXITSTATUS(status))
"""


def obslint(*args, cwd: Path, drop_dac: bool = False, timeout: float = TIME_LIMIT, env: dict | None = None) -> Run:
    """Run obslint as a process; its exit status, output, wall time and peak RSS (wait4)."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "NO_COLOR": "1", "COLUMNS": "120",
           # glibc reserves 64 MiB of address space per thread arena: under RLIMIT_AS that counts
           # against the limit without using memory, and how many arenas a run makes depends on timing
           "MALLOC_ARENA_MAX": "2", **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", _LAUNCHER, rss.name, *map(str, args)], cwd=cwd,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                                preexec_fn=_limits(drop_dac), start_new_session=True)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout * 3:  # well past the limit: stop waiting
                os.killpg(proc.pid, 9)
                _pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        reported = rss.read().strip()
        peak = int(reported) if reported.isdigit() else usage.ru_maxrss
        return Run(proc.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                   seconds, peak * 1024)


def check(run: Run, *, name: str, codes=(), exit_codes=(0, 1)) -> Run:
    """The promises every case keeps."""
    if os.environ.get("OBSLINT_ROBUSTNESS_STATS"):  # the margins, for the development notes
        print(f"\n{name:24} {run.seconds:5.2f} s {run.peak_rss / 2**20:5.0f} MiB exit {run.code}", end="")
    assert run.code in exit_codes, f"exit status {run.code}\nstdout: {run.out[-2000:]}\nstderr: {run.err[-3000:]}"
    assert "Traceback" not in run.err and "Traceback" not in run.out, run.err[-3000:]
    assert run.seconds < TIME_LIMIT, f"took {run.seconds:.1f} s"
    assert run.peak_rss < MEMORY_LIMIT, f"peak RSS {run.peak_rss / 2**20:.0f} MiB"
    assert name in run.out, f"{name!r} not named in the output:\n{run.out[-2000:]}"
    for code in codes:
        assert code in run.out, f"{code} not reported:\n{run.out[-2000:]}"
    assert "IN011" not in run.out, run.out[-2000:]  # no check failed on the way
    return run


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def rules_with(expr: str) -> str:
    return "groups:\n  - name: g\n    rules:\n      - record: job:x:rate5m\n        expr: " + json.dumps(expr) + "\n"


def dashboard(panels: int, expr: str = "sum(rate(http_requests_total[5m])) by (job)") -> dict:
    return {"uid": "big", "title": "Big", "schemaVersion": 39, "panels": [
        {"id": i, "type": "timeseries", "title": f"Panel {i}", "gridPos": {"h": 8, "w": 12, "x": 0, "y": i * 8},
         "datasource": {"type": "prometheus", "uid": "prom"},
         "targets": [{"refId": "A", "expr": expr.replace("job", f"job{i % 50}"), "legendFormat": "{{job}}"}],
         "fieldConfig": {"defaults": {"unit": "reqps"}, "overrides": []}}
        for i in range(panels)]}


# --- text encodings and empty files -----------------------------------------------------------

TEXT_CASES = {
    "empty.yaml": (b"", ["IN005"], 0),
    "blank.json": (b" \n\t\n  \r\n", ["IN005"], 0),
    "bom.json": (b'\xef\xbb\xbf{"title": "x", "panels": []}', ["IN006"], 1),
    "utf16.yaml": "groups:\n  - name: a\n    rules: []\n".encode("utf-16"),
    "utf16be.json": b"\xfe\xff" + '{"title": "x", "panels": []}'.encode("utf-16-be"),
    "latin1.yaml": (b"groups:\n  - name: caf\xe9\n    rules: []\n", ["IN002"], 1),
    "nul.json": (b'{"title": "x",\x00 "panels": []}', ["IN002"], 1),
    # no key of a file obslint lints in them: another tool's files, info (exit 0)
    "binary.json": (bytes(range(256)) * 64, ["IN002"], 0),
    "junk.yaml": (b"\x89PNG\r\n\x1a\n" + b"\xde\xad\xbe\xef" * 500, ["IN002"], 0),
    "digits.json": (b'{"title": "x", "panels": [], "version": ' + b"9" * 50_000 + b"}", ["IN003"], 1),
    "truncated.json": (json.dumps(dashboard(20)).encode()[:-700], ["IN003"], 1),
}
# Go's YAML readers decode UTF-16 by its byte order mark (info); Grafana's JSON reader does not (error)
TEXT_CASES["utf16.yaml"] = (TEXT_CASES["utf16.yaml"], ["IN002"], 0)
TEXT_CASES["utf16be.json"] = (TEXT_CASES["utf16be.json"], ["IN002"], 1)


@pytest.mark.parametrize("name", sorted(TEXT_CASES))
def test_encodings_and_junk(tmp_path, name):
    data, codes, exit_code = TEXT_CASES[name]
    write(tmp_path / name, data)
    check(obslint(name, cwd=tmp_path), name=name, codes=codes, exit_codes=(exit_code,))


def test_yaml_byte_order_mark_is_accepted(tmp_path):
    write(tmp_path / "bom.yaml", b"\xef\xbb\xbf" + rules_with("sum(rate(x[5m])").encode())
    run = check(obslint("bom.yaml", cwd=tmp_path), name="bom.yaml", codes=["PQ001"], exit_codes=(1,))
    assert "IN002" not in run.out and "IN003" not in run.out


# --- size and nesting ---------------------------------------------------------------------------


def test_fifty_megabyte_dashboard_is_refused_by_size(tmp_path):
    dash = dashboard(50)
    dash["description"] = "x" * (50 * 1024 * 1024)
    write(tmp_path / "huge.json", json.dumps(dash))
    run = check(obslint("huge.json", cwd=tmp_path), name="huge.json", codes=["IN008"], exit_codes=(1,))
    assert "5,242,880" in run.out  # the default limit, named in the message


def test_dashboard_just_under_the_size_limit_is_checked_within_budget(tmp_path):
    dash = dashboard(9_000)
    dash["panels"][-1]["targets"][0]["expr"] = "sum(rate(x[5m])"  # one real finding at the very end
    text = json.dumps(dash, indent=2)
    assert 4.5 * 2**20 < len(text) < 5 * 2**20
    write(tmp_path / "big.json", text)
    check(obslint("big.json", cwd=tmp_path), name="big.json", codes=["PQ001"], exit_codes=(1,))


def _big_rule_file(groups: int, documents: bool = False) -> str:
    """A realistic rule file of `groups` groups of 20 alerts (one document each, if asked)."""
    rule = ('      - alert: A{i}x{j}\n'
            '        expr: sum by (job) (rate(http_requests_total{{code=~"5..",job="j{j}"}}[5m])) > {j}\n'
            '        for: 5m\n        labels: {{severity: critical}}\n        annotations:\n'
            '          summary: "Errors on {{{{ $labels.job }}}}"\n'
            '          description: "5xx responses of {{{{ $labels.job }}}} above {j}/s for 5 minutes"\n')
    parts = []
    for i in range(groups):
        if documents or i == 0:
            parts.append(("---\n" if i else "") + "groups:\n")
        parts.append(f"  - name: g{i}\n    rules:\n" + "".join(rule.format(i=i, j=j) for j in range(20)))
    return "".join(parts)


@pytest.mark.parametrize("shape", ["duplicate-key", "multi-document"])
def test_yaml_just_under_the_size_limit_on_the_exact_reader(tmp_path, shape):
    """YAML that yaml_rs refuses (a duplicate key) or cannot represent (several documents) goes
    through PyYAML's slower exact reader: still within budget at the size limit."""
    text = _big_rule_file(800, documents=shape == "multi-document")
    if shape == "duplicate-key":
        text = text.replace("        for: 5m\n", "        for: 5m\n        for: 10m\n", 1)
    assert 4 * 2**20 < len(text) < 5 * 2**20, len(text)
    write(tmp_path / "big.yaml", text)
    codes = ["IN004"] if shape == "duplicate-key" else []
    check(obslint("big.yaml", cwd=tmp_path), name="big.yaml" if codes else "Checked 1 file", codes=codes,
          exit_codes=(1,) if codes else (0, 1))


def test_max_file_size_is_configurable(tmp_path):
    write(tmp_path / "r.yaml", rules_with("up"))
    check(obslint("r.yaml", "--max-file-size", "20", "--no-config", cwd=tmp_path), name="r.yaml", codes=["IN008"],
          exit_codes=(1,))
    write(tmp_path / "obslint.yaml", "max-file-size: 20\n")
    check(obslint("r.yaml", cwd=tmp_path), name="r.yaml", codes=["IN008"], exit_codes=(1,))
    write(tmp_path / "obslint.yaml", "max-file-size: 100000\n")
    run = obslint("r.yaml", cwd=tmp_path)
    assert run.code == 0 and "IN008" not in run.out


NESTING_CASES = {
    "deep-array.json": "[" * 100_000 + "]" * 100_000,
    "deep-object.json": '{"a":' * 100_000 + "1" + "}" * 100_000,
    "deep-unclosed.json": "[" * 100_000,
    "deep-mid.json": json.dumps({"title": "t", "panels": [{"options": json.loads("[" * 300 + "]" * 300)}]}),
    "deep-flow.yaml": "a: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "deep-flowmap.yaml": "{a: " * 100_000 + "1" + "}" * 100_000 + "\n",
    "deep-compact.yaml": "- " * 100_000 + "x\n",
    "deep-indent.yaml": "".join(" " * i + "a:\n" for i in range(1500)) + " " * 1500 + "1\n",
    "deep-mixed.yaml": "groups:\n" + "".join("  " * i + "- - - a:\n" for i in range(1, 200)) + "\n",
}


@pytest.mark.parametrize("name", sorted(NESTING_CASES))
def test_deep_nesting_is_a_finding(tmp_path, name):
    write(tmp_path / name, NESTING_CASES[name])
    ours = name in ("deep-mid.json", "deep-mixed.yaml")  # a dashboard's, a rule file's keys: an error
    run = check(obslint(name, cwd=tmp_path), name=name, codes=["IN009"], exit_codes=(1 if ours else 0,))
    assert ("another tool's file" in run.out) is not ours


def test_yaml_alias_bomb(tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    write(tmp_path / "bomb.yaml", "\n".join(lines) + "\n")
    check(obslint("bomb.yaml", cwd=tmp_path), name="bomb.yaml", codes=["IN009"], exit_codes=(0,))  # no key of ours
    write(tmp_path / "rules.yaml", "groups:\n" + "\n".join(lines) + "\n")
    check(obslint("rules.yaml", cwd=tmp_path), name="rules.yaml", codes=["IN009"], exit_codes=(1,))


@pytest.mark.parametrize("levels,code", [(5, "PQ001"), (6, "IN009")])
def test_yaml_alias_bomb_inside_a_rule_file(tmp_path, levels, code):
    """Aliases multiply one rule: 9^5 = 59,049 rules are checked in bounded time and memory;
    9^6 would expand past the limit and the document is refused."""
    text = ("groups:\n  - name: g\n    rules: &r0\n      - {record: 'job:x:rate5m', expr: 'sum(rate(x[5m])'}\n"
            + "".join(f"  - name: g{i}\n    rules: &r{i} [" + ", ".join([f"*r{i - 1}"] * 9) + "]\n"
                      for i in range(1, levels + 1)))
    write(tmp_path / "amplified.yaml", text)
    check(obslint("amplified.yaml", cwd=tmp_path), name="amplified.yaml", codes=[code], exit_codes=(1,))


def test_recursive_yaml_alias(tmp_path):
    write(tmp_path / "loop.yaml", "groups: &g\n  - name: a\n    rules: *g\n---\na: &x [*x]\n")
    check(obslint("loop.yaml", cwd=tmp_path), name="loop.yaml", exit_codes=(0, 1))


def test_ten_thousand_anchors(tmp_path):
    rules = "".join(f"      - &r{i} {{record: 'job:x{i}:rate5m', expr: 'sum(rate(x{i}[5m]))'}}\n" for i in range(10_000))
    aliases = "".join(f"      - *r{i}\n" for i in range(10_000))
    text = ("groups:\n  - name: anchors\n    rules:\n" + rules + "      - {record: 'job:bad', expr: 'rate(x[5m]'}\n"
            + "  - name: aliases\n    rules:\n" + aliases)
    write(tmp_path / "anchors.yaml", text)
    check(obslint("anchors.yaml", cwd=tmp_path), name="anchors.yaml", codes=["PQ001"], exit_codes=(1,))


def test_duplicate_keys_at_every_level(tmp_path):
    yaml_text = ("groups:\n  - name: a\n    name: a\n    rules:\n      - record: x:y:z\n        record: x:y:w\n"
                 "        expr: up\n        expr: down\n    rules: []\ngroups: []\n")
    json_text = ('{"title": "a", "title": "b", "panels": [{"id": 1, "id": 2, "targets": [{"expr": "up", "expr": "x"}]}],'
                 ' "panels": [], "uid": "u", "uid": "v"}')
    write(tmp_path / "dup.yaml", yaml_text)
    write(tmp_path / "dup.json", json_text)
    run = check(obslint(".", cwd=tmp_path), name="dup.yaml", codes=["IN004"], exit_codes=(1,))
    assert "dup.json" in run.out
    assert run.out.count("IN004") >= 8


def test_tabs_in_yaml_indentation(tmp_path):
    write(tmp_path / "tabs.yaml", "groups:\n\t- name: a\n\t  rules:\n\t\t- record: x\n")
    run = check(obslint("tabs.yaml", cwd=tmp_path), name="tabs.yaml", codes=["IN003"], exit_codes=(1,))
    assert "tab" in run.out.lower()


def test_yaml_is_only_safe_loaded(tmp_path):
    marker = tmp_path / "pwned"
    write(tmp_path / "evil.yaml", f"groups: !!python/object/apply:os.system ['touch {marker}']\n"
                                   f"x: !!python/name:os.system\n")
    check(obslint("evil.yaml", cwd=tmp_path), name="evil.yaml", codes=["IN003"], exit_codes=(1,))
    assert not marker.exists()


# --- PromQL ---------------------------------------------------------------------------------------


def test_promql_nested_ten_thousand_parentheses(tmp_path):
    write(tmp_path / "parens.yaml", rules_with("(" * 10_000 + "up" + ")" * 10_000))
    run = check(obslint("parens.yaml", cwd=tmp_path), name="parens.yaml", codes=["PQ001"], exit_codes=(1,))
    assert "levels" in run.out


@pytest.mark.parametrize("shape", ["calls", "chain", "unary", "subqueries", "unclosed"])
def test_promql_other_deep_shapes(tmp_path, shape):
    expr = {"calls": "abs(" * 10_000 + "up" + ")" * 10_000,
            "chain": " + ".join(["up"] * 10_000),
            "unary": "-" * 10_000 + "up",
            "subqueries": "up" + "[5m:1m]" * 5_000,
            "unclosed": "sum(" * 10_000 + "up"}[shape]
    write(tmp_path / "deep.yaml", rules_with(expr))
    check(obslint("deep.yaml", cwd=tmp_path), name="deep.yaml", codes=["PQ001"], exit_codes=(1,))


def test_one_megabyte_promql_expression(tmp_path):
    expr = "sum(" + " + ".join(f'rate(http_requests_total{{job="j{i}"}}[5m])' for i in range(25_000)) + ")"
    assert len(expr) > 1_000_000
    write(tmp_path / "long.yaml", rules_with(expr))
    run = check(obslint("long.yaml", cwd=tmp_path), name="long.yaml", codes=["PQ001"], exit_codes=(1,))
    assert len(run.out) < 20_000  # the reporter shows an excerpt, not the megabyte


def test_one_megabyte_flat_promql_expression_is_reported_not_parsed_forever(tmp_path):
    expr = 'up{job=~"' + "|".join(f"job-{i}" for i in range(150_000)) + '"}'
    write(tmp_path / "flat.yaml", rules_with(expr))
    check(obslint("flat.yaml", cwd=tmp_path), name="flat.yaml", codes=["PQ001"], exit_codes=(1,))


def test_many_deep_but_accepted_expressions_hit_the_time_budget(tmp_path):
    """2,000 distinct expressions just under the nesting limit take ~5 ms each to parse: the
    file's checks stop at the per-file time budget (here 2 s) with IN010, memory stays capped."""
    rules = "".join(f"      - record: job:x{i}:sum\n        expr: '{'+'.join(['a'] * 120)} + b{i}'\n" for i in range(2000))
    write(tmp_path / "many.yaml", "groups:\n  - name: g\n    rules:\n" + rules)
    run = check(obslint("many.yaml", cwd=tmp_path, env={"OBSLINT_TIME_BUDGET": "2"}), name="many.yaml",
                codes=["IN010"], exit_codes=(1,))
    assert run.seconds < 6


def test_one_megabyte_line_in_the_console_report(tmp_path):
    dash = dashboard(4000)
    dash["panels"][-1]["targets"][0]["expr"] = "sum(rate(x[5m])"
    text = json.dumps(dash, separators=(",", ":"))  # one line of about a megabyte
    assert "\n" not in text and len(text) > 900_000
    write(tmp_path / "oneline.json", text)
    for args in (["--format", "plain"], ["--format", "console", "--color"], ["--format", "github"],
                 ["--format", "json"]):
        run = check(obslint("oneline.json", *args, cwd=tmp_path), name="oneline.json", codes=["PQ001"],
                    exit_codes=(1,))
        assert len(run.out) < 50_000, (args, len(run.out))


# --- the file system ----------------------------------------------------------------------------


def test_fifo_named_like_a_linted_file(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    os.mkfifo(tmp_path / "noext")  # no suffix: discovery sniffs it, and must not block either
    write(tmp_path / "ok.yaml", rules_with("up"))
    run = check(obslint(".", cwd=tmp_path), name="pipe.yaml", codes=["IN001"], exit_codes=(1,))
    assert "not a regular file" in run.out
    check(obslint("pipe.yaml", cwd=tmp_path), name="pipe.yaml", codes=["IN001"], exit_codes=(1,))


def test_symlink_loops(tmp_path):
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    (tmp_path / "a.json").symlink_to("b.json")
    (tmp_path / "b.json").symlink_to("a.json")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to("..", target_is_directory=True)  # a directory loop: not followed
    (tmp_path / "dangling.yaml").symlink_to("nowhere.yaml")
    run = check(obslint(".", cwd=tmp_path), name="loop.yaml", codes=["IN001"], exit_codes=(1,))
    for name in ("a.json", "b.json", "dangling.yaml"):
        assert name in run.out
    check(obslint("loop.yaml", cwd=tmp_path), name="loop.yaml", codes=["IN001"], exit_codes=(1,))


def test_directory_named_like_a_file(tmp_path):
    write(tmp_path / "dash.json" / "inner.yaml", rules_with("rate(x[5m]"))
    (tmp_path / "empty.yaml").mkdir()
    check(obslint(".", cwd=tmp_path), name="inner.yaml", codes=["PQ001"], exit_codes=(1,))
    check(obslint("dash.json", cwd=tmp_path), name="inner.yaml", codes=["PQ001"], exit_codes=(1,))
    run = obslint("empty.yaml", cwd=tmp_path)
    assert run.code == 0 and "Traceback" not in run.err


def _can_drop_dac() -> str | None:
    """Why file modes cannot be tested here, or None. Root ignores them; dropping the
    capabilities that let it (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) makes them apply again."""
    if os.geteuid() != 0:
        return None
    try:
        r = subprocess.run([sys.executable, "-c", "pass"], preexec_fn=_limits(True), capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"cannot drop capabilities as root: {exc}"
    return None if r.returncode == 0 else "cannot drop capabilities as root"


def test_unreadable_file_and_directory(tmp_path):
    reason = _can_drop_dac()
    if reason:
        pytest.skip(reason)
    write(tmp_path / "secret.yaml", rules_with("up")).chmod(0)
    write(tmp_path / "locked" / "inner.yaml", rules_with("up"))
    (tmp_path / "locked").chmod(0)
    write(tmp_path / "ok.yaml", rules_with("rate(x[5m]"))
    try:
        run = check(obslint(".", cwd=tmp_path, drop_dac=True), name="secret.yaml", codes=["IN001", "PQ001"],
                    exit_codes=(1,))
        assert "Permission denied" in run.out
        assert "locked" in run.out  # the directory it could not list is named, not silently skipped
        check(obslint("secret.yaml", cwd=tmp_path, drop_dac=True), name="secret.yaml", codes=["IN001"], exit_codes=(1,))
    finally:
        (tmp_path / "locked").chmod(0o755)
        (tmp_path / "secret.yaml").chmod(0o644)

