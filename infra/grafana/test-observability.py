#!/usr/bin/env python3
"""Test runner of the observability stack (the seed's test-observability.ps1, in Python).

    python infra/grafana/test-observability.py start-server [--port 8000]
    python infra/grafana/test-observability.py run-load-test --duration 300 --users 50
    python infra/grafana/test-observability.py run-spike-test --service auth-svc
    python infra/grafana/test-observability.py validate
    python infra/grafana/test-observability.py full-test

Exit codes: 0 everything passed, 1 a step failed, 2 usage error.
"""
from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
MOCK_SERVER = HERE / "mock-health-server.py"
LOAD_GENERATOR = HERE / "synthetic-load-generator.py"
SERVICES = ("auth-svc", "user-svc", "learner-svc", "payment-svc", "assessment-svc", "iep-svc")
ALERT_PREFIX = {"auth-svc": "Auth", "user-svc": "User", "learner-svc": "Learner", "payment-svc": "Payment",
                "assessment-svc": "Assessment", "iep-svc": "IEP"}
ERROR_RATIO_THRESHOLD = 0.02  # the 5xx alert threshold (METRICS.md)
INSTALL_HINT = {
    "promtool": "install Debian's `prometheus` package (apt-get install prometheus)",
    "prometheus": "install Debian's `prometheus` package (apt-get install prometheus) or pass --prometheus-bin",
    "alertmanager": "install Debian's `prometheus-alertmanager` package (apt-get install prometheus-alertmanager) "
                    "or pass --alertmanager-bin",
    "amtool": "install Debian's `prometheus-alertmanager` package (apt-get install prometheus-alertmanager)",
}

console = Console()
if not console.is_terminal and console.width < 120:
    console.width = 120  # piped or captured output: keep tables readable


def load_module(path: Path, name: str):
    """Import one of the hyphen-named sibling scripts as a module."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_generator():
    return load_module(LOAD_GENERATOR, "synthetic_load_generator")


# --------------------------------------------------------------------------------------------------
# Steps and their results
# --------------------------------------------------------------------------------------------------
@dataclass
class Step:
    name: str
    status: str  # passed | failed | skipped
    detail: str = ""


@dataclass
class Report:
    steps: list[Step] = field(default_factory=list)

    def add(self, name: str, status: str, detail: str = "") -> Step:
        step = Step(name, status, detail)
        self.steps.append(step)
        style = {"passed": "green", "failed": "bold red", "skipped": "yellow"}[status]
        console.print(f"[{style}]{status.upper():>7}[/] {name}" + (f" — {detail}" if detail else ""))
        return step

    @property
    def failed(self) -> bool:
        return any(s.status == "failed" for s in self.steps)

    def render(self, title: str) -> None:
        table = Table(title=title, title_justify="left")
        table.add_column("step")
        table.add_column("result")
        table.add_column("detail", overflow="fold")
        for s in self.steps:
            style = {"passed": "green", "failed": "bold red", "skipped": "yellow"}[s.status]
            table.add_row(s.name, f"[{style}]{s.status}[/]", s.detail)
        console.print(table)

    def exit_code(self) -> int:
        return 1 if self.failed else 0


# --------------------------------------------------------------------------------------------------
# Mock server process
# --------------------------------------------------------------------------------------------------
class MockServer:
    """The mock health server as a child process on a free loopback port."""

    def __init__(self, port: int = 0, seed: int | None = None, latency_scale: float = 1.0,
                 host: str = "127.0.0.1") -> None:
        cmd = [sys.executable, str(MOCK_SERVER), "--host", host, "--port", str(port),
               "--latency-scale", str(latency_scale)]
        if seed is not None:
            cmd += ["--seed", str(seed)]
        self.output: collections.deque[str] = collections.deque(maxlen=200)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.url = self._wait_for_url(timeout=15.0)
        threading.Thread(target=self._drain, daemon=True).start()

    def _wait_for_url(self, timeout: float) -> str:
        box: dict[str, str] = {}

        def read_first() -> None:
            for line in self.proc.stdout:
                self.output.append(line.rstrip())
                if line.startswith("listening on "):
                    box["url"] = line.split("listening on ", 1)[1].strip()
                    return

        reader = threading.Thread(target=read_first, daemon=True)
        reader.start()
        reader.join(timeout)
        if "url" not in box:
            self.stop()
            raise RuntimeError("mock server did not start: " + " | ".join(self.output))
        return box["url"]

    def _drain(self) -> None:
        for line in self.proc.stdout:
            self.output.append(line.rstrip())

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def http_json(url: str, method: str = "GET", timeout: float = 5.0) -> dict:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


# --------------------------------------------------------------------------------------------------
# Load and spike
# --------------------------------------------------------------------------------------------------
def load_args(args: argparse.Namespace, extra: list[str] | None = None) -> list[str]:
    argv = ["--target", args.target, "--users", str(args.users), "--duration", str(args.duration)]
    if getattr(args, "max_requests", None):
        argv += ["--max-requests", str(args.max_requests)]
    if getattr(args, "mix", None):
        argv += ["--mix", args.mix]
    if getattr(args, "seed", None) is not None:
        argv += ["--seed", str(args.seed)]
    if getattr(args, "no_progress", False):
        argv += ["--no-progress"]
    return argv + (extra or [])


def step_load(report: Report, args: argparse.Namespace) -> None:
    console.rule("[bold]load test")
    rc, result = load_generator().cli(load_args(args), console=console)
    if result is None:
        report.add("load test", "failed", f"load generator exited with {rc}")
        return
    total = result.total()
    detail = (f"{total['requests']:,} requests, {total['rps']:.0f} req/s, 5xx {total['error_ratio_5xx']:.2%}, "
              f"P95 {total['p95_s'] * 1000 if total['p95_s'] is not None else float('nan'):.0f} ms, "
              f"connection errors {result.connection_errors}")
    report.add("load test", "passed" if rc == 0 else "failed", detail)


def prometheus_alert_states(prometheus: str, names: set[str]) -> dict[str, str]:
    data = http_json(prometheus.rstrip("/") + "/api/v1/alerts")
    states: dict[str, str] = {}
    for alert in data.get("data", {}).get("alerts", []):
        name = alert.get("labels", {}).get("alertname")
        if name in names:
            # firing wins over pending when an alert has several series
            if states.get(name) != "firing":
                states[name] = alert.get("state", "")
    return states


def step_spike(report: Report, args: argparse.Namespace) -> None:
    service = args.service
    console.rule(f"[bold]spike test on {service}")
    alert = f"{ALERT_PREFIX[service]}Service5xxErrorRateHigh"
    seen: dict[str, str] = {}
    stop_watch = threading.Event()

    def watch() -> None:  # follow the alert in Prometheus while the spike runs
        while not stop_watch.wait(2.0):
            try:
                state = prometheus_alert_states(args.prometheus, {alert}).get(alert)
            except (OSError, ValueError):
                continue
            if state and (seen.get(alert) != "firing"):
                seen[alert] = state

    watcher = None
    if args.prometheus:
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
    try:
        rc, result = load_generator().cli(load_args(args, ["--service", service]), console=console)
    finally:
        stop_watch.set()
        if watcher:
            watcher.join(5)
    if result is None:
        report.add(f"spike test ({service})", "failed", f"load generator exited with {rc}")
        return
    spiked = result.service(service)
    others = {s: result.service(s)["error_ratio_5xx"] for s in result.stats.services if s != service}
    ok = spiked["error_ratio_5xx"] > ERROR_RATIO_THRESHOLD and rc == 0
    detail = (f"{service} 5xx {spiked['error_ratio_5xx']:.1%} (threshold {ERROR_RATIO_THRESHOLD:.0%}); "
              f"others max {max(others.values()):.2%}")
    report.add(f"spike test ({service})", "passed" if ok else "failed", detail)
    if args.prometheus:
        state = seen.get(alert)
        if state:
            report.add(f"alert {alert}", "passed", f"{state} in {args.prometheus} (fires after its `for`)")
        else:
            report.add(f"alert {alert}", "failed", f"not pending/firing in {args.prometheus}")


# --------------------------------------------------------------------------------------------------
# Validate
# --------------------------------------------------------------------------------------------------
def yaml_files(root: Path) -> list[Path]:
    # an explicit stack, not Path.rglob/os.walk: both recurse and die on a tree nested ~1,000 deep
    found, todo = [], [str(root)]
    while todo:
        try:
            entries = list(os.scandir(todo.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                todo.append(entry.path)
            elif entry.name.endswith((".yml", ".yaml")) and entry.is_file(follow_symlinks=False):
                found.append(Path(entry.path))
    return sorted(found)


def classify_yaml(path: Path) -> str | None:
    """'rules' (Prometheus rule file), 'rule-tests' (promtool unit tests), 'config' (prometheus.yml),
    'alertmanager' (alertmanager.yml)."""
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError, ValueError, TypeError):
        return None  # unreadable here (also nested past Python's recursion limit): obslint reports it
    if not isinstance(doc, dict):
        return None
    if "tests" in doc and "rule_files" in doc:
        return "rule-tests"
    if "route" in doc and "receivers" in doc:
        return "alertmanager"
    if "scrape_configs" in doc or ("global" in doc and "rule_files" in doc):
        return "config"
    groups = doc.get("groups")
    if "apiVersion" not in doc and isinstance(groups, list) and groups and all(
            isinstance(g, dict) and isinstance(g.get("rules"), list) for g in groups):
        rules = [r for g in groups for r in g["rules"] if isinstance(r, dict)]
        if rules and all("expr" in r for r in rules):
            return "rules"
    return None


def run_tool(cmd: list[str], cwd: Path) -> tuple[int, str]:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def last_lines(text: str, n: int = 12) -> str:
    lines = text.splitlines()
    return "\n".join(lines[-n:])


def step_validate(report: Report, args: argparse.Namespace) -> None:
    console.rule("[bold]validate")
    target = Path(args.path).resolve()
    stack = target / "grafana" if (target / "grafana").is_dir() else target
    in_ci = bool(os.environ.get("CI"))

    obslint_cmd = shlex.split(args.obslint) if args.obslint else []
    obslint = shutil.which(obslint_cmd[0]) if obslint_cmd else None
    if obslint:
        rel = os.path.relpath(target, REPO_ROOT) if target.is_relative_to(REPO_ROOT) else str(target)
        rc, out = run_tool([obslint, *obslint_cmd[1:], rel + "/"], cwd=REPO_ROOT)
        if out:
            console.print(out, markup=False, highlight=False)
        report.add(f"obslint {rel}/", "passed" if rc == 0 else "failed", f"exit {rc}")
    else:
        report.add("obslint", "skipped", f"`{args.obslint}` command not found")

    promtool = shutil.which(args.promtool) or (args.promtool if Path(args.promtool).is_file() else None)
    kinds: dict[str, list[Path]] = collections.defaultdict(list)
    for path in yaml_files(stack):
        kind = classify_yaml(path)
        if kind:
            kinds[kind].append(path)
    if not promtool:
        report.add("promtool", "failed" if in_ci else "skipped", f"`{args.promtool}` not found: {INSTALL_HINT['promtool']}")
    else:
        plan = [("check rules", "rules", ["check", "rules"]), ("test rules", "rule-tests", ["test", "rules"]),
                ("check config", "config", ["check", "config"])]
        for title, kind, sub in plan:
            files = kinds.get(kind, [])
            if not files:
                report.add(f"promtool {title}", "skipped", "no such files found")
                continue
            for path in files:
                # promtool resolves rule_files relative to the file; run it from the file's directory
                rc, out = run_tool([promtool, *sub, path.name], cwd=path.parent)
                rel = os.path.relpath(path, REPO_ROOT)
                if rc != 0:
                    console.print(last_lines(out, 30), markup=False, highlight=False)
                success = [ln.strip() for ln in out.splitlines() if "SUCCESS" in ln]
                report.add(f"promtool {title} {rel}", "passed" if rc == 0 else "failed",
                           (success[0] if success else "") if rc == 0 else f"exit {rc}")

    amtool = shutil.which(args.amtool) or (args.amtool if Path(args.amtool).is_file() else None)
    am_files = kinds.get("alertmanager", [])
    if not am_files:
        report.add("amtool check-config", "skipped", "no Alertmanager configuration found")
    elif not amtool:
        report.add("amtool check-config", "failed" if in_ci else "skipped",
                   f"`{args.amtool}` not found: {INSTALL_HINT['amtool']}")
    else:
        for path in am_files:
            rc, out = run_tool([amtool, "check-config", path.name], cwd=path.parent)
            rel = os.path.relpath(path, REPO_ROOT)
            if rc != 0:
                console.print(last_lines(out, 30), markup=False, highlight=False)
            report.add(f"amtool check-config {rel}", "passed" if rc == 0 else "failed",
                       "SUCCESS" if rc == 0 else f"exit {rc}")

    # basic structure check of the dashboards (obslint does the thorough one)
    dashboards = sorted((stack / "dashboards").glob("*.json")) if (stack / "dashboards").is_dir() else []
    if not dashboards:
        report.add("dashboards", "skipped", f"no dashboards under {stack / 'dashboards'}")
        return
    problems: list[str] = []
    uids: dict[str, str] = {}
    for path in dashboards:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        if not isinstance(doc, dict) or not doc.get("title"):
            problems.append(f"{path.name}: no title")
            continue
        if not doc.get("panels") and not doc.get("rows"):
            problems.append(f"{path.name}: no panels")
        uid = doc.get("uid")
        if uid and uid in uids:
            problems.append(f"{path.name}: uid {uid!r} also used by {uids[uid]}")
        elif uid:
            uids[uid] = path.name
    for p in problems:
        console.print(f"  [red]{p}[/]")
    report.add(f"dashboards JSON ({len(dashboards)} files)", "failed" if problems else "passed",
               "; ".join(problems[:3]) if problems else "parse, titles, panels, unique uids")


# --------------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------------
def cmd_start_server(args: argparse.Namespace) -> int:
    cmd = [sys.executable, str(MOCK_SERVER), "--host", args.host, "--port", str(args.port),
           "--latency-scale", str(args.latency_scale)]
    if args.seed is not None:
        cmd += ["--seed", str(args.seed)]
    console.print(f"starting the mock health server (Ctrl-C to stop): {' '.join(cmd)}")
    proc = subprocess.Popen(cmd)
    # SIGTERM to the runner stops the server too (Ctrl-C reaches both through the terminal)
    signal.signal(signal.SIGTERM, lambda *_: proc.send_signal(signal.SIGTERM))
    try:
        return proc.wait()
    except KeyboardInterrupt:
        # the child got the same SIGINT from the terminal; give it time to shut down cleanly
        try:
            return proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()


def cmd_load(args: argparse.Namespace) -> int:
    report = Report()
    step_load(report, args)
    return report.exit_code()


def cmd_spike(args: argparse.Namespace) -> int:
    report = Report()
    step_spike(report, args)
    return report.exit_code()


def cmd_validate(args: argparse.Namespace) -> int:
    report = Report()
    step_validate(report, args)
    # a tool that ran has a step named after what it checked ("obslint infra/", "promtool check rules x");
    # a missing one has the bare name, skipped locally and failed in CI
    ran = [s for s in report.steps if s.name.startswith(("obslint ", "promtool ")) and s.status != "skipped"]
    if not ran:  # everything skipped is not a pass
        report.add("validate", "failed", "nothing was validated: neither obslint nor promtool could run")
    report.render("validate")
    return report.exit_code()


def local_module(name: str):
    """A sibling module with an importable name (local_stack, alert_proof, webhook_receiver)."""
    return load_module(HERE / f"{name}.py", name)


def fast_notice(ls) -> str:
    return (f"--fast: alert `for:` shortened from 5m to {ls.FAST_ALERT_FOR}, scrape and evaluation every "
            f"{ls.FAST_INTERVAL}, Alertmanager group_wait {ls.FAST_GROUP_WAIT} / group_interval "
            f"{ls.FAST_GROUP_INTERVAL}; expressions, thresholds and routes are the repository's. "
            "Without --fast the real values are used (`for: 5m`: allow 6+ minutes).")


def step_alert_proof(report: Report, args: argparse.Namespace, stack) -> dict | None:
    """Normal load, then an outage on --service: its alerts pending -> firing -> webhook."""
    proof_mod = local_module("alert_proof")
    console.rule(f"[bold]alerts: normal load, then an outage on {args.service}")
    try:
        proof = proof_mod.prove(stack, args.service, load_generator=load_generator(), console=console,
                                users=args.users, normal_s=args.load_duration, timeout_s=args.timeout,
                                fast=args.fast, progress=not args.no_progress, seed=args.seed)
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        report.add("alert proof", "failed", str(exc))
        return None
    for track in proof.expected.values():
        fired = track.firing_after_s is not None
        report.add(f"alert {track.alert}", "passed" if fired else "failed",
                   f"pending after {track.pending_after_s or 0:.0f} s, firing after {track.firing_after_s:.0f} s"
                   if fired else f"not firing within {args.timeout:.0f} s of the outage")
        if proof.notifications_checked:
            got = track.notified_after_s is not None
            report.add(f"notification {track.alert}", "passed" if got else "failed",
                       f"webhook after {track.notified_after_s:.0f} s via {', '.join(sorted(track.receivers))}"
                       if got else "no notification reached the webhook")
    if not proof.notifications_checked:
        report.add("notifications", "skipped", f"no Alertmanager: {INSTALL_HINT['alertmanager']}")
    silent = not proof.unexpected and not proof.unexpected_notifications
    report.add("other services silent", "passed" if silent else "failed",
               "no other alert fired, no other notification" if silent else
               ", ".join(sorted({f"{a['alert']}{{{a['service']}}}" for a in
                                 proof.unexpected + proof.unexpected_notifications})))
    report.add("mock scraped throughout", "passed" if proof.scrape_always_up else "failed",
               'up{job="edu-services"} == 1 at every poll' if proof.scrape_always_up else "a scrape failed")
    load = proof.load
    if load:
        ok = load["connection_errors"] == 0
        report.add("load", "passed" if ok else "failed",
                   f"{load['requests']:,} requests, {load['rps']:.0f} req/s, {load['connection_errors']} connection errors")
    return proof.to_dict()


def cmd_full(args: argparse.Namespace) -> int:
    ls = local_module("local_stack")
    report = Report()
    started = time.monotonic()
    prometheus_bin = ls.find_binary("prometheus", args.prometheus_bin)
    alertmanager_bin = ls.find_binary("alertmanager", args.alertmanager_bin)
    if args.timeout is None:
        args.timeout = 90.0 if args.fast else 480.0
    if args.load_duration is None:
        args.load_duration = 15.0 if args.fast else 60.0
    if args.fast:
        console.print(f"[bold cyan]{fast_notice(ls)}[/]")
    console.rule("[bold]start the stack")
    try:
        stack = ls.LocalStack(prometheus_bin, alertmanager_bin, fast=args.fast, seed=args.seed,
                              latency_scale=args.latency_scale).start()
    except (OSError, RuntimeError) as exc:
        report.add("start the stack", "failed", str(exc))
        return finish(report, args, started, None)
    report.add("start mock server", "passed", stack.mock_url)
    if alertmanager_bin:
        report.add("start Alertmanager", "passed", f"{stack.alertmanager_url} ({alertmanager_bin}), "
                   f"webhook {stack.receiver.url}")
    else:
        report.add("start Alertmanager", "skipped", f"not found: {INSTALL_HINT['alertmanager']}")
    if prometheus_bin:
        report.add("start Prometheus", "passed", f"{stack.prometheus_url} ({prometheus_bin})")
    else:
        report.add("start Prometheus", "skipped", f"not found: {INSTALL_HINT['prometheus']}")
    proof = None
    try:
        try:
            health = http_json(stack.mock_url + "/healthz")
            report.add("health check", "passed" if health.get("status") == "ok" else "failed", "GET /healthz")
        except (OSError, ValueError) as exc:
            report.add("health check", "failed", str(exc))
        args.target = stack.mock_url
        if prometheus_bin:
            if wait_for_scrape(stack):
                proof = step_alert_proof(report, args, stack)
            else:
                report.add("Prometheus scrapes the mock", "failed", "no successful scrape within 30 s")
        else:  # no Prometheus: the client-side checks only
            args.duration = args.load_duration
            step_load(report, args)
            args.duration, args.prometheus = args.load_duration, None
            step_spike(report, args)
            report.add("alerts", "skipped", f"no Prometheus: {INSTALL_HINT['prometheus']}")
        try:
            modes = http_json(stack.mock_url + "/control")["modes"]
            normal = all(m == "normal" for m in modes.values())
            report.add("modes restored", "passed" if normal else "failed", json.dumps(modes) if not normal else "")
        except (OSError, ValueError, KeyError) as exc:
            report.add("modes restored", "failed", str(exc))
    finally:
        console.rule("[bold]stop the stack")
        codes = stack.close()
        report.add("stop mock server", "passed" if codes["mock"] == 0 else "failed",
                   f"exit {codes['mock']} after SIGTERM")
    if not args.no_validate:
        step_validate(report, args)
    return finish(report, args, started, proof)


def wait_for_scrape(stack, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if stack.scrape_up() and stack.alert_rule_names():
                return True
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    return False


def finish(report: Report, args: argparse.Namespace, started: float, proof: dict | None) -> int:
    elapsed = time.monotonic() - started
    report.render(f"full test ({elapsed:.0f} s{', --fast' if args.fast else ''})")
    if args.json:
        summary = {"passed": not report.failed, "elapsed_s": round(elapsed, 1), "fast": args.fast,
                   "service": args.service, "alerts": proof,
                   "steps": [{"name": s.name, "status": s.status, "detail": s.detail} for s in report.steps]}
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return report.exit_code()


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description="Test runner of the observability stack (mock server, load, "
                                             "spike, validation).")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_load_opts(p: argparse.ArgumentParser, duration: float, users: int, target: bool = True) -> None:
        if target:
            p.add_argument("--target", default="http://127.0.0.1:8000", help="mock server URL")
        p.add_argument("--duration", type=float, default=duration, help=f"seconds (default {duration:g})")
        p.add_argument("--users", type=int, default=users, help=f"concurrent users (default {users})")
        p.add_argument("--max-requests", type=int, default=None, help="stop after this many requests")
        p.add_argument("--mix", default=None, help="scenario weights, see synthetic-load-generator.py --help")
        p.add_argument("--seed", type=int, default=None, help="random seed")
        p.add_argument("--no-progress", action="store_true", help="no live progress display")

    def add_validate_opts(p: argparse.ArgumentParser) -> None:
        p.add_argument("--path", default=str(REPO_ROOT / "infra"), help="tree to validate (default infra/)")
        p.add_argument("--obslint", default="obslint",
                       help="obslint command (default: obslint on PATH; e.g. 'python -m obslint')")
        p.add_argument("--promtool", default="promtool", help="promtool command (default: promtool on PATH)")
        p.add_argument("--amtool", default="amtool", help="amtool command (default: amtool on PATH)")

    p = sub.add_parser("start-server", help="run the mock health server in the foreground")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--latency-scale", type=float, default=1.0)
    p.set_defaults(func=cmd_start_server)

    p = sub.add_parser("run-load-test", help="generate realistic load")
    add_load_opts(p, 60.0, 20)
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("run-spike-test", help="load with one service in spike mode (5xx burst)")
    p.add_argument("--service", required=True, choices=SERVICES)
    p.add_argument("--prometheus", default=None,
                   help="Prometheus URL: also check that the service's 5xx alert becomes pending/firing")
    add_load_opts(p, 60.0, 20)
    p.set_defaults(func=cmd_spike)

    p = sub.add_parser("validate", help="obslint, promtool check/test rules, promtool check config, dashboards")
    add_validate_opts(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("full-test", help="mock + real Prometheus + Alertmanager: alerts fire and reach the "
                                         "webhook under an outage, stay silent otherwise; then validate")
    p.add_argument("--service", default="auth-svc", choices=SERVICES, help="service to break (default auth-svc)")
    p.add_argument("--fast", action="store_true",
                   help="shorten `for:` to 5s, intervals to 1s, Alertmanager waits to 1-2s (as the e2e tests do)")
    p.add_argument("--load-duration", type=float, default=None,
                   help="seconds of normal load before the outage (default 15 with --fast, else 60)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds to wait for the alerts and notifications (default 90 with --fast, else 480)")
    p.add_argument("--users", type=int, default=96, help="concurrent users (default 96)")
    p.add_argument("--latency-scale", type=float, default=1.0,
                   help="fraction of simulated latency the mock really sleeps (default 1.0)")
    p.add_argument("--prometheus-bin", default=None, help="Prometheus binary (default: prometheus on PATH)")
    p.add_argument("--alertmanager-bin", default=None,
                   help="Alertmanager binary (default: alertmanager or prometheus-alertmanager on PATH)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--json", action="store_true", help="write the summary as JSON to stdout (the rest to stderr)")
    p.add_argument("--no-progress", action="store_true", help="no live display")
    p.add_argument("--no-validate", action="store_true", help="skip the validate step")
    p.set_defaults(func=cmd_full, max_requests=None, mix=None)
    add_validate_opts(p)
    return ap


def main(argv: list[str] | None = None) -> int:
    global console
    args = build_parser().parse_args(argv)
    if getattr(args, "json", False):  # stdout carries the JSON summary only
        console = Console(stderr=True, width=max(console.width, 120))
    try:
        return args.func(args)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        return 130


if __name__ == "__main__":
    sys.exit(main())
