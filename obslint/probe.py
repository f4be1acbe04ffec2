"""`obslint probe`: run every dashboard panel query and alert expression against a live
Prometheus (HTTP API, read-only) and report empty panels, unseen metrics and active alerts."""
from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from obslint import promql, registry
from obslint.findings import Finding, Severity

_MACROS = {
    "__rate_interval": "{rate}", "__interval": "{step}", "__range": "{range}", "__auto_interval": "{step}",
    "__range_s": "{range_s}", "__range_ms": "{range_ms}", "__interval_ms": "{step_ms}",
}
_VAR = re.compile(r"\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z0-9_]+)(?::[^\]]*)?\]\]")


class ProbeError(Exception):
    """Prometheus cannot be used at all (unreachable, not Prometheus): one line, exit 2."""


class Prometheus:
    def __init__(self, url: str, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def get(self, path: str, **params) -> dict:
        query = urllib.parse.urlencode(params)
        req = urllib.request.Request(f"{self.url}{path}?{query}" if query else f"{self.url}{path}",
                                     headers={"Accept": "application/json"}, method="GET")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                body = resp.read()
        except urllib.error.HTTPError as exc:
            body = exc.read()
            try:
                return json.loads(body)
            except ValueError:
                raise ProbeError(f"{self.url}{path}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ProbeError(f"cannot reach Prometheus at {self.url}: {reason}") from None
        try:
            return json.loads(body)
        except ValueError:
            raise ProbeError(f"{self.url}{path} did not answer with JSON: is this a Prometheus?") from None


def interpolate(expr: str, variables: dict[str, str], rate: str, step: str, rng: str) -> str:
    """Replace Grafana macros and dashboard variables with concrete values, as Grafana would."""
    seconds = {"rate": rate, "step": step, "range": rng}
    from obslint.durations import parse_duration

    values = {**{k: v.format(**seconds, range_s=int(parse_duration(rng) or 3600),
                              range_ms=int((parse_duration(rng) or 3600) * 1000),
                              step_ms=int((parse_duration(step) or 60) * 1000)) for k, v in _MACROS.items()},
              **variables}

    def sub(m: re.Match) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        return values.get(name, m.group(0))

    return _VAR.sub(sub, expr)


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


def probe(paths: list[Path], url: str, *, timeout: float = 10.0, rate: str = "1m", step: str = "1m",
          rng: str = "1h", workers: int = 8):
    """Return (findings, stats) for every query in the linted files."""
    from obslint.config import Config, find_config, load_config
    from obslint.engine import load_project

    config = load_config(find_config(paths[0])) if paths else Config()
    project, _problems, _files = load_project(paths, config)
    prom = Prometheus(url, timeout)
    build = prom.get("/api/v1/status/buildinfo")
    if build.get("status") != "success":
        raise ProbeError(f"{url} did not answer /api/v1/status/buildinfo like a Prometheus")
    names = prom.get("/api/v1/label/__name__/values")
    known = set(names.get("data") or []) if names.get("status") == "success" else None
    recorded = {r.data.get("record") for r in project.rules if isinstance(r.data.get("record"), str)}

    variables_by_dash = {id(d): dashboard_variables(d) for d in project.dashboards}
    jobs = []
    for q in project.queries:
        if q.origin == "panel":
            variables = variables_by_dash.get(id(q.owner.dashboard), {})
        else:
            variables = {}
        jobs.append((q, interpolate(q.expr, variables, rate, step, rng) if q.grafana else q.expr))

    def run(job):
        q, text = job
        try:
            return q, text, prom.get("/api/v1/query", query=text, timeout=f"{int(timeout)}s")
        except ProbeError as exc:
            return q, text, {"status": "error", "error": str(exc)}

    findings: list[Finding] = []
    empty = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(run, jobs))
    for q, text, answer in results:
        where = _where(q)
        if answer.get("status") != "success":
            findings.append(_finding(q, "PR004",
                                     f"{where}: Prometheus could not run `{_short(text)}`: {answer.get('error')}",
                                     "fix the query; run it in Prometheus' expression browser"))
            continue
        data = answer.get("data") or {}
        result = data.get("result")
        if q.origin == "panel" and data.get("resultType") in ("vector", "matrix") and not result:
            empty += 1
            findings.append(_finding(q, "PR001",
                                     f"{where}: query returns no series: `{_short(text)}`",
                                     "check metric and label names against what the target exposes"))
        if known is not None:
            parsed = promql.parse(q.expr)
            for sel in parsed.selectors:
                if sel.name and not sel.name.startswith("__var_") and sel.name not in known and sel.name not in recorded:
                    findings.append(_finding(q, "PR002",
                                             f"{where}: metric `{sel.name}` has never been seen by {url}",
                                             "check the exporter exposes it and that the target is scraped"))
    alerts = prom.get("/api/v1/alerts")
    defined = {r.name: r for r in project.rules if r.is_alert}
    for alert in (alerts.get("data") or {}).get("alerts") or []:
        name = (alert.get("labels") or {}).get("alertname")
        rule = defined.get(name)
        if rule is None:
            continue
        labels = ", ".join(f"{k}={v}" for k, v in sorted((alert.get("labels") or {}).items()) if k != "alertname")
        findings.append(_rule("PR003").finding(rule.doc, rule.path, f"alert `{name}` is {alert.get('state')} now ({labels})"))
    for f in findings:
        if f.doc is not None and not f.line:
            f.line, f.col = f.doc.locate(f.node, f.at_key)
    # One finding per (file, line, code, message): a query shared by panels is reported once each.
    findings.sort(key=Finding.sort_key)
    stats = {"queries": len(jobs), "empty_panels": empty, "prometheus": url,
             "version": (build.get("data") or {}).get("version"), "sources": project.sources}
    return findings, stats


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


def main(argv: list[str]) -> int:
    from obslint.cli import UsageError, _Parser

    p = _Parser(prog="obslint probe", description="Run every panel query and alert expression against a "
                "live Prometheus; report empty panels, metrics it never saw, and pending or firing alerts. "
                "Read-only: only GET requests to the query API.")
    p.add_argument("paths", nargs="*", type=Path, help="files or directories (default: .)")
    p.add_argument("--prometheus", required=True, help="base URL, e.g. http://127.0.0.1:9090")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per query (default 10)")
    p.add_argument("--rate-interval", default="1m", help="value for $__rate_interval (default 1m)")
    p.add_argument("--interval", default="1m", help="value for $__interval (default 1m)")
    p.add_argument("--range", default="1h", help="value for $__range (default 1h)")
    p.add_argument("--format", choices=("plain", "json"), default="plain")
    p.add_argument("--fail-on", default="warning", help="lowest severity that makes the exit code 1 (default warning)")
    args = p.parse_args(argv)
    if not args.prometheus.startswith(("http://", "https://")):
        raise UsageError(f"--prometheus must be an http(s) URL, not {args.prometheus!r}")
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
                                step=args.interval, rng=args.range)
    except ProbeError as exc:
        print(f"obslint: error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps({"prometheus": stats["prometheus"], "version": stats["version"],
                          "queries": stats["queries"], "empty_panels": stats["empty_panels"],
                          "findings": [{"code": f.code, "severity": str(f.severity), "file": f.file, "line": f.line,
                                        "column": f.col, "message": f.message} for f in findings]}, indent=2))
    else:
        for f in findings:
            print(f"{f.file}:{f.line}:{f.col}: {f.severity} {f.code} {f.message}")
        print(f"Probed {stats['queries']} queries against {stats['prometheus']} (Prometheus {stats['version']}): "
              f"{stats['empty_panels']} empty panel queries, {len(findings)} findings")
    return 1 if any(f.severity >= fail_on for f in findings) else 0
