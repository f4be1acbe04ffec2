#!/usr/bin/env python3
"""On-demand fuzz campaign: mutate real corpus files and lint each mutant in-process.

    python scripts/fuzz.py --cases 100000 --jobs 2      # the full campaign
    python scripts/fuzz.py --case 4711                  # replay one case, print its findings
    python scripts/fuzz.py --kind policy --cases 2000   # the policy (obslint.yaml), mutated and hostile
    python scripts/fuzz.py --kind metrics-from          # HTTP answers of --metrics-from (hostile server)
    python scripts/fuzz.py --kind probe                 # HTTP answers of `obslint probe` (hostile server)

Case N is fully determined by its seed (N) and kind: the corpus file, the mutations, the file
name (kind `files`); the policy or the HTTP answer and how it is served (the other kinds, see
tests/robustness/input_fuzz.py: served by a hostile HTTP server on 127.0.0.1 in the worker, run
through the CLI in-process: exit 0, 1 or 2, an exit 2 is one clear line, nothing escapes).
Each case must lint without an exception escaping, with every finding inside the file,
within --timeout seconds; every --determinism-every'th case is linted twice and must give
the same output. Worker processes run the seeds; a worker killed by a signal (a native
crash) is reported with the seed it was running, and replaced. Failing inputs are saved
in --out for replay. Exit status 0 only when every case passed.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.robustness.mutations import Escape, check_case, corpus_files, lint_case, make_case  # noqa: E402


class CaseTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CaseTimeout()


def policy_config(rng: random.Random):
    """One case in five runs with the infra policy, so policy-driven checks run too."""
    from obslint.config import Config, load_config

    if rng.random() < 0.2 and (REPO / "infra" / "obslint.yaml").is_file():
        return load_config(REPO / "infra" / "obslint.yaml")
    return Config()


def run_one(seed: int, files, workdir: Path, timeout: float, twice: bool, kind: str = "files", server=None):
    """(status, message, case) for one seed; status is ok, escape or timeout."""
    if kind != "files":
        return _run_input(seed, workdir, timeout, kind, server)
    rng = random.Random(seed)
    try:
        case = make_case(rng, files)
        config = policy_config(rng)
    except Exception as exc:  # noqa: BLE001 - a bug of the fuzzer itself, not of obslint
        from tests.robustness.mutations import Case

        return "harness", f"making the case failed: {type(exc).__name__}: {exc}", Case(Path("?"), "?", b"")
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        (check_case if twice else lint_case)(case, workdir, config)
        return "ok", "", case
    except CaseTimeout:
        return "timeout", f"took over {timeout:g} s", case
    except Escape as exc:
        return "escape", str(exc), case
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _run_input(seed: int, workdir: Path, timeout: float, kind: str, server):
    from tests.robustness.input_fuzz import run_input_case
    from tests.robustness.mutations import Case

    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    case = Case(Path(kind), kind, b"", [])
    try:
        case = run_input_case(kind, seed, workdir, server)
        return "ok", "", case
    except CaseTimeout:
        return "timeout", f"took over {timeout:g} s", case
    except Escape as exc:
        return "escape", str(exc), case
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _server(kind: str):
    if kind in ("metrics-from", "probe"):
        from tests.robustness.hostile_http import HostileServer

        return HostileServer({}).__enter__()
    return None


def worker(args) -> int:
    files = corpus_files() if args.kind == "files" else []
    state = Path(args.state)
    server = _server(args.kind)
    with tempfile.TemporaryDirectory(prefix="obslint-fuzz-") as tmp:
        workdir = Path(tmp)
        done = 0
        for seed in range(args.start, args.stop, args.step):
            state.write_text(str(seed))
            twice = args.determinism_every > 0 and seed % args.determinism_every == 0
            status, message, case = run_one(seed, files, workdir, args.timeout, twice, args.kind, server)
            done += 1
            if status != "ok":
                print(json.dumps({"seed": seed, "status": status, "message": message[:2000],
                                  "source": str(case.source), "name": case.name, "steps": case.steps}), flush=True)
                _save(args.out, seed, case, status, message)
            if done % 250 == 0:
                print(json.dumps({"progress": done}), flush=True)
        print(json.dumps({"progress": done, "finished": True}), flush=True)
    return 0


def _save(out: str, seed: int, case, status: str, message: str) -> None:
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{seed}-{case.name}").write_bytes(case.data)
    (d / f"{seed}.txt").write_text(f"{status}: {message}\nsource: {case.source}\nsteps: {case.steps}\n")


def campaign(args) -> int:
    start_time = time.time()
    jobs = max(1, args.jobs)
    stop = args.seed + args.cases
    state_dir = Path(tempfile.mkdtemp(prefix="obslint-fuzz-state-"))
    # Interleaved seeds: worker j runs seed+j, seed+j+jobs, ...
    pending = [(args.seed + j, jobs) for j in range(jobs)]
    running = {}
    ran = 0
    failures: list[dict] = []
    last_report = time.time()

    def spawn(first: int, step: int):
        state = state_dir / f"w{first}"
        cmd = [sys.executable, __file__, "--worker", "--start", str(first), "--stop", str(stop), "--step", str(step),
               "--state", str(state), "--timeout", str(args.timeout), "--out", args.out,
               "--determinism-every", str(args.determinism_every), "--kind", args.kind]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO)
        running[proc] = {"first": first, "step": step, "state": state, "done": 0}
        return proc

    for first, step in pending:
        if first < stop:
            spawn(first, step)
    sel = selectors.DefaultSelector()
    for proc in running:
        sel.register(proc.stdout, selectors.EVENT_READ, proc)
    while running:
        for key, _mask in sel.select(timeout=60):
            proc = key.data
            info = running[proc]
            line = proc.stdout.readline()
            if line:
                msg = json.loads(line)
                if "progress" in msg:
                    ran += msg["progress"] - info["done"]
                    info["done"] = msg["progress"]
                else:
                    failures.append(msg)
                    print(f"FAIL seed {msg['seed']} ({msg['status']}): {msg['message'][:300]}", flush=True)
                continue
            sel.unregister(proc.stdout)
            rc = proc.wait()
            del running[proc]
            if rc != 0:  # killed: the seed in its state file crashed the process
                seed = int(info["state"].read_text() or info["first"])
                # The cases the dead worker finished but had not reported yet, and the crashing one.
                ran += max(0, (seed - info["first"]) // info["step"] - info["done"]) + 1
                failures.append({"seed": seed, "status": f"crash (exit {rc})", "message": ""})
                print(f"FAIL seed {seed}: the worker died (exit status {rc})", flush=True)
                if seed + info["step"] < stop:
                    new = spawn(seed + info["step"], info["step"])
                    sel.register(new.stdout, selectors.EVENT_READ, new)
        if time.time() - last_report > 60:
            last_report = time.time()
            rate = ran / max(1e-9, time.time() - start_time)
            print(f"... {ran:,} cases, {len(failures)} failures, {rate:.0f} cases/s", flush=True)
    elapsed = time.time() - start_time
    print(f"fuzz ({args.kind}): {ran:,} cases run (seeds {args.seed}..{stop - 1}), {len(failures)} failures, "
          f"in {elapsed:.0f} s",
          flush=True)
    for f in failures[:50]:
        print(f"  seed {f['seed']}: {f['status']} {f.get('message', '')[:200]}")
    return 1 if failures or ran < args.cases else 0


def replay(args) -> int:
    files = corpus_files() if args.kind == "files" else []
    with tempfile.TemporaryDirectory(prefix="obslint-fuzz-") as tmp:
        status, message, case = run_one(args.case, files, Path(tmp), args.timeout, True, args.kind,
                                        _server(args.kind))
        if args.kind != "files":
            print(f"seed {args.case} ({args.kind}): {case.source} {case.steps}, {len(case.data):,} bytes")
            print(f"{status} {message}")
            return 0 if status == "ok" else 1
        print(f"seed {args.case}: {case.source} as {case.name}, mutations {case.steps}, {len(case.data):,} bytes")
        print(f"{status} {message}")
        if args.show:
            sys.stdout.write(case.data.decode("utf-8", "replace")[:5000] + "\n")
        if status == "ok":
            for f in lint_case(case, Path(tmp)):
                print("  ", f)
    return 0 if status == "ok" else 1


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=int(os.environ.get("OBSLINT_FUZZ_CASES", "100000")))
    p.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--timeout", type=float, default=30.0, help="seconds one case may take")
    p.add_argument("--determinism-every", type=int, default=10,
                   help="lint every Nth case twice and compare (0: never)")
    p.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "obslint-fuzz-failures"), help="where failing inputs are saved")
    p.add_argument("--kind", choices=("files", "policy", "metrics-from", "probe"), default="files",
                   help="what is fuzzed: linted files (default), the policy, --metrics-from or probe answers")
    p.add_argument("--case", type=int, help="replay this one seed")
    p.add_argument("--show", action="store_true", help="with --case: print the mutated file")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--start", type=int, help=argparse.SUPPRESS)
    p.add_argument("--stop", type=int, help=argparse.SUPPRESS)
    p.add_argument("--step", type=int, help=argparse.SUPPRESS)
    p.add_argument("--state", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    if args.case is not None:
        return replay(args)
    return campaign(args)


if __name__ == "__main__":
    raise SystemExit(main())
