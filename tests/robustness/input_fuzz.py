"""Fuzz cases for the inputs that are not linted files: the policy (obslint.yaml), the HTTP
answers of `--metrics-from`, and the HTTP answers of `obslint probe` (served by the hostile
server of hostile_http on 127.0.0.1). Used by scripts/fuzz.py (`--kind policy|metrics-from|probe`).

A case is run through `obslint.cli.main` in-process; the oracle: no exception escapes, the
exit status is 0, 1 or 2, an exit 2 is exactly one line on stderr that starts with
`obslint: error:` and quotes nothing marked secret, no IN011."""
from __future__ import annotations

import contextlib
import io
import json
import os
import random
from pathlib import Path

import yaml

from tests.robustness import hostile_http as h
from tests.robustness.mutations import Case, Escape, edit_lines, flip_bytes, insert_token, mutate_tree, truncate

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "infra" / "obslint.yaml"
RULES_DIR = REPO / "infra" / "grafana" / "provisioning" / "alerting"
SECRET = "hunter2-secret"

HOSTILE_POLICY_FRAGMENTS = [
    # alias bomb, recursive alias, wrong types, huge integers, deep nesting, slow regexes
    "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + chr(ord(c) - 1)] * 9)}]\n" for c in "bcdefghi") + "exclude: *i\n",
    "exclude: &x [*x]\n",
    "checks: {severity: {1: error}}\n",
    "checks: {ignore: 5}\n",
    "checks: {options: {PQ101: [1, 2]}}\n",
    "max-file-size: " + "9" * 5_000 + "\n",
    "max-file-size: -1\n",
    "max-file-size: 1e400\n",
    "scrape-interval: forever\n",
    "dashboards: {uid-pattern: '^(a+)+$'}\n",
    "dashboards: {uid-pattern: '(('}\n",
    "alerts: {name-pattern: '(x|x?)+y'}\n",
    "exclude: [" + ", ".join(f"'d{i}/**'" for i in range(5_000)) + "]\n",
    "metrics: " + "[" * 3_000 + "]" * 3_000 + "\n",
    "metrics-from: [/proc/self/environ]\n",
    "metrics-from: [/dev/zero]\n",
    "ignore: [{code: '**', path: '[!'}]\n",
    "x: !!timestamp nope\n",
    "x: !!python/object/apply:os.system [echo pwned]\n",
    f"{SECRET}: \x00\n",
    "---\nsecond: document\n",
    "\t- tab\n",
]


def policy_case(rng: random.Random) -> Case:
    """The infra policy, mutated as a tree or as bytes, or with a hostile fragment appended."""
    raw = POLICY.read_bytes()
    steps = []
    r = rng.random()
    if r < 0.35:
        data = yaml.safe_load(raw)
        raw = yaml.safe_dump(mutate_tree(rng, data), sort_keys=False).encode()
        steps.append("tree")
    elif r < 0.6:
        for _ in range(rng.randint(1, 3)):
            m = rng.choice((flip_bytes, truncate, insert_token, edit_lines))
            raw = m(rng, raw)
            steps.append(m.__name__)
    else:
        fragment = rng.choice(HOSTILE_POLICY_FRAGMENTS)
        base = raw if rng.random() < 0.5 else b""
        raw = base + b"\n" + fragment.encode()
        steps.append(f"fragment {HOSTILE_POLICY_FRAGMENTS.index(fragment)}")
    return Case(POLICY, "obslint.yaml", raw, steps)


def _exposition_body(rng: random.Random) -> bytes:
    lines = ["# HELP http_requests_total Requests.", "# TYPE http_requests_total counter"]
    for i in range(rng.randint(0, 50)):
        lines.append(f'http_requests_total{{service="s{i}",status="200"}} {rng.random() * 100:.3f}')
    lines += ["# TYPE latency_seconds histogram", 'latency_seconds_bucket{le="+Inf"} 1', "latency_seconds_sum 1",
              "latency_seconds_count 1"]
    raw = ("\n".join(lines) + "\n").encode()
    for _ in range(rng.randint(0, 3)):
        raw = rng.choice((flip_bytes, truncate, insert_token, edit_lines))(rng, raw)
    if rng.random() < 0.2:
        raw += f"{SECRET}=1\n".encode()
    return raw


def http_behaviour(rng: random.Random, body: bytes, ctype: str):
    """A way to answer with `body` (mostly well, sometimes hostile), and its name."""
    r = rng.random()
    if r < 0.55:
        return h.static(body, status=rng.choice([200] * 8 + [204, 302, 404, 500]), ctype=ctype), "static"
    choices = [
        ("drip", lambda: h.drip_body(body[:40] or b"x", step=0.3)),
        ("drip-headers", lambda: h.drip_headers(step=0.3)),
        ("endless", lambda: h.endless(body[:4096] or b"x", ctype)),
        ("lying-length", lambda: h.lying_length(rng.choice(["abc", "9" * 50, "-1", str(len(body) + 10), "0"]), body)),
        ("raw", lambda: h.raw(rng.choice([b"\r\n\r\n", b"HTTP/1.1 200\r\n\r\n" + body, b"\x00" * 64, body]))),
        ("closed", h.close_at_once),
        ("redirect-loop", h.redirect_loop),
    ]
    name, make = rng.choice(choices)
    return make(), name


def metrics_from_case(rng: random.Random) -> tuple[dict, Case]:
    body = _exposition_body(rng)
    behave, name = http_behaviour(rng, body, "text/plain; version=0.0.4")
    return {"/metrics": behave}, Case(Path("metrics-from"), name, body, [name])


def _probe_answers(rng: random.Random) -> dict:
    good = {
        "/api/v1/status/buildinfo": {"status": "success", "data": {"version": "2.53.0"}},
        "/api/v1/label/__name__/values": {"status": "success", "data": ["up", "http_requests_total"]},
        "/api/v1/query": {"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"job": "a"}, "value": [1, "1"]}]}},
        "/api/v1/alerts": {"status": "success", "data": {"alerts": [
            {"labels": {"alertname": "A", "job": "a"}, "state": "firing"}]}},
    }
    return good


def probe_case(rng: random.Random) -> tuple[dict, Case]:
    answers = _probe_answers(rng)
    routes = {path: h.json_answer(value) for path, value in answers.items()}
    path = rng.choice(sorted(answers))
    r = rng.random()
    if r < 0.5:
        text = json.dumps(mutate_tree(rng, answers[path]))
    elif r < 0.7:
        text = rng.choice(["[]", '"x"', "null", "NaN", '{"status": NaN}', "[" * 20_000 + "]" * 20_000,
                           '{"status": "success", "data": ' + "{\"a\":" * 5_000 + "1" + "}" * 5_000 + "}",
                           SECRET, "{"])
    else:
        text = json.dumps(answers[path])
    behave, name = http_behaviour(rng, text.encode(), "application/json")
    routes[path] = behave
    return routes, Case(Path(path), name, text.encode(), [path, name, f"{r:.2f}"])


RULES = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n"


def run_cli(argv: list[str], cwd: Path, env: dict | None = None) -> tuple[int, str, str]:
    """obslint's main in-process, in cwd, with extra environment; (exit, stdout, stderr).
    Raises Escape for an exception that gets out."""
    from obslint import cli

    out, err = io.StringIO(), io.StringIO()
    old_cwd, old_env = os.getcwd(), dict(os.environ)
    os.environ.update(env or {})
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except Exception as exc:  # noqa: BLE001 - what the oracle looks for
                raise Escape(f"exception escaped: {type(exc).__name__}: {exc}") from exc
    finally:
        os.chdir(old_cwd)
        os.environ.clear()
        os.environ.update(old_env)
    return code, out.getvalue(), err.getvalue()


def judge(code: int, out: str, err: str, secret_may_show: bool = False) -> None:
    if code not in (0, 1, 2):
        raise Escape(f"exit status {code}")
    if "Traceback" in out + err or "IN011" in out:
        raise Escape(f"traceback or internal error: {(err or out)[-500:]}")
    if code == 2:
        lines = err.strip().splitlines()
        if len(lines) != 1 or not lines[0].startswith("obslint: error:"):
            raise Escape(f"exit 2 without one clear line: {err[-500:]!r}")
    if SECRET in err and not secret_may_show:  # (a policy's own key names may be shown)
        raise Escape(f"an error quotes the source's content: {err[-300:]!r}")


def run_input_case(kind: str, seed: int, workdir: Path, server: h.HostileServer | None) -> Case:
    """Make and run one case of `kind`; Escape when a promise is broken. Returns the case."""
    rng = random.Random(f"{kind}-{seed}")
    for old in workdir.iterdir():
        if old.is_file() or old.is_fifo():
            old.unlink()
    (workdir / "rules.yaml").write_text(RULES)
    fast = {"OBSLINT_FETCH_TIMEOUT": "1", "OBSLINT_FETCH_MAX_BYTES": str(2**20)}
    if kind == "policy":
        case = policy_case(rng)
        (workdir / case.name).write_bytes(case.data)
        judge(*run_cli(["-q", "rules.yaml"], workdir, fast), secret_may_show=True)
        return case
    assert server is not None
    if kind == "metrics-from":
        routes, case = metrics_from_case(rng)
        server.routes = routes
        judge(*run_cli(["--no-config", "-q", "--metrics-from", server.url("/metrics"), "rules.yaml"], workdir, fast))
        return case
    routes, case = probe_case(rng)
    server.routes = routes
    judge(*run_cli(["probe", "--prometheus", server.url(), "--timeout", "1", "--max-answer-size", str(2**20),
                    "rules.yaml"], workdir, fast))
    return case
