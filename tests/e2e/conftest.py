"""End-to-end fixtures: the mock health server, a real Prometheus and bounded synthetic load.

Every test module that asks for ``e2e_stack`` (or ``live_prometheus``) gets its own fresh stack
(module scope): a mock server on a free loopback port, a Prometheus (``/usr/bin/prometheus`` or
``$PROMETHEUS_BIN``) on another free loopback port that scrapes it every second and evaluates, every
second, a copy of ``infra/grafana/provisioning/alerting/alert-rules.yml`` in which only ``for:`` is
shortened (to ``E2E_ALERT_FOR``, default 5s): expressions and thresholds are the real ones. One stack
per module keeps the scenarios apart: the rules look at 5-minute windows, so a spike in one module
would otherwise still be visible in the next.

``live_prometheus`` yields the base URL of such a Prometheus while the mock is under normal load;
it is meant for tests that query real data (e.g. ``obslint probe``).

Everything started here is stopped at teardown (also when a test fails) and the temporary
directory (Prometheus config, rules copy, TSDB, logs) is removed.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
GRAFANA_DIR = REPO_ROOT / "infra" / "grafana"
ALERT_RULES = GRAFANA_DIR / "provisioning" / "alerting" / "alert-rules.yml"
MOCK_SERVER = GRAFANA_DIR / "mock-health-server.py"
LOAD_GENERATOR = GRAFANA_DIR / "synthetic-load-generator.py"

JOB = "edu-services"  # the scrape job of infra/grafana/prometheus.yml
ALERT_FOR = os.environ.get("E2E_ALERT_FOR", "5s")
SERVICES = ("auth-svc", "user-svc", "learner-svc", "payment-svc", "assessment-svc", "iep-svc")
ALERT_PREFIX = {"auth-svc": "Auth", "user-svc": "User", "learner-svc": "Learner", "payment-svc": "Payment",
                "assessment-svc": "Assessment", "iep-svc": "IEP"}
ERROR_ALERTS = {s: f"{ALERT_PREFIX[s]}Service5xxErrorRateHigh" for s in SERVICES}
LATENCY_ALERTS = {s: f"{ALERT_PREFIX[s]}ServiceP95LatencyHigh" for s in SERVICES}

# Load used by the tests: enough traffic for every service (≈45-150 req/s each; the journey mix
# favours payment and IEP, the quietest services) that a 0.3 % 5xx rate cannot look like 2 % for
# the shortened `for` on a fresh Prometheus; bounded in time and in requests.
LOAD_USERS = int(os.environ.get("E2E_LOAD_USERS", "96"))
LOAD_MIX = {"student": 25, "parent": 35, "teacher": 10, "iep_staff": 25, "visitor": 5}
LOAD_THINK_TIME = 0.02
LOAD_MAX_SECONDS = 150.0
LOAD_MAX_REQUESTS = 400_000


def _local_stack():
    name = "local_stack"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GRAFANA_DIR / "local_stack.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


local_stack = _local_stack()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: end-to-end test with the mock services and a real Prometheus (slow, needs prometheus)")


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------
def _missing(what: str) -> None:
    """A missing prerequisite fails the run in CI and skips it elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} (required when CI is set)", pytrace=False)
    pytest.skip(what)


def http_get_json(url: str, timeout: float = 5.0) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


def http_post(url: str, timeout: float = 5.0) -> dict:
    req = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


def load_generator_module():
    name = "synthetic_load_generator"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, LOAD_GENERATOR)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def short_for_rules(source: Path, dest: Path, alert_for: str = ALERT_FOR) -> dict[str, str]:
    """Copy a Prometheus rule file, changing only each alert's `for:`. Returns alert -> original for."""
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    original = local_stack.shorten_for(doc, alert_for)
    dest.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return original


# Process helpers shared with `test-observability.py full-test` (infra/grafana/local_stack.py).
CHILD_KW, free_port, stop_process = local_stack.CHILD_KW, local_stack.free_port, local_stack.stop_process


def tail(path: Path, n: int = 25) -> str:
    return local_stack.tail(path, n)


# --------------------------------------------------------------------------------------------------
# The stack
# --------------------------------------------------------------------------------------------------
@dataclass
class AlertTimeline:
    """What the alerts API said, poll by poll: [(seconds since start, {alertname: state})]."""
    polls: list[tuple[float, dict[str, str]]] = field(default_factory=list)

    def ever(self, name: str, state: str = "firing") -> bool:
        return any(states.get(name) == state for _, states in self.polls)

    def first(self, name: str, state: str = "firing") -> float | None:
        return next((t for t, states in self.polls if states.get(name) == state), None)

    def summary(self) -> str:
        lines = []
        for t, states in self.polls:
            active = ", ".join(f"{n}={s}" for n, s in sorted(states.items())) or "-"
            lines.append(f"  t={t:5.1f}s {active}")
        return "\n".join(lines)


class Stack:
    # exposed here so test modules need not import conftest (tests/ has several conftest.py files)
    services = SERVICES
    error_alerts = ERROR_ALERTS
    latency_alerts = LATENCY_ALERTS

    def __init__(self, prometheus_bin: str, rules_source: Path, seed: int) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="obslint-e2e-"))
        self.prometheus_bin = prometheus_bin
        self.rules_source = rules_source
        self.seed = seed
        self.mock: subprocess.Popen | None = None
        self.prometheus: subprocess.Popen | None = None
        self.mock_url = ""
        self.mock_target = ""
        self.prometheus_url = ""
        self.original_for: dict[str, str] = {}
        self.started_at = 0.0
        self._load_thread: threading.Thread | None = None
        self._load_stop: threading.Event | None = None
        self.load_results: list = []
        self.load_errors: list[BaseException] = []

    # ---- start / stop -------------------------------------------------------------------------------
    def start(self) -> None:
        self._start_mock()
        rules = self.tmp / "alert-rules.yml"
        self.original_for = short_for_rules(self.rules_source, rules)
        for attempt in range(3):
            port = free_port()
            if self._start_prometheus(port, rules):
                break
            if attempt == 2:
                raise RuntimeError("prometheus did not become ready:\n" + tail(self.tmp / "prometheus.log"))
        self._wait_for_scrape()
        self.started_at = time.monotonic()

    def _start_mock(self) -> None:
        log = open(self.tmp / "mock.log", "w")
        try:
            self.mock = subprocess.Popen(
                [sys.executable, str(MOCK_SERVER), "--port", "0", "--seed", str(self.seed)],
                stdout=subprocess.PIPE, stderr=log, text=True, cwd=self.tmp, **CHILD_KW)
        finally:
            log.close()
        box: dict[str, str] = {}

        def read_first_line() -> None:
            box["line"] = self.mock.stdout.readline()

        reader = threading.Thread(target=read_first_line, daemon=True)
        reader.start()
        reader.join(15)
        line = box.get("line", "")
        if not line.startswith("listening on http://"):
            raise RuntimeError(f"mock server did not start ({line!r}):\n" + tail(self.tmp / "mock.log"))
        self.mock_url = line.split("listening on ", 1)[1].strip()
        self.mock_target = urllib.parse.urlsplit(self.mock_url).netloc
        # nothing else is written to stdout, but never let a full pipe block the server
        threading.Thread(target=lambda: self.mock.stdout.read(), daemon=True).start()

    def _start_prometheus(self, port: int, rules: Path) -> bool:
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(rules)],
            "scrape_configs": [{"job_name": JOB, "static_configs": [{"targets": [self.mock_target]}]}],
        }
        (self.tmp / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        stop_process(self.prometheus)
        log = open(self.tmp / "prometheus.log", "w")
        try:
            self.prometheus = subprocess.Popen(
                [self.prometheus_bin, f"--config.file={self.tmp / 'prometheus.yml'}",
                 f"--storage.tsdb.path={self.tmp / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}",
                 "--log.level=warn"],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.tmp, **CHILD_KW)
        finally:
            log.close()
        self.prometheus_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.prometheus.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.prometheus_url + "/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        return True
            except (OSError, urllib.error.HTTPError):
                pass
            time.sleep(0.2)
        return False

    def _wait_for_scrape(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                res = self.query(f'up{{job="{JOB}"}}')
                if res and float(res[0]["value"][1]) == 1.0 and self.alert_rule_names():
                    return
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.3)
        raise RuntimeError("prometheus never scraped the mock server:\n" + tail(self.tmp / "prometheus.log"))

    def close(self) -> None:
        try:
            self.stop_load()
        finally:
            stop_process(self.prometheus)
            stop_process(self.mock)
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- mock control -------------------------------------------------------------------------------
    def set_mode(self, service: str, mode: str) -> None:
        modes = http_post(f"{self.mock_url}/control/{service}/{mode}")["modes"]
        assert service == "all" or modes[service] == mode

    # ---- load ---------------------------------------------------------------------------------------
    def start_load(self, users: int = LOAD_USERS) -> None:
        """Normal user journeys in the background until stop_load() (bounded in time and requests)."""
        if self._load_thread and self._load_thread.is_alive():
            return
        lg = load_generator_module()
        self._load_stop = threading.Event()

        def run() -> None:
            try:
                self.load_results.append(lg.run_load(
                    self.mock_url, users=users, duration=LOAD_MAX_SECONDS, max_requests=LOAD_MAX_REQUESTS,
                    mix=LOAD_MIX, think_time=LOAD_THINK_TIME, ramp_up=1.0, seed=self.seed, stop_event=self._load_stop))
            except BaseException as exc:  # noqa: BLE001 - reported by the tests
                self.load_errors.append(exc)

        self._load_thread = threading.Thread(target=run, name="e2e-load", daemon=True)
        self._load_thread.start()

    def stop_load(self):
        if self._load_stop:
            self._load_stop.set()
        if self._load_thread:
            self._load_thread.join(60)
            self._load_thread = None
        return self.load_results[-1] if self.load_results else None

    @property
    def load_running(self) -> bool:
        return bool(self._load_thread and self._load_thread.is_alive())

    # ---- Prometheus API -----------------------------------------------------------------------------
    def query(self, expr: str) -> list[dict]:
        url = f"{self.prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        doc = http_get_json(url)
        assert doc.get("status") == "success", doc
        return doc["data"]["result"]

    def scalar(self, expr: str) -> float | None:
        res = self.query(expr)
        return float(res[0]["value"][1]) if res else None

    def alert_states(self) -> dict[str, str]:
        """alertname -> 'firing' or 'pending' (firing wins when an alert has several series)."""
        doc = http_get_json(f"{self.prometheus_url}/api/v1/alerts")
        states: dict[str, str] = {}
        for alert in doc["data"]["alerts"]:
            name = alert["labels"]["alertname"]
            if states.get(name) != "firing":
                states[name] = alert["state"]
        return states

    def alert_rule_names(self) -> set[str]:
        doc = http_get_json(f"{self.prometheus_url}/api/v1/rules?type=alert")
        return {r["name"] for g in doc["data"]["groups"] for r in g["rules"]}

    def assert_target_up(self) -> None:
        res = self.query(f'up{{job="{JOB}"}}')
        assert res, "no `up` series for the mock target"
        assert all(float(r["value"][1]) == 1.0 for r in res), f"mock target down: {res}"

    def assert_up_throughout(self) -> None:
        """`up` was 1 at every scrape since the stack started, without gaps."""
        elapsed = max(2, int(time.monotonic() - self.started_at))
        window = f"{elapsed}s"
        min_up = self.scalar(f'min_over_time(up{{job="{JOB}"}}[{window}])')
        samples = self.scalar(f'count_over_time(up{{job="{JOB}"}}[{window}])')
        assert min_up == 1.0, f"up dropped below 1 within the last {window} (min {min_up})"
        # one scrape per second; allow some jitter but no missed stretch
        assert samples is not None and samples >= 0.8 * elapsed, (
            f"only {samples} scrapes of the mock target in {window}")

    def watch_alerts(self, seconds: float, until=None, interval: float = 1.0) -> AlertTimeline:
        """Poll /api/v1/alerts (and `up`) for up to `seconds`, or until `until(states)` is true."""
        timeline = AlertTimeline()
        start = time.monotonic()
        while True:
            states = self.alert_states()
            timeline.polls.append((time.monotonic() - start, states))
            self.assert_target_up()
            if self.load_errors:
                raise AssertionError(f"load generator failed: {self.load_errors[0]!r}")
            if until is not None and until(states):
                return timeline
            if time.monotonic() - start >= seconds:
                return timeline
            time.sleep(interval)

    def debug(self) -> str:
        """Current values of the recording rules, for assertion messages."""
        parts = []
        for expr in ("service:http_request_errors:ratio_rate5m", "service:http_request_duration_seconds:p95_5m",
                     "service:http_requests:rate5m"):
            try:
                vals = {r["metric"].get("service"): round(float(r["value"][1]), 4) for r in self.query(expr)}
            except (OSError, ValueError, AssertionError) as exc:
                vals = {"error": str(exc)}
            parts.append(f"{expr} = {vals}")
        return "\n".join(parts)


# --------------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def prometheus_bin() -> str:
    candidate = os.environ.get("PROMETHEUS_BIN") or shutil.which("prometheus") or "/usr/bin/prometheus"
    if not (Path(candidate).is_file() and os.access(candidate, os.X_OK)):
        _missing(f"prometheus binary not found ({candidate}); install it or set PROMETHEUS_BIN")
    return candidate


@pytest.fixture(scope="session")
def alert_rules_file() -> Path:
    if not ALERT_RULES.is_file():
        _missing(f"{ALERT_RULES.relative_to(REPO_ROOT)} does not exist")
    return ALERT_RULES


@pytest.fixture(scope="module")
def e2e_stack(prometheus_bin: str, alert_rules_file: Path, request: pytest.FixtureRequest):
    """A fresh mock server + Prometheus (rules with short `for:`) for one test module."""
    seed = 1000 + sum(map(ord, request.module.__name__)) % 1000
    stack = Stack(prometheus_bin, alert_rules_file, seed=seed)
    try:
        stack.start()
        yield stack
    finally:
        stack.close()


@pytest.fixture(scope="module")
def live_prometheus(e2e_stack: Stack) -> str:
    """Base URL of a live Prometheus scraping the mock services under normal load (all six services
    have traffic and every metric of METRICS.md has series). Reusable by query-level tests such as
    `obslint probe`."""
    e2e_stack.set_mode("all", "normal")
    e2e_stack.start_load()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        res = e2e_stack.query('count(sum by (service) (rate(http_requests_total[1m])) > 0)')
        if res and float(res[0]["value"][1]) == len(SERVICES):
            break
        time.sleep(0.5)
    else:
        pytest.fail("the mock services did not get traffic in Prometheus within 30 s")
    return e2e_stack.prometheus_url
