"""The reference stack's services refuse hostile input and bad options clearly.

docker-compose publishes nothing beyond 127.0.0.1 unless asked and has no default Grafana
admin password."""
from __future__ import annotations

import re

import yaml

from tests.conftest import INFRA

COMPOSE = INFRA / "grafana" / "docker-compose.yml"


def _default(value: str) -> str:
    """A compose value with `${VAR:-default}` replaced by its default (what runs when VAR is unset)."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}", r"\1", value)


def test_compose_publishes_on_localhost_only_by_default():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    published = [(name, str(p)) for name, svc in services.items() for p in svc.get("ports", [])]
    assert {name for name, _p in published} >= {"mock-services", "prometheus", "grafana"}
    for name, port in published:
        host_ip, _host, _container = _default(port).rsplit(":", 2)
        assert host_ip == "127.0.0.1", f"{name} publishes {port} beyond localhost"


def test_grafana_admin_password_comes_from_the_environment():
    env = yaml.safe_load(COMPOSE.read_text())["services"]["grafana"]["environment"]
    password = env["GF_SECURITY_ADMIN_PASSWORD"]
    # `${VAR:?message}`: compose refuses to start without it; no literal, no default
    assert re.fullmatch(r"\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}", password), password
    assert "admin/admin" not in COMPOSE.read_text()


# --- the mock health server -----------------------------------------------------------------------

import importlib.util  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

import pytest  # noqa: E402

from tests.robustness import hostile_http as h  # noqa: E402
from tests.robustness.test_adversarial import MEMORY_LIMIT  # noqa: E402

GRAFANA = INFRA / "grafana"


def _module(file: str, name: str):
    spec = importlib.util.spec_from_file_location(name, GRAFANA / file)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def mock():
    mod = _module("mock-health-server.py", "mock_health_server_for_hardening")
    sim = mod.Simulation(seed=7, latency_scale=0.0, tick_s=60.0)
    server = mod.make_server("127.0.0.1", 0, sim)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield mod, sim, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _raw(port: int, data: bytes) -> tuple[int, dict]:
    """Send bytes, read the whole answer (the server closes after a refused body); (status, JSON)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    answer = b"".join(chunks)
    head, _sep, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body else {}


def _post(port: int, path: str, body: bytes, headers: str = "") -> tuple[int, dict]:
    length = f"Content-Length: {len(body)}\r\n" if "Content-Length" not in headers else ""
    return _raw(port, f"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{length}{headers}\r\n".encode()
                + body)


def _revenue(sim) -> float:
    return sum(s.value for metric in sim.metrics.revenue.collect() for s in metric.samples
               if s.name.endswith("_total"))


@pytest.mark.parametrize("amount", ['"nan"', '"inf"', '"-inf"', '"abc"', "-5", "0", "[1]", '{"a": 1}', "true",
                                    "1e400", "1" + "0" * 400, '"1e999"', "2000000"])
def test_checkout_amount_is_refused_and_counters_stay_finite(mock, amount):
    _mod, sim, port = mock
    before = _revenue(sim)
    status, body = _post(port, "/api/payment-svc/checkout", f'{{"amount": {amount}, "method": "card"}}'.encode())
    assert status == 400 and "amount" in body["error"], body
    after = _revenue(sim)
    assert math.isfinite(after) and after == before


def test_checkout_with_a_good_amount_still_works(mock):
    _mod, sim, port = mock
    statuses = {_post(port, "/api/payment-svc/checkout", b'{"amount": "12.5", "method": "card"}')[0]
                for _ in range(30)}
    assert statuses & {201, 402}, statuses  # success or a simulated decline, never a 400
    assert 400 not in statuses and math.isfinite(_revenue(sim))


@pytest.mark.parametrize("headers,body,status", [
    ("Content-Length: abc\r\n", b"{}", 400),
    ("Content-Length: " + "9" * 5_000 + "\r\n", b"{}", 413),
    ("Content-Length: -1\r\n", b"", 400),
    ("Content-Length: 99999999\r\n", b"{}", 413),
    ("Transfer-Encoding: chunked\r\n", b"2\r\n{}\r\n0\r\n\r\n", 411),
    ("", b"[" * 100_000 + b"]" * 100_000, 400),
    ("", b"{" * 50_000, 400),
    ("", b'{"amount": 5', 400),
    ("", b"[1, 2]", 400),
    ("", b"\xff\xfe", 400),
    ("Content-Length: 50\r\n", b"{}", 400),  # shorter than announced (the client closed)
])
def test_bad_bodies_are_refused_without_a_traceback(mock, headers, body, status, capfd):
    _mod, _sim, port = mock
    got, answer = _post(port, "/api/auth-svc/login", body, headers)
    assert got == status and answer.get("error"), answer
    assert "Traceback" not in capfd.readouterr().err
    assert _raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")[0] == 200  # still serving


def _script(file: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    def limit():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (2 * MEMORY_LIMIT, 2 * MEMORY_LIMIT))

    # wide enough that rich tables do not wrap the messages the tests look for
    env = {**os.environ, "COLUMNS": "250"}
    return subprocess.run([sys.executable, str(GRAFANA / file), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, preexec_fn=limit, env=env)


@pytest.mark.parametrize("args,words", [
    (["--port", "-1"], "not a port number"), (["--port", "70000"], "not a port number"),
    (["--port", "http"], "not a port number"), (["--tick", "nan"], "finite"), (["--tick", "inf"], "finite"),
    (["--tick", "0"], "above 0"), (["--latency-scale", "nan"], "finite"),
])
def test_mock_options_are_checked(args, words):
    res = _script("mock-health-server.py", *args)
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert words in res.stderr.strip().splitlines()[-1]


# --- the load generator -----------------------------------------------------------------------------

@pytest.mark.parametrize("args,words", [
    (["--duration", "nan"], "finite"), (["--duration", "inf"], "finite"), (["--duration", "0"], "above 0"),
    (["--ramp-up", "1e9"], "at most"), (["--duration", "5", "--ramp-up", "10"], "longer than --duration"),
    (["--think-time", "inf"], "finite"), (["--think-time", "-1"], "at least 0"),
    (["--timeout", "-1"], "above 0"), (["--timeout", "nan"], "finite"), (["--timeout", "0"], "above 0"),
    (["--users", "0"], "out of range"), (["--users", "x"], "not a whole number"),
    (["--max-requests", "0"], "out of range"), (["--spike-after", "nan"], "finite"),
    (["--mix", "student=nan"], "finite number"), (["--mix", "student=inf"], "finite number"),
    (["--mix", "student=-1"], "finite number"), (["--mix", "nobody=1"], "unknown scenario"),
    (["--target", "http://127.0.0.1:abc"], "not a valid URL"), (["--target", "http://127.0.0.1:70000"], "not a valid URL"),
    (["--target", "http://[::1"], "not a valid URL"), (["--target", "http://127.0.0.1:0"], "port 0"),
    (["--target", "ftp://127.0.0.1"], "http(s) URL"), (["--target", "http://127.0.0.1:8000/x\r\n"], "control"),
    (["--target", "http://example.com:8000"], "non-loopback"),
    (["--service", "auth-svc", "--duration", "5", "--spike-after", "9"], "not within --duration"),
    (["--spike-service", "auth-svc", "--duration", "5", "--spike-after", "9"], "not within --duration"),
])
def test_load_generator_options_are_checked(args, words):
    res = _script("synthetic-load-generator.py", "--no-progress", *args)
    out = res.stdout + res.stderr
    assert res.returncode == 2 and "Traceback" not in out, out
    assert words in " ".join(out.split()), out


def _fake_target():
    """A target that answers every request (JSON, then closes the connection)."""
    return h.HostileServer({"*": h.json_answer({"ok": True, "status": "ok"})})


def test_load_generator_says_when_the_target_goes_away():
    lg = _module("synthetic-load-generator.py", "synthetic_load_generator_for_hardening")
    server = _fake_target().__enter__()
    timer = threading.Timer(1.0, lambda: (server.shutdown(), server.server_close()))
    timer.start()
    try:
        result = lg.run_load(server.url(), users=3, duration=30, think_time=0.01, ramp_up=0, request_timeout=5)
    finally:
        timer.join()
        server.stop.set()
    assert result.stopped_by == "target-gone" and result.elapsed_s < 10
    assert result.stats.refused >= 1
    # refused connections are counted apart, not as requests (a request cut by the shutdown may be)
    assert "ConnectionRefusedError" not in result.stats.error_kinds and result.connection_errors <= 3
    assert result.to_dict()["refused_connections"] == result.stats.refused


@pytest.mark.parametrize("where", ["dir", "missing/out.json", "/dev/full"])
def test_load_generator_json_that_cannot_be_written(tmp_path, where):
    path = str(tmp_path) if where == "dir" else where if where.startswith("/") else str(tmp_path / where)
    with _fake_target() as server:
        res = _script("synthetic-load-generator.py", "--no-progress", "--target", server.url(), "--users", "2",
                      "--duration", "1", "--max-requests", "20", "--json", path)
    out = res.stdout + res.stderr
    assert res.returncode == 2 and "Traceback" not in out, out
    assert "Load test against" in res.stdout  # the summary is printed anyway
    assert f"cannot write --json {path}" in " ".join(res.stderr.split()), res.stderr


# --- test-observability.py validate ------------------------------------------------------------------

@pytest.mark.parametrize("ci", ["", "true"])  # in CI a missing promtool is a failed step, not a skipped one
def test_validate_deep_yaml_and_nothing_validated(tmp_path, monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    (tmp_path / "deep.yaml").write_text("a:\n" + "".join("  " * i + "- \n" for i in range(1, 3_000)))
    (tmp_path / "deep-flow.yaml").write_text("[" * 3_000 + "]" * 3_000)
    res = _script("test-observability.py", "validate", "--path", str(tmp_path), "--obslint", "no-such-obslint",
                  "--promtool", "no-such-promtool", timeout=60)
    out = res.stdout + res.stderr
    assert "Traceback" not in out and "RecursionError" not in out, out
    assert res.returncode != 0, out
    assert "nothing was validated" in out
