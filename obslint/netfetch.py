"""HTTP(S) GET for the inputs obslint fetches (`metrics-from` URLs, `obslint probe`), with a
total deadline and a size cap, streamed.

A socket timeout bounds each read, not the request: a server that sends one byte every few
seconds, or an endless body, would hold a plain `urlopen` forever and fill memory. Here:

- `timeout` is the deadline of the whole request (connect, headers, body, redirects): a
  watchdog shuts the socket down when it passes, whatever the server is doing;
- `max_bytes` caps the body: a `Content-Length` above it is refused before reading, and reading
  stops at the cap; the body arrives in chunks (`stream`) so a caller can parse it as it comes;
- every failure is a `FetchError` with one clear line that names the URL and never quotes the
  answer (it may be a secret: a token page, an environment dump).

Defaults: DEFAULT_TIMEOUT seconds and DEFAULT_MAX_BYTES bytes, overridden by the environment
variables OBSLINT_FETCH_TIMEOUT and OBSLINT_FETCH_MAX_BYTES, and by the callers' options
(`obslint probe --timeout/--max-answer-size`). Proxies from the usual environment variables
(`http_proxy`, `https_proxy`, `no_proxy`) are used as urllib would."""
from __future__ import annotations

import math
import os
import threading
import time

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Iterator

DEFAULT_TIMEOUT = 30.0  # seconds for a whole request
DEFAULT_MAX_BYTES = 64 * 2**20  # bytes of one answer's body (a file for metrics-from)
CHUNK = 1 << 16
MAX_REDIRECTS = 5


class FetchError(Exception):
    """A URL could not be fetched (or is not a usable URL): one line, safe to print."""


def default_timeout() -> float:
    return _env_number("OBSLINT_FETCH_TIMEOUT", DEFAULT_TIMEOUT, float)


def default_max_bytes() -> int:
    return int(_env_number("OBSLINT_FETCH_MAX_BYTES", DEFAULT_MAX_BYTES, int))


def _env_number(name: str, default, kind):
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise FetchError(f"{name}={text[:40]!r} is not a number") from None
    if not (isinstance(value, int) or math.isfinite(value)) or value <= 0:
        raise FetchError(f"{name} must be a positive finite number, not {text[:40]!r}")
    return value


def positive_seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above zero."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{text!r}: must be a finite number of seconds above 0")
    return value


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path?query) of an http(s) URL, or FetchError saying what is wrong."""
    from urllib.parse import urlsplit

    if not isinstance(url, str) or not url:
        raise FetchError("an empty URL")
    shown = _show(url)
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise FetchError(f"{shown}: a URL cannot contain spaces or control characters (CR, LF, tab...)")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:  # a port that is not a number or out of range, an unclosed [IPv6
        raise FetchError(f"{shown}: not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"{shown}: only http:// and https:// URLs can be fetched")
    if not host:
        raise FetchError(f"{shown}: the URL has no host")
    if port == 0:
        raise FetchError(f"{shown}: port 0 cannot be connected to")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path


def _show(url: str) -> str:
    """The URL for a message: control characters escaped, credentials hidden, length bounded."""
    from obslint.report.text import printable

    text = url
    at, scheme_end = text.find("@"), text.find("://")
    if at != -1 and scheme_end != -1 and at > scheme_end and "/" not in text[scheme_end + 3:at]:
        text = text[:scheme_end + 3] + "***@" + text[at + 1:]
    text = printable(text)
    return text if len(text) <= 200 else text[:197] + "..."


class Answer:
    """An HTTP answer being read: `status`, `headers` (lower-case names), `url` (after
    redirects), and `chunks()`, the body in pieces within the deadline and the size cap."""

    def __init__(self, url: str, status: int, headers: dict, response, conn, watchdog, deadline: float,
                 max_bytes: int) -> None:
        self.url, self.status, self.headers = url, status, headers
        self._response, self._conn, self._watchdog = response, conn, watchdog
        self._deadline, self._max_bytes = deadline, max_bytes

    def chunks(self) -> Iterator[bytes]:
        got = 0
        try:
            while True:
                if time.monotonic() > self._deadline:
                    raise _timed_out(self.url, self._max_bytes, got)
                try:
                    chunk = self._response.read1(CHUNK) if hasattr(self._response, "read1") else \
                        self._response.read(CHUNK)
                except Exception as exc:  # noqa: BLE001 - OSError, IncompleteRead, a shut-down socket...
                    if time.monotonic() >= self._deadline or self._watchdog.fired:
                        raise _timed_out(self.url, self._max_bytes, got) from None
                    raise FetchError(f"{_show(self.url)}: the answer broke off after {got:,} bytes "
                                     f"({_reason(exc)})") from None
                if not chunk:
                    if self._watchdog.fired:
                        raise _timed_out(self.url, self._max_bytes, got)
                    return
                got += len(chunk)
                if got > self._max_bytes:
                    raise FetchError(f"{_show(self.url)}: the answer is larger than {self._max_bytes:,} bytes, "
                                     f"the limit (raise it with OBSLINT_FETCH_MAX_BYTES or the command's option)")
                yield chunk
        finally:
            self.close()

    def read(self) -> bytes:
        return b"".join(self.chunks())

    def close(self) -> None:
        self._watchdog.cancel()
        try:
            self._conn.close()
        except Exception:  # noqa: BLE001 - closing a broken connection
            pass


def _timed_out(url: str, max_bytes: int, got: int) -> FetchError:
    return FetchError(f"{_show(url)}: no complete answer within the deadline ({got:,} bytes received); "
                      f"is the server overloaded or not an HTTP API?")


class _Watchdog:
    """Shuts a connection's socket down at the deadline: a blocked read returns at once. One
    thread serves every watchdog of the process (a timer thread per request would cost a
    thread stack and a malloc arena each, with many requests in parallel)."""

    _lock = threading.Condition()
    _pending: list = []  # heap of (deadline, sequence, watchdog)
    _thread: threading.Thread | None = None
    _sequence = 0

    def __init__(self, conn, seconds: float) -> None:
        import heapq

        self.fired = False
        self._conn = conn
        self._cancelled = False
        cls = _Watchdog
        with cls._lock:
            cls._sequence += 1
            heapq.heappush(cls._pending, (time.monotonic() + max(0.0, seconds), cls._sequence, self))
            if cls._thread is None:
                cls._thread = threading.Thread(target=cls._serve, name="obslint-netfetch-watchdog", daemon=True)
                cls._thread.start()
            cls._lock.notify()

    @classmethod
    def _serve(cls) -> None:
        import heapq

        with cls._lock:
            while True:
                while cls._pending and cls._pending[0][2]._cancelled:
                    heapq.heappop(cls._pending)
                if not cls._pending:
                    cls._lock.wait()
                    continue
                wait = cls._pending[0][0] - time.monotonic()
                if wait > 0:
                    cls._lock.wait(wait)
                    continue
                heapq.heappop(cls._pending)[2]._fire()

    def _fire(self) -> None:
        self.fired = True
        sock = getattr(self._conn, "sock", None)
        if sock is not None:
            import socket

            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._cancelled = True


def stream(url: str, *, timeout: float | None = None, max_bytes: int | None = None,
           headers: dict | None = None) -> Answer:
    """GET url; the Answer, whose body is read with `chunks()` or `read()`. FetchError for any
    failure (bad URL, unreachable, deadline, too large, redirect loop)."""
    timeout = default_timeout() if timeout is None else timeout
    max_bytes = default_max_bytes() if max_bytes is None else max_bytes
    if not (math.isfinite(timeout) and timeout > 0):
        raise FetchError(f"the deadline must be a finite number of seconds above 0, not {timeout!r}")
    deadline = time.monotonic() + timeout
    for _hop in range(MAX_REDIRECTS + 1):
        answer = _get_once(url, deadline, max_bytes, headers or {})
        if answer.status in (301, 302, 303, 307, 308) and answer.headers.get("location"):
            from urllib.parse import urljoin

            target = urljoin(url, answer.headers["location"])
            answer.close()
            check_url(target)
            url = target
            continue
        return answer
    raise FetchError(f"{_show(url)}: more than {MAX_REDIRECTS} redirects")


def get(url: str, **kw) -> tuple[int, bytes]:
    """(status, body) of a GET, within the deadline and the size cap."""
    answer = stream(url, **kw)
    return answer.status, answer.read()


def _get_once(url: str, deadline: float, max_bytes: int, headers: dict) -> Answer:
    import http.client

    scheme, host, port, path = check_url(url)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _timed_out(url, max_bytes, 0)
    proxy = _proxy_for(scheme, host)
    cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    try:
        if proxy is not None and scheme == "http":
            conn = http.client.HTTPConnection(proxy[0], proxy[1], timeout=remaining)
            target = url
        else:
            conn = cls(*(proxy or (host, port)), timeout=remaining)
            if proxy is not None:
                conn.set_tunnel(host, port)
            target = path
    except (ValueError, http.client.HTTPException) as exc:
        raise FetchError(f"{_show(url)}: {_reason(exc)}") from None
    watchdog = _Watchdog(conn, remaining)
    try:
        conn.request("GET", target, headers={"User-Agent": "obslint", "Accept-Encoding": "identity", **headers})
        response = conn.getresponse()
        length = response.getheader("Content-Length")
        if length is not None and length.strip().isdigit() and len(length.strip()) < 30 and \
                int(length) > max_bytes:
            raise FetchError(f"{_show(url)}: the answer is {int(length):,} bytes, more than the limit of "
                             f"{max_bytes:,} (raise it with OBSLINT_FETCH_MAX_BYTES or the command's option)")
        hdrs = {k.lower(): v for k, v in response.getheaders()}
    except FetchError:
        watchdog.cancel()
        conn.close()
        raise
    except Exception as exc:  # noqa: BLE001 - OSError, HTTPException, ssl errors, a shut-down socket
        watchdog.cancel()
        conn.close()
        if watchdog.fired or time.monotonic() >= deadline:
            raise _timed_out(url, max_bytes, 0) from None
        raise FetchError(f"cannot fetch {_show(url)}: {_reason(exc)}") from None
    return Answer(url, response.status, hdrs, response, conn, watchdog, deadline, max_bytes)


def _proxy_for(scheme: str, host: str):
    import urllib.request
    from urllib.parse import urlsplit

    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
    try:
        return parts.hostname, parts.port or 80
    except ValueError:
        raise FetchError(f"the {scheme}_proxy setting is not a valid URL") from None


def _reason(exc: BaseException) -> str:
    """A short, safe description of a network error (never the answer's content)."""
    import http.client
    import socket

    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(exc, http.client.LineTooLong):
        return "a header line is too long: not an HTTP server?"
    if isinstance(exc, http.client.BadStatusLine):
        return "the answer is not HTTP"
    if isinstance(exc, http.client.IncompleteRead):
        return "the body is shorter than its Content-Length"
    if isinstance(exc, http.client.HTTPException):
        return f"invalid HTTP answer ({type(exc).__name__})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__
