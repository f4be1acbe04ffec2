"""Proof that the alerts work end to end: under normal load nothing fires; an outage on one service
makes its 5xx and P95 latency alerts go pending, then firing, in a real Prometheus, and their
notifications reach the webhook through a real Alertmanager; every other service stays silent.

`prove(stack, ...)` drives a running `local_stack.LocalStack` and returns an `AlertProof`, which
`test-observability.py full-test` shows as a table and as JSON (`--json`).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from rich.live import Live
from rich.table import Table

ALERT_PREFIX = {"auth-svc": "Auth", "user-svc": "User", "learner-svc": "Learner", "payment-svc": "Payment",
                "assessment-svc": "Assessment", "iep-svc": "IEP"}

# Load that gives every service enough traffic (≈45–150 req/s each) that the normal 0.3 % 5xx rate
# cannot pass for 2 % during a shortened `for` on a fresh Prometheus (the e2e tests use the same).
LOAD_MIX = {"student": 25, "parent": 35, "teacher": 10, "iep_staff": 25, "visitor": 5}
LOAD_THINK_TIME = 0.02
SPIKE_MODE = "outage"  # the mock's 5xx burst and slow responses at once
SETTLE_S = 3.0  # keep watching the other services once everything expected arrived


def expected_alerts(service: str) -> list[str]:
    prefix = ALERT_PREFIX[service]
    return [f"{prefix}Service5xxErrorRateHigh", f"{prefix}ServiceP95LatencyHigh"]


@dataclass
class AlertTrack:
    alert: str
    pending_after_s: float | None = None
    firing_after_s: float | None = None
    notified_after_s: float | None = None
    receivers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        r = lambda v: None if v is None else round(v, 1)  # noqa: E731
        return {"alert": self.alert, "pending_after_s": r(self.pending_after_s),
                "firing_after_s": r(self.firing_after_s), "notified_after_s": r(self.notified_after_s),
                "receivers": sorted(self.receivers)}


@dataclass
class AlertProof:
    service: str
    fast: bool
    alert_for: str
    original_for: str
    notifications_checked: bool
    expected: dict[str, AlertTrack]
    fired_normal: list[dict] = field(default_factory=list)  # firing before the spike
    fired_spike: list[dict] = field(default_factory=list)  # firing during the spike: {alert, service}
    notifications: list[dict] = field(default_factory=list)
    timed_out: bool = False
    spike_s: float = 0.0
    load: dict = field(default_factory=dict)
    scrape_always_up: bool = True

    @property
    def unexpected(self) -> list[dict]:
        """Alerts that fired although they belong to another service (or to none), or fired under
        normal load."""
        other = [a for a in self.fired_spike if a["service"] != self.service]
        return self.fired_normal + other

    @property
    def unexpected_notifications(self) -> list[dict]:
        return [n for n in self.notifications if n["status"] == "firing" and n["service"] != self.service]

    @property
    def passed(self) -> bool:
        arrived = all(t.firing_after_s is not None for t in self.expected.values())
        notified = (not self.notifications_checked
                    or all(t.notified_after_s is not None for t in self.expected.values()))
        return (arrived and notified and not self.unexpected and not self.unexpected_notifications
                and self.scrape_always_up)

    def to_dict(self) -> dict:
        return {
            "service": self.service, "fast": self.fast, "alert_for": self.alert_for,
            "original_for": self.original_for, "spike_mode": SPIKE_MODE, "spike_s": round(self.spike_s, 1),
            "notifications_checked": self.notifications_checked, "timed_out": self.timed_out,
            "expected": [t.to_dict() for t in self.expected.values()],
            "fired_under_normal_load": self.fired_normal, "fired_during_spike": self.fired_spike,
            "unexpected": self.unexpected, "notifications": self.notifications,
            "unexpected_notifications": self.unexpected_notifications,
            "scrape_always_up": self.scrape_always_up, "load": self.load, "passed": self.passed,
        }


class _Watch:
    """Polls Prometheus and the webhook receiver; keeps what it saw."""

    def __init__(self, stack, proof: AlertProof, log) -> None:
        self.stack = stack
        self.proof = proof
        self.log = log
        self.states: dict[tuple[str, str], str] = {}
        self.seen_notifications = 0
        self.phase = "warm-up"
        self.phase_started = time.monotonic()
        self.load_stats = None

    def poll(self) -> None:
        try:
            states = self.stack.alert_states()
            up = self.stack.scrape_up()
        except (OSError, ValueError, KeyError) as exc:
            self.log(f"[yellow]Prometheus query failed: {exc}[/]")
            return
        if not up:
            self.proof.scrape_always_up = False
        t = time.monotonic() - self.phase_started
        for key, state in sorted(states.items()):
            if self.states.get(key) != state:
                name, service = key
                self.log(f"{self.phase:>7} t={t:5.1f}s  {name}{{service={service!r}}} [bold]{state}[/]")
                track = self.proof.expected.get(name) if service == self.proof.service else None
                if self.phase == "spike" and track:
                    if track.pending_after_s is None:  # firing at the first look was pending in between
                        track.pending_after_s = t
                    if state == "firing" and track.firing_after_s is None:
                        track.firing_after_s = t
                if state == "firing":
                    bucket = self.proof.fired_spike if self.phase == "spike" else self.proof.fired_normal
                    entry = {"alert": name, "service": service}
                    if entry not in bucket:
                        bucket.append(entry)
        for name, service in sorted(set(self.states) - set(states)):
            self.log(f"{self.phase:>7} t={t:5.1f}s  {name}{{service={service!r}}} inactive")
        self.states = states
        receiver = self.stack.receiver
        if receiver is None:
            return
        for recv, status, alert in receiver.alerts()[self.seen_notifications:]:
            labels = alert.get("labels") or {}
            entry = {"receiver": recv, "status": alert.get("status", status), "alert": labels.get("alertname", ""),
                     "service": labels.get("service", ""), "after_s": round(t, 1), "phase": self.phase}
            self.proof.notifications.append(entry)
            self.log(f"{self.phase:>7} t={t:5.1f}s  webhook {recv}: {entry['status']} {entry['alert']}")
            track = self.proof.expected.get(entry["alert"]) if entry["service"] == self.proof.service else None
            if track and entry["status"] == "firing" and self.phase == "spike":
                if track.notified_after_s is None:
                    track.notified_after_s = t
                if recv not in track.receivers:
                    track.receivers.append(recv)
            self.seen_notifications += 1

    def done(self) -> bool:
        tracks = self.proof.expected.values()
        fired = all(t.firing_after_s is not None for t in tracks)
        notified = not self.proof.notifications_checked or all(t.notified_after_s is not None for t in tracks)
        return fired and notified

    def view(self, timeout: float) -> Table:
        elapsed = time.monotonic() - self.phase_started
        title = f"{self.phase} phase, {elapsed:4.0f} s" + (f" of at most {timeout:.0f} s" if self.phase == "spike" else "")
        if self.load_stats is not None:
            title += f" · {self.load_stats.total_requests:,} requests sent"
        table = Table(title=title, title_justify="left")
        for col in ("alert", "service", "now", "pending after", "firing after", "notified after (receivers)"):
            table.add_column(col)
        fmt = lambda v: "-" if v is None else f"{v:.1f} s"  # noqa: E731
        for t in self.proof.expected.values():
            now = self.states.get((t.alert, self.proof.service), "inactive")
            table.add_row(t.alert, self.proof.service, now, fmt(t.pending_after_s), fmt(t.firing_after_s),
                          fmt(t.notified_after_s) + (f" ({', '.join(sorted(t.receivers))})" if t.receivers else ""))
        others = sorted(f"{n}{{{s}}}={st}" for (n, s), st in self.states.items()
                        if not (s == self.proof.service and n in self.proof.expected))
        table.add_row("[dim]other alerts[/]", "", ", ".join(others) or "none", "", "", "")
        return table


def prove(stack, service: str, *, load_generator, console, users: int, normal_s: float, timeout_s: float,
          fast: bool, progress: bool = True, seed: int | None = None) -> AlertProof:
    """Normal load for `normal_s`, then an outage on `service` until its alerts fired and were
    notified (or `timeout_s`), then normal again. The stack must have Prometheus running."""
    fors = {stack.original_for.get(a, "?") for a in expected_alerts(service)}
    proof = AlertProof(service=service, fast=fast, alert_for="5s" if fast else "/".join(sorted(fors)),
                       original_for="/".join(sorted(fors)), notifications_checked=stack.receiver is not None,
                       expected={a: AlertTrack(a) for a in expected_alerts(service)})
    missing = [a for a in proof.expected if a not in stack.alert_rule_names()]
    if missing:
        raise RuntimeError(f"Prometheus has no alert rule {', '.join(missing)}")
    stop = threading.Event()
    results: list = []
    errors: list[BaseException] = []
    watch = _Watch(stack, proof, lambda msg: console.print(msg))

    def on_tick(_elapsed, stats) -> None:
        watch.load_stats = stats

    def run() -> None:
        try:
            results.append(load_generator.run_load(
                stack.mock_url, users=users, duration=normal_s + timeout_s + 120, mix=LOAD_MIX,
                think_time=LOAD_THINK_TIME, ramp_up=1.0, seed=seed, stop_event=stop, on_tick=on_tick))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    loader = threading.Thread(target=run, name="full-test-load", daemon=True)
    loader.start()
    live = Live(watch.view(timeout_s), console=console, refresh_per_second=4, transient=False,
                auto_refresh=False) if progress else None
    spike_started = 0.0
    try:
        if live:
            live.start()

        def watch_until(seconds: float, until=None) -> bool:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                watch.poll()
                if live:
                    live.update(watch.view(timeout_s), refresh=True)
                if errors:
                    raise RuntimeError(f"load generator failed: {errors[0]!r}")
                if until and until():
                    return True
                time.sleep(1.0)
            return False

        # warm-up: every service has traffic in Prometheus before the normal phase counts
        traffic = 'count(sum by (service) (rate(http_requests_total[1m])) > 0)'
        watch_until(30.0, lambda: (stack.query(traffic) or [{"value": [0, "0"]}])[0]["value"][1] == str(len(ALERT_PREFIX)))
        watch.phase, watch.phase_started = "normal", time.monotonic()
        watch_until(normal_s)
        stack.set_mode(service, SPIKE_MODE)
        watch.phase, watch.phase_started = "spike", time.monotonic()
        spike_started = watch.phase_started
        proof.timed_out = not watch_until(timeout_s, watch.done)
        watch_until(SETTLE_S)
    finally:
        proof.spike_s = time.monotonic() - spike_started if spike_started else 0.0
        try:
            stack.set_mode(service, "normal")
        except OSError:
            pass
        stop.set()
        loader.join(60)
        if live:
            live.update(watch.view(timeout_s), refresh=True)
            live.stop()
    if results:
        total = results[0].total()
        proof.load = {"requests": total["requests"], "rps": round(total["rps"], 1),
                      "connection_errors": results[0].connection_errors}
    return proof
