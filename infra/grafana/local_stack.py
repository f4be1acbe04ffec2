"""The reference stack on this machine: mock services, a real Prometheus and a real Alertmanager on
free loopback ports, configured from the repository's own files.

Nothing here is a hand-kept copy of a configuration. The Prometheus configuration is generated from
``prometheus.yml`` (its jobs, paths and rule files; only the addresses change, since the compose
host names do not resolve here), the rule files are the repository's (``--fast``: only each alert's
``for:`` is shortened), and the Alertmanager configuration is ``alertmanager/alertmanager.yml`` with
its webhook URLs pointed at a live ``webhook_receiver.WebhookReceiver`` (``--fast``: shorter
``group_wait``/``group_interval``). Used by ``test-observability.py full-test`` and the tests.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
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

import yaml

HERE = Path(__file__).resolve().parent
PROMETHEUS_CONFIG = HERE / "prometheus.yml"
ALERTMANAGER_CONFIG = HERE / "alertmanager" / "alertmanager.yml"
MOCK_SERVER = HERE / "mock-health-server.py"

FAST_ALERT_FOR = "5s"
FAST_INTERVAL = "1s"  # scrape and evaluation interval of a --fast run
FAST_GROUP_WAIT = "1s"
FAST_GROUP_INTERVAL = "2s"
SELF_TARGETS = {"localhost:9090", "127.0.0.1:9090"}  # prometheus.yml's job scraping Prometheus itself

INSTALL_HINT = {
    "prometheus": "install Debian's `prometheus` package (apt-get install prometheus) or pass --prometheus-bin",
    "alertmanager": "install Debian's `prometheus-alertmanager` package (apt-get install "
                    "prometheus-alertmanager) or pass --alertmanager-bin",
}
BINARY_NAMES = {"prometheus": ("prometheus",), "alertmanager": ("alertmanager", "prometheus-alertmanager")}


def find_binary(kind: str, explicit: str | None = None) -> str | None:
    """Path of the Prometheus/Alertmanager binary: `explicit`, else the first name found on PATH
    (Debian calls Alertmanager `prometheus-alertmanager`)."""
    if explicit:
        found = shutil.which(explicit)
        return found or (explicit if Path(explicit).is_file() and os.access(explicit, os.X_OK) else None)
    for name in BINARY_NAMES[kind]:
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------------
# Configuration from the repository's files
# --------------------------------------------------------------------------------------------------
def shorten_for(rules_doc: dict, alert_for: str) -> dict[str, str]:
    """Set every alert's `for:` to `alert_for` in place; returns alert -> its original `for`."""
    original: dict[str, str] = {}
    for group in rules_doc.get("groups") or []:
        for rule in group.get("rules") or []:
            if "alert" in rule:
                original[rule["alert"]] = rule.get("for", "0s")
                if "for" in rule:
                    rule["for"] = alert_for
    return original


def rule_files(config_path: Path = PROMETHEUS_CONFIG) -> list[Path]:
    """The rule files prometheus.yml loads, resolved relative to it as Prometheus does."""
    out: list[Path] = []
    for pattern in load_yaml(config_path).get("rule_files") or []:
        matches = sorted(config_path.parent.glob(pattern))
        out.extend(matches or [config_path.parent / pattern])
    return out


def prometheus_config(mock_target: str, self_target: str, rules: list[str], alertmanager: str | None,
                      interval: str | None = None, source: Path = PROMETHEUS_CONFIG) -> dict:
    """prometheus.yml with loopback addresses: the self-scrape job targets this Prometheus, every
    other static target the mock server (it simulates all the services); `alerting` points at the
    local Alertmanager (dropped without one); `interval` overrides scrape and evaluation intervals."""
    doc = load_yaml(source)
    glob = doc.setdefault("global", {})
    if interval:
        glob["scrape_interval"] = glob["evaluation_interval"] = interval
        glob["scrape_timeout"] = interval
    doc["rule_files"] = list(rules)
    for job in doc.get("scrape_configs") or []:
        for static in job.get("static_configs") or []:
            static["targets"] = [self_target if t in SELF_TARGETS else mock_target
                                 for t in static.get("targets") or []]
    if alertmanager:
        doc["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]}
    else:
        doc.pop("alerting", None)
    return doc


def alertmanager_config(webhook_url: str, fast: bool = False, source: Path = ALERTMANAGER_CONFIG) -> dict:
    """alertmanager.yml with every webhook URL's scheme and address replaced by `webhook_url`'s (the
    path, which names the receiver, is kept); `fast` shortens group_wait and group_interval."""
    doc = load_yaml(source)
    base = urllib.parse.urlsplit(webhook_url)
    for receiver in doc.get("receivers") or []:
        for hook in receiver.get("webhook_configs") or []:
            url = urllib.parse.urlsplit(hook["url"])
            hook["url"] = urllib.parse.urlunsplit((base.scheme, base.netloc, url.path, url.query, ""))
    if fast:
        def shorten(route: dict) -> None:
            for key, value in (("group_wait", FAST_GROUP_WAIT), ("group_interval", FAST_GROUP_INTERVAL)):
                if key in route or route is doc["route"]:
                    route[key] = value
            for child in route.get("routes") or []:
                shorten(child)
        shorten(doc["route"])
    return doc


# --------------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------------
def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM when its parent dies, so nothing outlives a killed run."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


CHILD_KW = {"preexec_fn": _die_with_parent} if sys.platform.startswith("linux") else {}


def stop_process(proc: subprocess.Popen | None, timeout: float = 10.0) -> int | None:
    if proc is None:
        return None
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def tail(path: Path, n: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def http_json(url: str, method: str = "GET", timeout: float = 5.0, body: bytes | None = None) -> dict | list:
    data = body if body is not None else (b"" if method == "POST" else None)
    req = urllib.request.Request(url, method=method, data=data,
                                 headers={"Content-Type": "application/json"} if body else {})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode() or "null")


def wait_ready(proc: subprocess.Popen, url: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return True
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.2)
    return False


def start_mock(tmp: Path, seed: int | None = None, latency_scale: float = 1.0) -> tuple[subprocess.Popen, str]:
    """The mock server on a free port; returns the process and its URL."""
    cmd = [sys.executable, str(MOCK_SERVER), "--port", "0", "--latency-scale", str(latency_scale)]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    with open(tmp / "mock.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, cwd=tmp, **CHILD_KW)
    box: dict[str, str] = {}
    reader = threading.Thread(target=lambda: box.setdefault("line", proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(15)
    line = box.get("line", "")
    if not line.startswith("listening on http://"):
        stop_process(proc)
        raise RuntimeError(f"mock server did not start ({line!r}): {tail(tmp / 'mock.log')}")
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # never let a full pipe block it
    return proc, line.split("listening on ", 1)[1].strip()


def start_daemon(name: str, argv_for_port, tmp: Path, ready_path: str, attempts: int = 3
                 ) -> tuple[subprocess.Popen, str]:
    """Start a Prometheus-style server on a free port (retrying when the port was taken meanwhile);
    `argv_for_port(port)` gives its command line. Returns the process and its base URL."""
    log_path = tmp / f"{name}.log"
    for _ in range(attempts):
        port = free_port()
        with open(log_path, "w") as log:
            proc = subprocess.Popen(argv_for_port(port), stdout=log, stderr=subprocess.STDOUT, cwd=tmp, **CHILD_KW)
        url = f"http://127.0.0.1:{port}"
        if wait_ready(proc, url + ready_path):
            return proc, url
        stop_process(proc)
    raise RuntimeError(f"{name} did not become ready:\n{tail(log_path)}")


@dataclass
class LocalStack:
    """Mock, webhook receiver, Alertmanager and Prometheus, each optional past the mock."""
    prometheus_bin: str | None
    alertmanager_bin: str | None
    fast: bool = True
    seed: int | None = None
    latency_scale: float = 1.0
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="edu-stack-")))
    mock: subprocess.Popen | None = None
    prometheus: subprocess.Popen | None = None
    alertmanager: subprocess.Popen | None = None
    receiver: object | None = None
    mock_url: str = ""
    prometheus_url: str = ""
    alertmanager_url: str = ""
    original_for: dict[str, str] = field(default_factory=dict)

    def start(self) -> LocalStack:
        self.mock, self.mock_url = start_mock(self.tmp, self.seed, self.latency_scale)
        if self.alertmanager_bin:
            self._start_alertmanager()
        if self.prometheus_bin:
            self._start_prometheus()
        return self

    def _start_alertmanager(self) -> None:
        sys.path.insert(0, str(HERE))
        try:
            from webhook_receiver import WebhookReceiver
        finally:
            sys.path.remove(str(HERE))
        self.receiver = WebhookReceiver(port=0).start()
        config = self.tmp / "alertmanager.yml"
        config.write_text(yaml.safe_dump(alertmanager_config(self.receiver.url, self.fast), sort_keys=False))
        self.alertmanager, self.alertmanager_url = start_daemon(
            "alertmanager", lambda port: [
                self.alertmanager_bin, f"--config.file={config}", f"--storage.path={self.tmp / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
            self.tmp, "/-/ready")

    def _start_prometheus(self) -> None:
        rules = []
        for i, source in enumerate(rule_files()):
            doc = load_yaml(source)
            original = shorten_for(doc, FAST_ALERT_FOR) if self.fast else shorten_for(load_yaml(source), "0s")
            self.original_for.update(original)
            dest = self.tmp / f"rules-{i}-{source.name}"
            dest.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
            rules.append(str(dest))
        mock_target = urllib.parse.urlsplit(self.mock_url).netloc
        am_target = urllib.parse.urlsplit(self.alertmanager_url).netloc if self.alertmanager_url else None
        config = self.tmp / "prometheus.yml"

        def argv(port: int) -> list[str]:
            doc = prometheus_config(mock_target, f"127.0.0.1:{port}", rules, am_target,
                                    FAST_INTERVAL if self.fast else None)
            config.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
            return [self.prometheus_bin, f"--config.file={config}", f"--storage.tsdb.path={self.tmp / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"]

        self.prometheus, self.prometheus_url = start_daemon("prometheus", argv, self.tmp, "/-/ready")

    # ---- queries ------------------------------------------------------------------------------------
    def set_mode(self, service: str, mode: str) -> None:
        http_json(f"{self.mock_url}/control/{service}/{mode}", method="POST")

    def query(self, expr: str) -> list[dict]:
        doc = http_json(f"{self.prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        return doc["data"]["result"]

    def alert_states(self) -> dict[tuple[str, str], str]:
        """(alertname, service label) -> 'pending' or 'firing' (firing wins over several series)."""
        states: dict[tuple[str, str], str] = {}
        for alert in http_json(f"{self.prometheus_url}/api/v1/alerts")["data"]["alerts"]:
            key = (alert["labels"].get("alertname", ""), alert["labels"].get("service", ""))
            if states.get(key) != "firing":
                states[key] = alert["state"]
        return states

    def alert_rule_names(self) -> set[str]:
        doc = http_json(f"{self.prometheus_url}/api/v1/rules?type=alert")
        return {r["name"] for g in doc["data"]["groups"] for r in g["rules"]}

    def scrape_up(self) -> bool:
        res = self.query('up{job="edu-services"}')
        return bool(res) and all(float(r["value"][1]) == 1.0 for r in res)

    def close(self) -> dict[str, int | None]:
        """Stop everything (Prometheus first, so no alert is sent to a stopped Alertmanager); returns
        each process's exit code. The temporary directory is removed."""
        codes = {"prometheus": stop_process(self.prometheus), "alertmanager": stop_process(self.alertmanager),
                 "mock": stop_process(self.mock)}
        if self.receiver is not None:
            self.receiver.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return codes
