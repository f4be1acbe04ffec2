#!/usr/bin/env python3
"""Webhook receiver for Alertmanager: records every notification it is sent.

Alertmanager's `webhook_configs` POST a JSON document (payload version 4: `receiver`, `status`,
`alerts[]` with `labels`/`annotations`/`startsAt`, `groupLabels`, ...) to a URL. Every receiver of
``alertmanager/alertmanager.yml`` points at ``/hooks/<receiver>`` here, so one process shows which
receiver got which alert.

    python webhook_receiver.py [--host 127.0.0.1] [--port 9095] [--record notifications.jsonl]

* ``POST /hooks/<receiver>``   a notification; answered 200 once recorded, 400 if it is not a
                               JSON object, 413 above 4 MiB
* ``GET /notifications``       everything recorded so far (JSON: ``{"notifications": [...]}``)
* ``GET /healthz``             liveness

The first line on stdout is ``listening on http://HOST:PORT`` (``--port 0`` picks a free port).
As a library: ``WebhookReceiver(port=0).start()``, ``.url``, ``.notifications()``, ``.stop()``.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MAX_BODY = 4 * 1024 * 1024


class WebhookReceiver:
    """An HTTP server in a background thread that keeps every notification it receives."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, record: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._received: list[dict] = []
        self._record = record
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "webhook-receiver/1.0"

            def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
                pass

            def _answer(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path == "/notifications":
                    self._answer(200, {"notifications": receiver.notifications()})
                elif self.path == "/healthz":
                    self._answer(200, {"status": "ok"})
                else:
                    self._answer(404, {"error": "not found"})

            def do_POST(self) -> None:
                parts = [p for p in self.path.split("?", 1)[0].split("/") if p]
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = -1
                if len(parts) != 2 or parts[0] != "hooks":
                    self.close_connection = True
                    self._answer(404, {"error": "POST /hooks/<receiver>"})
                elif not 0 < length <= MAX_BODY:
                    self.close_connection = True
                    self._answer(413 if length > MAX_BODY else 400, {"error": "need a JSON body up to 4 MiB"})
                else:
                    try:
                        doc = json.loads(self.rfile.read(length))
                    except (ValueError, UnicodeDecodeError):
                        doc = None
                    if not isinstance(doc, dict):
                        self._answer(400, {"error": "body is not a JSON object"})
                    else:
                        receiver.add(parts[1], doc)
                        self._answer(200, {"status": "recorded"})

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server((host, port), Handler)
        bound_host, bound_port = self._server.server_address[:2]
        self.url = f"http://{bound_host}:{bound_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="webhook-receiver", daemon=True)

    def add(self, path_receiver: str, doc: dict) -> None:
        entry = {"received_at": time.time(), "path": path_receiver, **doc}
        with self._lock:
            self._received.append(entry)
            if self._record:
                with open(self._record, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry) + "\n")

    def notifications(self) -> list[dict]:
        with self._lock:
            return list(self._received)

    def alerts(self) -> list[tuple[str, str, dict]]:
        """(receiver, notification status, alert) for every alert of every notification."""
        return [(n.get("receiver") or n["path"], n.get("status", ""), a)
                for n in self.notifications() for a in n.get("alerts") or [] if isinstance(a, dict)]

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Record the notifications Alertmanager's webhooks send.")
    ap.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=9095, help="port (default 9095; 0 picks a free one)")
    ap.add_argument("--record", type=Path, default=None, help="also append each notification to this JSONL file")
    args = ap.parse_args(argv)
    if not 0 <= args.port <= 65535:
        ap.error("--port must be between 0 and 65535")
    try:
        receiver = WebhookReceiver(args.host, args.port, args.record).start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"listening on {receiver.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    seen = 0
    while not stop.wait(0.5):
        for n in receiver.notifications()[seen:]:
            names = ", ".join(sorted({a.get("labels", {}).get("alertname", "?") for a in n.get("alerts") or []}))
            print(f"{n['path']}: {n.get('status', '?')} {names}", file=sys.stderr, flush=True)
            seen += 1
    receiver.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
