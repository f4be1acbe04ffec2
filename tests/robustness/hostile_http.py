"""A hostile HTTP server on 127.0.0.1, in the test process (threads): it answers each path
with a behaviour (a static answer, a trickle, an endless body, a lie about the length,
something that is not HTTP). Every behaviour's loop is bounded (a stop event, a byte budget, a
socket timeout), so a test that fails cannot leave a thread spinning.

    with HostileServer({"/metrics": drip_body(b"up 1\\n")}) as server:
        url = server.url("/metrics")
"""
from __future__ import annotations

import json
import socket
import socketserver
import threading
import time

STEP = 0.5  # seconds between the bytes of a trickle
MAX_STREAM = 2 * 2**30  # bytes an endless answer sends at most


def head(status: int = 200, length: int | None = None, ctype: str = "text/plain", extra: str = "") -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Type: {ctype}", "Connection: close"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


def static(body: bytes | str, status: int = 200, ctype: str = "text/plain"):
    data = body.encode() if isinstance(body, str) else body

    def behave(sock, _path, stop):
        sock.sendall(head(status, len(data), ctype) + data)
    return behave


def json_answer(value, status: int = 200):
    """A JSON answer; `value` may be a ready text (for NaN, deep nesting, invalid JSON)."""
    return static(value if isinstance(value, (str, bytes)) else json.dumps(value), status, "application/json")


def drip_body(body: bytes = b"x" * 10_000, step: float = STEP):
    """Headers at once, then the body one byte per `step` seconds (each read succeeds, so a
    per-read timeout never fires)."""
    def behave(sock, _path, stop):
        sock.sendall(head(200, len(body)))
        for i in range(len(body)):
            if stop.wait(step):
                return
            sock.sendall(body[i:i + 1])
    return behave


def drip_headers(step: float = STEP):
    def behave(sock, _path, stop):
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
            if stop.wait(step):
                return
            sock.sendall(bytes([byte]))
    return behave


def endless(piece: bytes = b"x" * 65536, ctype: str = "text/plain"):
    """An answer without a length that never ends (until the client leaves or MAX_STREAM)."""
    def behave(sock, _path, stop):
        sock.sendall(head(200, None, ctype))
        sent = 0
        while sent < MAX_STREAM and not stop.is_set():
            sock.sendall(piece)
            sent += len(piece)
    return behave


def lying_length(length: str, body: bytes = b"up 1\n"):
    def behave(sock, _path, stop):
        sock.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n".encode() + body)
    return behave


def raw(data: bytes):
    """Bytes that need not be HTTP at all."""
    def behave(sock, _path, stop):
        sock.sendall(data)
    return behave


def close_at_once():
    def behave(sock, _path, stop):
        pass
    return behave


def redirect_loop():
    def behave(sock, path, stop):
        sock.sendall(head(302, 0, extra=f"Location: {path}\r\n"))
    return behave


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock = self.request
        sock.settimeout(5)
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                data += chunk
            line = data.split(b"\r\n", 1)[0].decode("latin-1")
            target = line.split(" ")[1] if line.count(" ") >= 2 else "/"
            path = target.split("?", 1)[0]
            self.server.requests.append(target)
            behave = self.server.routes.get(path) or self.server.routes.get("*")
            if behave is None:
                sock.sendall(head(404, 9) + b"not found")
                return
            behave(sock, path, self.server.stop)
        except OSError:  # the client left (deadline, size cap): expected
            pass


class HostileServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, routes: dict) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes = dict(routes)
        self.stop = threading.Event()
        self.requests: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def __enter__(self) -> "HostileServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.shutdown()
        self.server_close()
        self._thread.join(5)


def prometheus_routes(metric_names=("up", "http_requests_total"), alerts=()) -> dict:
    """The answers of a small, well-behaved Prometheus (the probe's four endpoints)."""
    return {
        "/api/v1/status/buildinfo": json_answer({"status": "success", "data": {"version": "2.53.0"}}),
        "/api/v1/label/__name__/values": json_answer({"status": "success", "data": list(metric_names)}),
        "/api/v1/query": json_answer({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"job": "a"}, "value": [time.time(), "1"]}]}}),
        "/api/v1/alerts": json_answer({"status": "success", "data": {"alerts": list(alerts)}}),
    }


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
