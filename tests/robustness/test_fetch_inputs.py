"""What obslint fetches or reads besides the linted files: `--metrics-from` (files and URLs)
and `obslint probe`, against a hostile HTTP server on 127.0.0.1 in this process.

Every HTTP request has a deadline for the whole answer and a size cap (obslint.netfetch); a
source that is not what it should be is one clear line, exit 2, that never quotes what the
source contains; memory stays bounded (RLIMIT_AS of test_adversarial) and every case ends
within its own deadline."""
from __future__ import annotations

import json
import os
import time

import pytest

from obslint import exposition, netfetch
from tests.robustness import hostile_http as h
from tests.robustness.test_adversarial import MEMORY_LIMIT, TIME_LIMIT, obslint, write

RULES = "groups:\n  - name: g\n    rules:\n      - record: a:b:c\n        expr: sum(rate(http_requests_total[5m]))\n"
FAST = {"OBSLINT_FETCH_TIMEOUT": "2"}


def one_error_line(run, *words: str) -> str:
    assert run.code == 2, f"exit {run.code}\n{run.out[-2000:]}\n{run.err[-2000:]}"
    assert "Traceback" not in run.err and "IN011" not in run.out
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    for w in words:
        assert w in lines[0], lines[0]
    assert run.seconds < TIME_LIMIT and run.peak_rss < MEMORY_LIMIT
    return lines[0]


# --- netfetch itself ---------------------------------------------------------------------------

NETFETCH_CASES = {  # path: (behaviour, words of the error)
    "/drip-body": (h.drip_body(), "within the deadline"),
    "/drip-headers": (h.drip_headers(), "within the deadline"),
    "/endless": (h.endless(), "larger than 1,000,000 bytes"),
    "/huge-length": (h.lying_length(str(10**12)), "1,000,000,000,000 bytes, more than the limit"),
    "/not-http": (h.raw(b"SSH-2.0-OpenSSH\r\n\r\n"), "not HTTP"),
    "/closed": (h.close_at_once(), "closed the connection"),
    "/loop": (h.redirect_loop(), "more than 5 redirects"),
}


@pytest.mark.parametrize("path", sorted(NETFETCH_CASES))
def test_netfetch_bounds_every_answer(path):
    behave, words = NETFETCH_CASES[path]
    with h.HostileServer({path: behave}) as server:
        start = time.monotonic()
        with pytest.raises(netfetch.FetchError) as info:
            netfetch.get(server.url(path), timeout=1.5, max_bytes=1_000_000)
        assert time.monotonic() - start < 3.5  # the deadline is for the whole request
    assert words in str(info.value)


@pytest.mark.parametrize("url,words", [
    ("http://h:abc/metrics", "not a valid URL"), ("http://[::1/metrics", "not a valid URL"),
    ("http://h/a\r\nX-Injected: 1", "control characters"), ("http://h:70000/", "not a valid URL"),
    ("ftp://h/metrics", "only http:// and https://"), ("http:///metrics", "no host"),
])
def test_netfetch_refuses_bad_urls(url, words):
    with pytest.raises(netfetch.FetchError) as info:
        netfetch.check_url(url)
    assert words in str(info.value) and "\r" not in str(info.value) and "\n" not in str(info.value)


def test_netfetch_hides_credentials_and_content():
    with h.HostileServer({"/x": h.static("TOKEN=hunter2\n", status=500)}) as server:
        status, body = netfetch.get(server.url("/x").replace("http://", "http://user:pw@"), timeout=2)
        assert status == 500 and body == b"TOKEN=hunter2\n"  # given to the caller, who decides
    with pytest.raises(netfetch.FetchError) as info:
        netfetch.get(f"http://user:pw@127.0.0.1:{h.free_port()}/", timeout=2)
    assert "pw" not in str(info.value) and "***@127.0.0.1" in str(info.value)


# --- --metrics-from ------------------------------------------------------------------------------

METRICS_FROM_HTTP = {  # path: (behaviour, words of the one error line)
    "/drip": (h.drip_body(b"http_requests_total 1\n" * 100), "within the deadline"),
    "/endless": (h.endless(b"http_requests_total 1\n" * 3000), "larger than"),
    "/endless-one-line": (h.endless(b"a" * 65536), "longer than 1,048,576 bytes"),
    "/secret": (h.static("API_TOKEN=hunter2\nDB_PASSWORD=s3cret\n"), "line 1 (byte 0)"),
    "/html": (h.static("<html><body>login: hunter2</body></html>\n"), "not Prometheus exposition text"),
    "/missing": (h.static("nope hunter2", status=404), "HTTP 404"),
    "/not-http": (h.raw(b"hunter2\r\n\r\n"), "not HTTP"),
}


@pytest.mark.parametrize("path", sorted(METRICS_FROM_HTTP))
def test_metrics_from_url_is_one_line_and_exit_2(tmp_path, path):
    behave, words = METRICS_FROM_HTTP[path]
    write(tmp_path / "r.yaml", RULES)
    with h.HostileServer({path: behave}) as server:
        run = obslint("--no-config", "--metrics-from", server.url(path), "r.yaml", cwd=tmp_path,
                      env={**FAST, "OBSLINT_FETCH_MAX_BYTES": str(2 * 2**20)})
        fetched = [r for r in server.requests if r == path]
    line = one_error_line(run, "metrics-from:", words)
    assert "hunter2" not in run.err + run.out and "s3cret" not in line
    assert len(fetched) == 1  # fetched once, not once per check


def test_metrics_from_same_url_twice_is_fetched_once(tmp_path):
    write(tmp_path / "r.yaml", RULES)
    body = "# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\"} 1\n"
    with h.HostileServer({"/m": h.static(body)}) as server:
        run = obslint("--no-config", "--metrics-from", server.url("/m"), "--metrics-from", server.url("/m"),
                      "r.yaml", cwd=tmp_path)
        assert server.requests == ["/m"]
    assert run.code == 0, run.out + run.err


def test_metrics_from_file_with_secrets_is_not_echoed(tmp_path):
    write(tmp_path / "r.yaml", RULES)
    run = obslint("--no-config", "--metrics-from", "/proc/self/environ", "r.yaml", cwd=tmp_path,
                  env={"SECRET_TOKEN": "hunter2-in-the-environment"})
    line = one_error_line(run, "/proc/self/environ", "line 1 (byte 0)")
    assert "hunter2" not in run.err + run.out and "PATH=" not in line


def test_metrics_from_policy_file_error_names_line_and_byte(tmp_path):
    write(tmp_path / "m.prom", "# TYPE ok gauge\nok 1\nDB_PASSWORD=s3cret\n")
    write(tmp_path / "obslint.yaml", "metrics-from: [m.prom]\n")
    write(tmp_path / "r.yaml", RULES)
    run = obslint("r.yaml", cwd=tmp_path)
    one_error_line(run, "m.prom: line 3 (byte 21)")
    assert "s3cret" not in run.err


@pytest.mark.parametrize("name,data,words", [
    ("fifo", None, "not a regular file"), ("zero", "/dev/zero", "not a regular file"),
    ("dir", ".", "is a directory"), ("latin1", b"caf\xe9 1\n", "invalid UTF-8"),
])
def test_metrics_from_files_that_are_not_text(tmp_path, name, data, words):
    write(tmp_path / "r.yaml", RULES)
    if name == "fifo":
        os.mkfifo(tmp_path / "m.prom")
        source = "m.prom"
    elif isinstance(data, bytes):
        write(tmp_path / "m.prom", data)
        source = "m.prom"
    else:
        source = data
    one_error_line(obslint("--no-config", "--metrics-from", source, "r.yaml", cwd=tmp_path), words)


def _exposition(lines: int) -> str:
    return "# TYPE http_requests_total counter\n" + "".join(
        f'http_requests_total{{service="s{i % 40}",route="/r/{i}",code="200"}} {i} 1700000000000\n'
        for i in range(lines))


def test_big_metrics_from_file_is_streamed_in_bounded_memory(tmp_path):
    """~30 MB of samples: read with peak memory far below the text's size x 5 (the timeout only guards
    against a hang; the machine may be loaded)."""
    write(tmp_path / "r.yaml", RULES)
    text = _exposition(330_000)
    assert len(text) > 25 * 2**20
    write(tmp_path / "m.prom", text)
    del text
    run = obslint("--no-config", "--metrics-from", "m.prom", "r.yaml", cwd=tmp_path, timeout=120)
    assert run.code == 0 and "Traceback" not in run.err, run.err
    assert run.peak_rss < 200 * 2**20, run.peak_rss / 2**20


def test_metrics_from_file_over_the_size_cap_is_refused_at_once(tmp_path):
    write(tmp_path / "r.yaml", RULES)
    with open(tmp_path / "m.prom", "wb") as fh:  # sparse: 600 MB that cost nothing to make
        fh.truncate(600 * 10**6)
    one_error_line(obslint("--no-config", "--metrics-from", "m.prom", "r.yaml", cwd=tmp_path),
                   "600,000,000 bytes, larger than the limit of 67,108,864")


def test_exposition_parser_errors_never_quote_the_text():
    for text in ["PATH=/usr/bin:hunter2\n", 'x{a="hunter2"\n', "hunter2", 'm{a="b"} hunter2\n',
                 "# TYPE hunter2! gauge\n", "ok 1\n\x00hunter2\n"]:
        with pytest.raises(exposition.ExpositionError) as info:
            exposition.parse(exposition.lines_of([text.encode()], "src"), "src")
        assert "hunter2" not in str(info.value) and "src: line " in str(info.value)


def test_exposition_label_regex_is_linear():
    start = time.monotonic()
    for line in ['a{' + 'x="1" ,  ' * 20_000, 'a{' + 'x="1" ' * 20_000 + '} 1', '{"' + "\\" * 40_000]:
        with pytest.raises(exposition.ExpositionError):
            exposition.parse(exposition.lines_of([line.encode()], "s"), "s")
    assert time.monotonic() - start < 2


# --- obslint probe -------------------------------------------------------------------------------

DASH = {"uid": "d", "title": "D", "schemaVersion": 39, "panels": [
    {"id": i, "type": "timeseries", "title": f"P{i}", "gridPos": {"x": 0, "y": i * 8, "w": 12, "h": 8},
     "targets": [{"refId": "A", "expr": f"sum(rate(http_requests_total{{code=\"{i}\"}}[5m]))"}]} for i in range(3)]}
ALERTS = "groups:\n  - name: g\n    rules:\n      - alert: ApiDown\n        expr: up == 0\n"


def _probe(tmp_path, routes: dict, *args: str, timeout: float = TIME_LIMIT):
    write(tmp_path / "d.json", json.dumps(DASH))
    write(tmp_path / "a.yaml", ALERTS)
    with h.HostileServer({**h.prometheus_routes(), **routes}) as server:
        run = obslint("probe", "--prometheus", server.url(), "--timeout", "2", *args, ".", cwd=tmp_path,
                      timeout=timeout)
        return run, list(server.requests)


def test_probe_against_a_well_behaved_prometheus(tmp_path):
    run, requests = _probe(tmp_path, {})
    assert run.code == 0, run.out + run.err
    assert "Probed 4 queries" in run.out  # three panels, one alert
    assert sum(r.startswith("/api/v1/query?") for r in requests) == 4


PROBE_HOSTILE = {  # name: (route, behaviour, words of the one error line)
    "buildinfo-list": ("/api/v1/status/buildinfo", h.json_answer([1, 2]), "JSON a list"),
    "buildinfo-string": ("/api/v1/status/buildinfo", h.json_answer('"hello"'), "JSON a string"),
    "buildinfo-null": ("/api/v1/status/buildinfo", h.json_answer("null"), "JSON null"),
    "buildinfo-nan": ("/api/v1/status/buildinfo", h.json_answer('{"status": NaN}'), "not valid JSON"),
    "buildinfo-deep": ("/api/v1/status/buildinfo", h.json_answer("[" * 100_000 + "]" * 100_000), "nests too deeply"),
    "buildinfo-html": ("/api/v1/status/buildinfo", h.static("<html>hunter2</html>"), "not valid JSON"),
    "buildinfo-shape": ("/api/v1/status/buildinfo", h.json_answer({"status": "success", "data": [1]}),
                        "like a Prometheus"),
    "names-shape": ("/api/v1/label/__name__/values", h.json_answer({"status": "success", "data": {"a": 1}}),
                    "not a list of names"),
    "query-shape": ("/api/v1/query", h.json_answer({"status": "success", "data": {"resultType": "vector",
                                                                                   "result": "x"}}),
                    "`data.result` is not a list"),
    "query-status": ("/api/v1/query", h.json_answer({"status": 7}), "`status` is neither"),
    "query-deep": ("/api/v1/query", h.json_answer('{"status": "success", "data": ' + "[" * 50_000 + "]" * 50_000 + "}"),
                   "nests too deeply"),
    "alerts-shape": ("/api/v1/alerts", h.json_answer({"status": "success", "data": {"alerts": {"a": 1}}}),
                     "`data.alerts` is not a list"),
    "alerts-labels": ("/api/v1/alerts", h.json_answer({"status": "success", "data": {"alerts": [
        {"labels": ["ApiDown"], "state": "firing"}]}}), "alerts without string labels"),
    "query-trickle": ("/api/v1/query", h.drip_body(b'{"status": "success"}'), "within the deadline"),
    "query-endless": ("/api/v1/query", h.endless(b"[" * 65536, "application/json"), "larger than 1,000,000 bytes"),
    "buildinfo-trickle-headers": ("/api/v1/status/buildinfo", h.drip_headers(), "within the deadline"),
}


@pytest.mark.parametrize("name", sorted(PROBE_HOSTILE))
def test_probe_against_a_hostile_server(tmp_path, name):
    route, behave, words = PROBE_HOSTILE[name]
    run, requests = _probe(tmp_path, {route: behave}, "--max-answer-size", "1000000")
    one_error_line(run, words)
    assert "hunter2" not in run.err


def test_probe_stops_at_the_first_query_past_its_deadline(tmp_path):
    """40 panels against a server that trickles every query answer: the probe ends after the
    first round of parallel requests misses the deadline, not after 40 of them."""
    write(tmp_path / "big.json", json.dumps({**DASH, "uid": "big", "panels": [
        {**DASH["panels"][0], "id": i, "targets": [{"refId": "A", "expr": f"sum(up{{i=\"{i}\"}})"}]}
        for i in range(40)]}))
    run, requests = _probe(tmp_path, {"/api/v1/query": h.drip_body(b'{"status": "success"}')})
    one_error_line(run, "within the deadline")
    assert run.seconds < 7
    assert sum(r.startswith("/api/v1/query?") for r in requests) <= 16


def test_probe_two_hundred_thousand_alerts_bounded(tmp_path):
    alert = {"labels": {"alertname": "ApiDown", "instance": "", "job": "api"}, "annotations": {"summary": "down"},
             "state": "firing", "activeAt": "2026-01-01T00:00:00Z", "value": "0e+00"}
    alerts = []
    for i in range(200_000):
        alerts.append({**alert, "labels": {**alert["labels"], "instance": f"host-{i}:9100"}})
    body = json.dumps({"status": "success", "data": {"alerts": alerts}})
    del alerts
    run, _requests = _probe(tmp_path, {"/api/v1/alerts": h.json_answer(body)}, "--fail-on", "error")
    assert run.code == 0, run.out[-2000:] + run.err[-2000:]
    assert "alert `ApiDown` is firing now (200,000 alerts, e.g. instance=host-0:9100, job=api)" in run.out
    assert run.out.count("PR003") == 1
    assert run.seconds < TIME_LIMIT and run.peak_rss < MEMORY_LIMIT, (run.seconds, run.peak_rss / 2**20)


@pytest.mark.parametrize("args,words", [
    (["--prometheus", "http://h:abc"], "not a valid URL"),
    (["--prometheus", "http://[::1"], "not a valid URL"),
    (["--prometheus", "http://h/\r\nX: y"], "control characters"),
    (["--prometheus", "h:9090"], "only http:// and https://"),
    (["--prometheus", "http://127.0.0.1:9090", "--timeout", "-1"], "above 0"),
    (["--prometheus", "http://127.0.0.1:9090", "--timeout", "nan"], "finite"),
    (["--prometheus", "http://127.0.0.1:9090", "--timeout", "inf"], "finite"),
    (["--prometheus", "http://127.0.0.1:9090", "--timeout", "0"], "above 0"),
    (["--prometheus", "http://127.0.0.1:9090", "--timeout", "abc"], "not a number"),
    (["--prometheus", "http://127.0.0.1:9090", "--max-answer-size", "0"], "at least 1 byte"),
    (["--prometheus", "http://127.0.0.1:9090", "--range", "forever"], "not a duration"),
])
def test_probe_arguments_are_checked(tmp_path, args, words):
    write(tmp_path / "a.yaml", ALERTS)
    one_error_line(obslint("probe", *args, "a.yaml", cwd=tmp_path), words)


def test_probe_unreachable(tmp_path):
    write(tmp_path / "a.yaml", ALERTS)
    one_error_line(obslint("probe", "--prometheus", f"http://127.0.0.1:{h.free_port()}", "a.yaml", cwd=tmp_path),
                   "cannot reach Prometheus", "connection refused")
