"""`obslint probe`: run every dashboard panel query and alert expression against a live
Prometheus (HTTP API, read-only) and report empty panels, unseen metrics and active alerts.

Every request goes through obslint.netfetch: a deadline for the whole request (`--timeout`)
and a size cap on the answer (`--max-answer-size`), so a server that trickles or never ends
its answer cannot hold the probe. Answers are checked for the shape of Prometheus' API; any
other answer (a list, a string, null, NaN, deeply nested JSON) is one clear error, exit 2.
Each distinct query text is sent once."""
from __future__ import annotations

import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from obslint import netfetch, promql, registry
from obslint.findings import Finding, Severity, sort_key
from obslint.report.text import json_safe, printable

_MACROS = {
    "__rate_interval": "{rate}", "__interval": "{step}", "__range": "{range}", "__auto_interval": "{step}",
    "__range_s": "{range_s}", "__range_ms": "{range_ms}", "__interval_ms": "{step_ms}",
}
DEFAULT_TIMEOUT = 10.0
EXAMPLE_ALERTS = 1  # label sets shown per active alert rule; the rest are counted


class ProbeError(Exception):
    """Prometheus cannot be used at all (unreachable, not Prometheus): one line, exit 2."""


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


class Prometheus:
    def __init__(self, url: str, timeout: float, max_bytes: int | None = None) -> None:
        try:
            netfetch.check_url(url)
        except netfetch.FetchError as exc:
            raise ProbeError(f"--prometheus {exc}") from None
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.max_bytes = netfetch.default_max_bytes() if max_bytes is None else max_bytes

    def get(self, path: str, object_hook=None, **params) -> dict:
        """The JSON object Prometheus answers on path; ProbeError for anything else."""
        import urllib.parse

        query = urllib.parse.urlencode(params)
        url = f"{self.url}{path}?{query}" if query else f"{self.url}{path}"
        where = f"{netfetch._show(self.url)}{path}"
        try:
            answer = netfetch.stream(url, timeout=self.timeout, max_bytes=self.max_bytes,
                                     headers={"Accept": "application/json"})
            body = answer.read()
        except netfetch.FetchError as exc:
            text = str(exc)
            for reason in ("connection refused", "unknown host"):
                if text.endswith(reason):
                    raise ProbeError(f"cannot reach Prometheus at {netfetch._show(self.url)}: {reason}") from None
            raise ProbeError(text) from None
        try:
            data = json.loads(body, parse_constant=_reject_constant, object_hook=object_hook)
        except RecursionError:
            raise ProbeError(f"{where}: the answer nests too deeply: not Prometheus' API") from None
        except ValueError as exc:  # also UnicodeDecodeError
            kind = "not valid JSON" if not isinstance(exc, UnicodeDecodeError) else "not UTF-8"
            raise ProbeError(f"{where} answered HTTP {answer.status} with {len(body):,} bytes that are {kind}: "
                             f"is this a Prometheus?") from None
        if not isinstance(data, dict):
            raise ProbeError(f"{where} answered JSON {_json_kind(data)}, not the object of Prometheus' API")
        if answer.status != 200 and data.get("status") != "error":
            raise ProbeError(f"{where}: HTTP {answer.status}")
        return data


def _json_kind(value) -> str:
    return {list: "a list", str: "a string", type(None): "null", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


def _expect(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise ProbeError(f"{where}: {what}: not the shape of Prometheus' API")


def _message(text) -> str:
    """An error text from the server, for a finding: escaped and bounded."""
    return _short(printable(str(text)))


def interpolate(expr: str, variables: dict[str, str], rate: str, step: str, rng: str) -> str:
    """Replace Grafana macros and dashboard variables with concrete values, as Grafana would."""
    seconds = {"rate": rate, "step": step, "range": rng}
    from obslint.durations import parse_duration

    values = {**{k: v.format(**seconds, range_s=int(parse_duration(rng) or 3600),
                              range_ms=int((parse_duration(rng) or 3600) * 1000),
                              step_ms=int((parse_duration(step) or 60) * 1000)) for k, v in _MACROS.items()},
              **variables}

    from obslint import grafanavars

    def sub(m: re.Match) -> str:
        if m.group(1) and "." in m.group(0):  # `${name.field}`: a field Grafana reads, not the value
            return m.group(0)
        return values.get(grafanavars.name(m), m.group(0))

    return grafanavars.REFERENCE.sub(sub, expr)


def dashboard_variables(dashboard) -> dict[str, str]:
    """Current values of a dashboard's variables; `All` and unknown become a match-all regex."""
    out: dict[str, str] = {}
    for v in dashboard.variables:
        name = v.get("name")
        if not isinstance(name, str):
            continue
        current = v.get("current") if isinstance(v.get("current"), dict) else {}
        value = current.get("value")
        if isinstance(value, list):
            value = "|".join(str(x) for x in value) if value else None
        if value in (None, "", "$__all") and v.get("type") in ("constant", "custom", "textbox"):
            value = v.get("query")
            if v.get("type") == "custom" and isinstance(value, str):
                value = value.split(",")[0].split(" : ")[-1].strip()
        if value in (None, "", "$__all"):
            value = ".*"
        if v.get("type") == "datasource":
            continue
        out[name] = str(value)
    return out


def probe(paths: list[Path], url: str, *, timeout: float = DEFAULT_TIMEOUT, rate: str = "1m", step: str = "1m",
          rng: str = "1h", workers: int = 8, max_bytes: int | None = None):
    """Return (findings, stats) for every query in the linted files."""
    from obslint.config import Config, find_config, load_config
    from obslint.engine import load_project

    prom = Prometheus(url, timeout, max_bytes)
    shown = netfetch._show(url)
    config = load_config(find_config(paths[0])) if paths else Config()
    project, _problems, _files = load_project(paths, config)
    build = prom.get("/api/v1/status/buildinfo")
    build_data = build.get("data")
    if build.get("status") != "success" or not isinstance(build_data, dict):
        raise ProbeError(f"{shown} did not answer /api/v1/status/buildinfo like a Prometheus")
    names = prom.get("/api/v1/label/__name__/values")
    known = None
    if names.get("status") == "success":
        values = names.get("data")
        _expect(isinstance(values, list) and all(isinstance(v, str) for v in values),
                f"{shown}/api/v1/label/__name__/values", "`data` is not a list of names")
        known = set(values)
    recorded = {r.data.get("record") for r in project.rules if isinstance(r.data.get("record"), str)}

    variables_by_dash = {id(d): dashboard_variables(d) for d in project.dashboards}
    jobs = []
    for q in project.queries:
        if q.origin == "panel":
            variables = variables_by_dash.get(id(q.owner.dashboard), {})
        else:
            variables = {}
        jobs.append((q, interpolate(q.expr, variables, rate, step, rng) if q.grafana else q.expr))

    # Prometheus' own query timeout ends a slow query with an error (PR004) before the request's
    # deadline; a request past its deadline is a server that does not answer: the probe stops.
    query_timeout = f"{max(1, int(timeout * 800))}ms"

    def run(text: str):
        return text, _query_answer(prom.get("/api/v1/query", query=text, timeout=query_timeout), shown)

    pool = ThreadPoolExecutor(max_workers=workers)
    try:  # each distinct text once; on the first fatal answer, the queries not yet sent are dropped
        answers = dict(pool.map(run, dict.fromkeys(text for _q, text in jobs)))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    findings: list[Finding] = []
    empty = 0
    for q, text in jobs:
        answer = answers[text]
        where = _where(q)
        if answer.get("status") != "success":
            findings.append(_finding(q, "PR004",
                                     f"{where}: Prometheus could not run `{_short(text)}`: "
                                     f"{_message(answer.get('error'))}",
                                     "fix the query; run it in Prometheus' expression browser"))
            continue
        data = answer["data"]
        if q.origin == "panel" and data["resultType"] in ("vector", "matrix") and not data["result"]:
            empty += 1
            findings.append(_finding(q, "PR001",
                                     f"{where}: query returns no series: `{_short(text)}`",
                                     "check metric and label names against what the target exposes"))
        if known is not None:
            parsed = promql.parse(q.expr)
            for sel in parsed.selectors:
                if sel.name and not sel.name.startswith("__var_") and sel.name not in known and sel.name not in recorded:
                    findings.append(_finding(q, "PR002",
                                             f"{where}: metric `{sel.name}` has never been seen by {shown}",
                                             "check the exporter exposes it and that the target is scraped"))
    findings += _active_alerts(prom, project, shown)
    for f in findings:
        if f.doc is not None and not f.line:
            f.line, f.col = f.doc.locate(f.node, f.at_key)
    findings.sort(key=sort_key)
    stats = {"queries": len(jobs), "empty_panels": empty, "prometheus": shown,
             "version": build_data.get("version") if isinstance(build_data.get("version"), str) else None,
             "sources": project.sources}
    return findings, stats


def _query_answer(answer: dict, shown: str) -> dict:
    """A /api/v1/query answer, checked: success with data.resultType and a list data.result,
    or an error with its text."""
    where = f"{shown}/api/v1/query"
    if answer.get("status") == "success":
        data = answer.get("data")
        _expect(isinstance(data, dict), where, "`data` is not an object")
        _expect(isinstance(data.get("resultType"), str), where, "`data.resultType` is not a string")
        result = data.get("result")
        if data["resultType"] in ("vector", "matrix"):
            _expect(isinstance(result, list), where, "`data.result` is not a list")
        return {"status": "success", "data": {"resultType": data["resultType"],
                                              "result": bool(result) if isinstance(result, list) else result}}
    if answer.get("status") == "error":
        return {"status": "error", "error": answer.get("error")}
    raise ProbeError(f"{where}: `status` is neither success nor error: not the shape of Prometheus' API")


def _active_alerts(prom: Prometheus, project, shown: str) -> list[Finding]:
    """PR003, one finding per alert rule and state, with the number of active alerts and one
    example label set: 200,000 firing alerts are counted, not listed (nor kept in memory:
    each alert object is reduced while the answer is parsed)."""
    defined = {r.name: r for r in project.rules if r.is_alert}
    counts: dict[tuple, int] = {}
    examples: dict[tuple, dict] = {}
    malformed = [0]

    def reduce(obj: dict):
        if "labels" in obj and "state" in obj:
            labels, state = obj.get("labels"), obj.get("state")
            if not isinstance(labels, dict) or not isinstance(state, str) or \
                    not all(isinstance(v, str) for v in labels.values()):
                malformed[0] += 1
                return None
            name = labels.get("alertname")
            if name in defined:
                key = (name, state)
                counts[key] = counts.get(key, 0) + 1
                examples.setdefault(key, labels)
            return None
        return obj

    answer = prom.get("/api/v1/alerts", object_hook=reduce)
    if answer.get("status") == "success":
        data = answer.get("data")
        _expect(isinstance(data, dict) and isinstance(data.get("alerts"), list), f"{shown}/api/v1/alerts",
                "`data.alerts` is not a list")
        _expect(not malformed[0], f"{shown}/api/v1/alerts", f"{malformed[0]:,} alerts without string labels and state")
    out = []
    for (name, state), n in sorted(counts.items()):
        rule = defined[name]
        labels = ", ".join(f"{k}={v}" for k, v in sorted(examples[(name, state)].items()) if k != "alertname")
        many = f"{n:,} alerts, e.g. " if n > 1 else ""
        out.append(_rule("PR003").finding(rule.doc, rule.path,
                                          f"alert `{name}` is {printable(state)} now ({many}{_message(labels)})"))
    return out


def _where(q) -> str:
    if q.origin == "panel":
        return f"dashboard `{q.owner.dashboard.uid or q.owner.dashboard.title}` panel `{q.owner.title}`"
    if q.origin == "rule":
        return f"rule `{q.owner.name}`"
    return f"Grafana rule `{q.owner.title}`"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 140 else text[:137] + "..."


def _rule(code: str):
    """The live check (obslint.checks.live) that reports `code`, with its default severity."""
    return registry.get(code)()


def _finding(q, code, message, fix) -> Finding:
    return _rule(code).finding(q.doc, q.path, message, fix=fix, scope=q.scope)


def _seconds(text: str) -> float:
    import argparse

    try:
        return netfetch.positive_seconds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _bytes(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of bytes") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at least 1 byte")
    return value


def main(argv: list[str]) -> int:
    from obslint.cli import UsageError, _Parser
    from obslint.config import ConfigError

    p = _Parser(prog="obslint probe", description="Run every panel query and alert expression against a "
                "live Prometheus; report empty panels, metrics it never saw, and pending or firing alerts. "
                "Read-only: only GET requests to the query API.")
    p.add_argument("paths", nargs="*", type=Path, help="files or directories (default: .)")
    p.add_argument("--prometheus", required=True, help="base URL, e.g. http://127.0.0.1:9090")
    p.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT,
                   help=f"deadline of each request to Prometheus, whole answer included, in seconds "
                        f"(default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--max-answer-size", type=_bytes, default=None, metavar="BYTES",
                   help=f"refuse answers larger than this (default {netfetch.DEFAULT_MAX_BYTES:,}, "
                        f"or OBSLINT_FETCH_MAX_BYTES)")
    p.add_argument("--rate-interval", default="1m", help="value for $__rate_interval (default 1m)")
    p.add_argument("--interval", default="1m", help="value for $__interval (default 1m)")
    p.add_argument("--range", default="1h", help="value for $__range (default 1h)")
    p.add_argument("--format", choices=("plain", "json"), default="plain")
    p.add_argument("--fail-on", default="warning", help="lowest severity that makes the exit code 1 (default warning)")
    args = p.parse_args(argv)
    try:
        netfetch.check_url(args.prometheus)
    except netfetch.FetchError as exc:
        raise UsageError(f"--prometheus: {exc}") from None
    from obslint.durations import parse_duration

    for option in ("rate_interval", "interval", "range"):
        if parse_duration(getattr(args, option)) is None:
            raise UsageError(f"--{option.replace('_', '-')}: {getattr(args, option)!r} is not a duration like 5m")
    try:
        fail_on = Severity.parse(args.fail_on)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    paths = args.paths or [Path(".")]
    for path in paths:
        if not path.exists():
            raise UsageError(f"no such file or directory: {path}")
    try:
        findings, stats = probe(paths, args.prometheus, timeout=args.timeout, rate=args.rate_interval,
                                step=args.interval, rng=args.range, max_bytes=args.max_answer_size)
    except (ProbeError, ConfigError, netfetch.FetchError) as exc:
        print(f"obslint: error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json_safe(json.dumps({
            "prometheus": stats["prometheus"], "version": stats["version"], "queries": stats["queries"],
            "empty_panels": stats["empty_panels"],
            "findings": [{"code": f.code, "severity": str(f.severity), "file": f.file, "line": f.line,
                          "column": f.col, "message": f.message} for f in findings]}, indent=2, ensure_ascii=False)))
    else:
        for f in findings:
            print(f"{printable(f.file)}:{f.line}:{f.col}: {f.severity} {f.code} {printable(f.message)}")
        print(f"Probed {stats['queries']} queries against {stats['prometheus']} "
              f"(Prometheus {printable(str(stats['version']))}): "
              f"{stats['empty_panels']} empty panel queries, {len(findings)} findings")
    return 1 if any(f.severity >= fail_on for f in findings) else 0
