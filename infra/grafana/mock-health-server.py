#!/usr/bin/env python3
"""Mock health server for the six education-platform services.

One process, one port, six simulated services told apart by the ``service`` label.
Every metric of ``METRICS.md`` is exposed at ``GET /metrics`` through ``prometheus_client``
(its own registry and exposition code, content negotiated with the scraper).

HTTP interface (see METRICS.md):

* ``GET /metrics``                       exposition (text 0.0.4 or OpenMetrics, as the scraper asks)
* ``GET|POST /api/<service>/<route>``    a simulated request of ``<service>``; the outcome
                                         (success / 4xx / 5xx / slow) is drawn per request from
                                         the service's current mode
* ``POST /control/<service>/<mode>``     mode ``normal`` | ``spike`` | ``slow`` | ``outage`` (spike and
                                         slow at once); ``<service>`` may be ``all``
* ``GET /control``                       current modes (JSON)
* ``GET /healthz``                       liveness

Latency: every simulated request draws a latency, really sleeps ``latency * --latency-scale``
(default 1.0, i.e. the full time) and records the *drawn* latency in
``http_request_duration_seconds``. With a scale below 1 the recorded latencies are unchanged but
requests return faster (useful to push more load through a small machine).

AI routes (``/ai/hint``, ``/ai/recommend`` on learner-svc, ``/ai/score`` on assessment-svc,
``/ai/generate`` on iep-svc) work like the real services' job APIs: the HTTP request is accepted
quickly (``202`` with a job id) and the model call runs in the background for its drawn latency
(scaled the same way); when it completes it records ``ai_inference_requests_total``,
``ai_inference_duration_seconds``, ``ai_tokens_total`` (and ``iep_documents_generated_total`` for a
generated IEP). ``GET /api/<service>/ai/jobs?id=<job>`` returns the job's state. Keeping the model
time out of the HTTP request is what keeps a service's HTTP P95 well under 1 s in normal mode.
"""
from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import random
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder

# The contract lists exactly the metrics below; the `_created` companions prometheus_client adds by
# default are not part of it.
disable_created_metrics()

SERVICES = ("auth-svc", "user-svc", "learner-svc", "payment-svc", "assessment-svc", "iep-svc")
MODES = ("normal", "spike", "slow", "outage")
# `outage` is both at once: the 5xx burst of `spike` and the latency of `slow`
ERROR_MODES = ("spike", "outage")
SLOW_MODES = ("slow", "outage")

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5, 10.0)
AI_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0)


# --------------------------------------------------------------------------------------------------
# Service catalogue
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    method: str  # the method the route is meant for (also pre-initialised)
    path: str  # route label value, e.g. "/login"
    median_s: float  # median latency of a successful request (log-normal)
    kind: str = "plain"  # plain | ai | ai_jobs | checkout | complete


@dataclass(frozen=True)
class AIProfile:
    operation: str  # inference | scoring | generation
    low_s: float  # normal latency range (log-uniform-ish, see draw_ai_latency)
    high_s: float
    slow_low_s: float  # slow-mode range: above the alert threshold
    slow_high_s: float
    tokens: tuple[int, int]  # tokens per call (prompt + completion)


@dataclass(frozen=True)
class ServiceProfile:
    name: str
    routes: tuple[Route, ...]
    p4xx: float  # normal-mode probability of a 4xx outcome
    codes_4xx: tuple[tuple[int, float], ...]
    p5xx: float  # normal-mode probability of a 5xx outcome
    p_slow: float  # normal-mode probability of a slow (but successful) request
    db_pool: int
    cpu_base_cores: float  # idle CPU use
    cpu_per_request_s: float
    memory_base_bytes: int
    cost_per_hour: dict[str, float]  # resource -> USD/h at idle (network grows with traffic)
    budget_monthly: float
    ai: AIProfile | None = None


MIB = 1024 * 1024

PROFILES: dict[str, ServiceProfile] = {
    p.name: p
    for p in (
        ServiceProfile(
            name="auth-svc",
            routes=(
                Route("POST", "/login", 0.085),
                Route("POST", "/logout", 0.020),
                Route("POST", "/token/refresh", 0.025),
                Route("GET", "/session", 0.012),
                Route("POST", "/password/reset", 0.060),
            ),
            p4xx=0.035, codes_4xx=((401, 0.70), (400, 0.15), (429, 0.10), (403, 0.05)),
            p5xx=0.003, p_slow=0.004, db_pool=40, cpu_base_cores=0.08, cpu_per_request_s=0.004,
            memory_base_bytes=210 * MIB,
            cost_per_hour={"compute": 0.34, "storage": 0.02, "network": 0.03},
            budget_monthly=450.0,
        ),
        ServiceProfile(
            name="user-svc",
            routes=(
                Route("GET", "/profile", 0.030),
                Route("POST", "/profile", 0.055),
                Route("GET", "/preferences", 0.018),
                Route("GET", "/roster", 0.090),
                Route("GET", "/notifications", 0.035),
            ),
            p4xx=0.028, codes_4xx=((404, 0.50), (400, 0.25), (403, 0.15), (409, 0.10)),
            p5xx=0.003, p_slow=0.004, db_pool=60, cpu_base_cores=0.06, cpu_per_request_s=0.003,
            memory_base_bytes=260 * MIB,
            cost_per_hour={"compute": 0.29, "storage": 0.06, "network": 0.03},
            budget_monthly=420.0,
        ),
        ServiceProfile(
            name="learner-svc",
            routes=(
                Route("GET", "/lessons", 0.045),
                Route("GET", "/lesson", 0.070),
                Route("POST", "/progress", 0.040),
                Route("GET", "/dashboard", 0.110),
                Route("POST", "/ai/hint", 0.035, kind="ai"),
                Route("POST", "/ai/recommend", 0.040, kind="ai"),
                Route("GET", "/ai/jobs", 0.008, kind="ai_jobs"),
            ),
            p4xx=0.025, codes_4xx=((404, 0.55), (400, 0.25), (403, 0.10), (429, 0.10)),
            p5xx=0.003, p_slow=0.004, db_pool=80, cpu_base_cores=0.15, cpu_per_request_s=0.006,
            memory_base_bytes=1100 * MIB,
            cost_per_hour={"compute": 1.20, "storage": 0.09, "network": 0.06},
            budget_monthly=1600.0,
            ai=AIProfile("inference", 0.30, 1.50, 2.50, 4.50, tokens=(250, 900)),
        ),
        ServiceProfile(
            name="payment-svc",
            routes=(
                Route("GET", "/subscription", 0.040),
                Route("POST", "/checkout", 0.180, kind="checkout"),
                Route("GET", "/invoices", 0.060),
                Route("POST", "/refund", 0.150),
                Route("GET", "/methods", 0.030),
            ),
            # payment declines (402) come on top of these, see handle_checkout
            p4xx=0.020, codes_4xx=((400, 0.40), (409, 0.30), (404, 0.20), (422, 0.10)),
            p5xx=0.003, p_slow=0.004, db_pool=30, cpu_base_cores=0.05, cpu_per_request_s=0.005,
            memory_base_bytes=300 * MIB,
            cost_per_hour={"compute": 0.42, "storage": 0.04, "network": 0.02},
            budget_monthly=550.0,
        ),
        ServiceProfile(
            name="assessment-svc",
            routes=(
                Route("GET", "/assessments", 0.050),
                Route("POST", "/start", 0.060),
                Route("POST", "/answer", 0.030),
                Route("POST", "/submit", 0.120, kind="complete"),
                Route("GET", "/results", 0.070),
                Route("POST", "/ai/score", 0.045, kind="ai"),
                Route("GET", "/ai/jobs", 0.008, kind="ai_jobs"),
            ),
            p4xx=0.030, codes_4xx=((400, 0.45), (404, 0.25), (409, 0.20), (403, 0.10)),
            p5xx=0.003, p_slow=0.004, db_pool=60, cpu_base_cores=0.10, cpu_per_request_s=0.005,
            memory_base_bytes=640 * MIB,
            cost_per_hour={"compute": 0.78, "storage": 0.12, "network": 0.04},
            budget_monthly=1100.0,
            ai=AIProfile("scoring", 0.50, 2.50, 3.60, 6.00, tokens=(400, 1600)),
        ),
        ServiceProfile(
            name="iep-svc",
            routes=(
                Route("GET", "/plans", 0.060),
                Route("GET", "/plan", 0.080),
                Route("POST", "/goals", 0.070),
                Route("GET", "/compliance", 0.090),
                Route("POST", "/ai/generate", 0.060, kind="ai"),
                Route("GET", "/ai/jobs", 0.008, kind="ai_jobs"),
            ),
            p4xx=0.030, codes_4xx=((404, 0.40), (400, 0.30), (403, 0.20), (409, 0.10)),
            p5xx=0.003, p_slow=0.004, db_pool=25, cpu_base_cores=0.07, cpu_per_request_s=0.006,
            memory_base_bytes=520 * MIB,
            cost_per_hour={"compute": 0.66, "storage": 0.15, "network": 0.02},
            budget_monthly=900.0,
            ai=AIProfile("generation", 1.00, 4.00, 5.60, 9.00, tokens=(1800, 5200)),
        ),
    )
}

@dataclass(frozen=True)
class FinOpsTargets:
    """What FinOps holds each service to (exposed as gauges; the cost-optimisation recording rules
    compare the measured figures with them)."""
    cpu_cores_allocated: float  # CPU provisioned for the service (utilisation = CPU used / this)
    cost_per_request_target: float  # USD of infrastructure per request
    ai_cost_per_inference_target: float | None = None  # USD of AI tokens per model call


# learner-svc is over-provisioned (idle-capacity candidate at ordinary load) and IEP generation costs
# more per call than its target at the placeholder token price: the dashboard has real candidates.
FINOPS: dict[str, FinOpsTargets] = {
    "auth-svc": FinOpsTargets(1.0, 0.000005),
    "user-svc": FinOpsTargets(1.0, 0.000005),
    "learner-svc": FinOpsTargets(6.0, 0.00001, ai_cost_per_inference_target=15.0),
    "payment-svc": FinOpsTargets(1.0, 0.00001),
    "assessment-svc": FinOpsTargets(2.0, 0.00001, ai_cost_per_inference_target=25.0),
    "iep-svc": FinOpsTargets(2.0, 0.00001, ai_cost_per_inference_target=60.0),
}

CODES_5XX_NORMAL = ((500, 0.45), (502, 0.15), (503, 0.30), (504, 0.10))
CODES_5XX_SPIKE = ((500, 0.35), (502, 0.15), (503, 0.40), (504, 0.10))
P5XX_SPIKE = 0.40  # spike mode: 5xx burst (≈30–50 % measured)
P_SLOW_SLOW = 0.90  # slow mode: share of requests taking 1.5–3 s
DECLINE_RATE = 0.012  # card declines on checkout (402), normal mode
PAYMENT_METHODS = (("card", 0.72), ("ach", 0.14), ("wallet", 0.14))
PLANS = (9.99, 14.99, 19.99, 49.99, 119.0, 199.0)
ASSESSMENT_TYPES = (("quiz", 0.55), ("practice", 0.30), ("exam", 0.15))
# network egress: bytes per response (average) and USD per GB
NETWORK_USD_PER_GB = 0.09


def weighted(rng: random.Random, choices: tuple[tuple, ...]):
    values = [c[0] for c in choices]
    weights = [c[1] for c in choices]
    return rng.choices(values, weights)[0]


def processing_fee(method: str, amount: float) -> float:
    if method == "ach":
        return min(0.008 * amount, 5.0)
    return 0.029 * amount + 0.30  # card and wallet


# --------------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------------
class Metrics:
    """All metrics of METRICS.md, in a registry of their own (no process/platform collectors)."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "http_requests_total", "HTTP requests handled.",
            ["service", "method", "route", "status"], registry=r)
        self.http_duration = Histogram(
            "http_request_duration_seconds", "HTTP request latency in seconds.",
            ["service", "method", "route"], buckets=HTTP_BUCKETS, registry=r)
        self.cpu = Counter(
            "service_cpu_seconds_total", "CPU seconds used by the service.", ["service"], registry=r)
        self.memory = Gauge(
            "service_memory_bytes", "Resident memory of the service in bytes.", ["service"], registry=r)
        self.db_active = Gauge(
            "db_connections_active", "DB pool connections in use.", ["service"], registry=r)
        self.db_max = Gauge(
            "db_connections_max", "DB pool size.", ["service"], registry=r)
        self.ai_requests = Counter(
            "ai_inference_requests_total", "AI model calls.",
            ["service", "operation", "status"], registry=r)
        self.ai_duration = Histogram(
            "ai_inference_duration_seconds", "AI model call latency in seconds.",
            ["service", "operation"], buckets=AI_BUCKETS, registry=r)
        self.ai_tokens = Counter(
            "ai_tokens_total", "AI tokens consumed (prompt + completion).",
            ["service", "operation"], registry=r)
        self.payments = Counter(
            "payment_transactions_total", "Payment transactions.",
            ["service", "status", "method"], registry=r)
        self.revenue = Counter(
            "payment_revenue_dollars_total", "Gross revenue in USD.", ["service"], registry=r)
        self.fees = Counter(
            "payment_processing_fees_dollars_total", "Payment processor fees in USD.",
            ["service"], registry=r)
        self.assessments = Counter(
            "assessment_completed_total", "Assessments completed.", ["service", "type"], registry=r)
        self.iep_docs = Counter(
            "iep_documents_generated_total", "IEP documents generated.", ["service"], registry=r)
        self.iep_compliance = Gauge(
            "iep_compliance_score_ratio", "IEP compliance score, 0..1.", ["service"], registry=r)
        self.infra_cost = Counter(
            "infrastructure_cost_total", "Accumulated infrastructure cost in USD.",
            ["service", "resource"], registry=r)
        self.budget = Gauge(
            "finops_budget_monthly_dollars", "Monthly budget of the service in USD.",
            ["service"], registry=r)
        self.cpu_allocated = Gauge(
            "service_cpu_cores_allocated", "CPU cores provisioned for the service.", ["service"], registry=r)
        self.cost_per_request_target = Gauge(
            "finops_cost_per_request_target_dollars", "Target infrastructure cost per request in USD.",
            ["service"], registry=r)
        self.ai_cost_target = Gauge(
            "finops_ai_cost_per_inference_target_dollars", "Target AI token cost per model call in USD.",
            ["service", "operation"], registry=r)
        self._preinitialise()
        self._set_finops_targets()

    def _set_finops_targets(self) -> None:
        for name, target in FINOPS.items():
            self.cpu_allocated.labels(name).set(target.cpu_cores_allocated)
            self.cost_per_request_target.labels(name).set(target.cost_per_request_target)
            ai = PROFILES[name].ai
            if ai and target.ai_cost_per_inference_target is not None:
                self.ai_cost_target.labels(name, ai.operation).set(target.ai_cost_per_inference_target)

    def _preinitialise(self) -> None:
        """Create every label combination up front so each series exists before any traffic."""
        for name, p in PROFILES.items():
            statuses = {200, 201, 202} | {c for c, _ in p.codes_4xx} | {c for c, _ in CODES_5XX_NORMAL}
            for route in p.routes:
                self.http_duration.labels(name, route.method, route.path)
                for status in sorted(statuses):
                    if status in (201, 202) and route.method == "GET":
                        continue
                    if status == 202 and route.kind != "ai":
                        continue
                    self.http_requests.labels(name, route.method, route.path, str(status))
            if name == "payment-svc":
                self.http_requests.labels(name, "POST", "/checkout", "402")
            self.cpu.labels(name)
            self.memory.labels(name).set(p.memory_base_bytes)
            self.db_active.labels(name).set(0)
            self.db_max.labels(name).set(p.db_pool)
            for resource in ("compute", "storage", "network"):
                self.infra_cost.labels(name, resource)
            self.budget.labels(name).set(p.budget_monthly)
            if p.ai:
                op = p.ai.operation
                self.ai_duration.labels(name, op)
                self.ai_tokens.labels(name, op)
                for status in ("success", "error"):
                    self.ai_requests.labels(name, op, status)
        for status in ("success", "failed"):
            for method, _ in PAYMENT_METHODS:
                self.payments.labels("payment-svc", status, method)
        self.revenue.labels("payment-svc")
        self.fees.labels("payment-svc")
        for kind, _ in ASSESSMENT_TYPES:
            self.assessments.labels("assessment-svc", kind)
        self.iep_docs.labels("iep-svc")
        self.iep_compliance.labels("iep-svc").set(0.94)


# --------------------------------------------------------------------------------------------------
# AI jobs: completed by one scheduler thread at their (scaled) due time
# --------------------------------------------------------------------------------------------------
@dataclass(order=True)
class AIJob:
    due: float
    seq: int
    id: str = field(compare=False)
    service: str = field(compare=False)
    operation: str = field(compare=False)
    latency_s: float = field(compare=False)
    tokens: int = field(compare=False)
    ok: bool = field(compare=False)
    state: str = field(compare=False, default="running")


class AIScheduler(threading.Thread):
    """Completes AI jobs when their scaled latency has elapsed and records their metrics then."""

    KEEP_DONE = 20000  # finished jobs kept for status polls

    def __init__(self, on_done: Callable[[AIJob], None]) -> None:
        super().__init__(name="ai-scheduler", daemon=True)
        self._on_done = on_done
        self._heap: list[AIJob] = []
        self._jobs: dict[str, AIJob] = {}
        self._done_order: list[str] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._stopping = False

    def submit(self, job: AIJob) -> None:
        with self._cond:
            job.seq = next(self._seq)
            heapq.heappush(self._heap, job)
            self._jobs[job.id] = job
            self._cond.notify()

    def get(self, job_id: str) -> AIJob | None:
        with self._cond:
            return self._jobs.get(job_id)

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()

    def run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._heap or self._heap[0].due > time.monotonic()):
                    timeout = (self._heap[0].due - time.monotonic()) if self._heap else None
                    self._cond.wait(timeout)
                if self._stopping:
                    return
                job = heapq.heappop(self._heap)
                job.state = "succeeded" if job.ok else "failed"
                self._done_order.append(job.id)
                if len(self._done_order) > self.KEEP_DONE:
                    old = self._done_order[: len(self._done_order) // 2]
                    del self._done_order[: len(old)]
                    for jid in old:
                        self._jobs.pop(jid, None)
            self._on_done(job)


# --------------------------------------------------------------------------------------------------
# The simulation
# --------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    status: int
    latency_s: float
    body: dict


class Simulation:
    def __init__(self, seed: int | None, latency_scale: float, tick_s: float) -> None:
        self.rng = random.Random(seed)
        self.latency_scale = latency_scale
        self.tick_s = tick_s
        self.metrics = Metrics()
        self.modes: dict[str, str] = {s: "normal" for s in SERVICES}
        self._lock = threading.Lock()
        self.in_flight: dict[str, int] = {s: 0 for s in SERVICES}
        self.requests_since_tick: dict[str, int] = {s: 0 for s in SERVICES}
        self.bytes_since_tick: dict[str, int] = {s: 0 for s in SERVICES}
        self.db_smoothed: dict[str, float] = {s: 2.0 for s in SERVICES}
        self.compliance = 0.94
        self.gc_phase: dict[str, float] = {s: self.rng.random() for s in SERVICES}
        self.started = time.time()
        self.job_ids = itertools.count(1)
        self.ai = AIScheduler(self._ai_done)
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick_loop, name="background-updater", daemon=True)
        # service -> route key ("login", "ai/hint") -> method -> Route
        self.routes: dict[str, dict[str, dict[str, Route]]] = {}
        for name, prof in PROFILES.items():
            for r in prof.routes:
                self.routes.setdefault(name, {}).setdefault(r.path.lstrip("/"), {})[r.method] = r
        self.tick(initial=True)

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        self.ai.start()
        self._ticker.start()

    def stop(self) -> None:
        self._stop.set()
        self.ai.stop()

    # ---- control --------------------------------------------------------------------------------
    def set_mode(self, service: str, mode: str) -> None:
        with self._lock:
            targets = SERVICES if service == "all" else (service,)
            for s in targets:
                self.modes[s] = mode

    # ---- latency draws ----------------------------------------------------------------------------
    def _lognormal(self, median: float, sigma: float = 0.55, cap: float = 0.9) -> float:
        return min(cap, median * math.exp(self.rng.gauss(0.0, sigma)))

    def _ai_latency(self, ai: AIProfile, mode: str) -> float:
        low, high = (ai.slow_low_s, ai.slow_high_s) if mode in SLOW_MODES else (ai.low_s, ai.high_s)
        # skewed towards the low end, like real model latencies (triangular with mode near low)
        return self.rng.triangular(low, high, low + (high - low) * 0.25)

    # ---- request handling -------------------------------------------------------------------------
    def handle(self, service: str, route_key: str, method: str, query: dict[str, list[str]],
               body: dict) -> Outcome:
        profile = PROFILES[service]
        by_method = self.routes[service].get(route_key)
        route = None
        if by_method:
            route = by_method.get(method) or next(iter(by_method.values()))
        mode = self.modes[service]
        with self._lock:
            self.in_flight[service] += 1
        outcome: Outcome | None = None
        try:
            outcome = self._draw(profile, route, mode, method, query, body)
            if outcome.latency_s > 0:
                time.sleep(outcome.latency_s * self.latency_scale)
            route_label = route.path if route else "/unmatched"
            m = self.metrics
            m.http_requests.labels(service, method, route_label, str(outcome.status)).inc()
            m.http_duration.labels(service, method, route_label).observe(outcome.latency_s)
            return outcome
        finally:
            with self._lock:
                self.in_flight[service] -= 1
                self.requests_since_tick[service] += 1
                self.bytes_since_tick[service] += 1800 if outcome and outcome.status < 400 else 400

    def _draw(self, profile: ServiceProfile, route: Route | None, mode: str, method: str,
              query: dict[str, list[str]], body: dict) -> Outcome:
        rng = self.rng
        if route is None:
            return Outcome(404, self._lognormal(0.004, 0.3), {"error": "no such route"})
        if method != route.method:
            return Outcome(405, self._lognormal(0.002, 0.3), {"error": f"use {route.method}"})
        if route.kind == "checkout":
            problem = amount_problem(body.get("amount"))
            if problem:  # never into the revenue counters: they must stay finite and increasing
                return Outcome(400, self._lognormal(0.003, 0.3), {"error": problem})
        # 5xx?
        p5xx = P5XX_SPIKE if mode in ERROR_MODES else profile.p5xx
        if rng.random() < p5xx:
            code = weighted(rng, CODES_5XX_SPIKE if mode in ERROR_MODES else CODES_5XX_NORMAL)
            latency = {
                500: self._lognormal(route.median_s * 0.6, 0.5),
                502: self._lognormal(0.025, 0.4),
                503: self._lognormal(0.006, 0.4),
                504: rng.uniform(0.55, 0.9),  # upstream timeout at ~0.9 s
            }[code]
            if code in (500, 502) and route.kind == "checkout":
                self._record_payment(ok=False, method=weighted(rng, PAYMENT_METHODS), amount=0.0)
            return Outcome(code, latency, {"error": HTTPStatus(code).phrase})
        # 4xx?
        if rng.random() < profile.p4xx:
            code = weighted(rng, profile.codes_4xx)
            return Outcome(code, self._lognormal(route.median_s * 0.4, 0.5), {"error": HTTPStatus(code).phrase})
        # success, possibly slow
        p_slow = P_SLOW_SLOW if mode in SLOW_MODES else profile.p_slow
        if rng.random() < p_slow:
            latency = rng.uniform(1.5, 3.0)
        else:
            latency = self._lognormal(route.median_s)
        status = 200
        payload: dict = {"service": profile.name, "route": route.path, "ok": True}
        if route.kind == "ai":
            status = 202
            payload.update(self._submit_ai(profile, mode))
        elif route.kind == "ai_jobs":
            payload.update(self._job_status(query))
            if payload.get("state") == "unknown":
                status = 404
        elif route.kind == "checkout":
            method_ = body.get("method") if body.get("method") in dict(PAYMENT_METHODS) else weighted(rng, PAYMENT_METHODS)
            amount = float(body.get("amount") or rng.choice(PLANS))  # checked by amount_problem above
            if rng.random() < DECLINE_RATE:
                self._record_payment(ok=False, method=method_, amount=amount)
                return Outcome(402, latency, {"error": "card declined"})
            self._record_payment(ok=True, method=method_, amount=amount)
            payload.update({"amount": amount, "method": method_})
            status = 201
        elif route.kind == "complete":
            kind = body.get("type") if body.get("type") in dict(ASSESSMENT_TYPES) else weighted(rng, ASSESSMENT_TYPES)
            self.metrics.assessments.labels(profile.name, kind).inc()
            payload.update({"type": kind, "score": round(rng.uniform(0.45, 1.0), 2)})
        elif method == "POST" and route.path in ("/goals", "/progress", "/start"):
            status = 201
        return Outcome(status, latency, payload)

    def _record_payment(self, ok: bool, method: str, amount: float) -> None:
        m = self.metrics
        m.payments.labels("payment-svc", "success" if ok else "failed", method).inc()
        if ok:
            m.revenue.labels("payment-svc").inc(amount)
            m.fees.labels("payment-svc").inc(processing_fee(method, amount))

    def _submit_ai(self, profile: ServiceProfile, mode: str) -> dict:
        ai = profile.ai
        assert ai is not None
        latency = self._ai_latency(ai, mode)
        p_err = 0.15 if mode in ERROR_MODES else 0.008
        job = AIJob(
            due=time.monotonic() + latency * self.latency_scale, seq=0,
            id=f"{profile.name.split('-')[0]}-{next(self.job_ids)}", service=profile.name,
            operation=ai.operation, latency_s=latency,
            tokens=self.rng.randint(*ai.tokens), ok=self.rng.random() >= p_err,
        )
        self.ai.submit(job)
        return {"job_id": job.id, "operation": ai.operation, "state": "running",
                "eta_ms": int(latency * self.latency_scale * 1000)}

    def _job_status(self, query: dict[str, list[str]]) -> dict:
        job_id = (query.get("id") or [""])[0]
        job = self.ai.get(job_id)
        if job is None:
            return {"job_id": job_id, "state": "unknown"}
        return {"job_id": job.id, "state": job.state, "operation": job.operation}

    def _ai_done(self, job: AIJob) -> None:
        m = self.metrics
        m.ai_requests.labels(job.service, job.operation, "success" if job.ok else "error").inc()
        m.ai_duration.labels(job.service, job.operation).observe(job.latency_s)
        m.ai_tokens.labels(job.service, job.operation).inc(job.tokens if job.ok else job.tokens // 4)
        if job.ok and job.operation == "generation":
            m.iep_docs.labels(job.service).inc()

    # ---- background updates -------------------------------------------------------------------
    def _tick_loop(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(self.tick_s):
            now = time.monotonic()
            self.tick(dt=now - last)
            last = now

    def tick(self, dt: float = 0.0, initial: bool = False) -> None:
        """Update resource gauges, CPU, costs and the IEP compliance score."""
        rng = self.rng
        m = self.metrics
        with self._lock:
            in_flight = dict(self.in_flight)
            reqs = dict(self.requests_since_tick)
            sent = dict(self.bytes_since_tick)
            for s in SERVICES:
                self.requests_since_tick[s] = 0
                self.bytes_since_tick[s] = 0
            modes = dict(self.modes)
        for name, p in PROFILES.items():
            mode = modes[name]
            rps = reqs[name] / dt if dt > 0 else 0.0
            # DB pool: a share of in-flight requests hold a connection, plus background jobs;
            # a 5xx burst usually comes with a saturated pool
            target = 2 + 0.6 * in_flight[name] + 0.02 * rps
            if mode in ERROR_MODES:
                target = max(target, 0.92 * p.db_pool)
            elif mode in SLOW_MODES:
                target = max(target, 0.6 * p.db_pool)
            sm = self.db_smoothed[name] = 0.6 * self.db_smoothed[name] + 0.4 * target
            m.db_active.labels(name).set(max(0, min(p.db_pool, round(sm + rng.uniform(-1, 1)))))
            # CPU: idle use plus a cost per request
            if dt > 0:
                cores = p.cpu_base_cores * rng.uniform(0.8, 1.2)
                m.cpu.labels(name).inc(cores * dt + reqs[name] * p.cpu_per_request_s)
            # memory: base + per in-flight request buffers + a GC sawtooth
            self.gc_phase[name] = (self.gc_phase[name] + (dt / 45.0 if dt else 0.0)) % 1.0
            mem = p.memory_base_bytes * (1.0 + 0.12 * self.gc_phase[name]) + in_flight[name] * 2 * MIB
            m.memory.labels(name).set(int(mem + rng.uniform(-2, 2) * MIB))
            # cost: hourly rates, compute scales a little with load, network with bytes sent
            if dt > 0:
                hours = dt / 3600.0
                load_factor = 1.0 + min(2.0, rps / 200.0)
                m.infra_cost.labels(name, "compute").inc(p.cost_per_hour["compute"] * load_factor * hours)
                m.infra_cost.labels(name, "storage").inc(p.cost_per_hour["storage"] * hours)
                m.infra_cost.labels(name, "network").inc(
                    p.cost_per_hour["network"] * hours + sent[name] / 1e9 * NETWORK_USD_PER_GB)
        # IEP compliance: mean-reverting walk around 0.935 (0.80 while iep-svc is failing)
        target = 0.80 if modes["iep-svc"] in ERROR_MODES else 0.935
        if not initial:
            self.compliance += 0.15 * (target - self.compliance) + rng.gauss(0.0, 0.004)
            self.compliance = min(0.99, max(0.5, self.compliance))
        m.iep_compliance.labels("iep-svc").set(round(self.compliance, 4))


# --------------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------------
MAX_AMOUNT = 1_000_000.0  # the largest checkout amount accepted


def amount_problem(value) -> str | None:
    """Why a checkout body's `amount` is refused, or None: absent, or a positive finite number up
    to MAX_AMOUNT (a JSON number or a numeric string)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return "`amount` must be a number"
    try:
        amount = float(value)
    except (ValueError, OverflowError):
        return "`amount` must be a number"
    if not math.isfinite(amount) or not 0 < amount <= MAX_AMOUNT:
        return f"`amount` must be a finite number above 0 and at most {MAX_AMOUNT:,.0f}"
    return None


MAX_BODY = 1 << 20  # bytes of a request body


class BadRequest(Exception):
    """A request the mock refuses before simulating it: (status, message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def json_body(headers, rfile) -> dict:
    """The request's JSON object body ({} when there is none); BadRequest for a Content-Length
    that is not a small number (400) or is over MAX_BODY (413), a chunked body (411), or a body
    that is not a JSON object (400; also one nested too deeply to parse)."""
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        raise BadRequest(411, "send the body with a Content-Length, not chunked")
    text = (headers.get("Content-Length") or "").strip()
    if not text:
        return {}
    if not text.isdigit() or not text.isascii():
        raise BadRequest(400, "Content-Length is not a number of bytes")
    if len(text) > 12 or int(text) > MAX_BODY:
        raise BadRequest(413, f"the body is larger than {MAX_BODY:,} bytes")
    length = int(text)
    if length == 0:
        return {}
    raw = rfile.read(length)
    if len(raw) < length:
        raise BadRequest(400, "the body is shorter than its Content-Length")
    try:
        data = json.loads(raw)
    except RecursionError:
        raise BadRequest(400, "the JSON body nests too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest(400, "the body must be a JSON object")
    return data


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "mock-health-server/1.0"
    disable_nagle_algorithm = True
    timeout = 60  # idle keep-alive connections are closed after this
    sim: Simulation  # set on the subclass built by make_server
    verbose = False

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if self.verbose:
            super().log_message(format, *args)

    # ---- helpers --------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: dict) -> None:
        self._send(status, json.dumps(payload).encode())

    def _read_body(self) -> dict | None:
        """The JSON body, or None after answering a bad one (the connection is then closed: its
        stream may be out of step)."""
        try:
            return json_body(self.headers, self.rfile)
        except BadRequest as exc:
            self.close_connection = True
            self._json(exc.status, {"error": str(exc)})
            return None

    # ---- dispatch -------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        body = self._read_body()  # always consume a body, or the keep-alive stream gets out of step
        if body is None:
            return
        if parts == ["metrics"] and method in ("GET", "HEAD"):
            encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
            self._send(200, encoder(self.sim.metrics.registry), content_type)
        elif parts == ["healthz"]:
            self._json(200, {"status": "ok", "uptime_s": round(time.time() - self.sim.started, 1)})
        elif parts == ["control"] and method in ("GET", "HEAD"):
            self._json(200, {"modes": dict(self.sim.modes)})
        elif len(parts) == 3 and parts[0] == "control":
            service, mode = parts[1], parts[2]
            if method != "POST":
                self._json(405, {"error": "use POST /control/<service>/<mode>"})
            elif service not in SERVICES and service != "all":
                self._json(404, {"error": f"unknown service {service!r}", "services": list(SERVICES)})
            elif mode not in MODES:
                self._json(400, {"error": f"unknown mode {mode!r}", "modes": list(MODES)})
            else:
                self.sim.set_mode(service, mode)
                self._json(200, {"modes": dict(self.sim.modes)})
        elif len(parts) >= 3 and parts[0] == "api" and method in ("GET", "POST"):
            service = parts[1]
            if service not in SERVICES:
                self._json(404, {"error": f"unknown service {service!r}"})
                return
            outcome = self.sim.handle(service, "/".join(parts[2:]), method, parse_qs(url.query), body)
            self._json(outcome.status, outcome.body)
        else:
            self._json(404, {"error": "not found"})


def make_server(host: str, port: int, sim: Simulation, verbose: bool = False) -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"sim": sim, "verbose": verbose})

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024  # many virtual users connect at once
        allow_reuse_address = True
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    return Server((host, port), handler)


def port_number(text: str) -> int:
    """argparse type: a TCP port, 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535)")
    return port


def bounded_float(low: float, high: float, low_open: bool = False):
    """argparse type: a finite number in [low, high] (or (low, high] when low_open)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or value > high or value < low or (low_open and value == low):
            lower = f"above {low:g}" if low_open else f"at least {low:g}"
            raise argparse.ArgumentTypeError(f"{text!r}: must be a finite number {lower} and at most {high:g}")
        return value
    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Mock of the six platform services with Prometheus metrics.")
    ap.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    ap.add_argument("--port", type=port_number, default=8000, help="port (default 8000; 0 picks a free port)")
    ap.add_argument("--seed", type=int, default=None, help="random seed for the simulation")
    ap.add_argument("--latency-scale", type=bounded_float(0.0, 10.0), default=1.0,
                    help="fraction of each simulated latency really slept (default 1.0 = full time); "
                         "recorded latencies are unaffected")
    ap.add_argument("--tick", type=bounded_float(0.0, 3600.0, low_open=True), default=1.0,
                    help="seconds between background updates (DB pools, CPU, memory, costs; above 0, at most 3600)")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = ap.parse_args(argv)
    if not 0.0 <= args.latency_scale <= 10.0:
        ap.error("--latency-scale must be between 0 and 10")
    if args.tick <= 0:
        ap.error("--tick must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sim = Simulation(seed=args.seed, latency_scale=args.latency_scale, tick_s=args.tick)
    try:
        server = make_server(args.host, args.port, sim, verbose=args.verbose)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    host, port = server.server_address[:2]
    shown_host = f"[{host}]" if ":" in host else host
    print(f"listening on http://{shown_host}:{port}", flush=True)

    stop = threading.Event()

    def on_signal(signum, _frame) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    sim.start()
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                               name="http-server", daemon=True)
    serving.start()
    print(f"services: {', '.join(SERVICES)}; control: POST /control/<service>/<normal|spike|slow>",
          file=sys.stderr, flush=True)
    while not stop.wait(0.5):
        if not serving.is_alive():
            print("error: HTTP server thread died", file=sys.stderr)
            return 1
    server.shutdown()
    server.server_close()
    sim.stop()
    print("mock-health-server stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
