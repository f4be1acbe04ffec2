#!/usr/bin/env python3
"""Synthetic load generator for the mock health server (and anything with the same HTTP API).

Virtual users (one thread each, one keep-alive ``http.client`` connection each) walk realistic
journeys across the six services:

* ``student``   login -> profile -> learner dashboard, lessons, progress, AI hint/recommendation
                (waits for the AI job) -> assessment (start, answers, submit, AI scoring) -> logout
* ``parent``    login -> profile -> subscription, payment methods, checkout, invoices -> child's
                learner dashboard -> logout
* ``teacher``   login -> roster -> assessments and results, AI scoring -> learner dashboard -> logout
* ``iep_staff`` login -> IEP plans, plan, compliance, AI IEP generation (waits for it), goals -> logout
* ``visitor``   session checks, (failed) logins, password resets, token refreshes

``--service S`` puts S into spike mode (``POST /control/S/spike``) for the run and restores
``normal`` at the end (also on Ctrl-C). The run stops by itself after ``--duration`` seconds or
``--max-requests`` requests. Connection-level failures (refused, reset, timeouts) are counted
separately from HTTP status classes. Exit code: 0 fine, 1 connection errors / target unreachable /
no successful request, 2 usage error.

Use as a library: ``run_load(...)`` returns a ``LoadResult``; pass a ``threading.Event`` as
``stop_event`` to stop it early.
"""
from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import math
import random
import signal
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

SERVICES = ("auth-svc", "user-svc", "learner-svc", "payment-svc", "assessment-svc", "iep-svc")
DEFAULT_MIX = {"student": 50, "parent": 15, "teacher": 15, "iep_staff": 10, "visitor": 10}
USER_AGENT = "synthetic-load-generator/1.0"


class UsageError(ValueError):
    """A bad argument (exit code 2)."""


# --------------------------------------------------------------------------------------------------
# Target checks
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def connection(self, timeout: float) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=timeout)


def is_loopback_host(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if host.lower() != "localhost":
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0].split("%")[0]).is_loopback for i in infos)


def parse_target(url: str, allow_remote: bool = False) -> Target:
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise UsageError(f"--target must not contain spaces or control characters, got {url!r}")
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        hostname, port = parts.hostname, parts.port
    except ValueError as exc:  # a port that is not a number or out of range, an unclosed [IPv6
        raise UsageError(f"--target is not a valid URL ({exc}): {url!r}") from None
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"--target must be an http(s) URL, got {url!r}")
    if not hostname:
        raise UsageError(f"--target has no host: {url!r}")
    if port == 0:
        raise UsageError(f"--target port 0 cannot be connected to: {url!r}")
    if parts.path not in ("", "/") or parts.query:
        raise UsageError(f"--target is the base URL of the mock (scheme, host, port), got {url!r}")
    if not allow_remote and not is_loopback_host(hostname):
        raise UsageError(f"refusing non-loopback target {hostname!r} (pass --allow-remote to override)")
    return Target(parts.scheme, hostname, port or (443 if parts.scheme == "https" else 80))


def parse_mix(text: str | None) -> dict[str, float]:
    """``student=6,parent=2`` -> weights of those scenarios (the others get 0)."""
    if not text:
        return dict(DEFAULT_MIX)
    mix: dict[str, float] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, weight = item.partition("=")
        name = name.strip()
        if name not in SCENARIOS:
            raise UsageError(f"unknown scenario {name!r} in --mix (known: {', '.join(SCENARIOS)})")
        try:
            value = float(weight) if sep else 1.0
        except ValueError:
            raise UsageError(f"bad weight {weight!r} for {name!r} in --mix") from None
        if not math.isfinite(value) or value < 0:
            raise UsageError(f"the weight for {name!r} in --mix must be a finite number, 0 or more, got {weight!r}")
        mix[name] = value
    if not mix or sum(mix.values()) <= 0:
        raise UsageError("--mix needs at least one scenario with a positive weight")
    return mix


# --------------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------------
def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    rank = max(0, min(len(sorted_values) - 1, math.ceil(q * len(sorted_values)) - 1))  # nearest rank
    return sorted_values[rank]


@dataclass
class ServiceStats:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    connection_errors: int = 0

    def status_class(self, cls: str) -> int:
        return sum(n for code, n in self.statuses.items() if str(code)[0] == cls[0])

    def summary(self, elapsed: float) -> dict:
        lat = sorted(self.latencies)
        answered = sum(self.statuses.values())
        return {
            "requests": self.requests,
            "2xx": self.status_class("2xx"),
            "3xx": self.status_class("3xx"),
            "4xx": self.status_class("4xx"),
            "5xx": self.status_class("5xx"),
            "connection_errors": self.connection_errors,
            "error_ratio_5xx": (self.status_class("5xx") / answered) if answered else 0.0,
            "rps": self.requests / elapsed if elapsed > 0 else 0.0,
            "p50_s": percentile(lat, 0.50),
            "p95_s": percentile(lat, 0.95),
            "p99_s": percentile(lat, 0.99),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.services: dict[str, ServiceStats] = {s: ServiceStats() for s in SERVICES}
        self.error_kinds: Counter = Counter()
        self.reconnects = 0
        self.journeys: Counter = Counter()
        self.refused = 0  # connections refused: the target went away (not counted as requests)
        self.target_gone = threading.Event()

    def record(self, service: str, status: int | None, latency: float | None, error: str | None = None) -> None:
        with self._lock:
            st = self.services.setdefault(service, ServiceStats())
            st.requests += 1
            if status is None:
                st.connection_errors += 1
                self.error_kinds[error or "error"] += 1
            else:
                st.statuses[status] += 1
                st.latencies.append(latency or 0.0)

    def snapshot(self) -> dict[str, tuple[int, int, int, int, int]]:
        with self._lock:
            return {s: (st.requests, st.status_class("2xx"), st.status_class("4xx"), st.status_class("5xx"),
                        st.connection_errors) for s, st in self.services.items()}

    @property
    def total_requests(self) -> int:
        with self._lock:
            return sum(st.requests for st in self.services.values())


@dataclass
class LoadResult:
    target: str
    users: int
    duration_s: float
    elapsed_s: float
    stats: Stats
    spike_service: str | None = None
    spike_mode: str | None = None
    control_errors: list[str] = field(default_factory=list)
    stopped_by: str = "duration"
    drain_s: float = 0.0  # time the users needed to finish their last request after the stop

    @property
    def total_requests(self) -> int:
        return sum(st.requests for st in self.stats.services.values())

    @property
    def connection_errors(self) -> int:
        return sum(st.connection_errors for st in self.stats.services.values())

    @property
    def successful_requests(self) -> int:
        return sum(st.status_class("2xx") for st in self.stats.services.values())

    def service(self, name: str) -> dict:
        return self.stats.services[name].summary(self.elapsed_s)

    def total(self) -> dict:
        merged = ServiceStats()
        for st in self.stats.services.values():
            merged.requests += st.requests
            merged.statuses.update(st.statuses)
            merged.latencies.extend(st.latencies)
            merged.connection_errors += st.connection_errors
        return merged.summary(self.elapsed_s)

    def to_dict(self) -> dict:
        return {
            "target": self.target,
            "users": self.users,
            "duration_s": self.duration_s,
            "elapsed_s": round(self.elapsed_s, 3),
            "stopped_by": self.stopped_by,
            "drain_s": round(self.drain_s, 3),
            "spike_service": self.spike_service,
            "spike_mode": self.spike_mode,
            "control_errors": self.control_errors,
            "total": self.total(),
            "services": {s: self.service(s) for s in self.stats.services},
            "connection_error_kinds": dict(self.stats.error_kinds),
            "reconnects": self.stats.reconnects,
            "refused_connections": self.stats.refused,
            "journeys": dict(self.stats.journeys),
        }


# --------------------------------------------------------------------------------------------------
# Virtual user
# --------------------------------------------------------------------------------------------------
class Budget:
    """Shared request budget (``--max-requests``)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()
        self.exhausted = threading.Event()

    def take(self) -> bool:
        if self.limit is None:
            return True
        with self._lock:
            if self.used >= self.limit:
                self.exhausted.set()
                return False
            self.used += 1
            if self.used >= self.limit:
                self.exhausted.set()
            return True


class Stop(Exception):
    """The run is over (time, budget or stop event)."""


class VirtualUser:
    def __init__(self, uid: int, target: Target, stats: Stats, budget: Budget, stop: threading.Event,
                 rng: random.Random, think_time: float, timeout: float) -> None:
        self.uid = uid
        self.target = target
        self.stats = stats
        self.budget = budget
        self.stop = stop
        self.rng = rng
        self.think_time = think_time
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.conn_used = False

    # ---- plumbing ---------------------------------------------------------------------------------
    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        self.conn_used = False

    def think(self, scale: float = 1.0) -> None:
        if self.think_time > 0:
            if self.stop.wait(self.rng.expovariate(1.0 / (self.think_time * scale))):
                raise Stop
        elif self.stop.is_set():
            raise Stop

    def wait(self, seconds: float) -> None:
        if self.stop.wait(max(0.0, seconds)):
            raise Stop

    def call(self, service: str, method: str, route: str, body: dict | None = None,
             query: str = "") -> tuple[int, dict] | None:
        """One request; returns (status, json body) or None after a connection error."""
        if self.stop.is_set() or not self.budget.take():
            raise Stop
        path = f"/api/{service}/{route}" + (f"?{query}" if query else "")
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            reused = self.conn_used
            try:
                if self.conn is None:
                    self.conn = self.target.connection(self.timeout)
                start = time.perf_counter()
                self.conn.request(method, path, body=payload, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                latency = time.perf_counter() - start
                self.conn_used = True
                if resp.will_close:
                    self.close()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if reused and attempt == 1:
                    # the server closed an idle keep-alive connection: reconnect once
                    with self.stats._lock:
                        self.stats.reconnects += 1
                    continue
                self.stats.record(service, None, None, type(exc).__name__)
                return None
            except ConnectionRefusedError:
                # the target went away: not a request; the run stops and says so
                self.close()
                with self.stats._lock:
                    self.stats.refused += 1
                self.stats.target_gone.set()
                self.stop.set()
                raise Stop from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                self.stats.record(service, None, None, type(exc).__name__)
                return None
            self.stats.record(service, resp.status, latency)
            try:
                doc = json.loads(data) if data else {}
            except ValueError:
                doc = {}
            return resp.status, doc if isinstance(doc, dict) else {}
        return None  # pragma: no cover - loop always returns

    def ok(self, result: tuple[int, dict] | None) -> bool:
        return result is not None and 200 <= result[0] < 300

    def ai_job(self, service: str, route: str, body: dict) -> None:
        """Submit an AI job and poll it like a client UI does."""
        res = self.call(service, "POST", route, body)
        if not self.ok(res):
            return
        doc = res[1]
        job_id = doc.get("job_id")
        if not job_id:
            return
        self.wait(min(10.0, doc.get("eta_ms", 500) / 1000.0) + 0.05)
        for _ in range(20):
            res = self.call(service, "GET", "ai/jobs", query=f"id={job_id}")
            if res is None or res[1].get("state") != "running":
                return
            self.wait(0.5)

    def login(self) -> bool:
        for _ in range(2):  # a failed login is retried once, like a person retyping a password
            res = self.call("auth-svc", "POST", "login", {"user": f"user{self.uid}", "password": "…"})
            if self.ok(res):
                return True
            self.think()
        return False

    # ---- journeys -----------------------------------------------------------------------------------
    def student(self) -> None:
        if not self.login():
            return
        self.think()
        self.call("user-svc", "GET", "profile")
        self.call("user-svc", "GET", "notifications")
        self.think()
        self.call("learner-svc", "GET", "dashboard")
        self.call("learner-svc", "GET", "lessons")
        for _ in range(self.rng.randint(1, 3)):
            self.think()
            self.call("learner-svc", "GET", "lesson", query=f"id={self.rng.randint(1, 400)}")
            self.call("learner-svc", "POST", "progress", {"percent": self.rng.randint(5, 100)})
            if self.rng.random() < 0.45:
                self.ai_job("learner-svc", "ai/hint", {"lesson": self.rng.randint(1, 400)})
        if self.rng.random() < 0.30:
            self.ai_job("learner-svc", "ai/recommend", {"user": self.uid})
        if self.rng.random() < 0.55:
            self.think()
            self.call("assessment-svc", "GET", "assessments")
            kind = self.rng.choices(("quiz", "practice", "exam"), (55, 30, 15))[0]
            if self.ok(self.call("assessment-svc", "POST", "start", {"type": kind})):
                for _ in range(self.rng.randint(3, 8)):
                    self.think(0.5)
                    self.call("assessment-svc", "POST", "answer", {"choice": self.rng.randint(0, 3)})
                self.call("assessment-svc", "POST", "submit", {"type": kind})
                if kind != "quiz" and self.rng.random() < 0.5:
                    self.ai_job("assessment-svc", "ai/score", {"type": kind})
                self.call("assessment-svc", "GET", "results")
        if self.rng.random() < 0.7:
            self.call("auth-svc", "POST", "logout")

    def parent(self) -> None:
        if not self.login():
            return
        self.call("user-svc", "GET", "profile")
        self.think()
        self.call("payment-svc", "GET", "subscription")
        self.call("payment-svc", "GET", "methods")
        if self.rng.random() < 0.6:
            self.think()
            method = self.rng.choices(("card", "ach", "wallet"), (72, 14, 14))[0]
            amount = self.rng.choice((9.99, 14.99, 19.99, 49.99, 119.0, 199.0))
            self.call("payment-svc", "POST", "checkout", {"method": method, "amount": amount})
        self.call("payment-svc", "GET", "invoices")
        if self.rng.random() < 0.03:
            self.call("payment-svc", "POST", "refund", {"reason": "duplicate"})
        self.think()
        self.call("learner-svc", "GET", "dashboard")
        self.call("auth-svc", "POST", "logout")

    def teacher(self) -> None:
        if not self.login():
            return
        self.call("user-svc", "GET", "roster")
        self.think()
        self.call("assessment-svc", "GET", "assessments")
        for _ in range(self.rng.randint(1, 3)):
            self.call("assessment-svc", "GET", "results")
            self.think(0.5)
        if self.rng.random() < 0.5:
            self.ai_job("assessment-svc", "ai/score", {"type": "exam"})
        self.call("learner-svc", "GET", "dashboard")
        self.call("user-svc", "GET", "notifications")
        self.call("auth-svc", "POST", "logout")

    def iep_staff(self) -> None:
        if not self.login():
            return
        self.call("iep-svc", "GET", "plans")
        self.think()
        self.call("iep-svc", "GET", "plan", query=f"id={self.rng.randint(1, 200)}")
        self.call("iep-svc", "GET", "compliance")
        if self.rng.random() < 0.7:
            self.ai_job("iep-svc", "ai/generate", {"student": self.rng.randint(1, 5000)})
        for _ in range(self.rng.randint(1, 3)):
            self.think()
            self.call("iep-svc", "POST", "goals", {"goal": "reading fluency"})
        self.call("user-svc", "GET", "roster")
        self.call("auth-svc", "POST", "logout")

    def visitor(self) -> None:
        self.call("auth-svc", "GET", "session")
        self.think()
        self.call("auth-svc", "POST", "login", {"user": "guest", "password": "wrong"})
        if self.rng.random() < 0.25:
            self.call("auth-svc", "POST", "password/reset", {"email": "guest@example.org"})
        self.call("auth-svc", "POST", "token/refresh")

    def run(self, mix: dict[str, float]) -> None:
        names = [n for n, w in mix.items() if w > 0]
        weights = [mix[n] for n in names]
        try:
            while not self.stop.is_set():
                name = self.rng.choices(names, weights)[0]
                with self.stats._lock:
                    self.stats.journeys[name] += 1
                getattr(self, name)()
                self.think(2.0)
        except Stop:
            pass
        finally:
            self.close()


SCENARIOS = ("student", "parent", "teacher", "iep_staff", "visitor")


# --------------------------------------------------------------------------------------------------
# Control endpoint
# --------------------------------------------------------------------------------------------------
def set_mode(target: Target, service: str, mode: str, timeout: float = 5.0) -> None:
    conn = target.connection(timeout)
    try:
        conn.request("POST", f"/control/{service}/{mode}", body=b"", headers={"User-Agent": USER_AGENT})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"POST /control/{service}/{mode} -> {resp.status} {body[:200]!r}")
    finally:
        conn.close()


def check_reachable(target: Target, timeout: float = 3.0) -> None:
    conn = target.connection(timeout)
    try:
        conn.request("GET", "/healthz", headers={"User-Agent": USER_AGENT})
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise RuntimeError(f"GET /healthz -> {resp.status}")
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------------
# Run
# --------------------------------------------------------------------------------------------------
def run_load(target: str | Target = "http://127.0.0.1:8000", users: int = 10, duration: float = 60.0,
             max_requests: int | None = None, mix: dict[str, float] | None = None,
             think_time: float = 0.1, ramp_up: float | None = None, spike_service: str | None = None,
             spike_mode: str = "spike", spike_after: float = 0.0, seed: int | None = None,
             stop_event: threading.Event | None = None, allow_remote: bool = False,
             request_timeout: float = 30.0,
             on_tick: Callable[[float, Stats], None] | None = None) -> LoadResult:
    """Run the load and return its result. Raises UsageError on bad arguments and
    ConnectionError when the target is unreachable before the run starts."""
    tgt = target if isinstance(target, Target) else parse_target(target, allow_remote)
    if users < 1:
        raise UsageError("--users must be at least 1")
    if not (math.isfinite(duration) and duration > 0):
        raise UsageError("--duration must be a finite number of seconds above 0")
    for name, value in (("--think-time", think_time), ("--ramp-up", ramp_up), ("--spike-after", spike_after)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise UsageError(f"{name} must be a finite number of seconds, 0 or more")
    if not (math.isfinite(request_timeout) and request_timeout > 0):
        raise UsageError("--timeout must be a finite number of seconds above 0")
    if max_requests is not None and max_requests < 1:
        raise UsageError("--max-requests must be at least 1")
    if spike_service is not None and spike_service not in SERVICES:
        raise UsageError(f"unknown service {spike_service!r} (known: {', '.join(SERVICES)})")
    mix = dict(DEFAULT_MIX) if mix is None else mix
    try:
        check_reachable(tgt)
    except (OSError, http.client.HTTPException, RuntimeError) as exc:
        raise ConnectionError(f"target {tgt.url} is not reachable: {exc}") from exc

    stop = stop_event or threading.Event()
    stats = Stats()
    budget = Budget(max_requests)
    result = LoadResult(tgt.url, users, duration, 0.0, stats,
                        spike_service=spike_service, spike_mode=spike_mode if spike_service else None)
    master = random.Random(seed)
    ramp = min(2.0, duration / 10.0) if ramp_up is None else max(0.0, ramp_up)
    spiked = threading.Event()

    def start_spike() -> None:
        if spike_service and not stop.is_set():
            try:
                set_mode(tgt, spike_service, spike_mode)
                spiked.set()
            except (OSError, http.client.HTTPException, RuntimeError) as exc:
                result.control_errors.append(str(exc))

    vusers = [VirtualUser(i + 1, tgt, stats, budget, stop, random.Random(master.getrandbits(64)),
                          think_time, request_timeout) for i in range(users)]
    threads = [threading.Thread(target=vu.run, args=(mix,), name=f"vu-{vu.uid}", daemon=True) for vu in vusers]
    spike_timer = None
    started = time.monotonic()
    try:
        if spike_service:
            if spike_after <= 0:
                start_spike()
            else:
                spike_timer = threading.Timer(spike_after, start_spike)
                spike_timer.daemon = True
                spike_timer.start()
        for i, th in enumerate(threads):
            th.start()
            if ramp > 0 and users > 1 and stop.wait(ramp / users):
                break
        deadline = started + duration
        while True:
            now = time.monotonic()
            if now >= deadline:
                result.stopped_by = "duration"
                break
            if budget.exhausted.is_set():
                result.stopped_by = "max-requests"
                break
            if stats.target_gone.is_set():
                result.stopped_by = "target-gone"
                break
            if stop.is_set():
                result.stopped_by = "stopped"
                break
            if on_tick:
                on_tick(now - started, stats)
            stop.wait(min(0.25, deadline - now))
    finally:
        stop.set()
        result.elapsed_s = time.monotonic() - started
        if spike_timer:
            spike_timer.cancel()
        for th in threads:
            th.join(timeout=request_timeout + 5)
        result.drain_s = time.monotonic() - started - result.elapsed_s
        if spike_service and spiked.is_set():
            try:
                set_mode(tgt, spike_service, "normal")
            except (OSError, http.client.HTTPException, RuntimeError) as exc:
                result.control_errors.append(f"restoring normal mode failed: {exc}")
    return result


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------
def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v * 1000:,.0f}"


def render_summary(result: LoadResult, console) -> None:
    from rich.table import Table

    title = (f"Load test against {result.target}: {result.users} users, {result.elapsed_s:.1f} s "
             f"(stopped by {result.stopped_by})")
    if result.spike_service:
        title += f", {result.spike_mode} on {result.spike_service}"
    table = Table(title=title, title_justify="left")
    for col in ("service", "requests", "2xx", "4xx", "5xx", "5xx %", "conn err", "RPS",
                "P50 ms", "P95 ms", "P99 ms"):
        table.add_column(col, justify="left" if col == "service" else "right")

    def row(name: str, s: dict, style: str | None = None) -> None:
        ratio = s["error_ratio_5xx"] * 100
        ratio_txt = f"{ratio:.2f}"
        if ratio > 2.0:
            ratio_txt = f"[bold red]{ratio_txt}[/]"
        err = str(s["connection_errors"]) if not s["connection_errors"] else f"[bold red]{s['connection_errors']}[/]"
        table.add_row(name, f"{s['requests']:,}", f"{s['2xx']:,}", f"{s['4xx']:,}", f"{s['5xx']:,}", ratio_txt,
                      err, f"{s['rps']:.1f}", _ms(s["p50_s"]), _ms(s["p95_s"]), _ms(s["p99_s"]), style=style)

    for name in result.stats.services:
        row(name, result.service(name))
    table.add_section()
    row("total", result.total(), style="bold")
    console.print(table)
    kinds = result.stats.error_kinds
    if kinds:
        console.print("[bold red]connection errors:[/] " + ", ".join(f"{k}: {v}" for k, v in kinds.most_common()))
    else:
        console.print("[green]connection errors: 0[/]")
    if result.stats.reconnects:
        console.print(f"idle keep-alive connections re-opened: {result.stats.reconnects}")
    for err in result.control_errors:
        console.print(f"[bold red]control error:[/] {err}")
    if result.stopped_by == "target-gone":
        console.print(f"[bold red]the target went away:[/] {result.target} refused "
                      f"{result.stats.refused} connection(s) after {result.elapsed_s:.1f} s; the run stopped there")


class LiveView:
    """Live progress (rich): a bar for the elapsed time and a table of counts per service."""

    def __init__(self, console, duration: float) -> None:
        from rich.live import Live
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.duration = duration
        self.progress = Progress(TextColumn("[bold]load"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                                 TimeElapsedColumn(), TextColumn("{task.fields[info]}"), console=console)
        self.task = self.progress.add_task("load", total=duration, info="")
        self.stats: Stats | None = None
        self.elapsed = 0.0
        self.live = Live(self._render(), console=console, refresh_per_second=4, transient=True)

    def _render(self):
        from rich.console import Group
        from rich.table import Table

        table = Table(box=None, padding=(0, 2))
        for col in ("service", "requests", "2xx", "4xx", "5xx", "conn err"):
            table.add_column(col, justify="left" if col == "service" else "right")
        if self.stats:
            for name, (n, ok, c4, c5, ce) in self.stats.snapshot().items():
                table.add_row(name, f"{n:,}", f"{ok:,}", f"{c4:,}", f"[red]{c5:,}[/]" if c5 else "0",
                              f"[bold red]{ce}[/]" if ce else "0")
        return Group(self.progress, table)

    def tick(self, elapsed: float, stats: Stats) -> None:
        self.stats = stats
        total = stats.total_requests
        rps = total / elapsed if elapsed > 0 else 0.0
        self.progress.update(self.task, completed=min(elapsed, self.duration),
                             info=f"{total:,} requests, {rps:,.0f} req/s")
        self.live.update(self._render())

    def __enter__(self):
        self.live.__enter__()
        return self

    def __exit__(self, *exc):
        return self.live.__exit__(*exc)


def int_range(low: int, high: int):
    """argparse type: a whole number in [low, high]."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range ({low} to {high:,})")
        return value
    return parse


def seconds(low: float, high: float, low_open: bool = False):
    """argparse type: a finite number of seconds in [low, high] (or (low, high])."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not math.isfinite(value) or value > high or value < low or (low_open and value == low):
            lower = f"above {low:g}" if low_open else f"at least {low:g}"
            raise argparse.ArgumentTypeError(f"{text!r}: must be a finite number of seconds {lower} "
                                             f"and at most {high:g}")
        return value
    return parse


MAX_SECONDS = 7 * 86400.0  # a week: longer values are typos (or `inf`)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description="Synthetic user load for the platform services (mock health server).")
    ap.add_argument("--target", default="http://127.0.0.1:8000", help="base URL (default http://127.0.0.1:8000)")
    ap.add_argument("--allow-remote", action="store_true", help="allow a non-loopback target")
    ap.add_argument("--users", type=int_range(1, 10_000), default=20, help="concurrent virtual users (default 20)")
    ap.add_argument("--duration", type=seconds(0.0, MAX_SECONDS, low_open=True), default=60.0,
                    help="seconds to run (default 60)")
    ap.add_argument("--max-requests", type=int_range(1, 10**12), default=None, help="stop after this many requests")
    # `--service` as in test-observability.py; `--spike-service` is its older spelling
    ap.add_argument("--service", "--spike-service", dest="spike_service", choices=SERVICES, default=None,
                    help="put this service into spike mode (5xx burst) during the run")
    ap.add_argument("--spike-mode", choices=("spike", "slow"), default="spike",
                    help="mode used for --service (default spike)")
    ap.add_argument("--spike-after", type=seconds(0.0, MAX_SECONDS), default=0.0,
                    help="seconds into the run before the spike starts (less than --duration)")
    ap.add_argument("--mix", default=None,
                    help="scenario weights, e.g. student=50,parent=15,teacher=15,iep_staff=10,visitor=10 "
                         "(listed scenarios only)")
    ap.add_argument("--think-time", type=seconds(0.0, 3600.0), default=0.1,
                    help="mean think time between a user's steps in seconds (default 0.1)")
    ap.add_argument("--ramp-up", type=seconds(0.0, MAX_SECONDS), default=None,
                    help="seconds over which users start, at most --duration (default min(2, duration/10))")
    ap.add_argument("--timeout", type=seconds(0.0, 3600.0, low_open=True), default=30.0,
                    help="per-request timeout in seconds (above 0)")
    ap.add_argument("--seed", type=int, default=None, help="random seed for the users' choices")
    ap.add_argument("--json", metavar="PATH", default=None, help="also write the result as JSON ('-' = stdout)")
    ap.add_argument("--no-progress", action="store_true", help="no live progress display")
    return ap


def cli(argv: list[str] | None = None, console=None) -> tuple[int, LoadResult | None]:
    """Command-line entry point; returns (exit code, result)."""
    from rich.console import Console

    ap = build_parser()
    args = ap.parse_args(argv)
    console = console or Console()
    if not console.is_terminal and console.width < 120:
        console.width = 120  # piped output: keep the summary table readable
    err_console = Console(stderr=True)
    if not err_console.is_terminal and err_console.width < 120:
        err_console.width = 120
    try:
        mix = parse_mix(args.mix)
        tgt = parse_target(args.target, args.allow_remote)
        if args.ramp_up is not None and args.ramp_up > args.duration:
            raise UsageError(f"--ramp-up {args.ramp_up:g} is longer than --duration {args.duration:g}: "
                             f"the last users would never start")
        if args.spike_service and args.spike_after >= args.duration:
            raise UsageError(f"--spike-after {args.spike_after:g} is not within --duration {args.duration:g}")
    except UsageError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        return 2, None

    stop = threading.Event()
    in_main = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)} if in_main else {}

    def on_signal(_signum, _frame) -> None:
        stop.set()  # finish the current requests, restore the spiked service, print the summary

    for sig in previous:
        signal.signal(sig, on_signal)
    view = None if args.no_progress else LiveView(err_console, args.duration)
    spike = f", {args.spike_mode} on {args.spike_service}" if args.spike_service else ""
    err_console.print(f"load: {args.users} users for {args.duration:g} s against {tgt.url}{spike}")
    try:
        kwargs = dict(target=tgt, users=args.users, duration=args.duration, max_requests=args.max_requests,
                      mix=mix, think_time=args.think_time, ramp_up=args.ramp_up,
                      spike_service=args.spike_service, spike_mode=args.spike_mode,
                      spike_after=args.spike_after, seed=args.seed, stop_event=stop,
                      request_timeout=args.timeout)
        if view:
            with view:
                result = run_load(on_tick=view.tick, **kwargs)
        else:
            result = run_load(**kwargs)
    except UsageError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        return 2, None
    except ConnectionError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        return 1, None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    # with --json - stdout carries only the JSON document
    render_summary(result, err_console if args.json == "-" else console)
    if args.json:
        text = json.dumps(result.to_dict(), indent=2)
        if args.json == "-":
            print(text)
        else:
            try:
                with open(args.json, "w", encoding="utf-8") as fh:
                    fh.write(text + "\n")
            except OSError as exc:  # a directory, a missing folder, a full disk: the summary is out already
                err_console.print(f"[bold red]error:[/] cannot write --json {args.json}: {exc.strerror or exc}")
                return 2, result
    if result.stopped_by == "target-gone":
        return 1, result
    if result.connection_errors or result.control_errors or result.successful_requests == 0:
        return 1, result
    return 0, result


def main(argv: list[str] | None = None) -> int:
    return cli(argv)[0]


if __name__ == "__main__":
    sys.exit(main())
