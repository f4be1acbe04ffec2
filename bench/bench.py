#!/usr/bin/env python3
"""Benchmark obslint against `promtool check rules` as whole processes on the same files.

Runs each command several times, interleaved (obslint, promtool, obslint, ...), cold in the
sense that every run is a new process, and prints the median wall time, the peak resident
memory and the ratio obslint/promtool for:

  (a) promtool's rules_large.yml (10,002 rules)
  (b) the corpus' Prometheus rule files (outside prometheus-testdata and grafana-alerting)
  (c) every corpus dashboard (no promtool counterpart: files/s and MB/s)
  (d) `obslint infra/`
  (e) 1x, 4x and 16x copies of (b), to show time grows linearly

and, on a synthetic monorepo (bench/monorepo.py; default 5,000 dashboards and 2,000 rule
files), not run by default because they take minutes (the cold runs over a minute each):

  (f) cold, `--jobs 1 --no-cache`
  (g) cold, the default jobs (the usable cores), `--no-cache`
  (h) warm, nothing changed since the last run
  (i) warm, one dashboard changed before every run
  (j) warm, one rule file changed before every run

Usage: python bench/bench.py [--runs N] [--cases abcde] [--write bench/RESULTS.md]
       python bench/bench.py --cases fghij [--mono-dashboards 5000 --mono-rules 2000] [--mono-dir DIR]
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
RULES_LARGE = CORPUS / "prometheus-testdata" / "cmd" / "promtool" / "testdata" / "rules_large.yml"


def obslint_cmd() -> list[str]:
    exe = shutil.which("obslint")
    return [exe] if exe else [sys.executable, "-m", "obslint"]


def compile_bytecode(cmd: list[str]) -> None:
    """Write obslint's bytecode before timing it, as `pip install` does. From a source
    checkout with PYTHONDONTWRITEBYTECODE set (as on CI machines), every run would otherwise
    compile all of obslint again, ~50 ms that no installed copy pays."""
    python = cmd[0] if cmd[1:2] == ["-m"] else None
    if python is None:
        try:
            with open(cmd[0], "rb") as fh:
                first = fh.readline().decode("utf-8", "replace").strip()
            python = first[2:].split()[0] if first.startswith("#!") and "python" in first else sys.executable
        except OSError:
            python = sys.executable
    subprocess.run([python, "-c", "import compileall, os, obslint; "
                    "compileall.compile_dir(os.path.dirname(obslint.__file__), quiet=1)"], check=False)


def run_once(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def measure(cmds: dict[str, list[str]], runs: int, cwd: Path | None = None) -> dict[str, dict]:
    samples: dict[str, list] = {name: [] for name in cmds}
    for name, cmd in cmds.items():  # one warm-up each: page cache, not process state
        run_once(cmd, cwd)
    for _ in range(runs):
        for name, cmd in cmds.items():
            samples[name].append(run_once(cmd, cwd))
    out = {}
    for name, rows in samples.items():
        out[name] = {"median": statistics.median(r[0] for r in rows), "min": min(r[0] for r in rows),
                     "peak_mib": max(r[1] for r in rows), "exit": sorted({r[2] for r in rows})}
    return out


def corpus_rule_files() -> list[Path]:
    """YAML files outside prometheus-testdata and grafana-alerting that hold one plain rule file."""
    import yaml

    files = []
    for p in sorted(CORPUS.rglob("*")):
        if p.suffix not in (".yml", ".yaml") or not p.is_file():
            continue
        rel = p.relative_to(CORPUS).parts
        if rel[0] in ("prometheus-testdata", "grafana-alerting"):
            continue
        try:
            docs = list(yaml.load_all(p.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
        except Exception:  # noqa: BLE001
            continue
        if len(docs) == 1 and (docs[0] in (None, {}) or (isinstance(docs[0], dict) and "groups" in docs[0])):
            files.append(p)
    return files


def corpus_dashboards() -> list[Path]:
    out = []
    for p in sorted(CORPUS.rglob("*")):
        if not p.is_file() or p.name == "LICENSE" or p.suffix in (".md", ".yml", ".yaml", ".libsonnet"):
            continue
        if "dashboards" in p.parts or p.suffix == ".json":
            head = p.read_bytes()[:64].lstrip()
            if head.startswith(b"{"):
                out.append(p)
    return out


def size_mb(files) -> float:
    return sum(f.stat().st_size for f in files) / 1e6


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    promtool = shutil.which("promtool")
    pver = subprocess.run([promtool, "--version"], capture_output=True, text=True).stdout.splitlines()[0] if promtool else "absent"
    over = subprocess.run(obslint_cmd() + ["--version"], capture_output=True, text=True).stdout.strip()
    return (f"{platform.node() or 'host'}: {os.cpu_count()} cores, {cpu}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; {over}; {pver}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--cases", default="abcde")
    ap.add_argument("--write", type=Path, help="also write the results as markdown to this file")
    ap.add_argument("--mono-dashboards", type=int, default=5000, help="monorepo size for cases f-j")
    ap.add_argument("--mono-rules", type=int, default=2000)
    ap.add_argument("--mono-dir", type=Path, help="use (or generate once into) this monorepo directory")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    promtool = shutil.which("promtool")
    if promtool is None:
        print("promtool not found (Debian package `prometheus`)", file=sys.stderr)
        return 2
    compile_bytecode(obslint_cmd())
    ob = obslint_cmd() + ["--no-config", "-q"]
    lines = [f"# obslint benchmark", "", f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
             f"- machine: {machine()}", f"- runs: {args.runs} per command, interleaved, median wall time, "
             "peak RSS of the process", "",
             "| case | input | obslint | promtool | ratio obslint/promtool | obslint peak | promtool peak |",
             "|---|---|---|---|---|---|---|"]

    def row(case, desc, res, extra=""):
        o, p = res["obslint"], res.get("promtool")
        ratio = f"{o['median'] / p['median']:.2f}" if p else extra
        line = (f"| {case} | {desc} | {o['median']:.3f} s | {p['median']:.3f} s | {ratio} | {o['peak_mib']:.0f} MiB | "
                f"{p['peak_mib']:.0f} MiB |" if p else
                f"| {case} | {desc} | {o['median']:.3f} s | n/a | {ratio} | {o['peak_mib']:.0f} MiB | n/a |")
        lines.append(line)
        print(line, flush=True)

    rule_files = corpus_rule_files()
    # (a)-(e) are cold runs: no cache of any kind (the environment switch, which older builds
    # ignore, so two builds can be compared); the monorepo cases set the cache themselves.
    os.environ["OBSLINT_NO_CACHE"] = "1"
    if "a" in args.cases:
        res = measure({"obslint": ob + [str(RULES_LARGE)], "promtool": [promtool, "check", "rules", str(RULES_LARGE)]},
                      args.runs)
        row("a", f"rules_large.yml ({size_mb([RULES_LARGE]):.1f} MB)", res)
    if "b" in args.cases:
        res = measure({"obslint": ob + [str(f) for f in rule_files],
                       "promtool": [promtool, "check", "rules"] + [str(f) for f in rule_files]}, args.runs)
        row("b", f"{len(rule_files)} corpus rule files ({size_mb(rule_files):.1f} MB)", res)
    if "c" in args.cases:
        dashboards = corpus_dashboards()
        res = measure({"obslint": ob + [str(f) for f in dashboards]}, args.runs)
        t = res["obslint"]["median"]
        row("c", f"{len(dashboards)} corpus dashboards ({size_mb(dashboards):.1f} MB)", res,
            f"{len(dashboards) / t:.0f} files/s, {size_mb(dashboards) / t:.1f} MB/s")
    if "d" in args.cases:
        res = measure({"obslint": obslint_cmd() + ["-q", "infra/"]}, args.runs, cwd=REPO)
        row("d", "`obslint infra/` (with its policy)", res)
    if "e" in args.cases:
        with tempfile.TemporaryDirectory(prefix="obslint-bench-") as tmp:
            base = None
            for n in (1, 4, 16):
                root = Path(tmp) / f"x{n}"
                for i in range(n):
                    for j, f in enumerate(rule_files):
                        dst = root / f"copy{i}" / f"{j}-{f.name}"
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(f, dst)
                files = sorted(str(p) for p in root.rglob("*.y*ml"))
                res = measure({"obslint": ob + [str(root)], "promtool": [promtool, "check", "rules"] + files},
                              max(3, args.runs // 2))
                t = res["obslint"]["median"]
                base = base or t
                row(f"e{n}x", f"{len(files)} rule files, {n}x the corpus (obslint {t / base:.1f}x the 1x time)", res)
    os.environ.pop("OBSLINT_NO_CACHE", None)
    if any(c in args.cases for c in "fghij"):
        monorepo_cases(args, ob, row, lines)
    text = "\n".join(lines) + "\n"
    if args.write:
        args.write.write_text(text + "\nGenerated by `python bench/bench.py --write bench/RESULTS.md`.\n", encoding="utf-8")
    return 0


def monorepo_cases(args, ob, row, lines) -> None:
    """Cases f-j: cold with one and with all jobs, warm with nothing, a dashboard or a rule
    file changed. The warm runs read the cache the runs before them wrote."""
    import json

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from monorepo import generate

    tmp = None
    root = args.mono_dir
    if root is None:
        tmp = tempfile.TemporaryDirectory(prefix="obslint-mono-")
        root = Path(tmp.name) / "mono"
    if not (root / "teams").is_dir():
        generate(root, args.mono_dashboards, args.mono_rules)
    dashboards = sorted(root.rglob("*.json"))
    rule_files = sorted(root.rglob("*.yml"))
    desc = f"monorepo: {len(dashboards)} dashboards, {len(rule_files)} rule files ({size_mb(dashboards + rule_files):.0f} MB)"
    cache = Path(tempfile.mkdtemp(prefix="obslint-cache-"))
    base = ob + [str(root)]
    warm = base + ["--cache-dir", str(cache)]
    results: dict = {}
    runs = max(1, args.runs // 2)
    if "f" in args.cases:
        results["f"] = measure({"obslint": base + ["--jobs", "1", "--no-cache"]}, runs)
        row("f", f"{desc}, cold, --jobs 1", results["f"])
    if "g" in args.cases:
        results["g"] = measure({"obslint": base + ["--no-cache"]}, runs)
        extra = f"{results['g']['obslint']['median'] / results['f']['obslint']['median']:.2f}x of f" if "f" in results else ""
        row("g", f"{desc}, cold, default jobs ({os.cpu_count()} cores)", results["g"], extra)

    def changing(path: Path, edit):
        original = path.read_text(encoding="utf-8")
        state = {"n": 0}

        def before():
            state["n"] += 1
            path.write_text(edit(original, state["n"]), encoding="utf-8")
        return before, lambda: path.write_text(original, encoding="utf-8")

    def warm_case(case, what, before=None):
        run_once(warm)  # the cache as the previous commit left it
        samples = []
        for _ in range(runs):
            if before is not None:
                before()
            samples.append(run_once(warm))
        res = {"obslint": {"median": statistics.median(r[0] for r in samples), "min": min(r[0] for r in samples),
                           "peak_mib": max(r[1] for r in samples), "exit": sorted({r[2] for r in samples})}}
        cold = results.get("f")
        extra = f"{cold['obslint']['median'] / res['obslint']['median']:.0f}x faster than f" if cold else ""
        row(case, f"{desc}, warm, {what}", res, extra)

    if "h" in args.cases:
        warm_case("h", "nothing changed")
    if "i" in args.cases:
        def edit_dash(text, n):  # a panel's description: what an everyday edit touches
            data = json.loads(text)
            panels = [p for p in data.get("panels") or [] if isinstance(p, dict)]
            (panels[0] if panels else data)["description"] = f"edited {n}"
            return json.dumps(data, indent=2)
        before, restore = changing(dashboards[len(dashboards) // 2], edit_dash)
        try:
            warm_case("i", "one dashboard changed", before)
        finally:
            restore()
    if "j" in args.cases:
        target = next((p for p in rule_files if "summary: " in p.read_text(encoding="utf-8")), rule_files[0])

        def edit_rules(text, n):  # an alert's summary
            return text.replace("summary: ", f"summary: (edit {n}) ", 1) if "summary: " in text else text + f"\n# {n}\n"
        before, restore = changing(target, edit_rules)
        try:
            warm_case("j", "one rule file changed", before)
        finally:
            restore()
    shutil.rmtree(cache, ignore_errors=True)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
