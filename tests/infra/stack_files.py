"""Paths, contract tables and helpers for the tests of the reference stack in infra/grafana.

The stack's contract (alert names, thresholds, dashboards) comes from DESIGN.md section 6 and the
seed write-up; the tables here restate it so that a drift in either file is caught.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "infra" / "grafana"
DASHBOARDS_DIR = GRAFANA / "dashboards"
PROM_RULES = GRAFANA / "provisioning" / "alerting" / "alert-rules.yml"
GRAFANA_RULES = GRAFANA / "provisioning" / "alerting" / "rules.yml"
UNIT_TESTS = GRAFANA / "tests" / "alert-rules.test.yml"
PROM_CONFIG = GRAFANA / "prometheus.yml"
COMPOSE = GRAFANA / "docker-compose.yml"
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "prometheus.yml"
DASHBOARD_PROVIDER = GRAFANA / "provisioning" / "dashboards" / "dashboards.yml"
METRICS_MD = GRAFANA / "METRICS.md"
ALERTMANAGER_CONFIG = GRAFANA / "alertmanager" / "alertmanager.yml"
WEBHOOK_RECEIVER = GRAFANA / "webhook_receiver.py"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SERVICES = {
    # alert-name prefix -> service label value
    "Auth": "auth-svc",
    "User": "user-svc",
    "Learner": "learner-svc",
    "Payment": "payment-svc",
    "Assessment": "assessment-svc",
    "IEP": "iep-svc",
}


def _expected_alerts() -> dict[str, dict]:
    """The alerts the platform must have (seed write-up and DESIGN.md section 6)."""
    alerts: dict[str, dict] = {}
    for prefix, svc in SERVICES.items():
        alerts[f"{prefix}Service5xxErrorRateHigh"] = {"op": ">", "threshold": 0.02, "severity": "critical",
                                                      "service": svc}
    for prefix, svc in SERVICES.items():
        alerts[f"{prefix}ServiceP95LatencyHigh"] = {"op": ">", "threshold": 1.0, "severity": "warning",
                                                    "service": svc}
    alerts["LearnerServiceAIInferenceLatencyHigh"] = {"op": ">", "threshold": 2.0, "severity": "warning",
                                                      "service": "learner-svc"}
    alerts["AssessmentAIScoringLatencyHigh"] = {"op": ">", "threshold": 3.0, "severity": "warning",
                                                "service": "assessment-svc"}
    alerts["IEPAIGenerationLatencyHigh"] = {"op": ">", "threshold": 5.0, "severity": "warning",
                                            "service": "iep-svc"}
    alerts["PaymentTransactionFailureRateHigh"] = {"op": ">", "threshold": 0.05, "severity": "critical",
                                                   "service": "payment-svc"}
    alerts["IEPComplianceScoreLow"] = {"op": "<", "threshold": 0.85, "severity": "warning",
                                       "service": "iep-svc"}
    # Stage-2 placeholder: hour-over-hour ratio of the token-based cost; one alert per AI service,
    # so `service` comes from the expression, not from a static label.
    alerts["InferenceCostSpikePlaceholder"] = {"op": ">", "threshold": 2.0, "severity": "info",
                                               "service": None}
    # FinOps budgets: month-end forecast against the monthly budget, per service (service from the
    # expression) and for the whole platform (no service label at all); cost moves slowly: for 30m.
    for scope in ("Service", "Platform"):
        alerts[f"{scope}BudgetForecastAbove80Percent"] = {"op": ">", "threshold": 0.8, "severity": "info",
                                                          "service": None, "for": 1800, "scope": scope.lower()}
        alerts[f"{scope}BudgetForecastExceeded"] = {"op": ">", "threshold": 1.0, "severity": "warning",
                                                    "service": None, "for": 1800, "scope": scope.lower()}
    for alert in alerts.values():
        alert.setdefault("for", 300)
        alert.setdefault("scope", "service")
    return alerts


EXPECTED_ALERTS = _expected_alerts()


def load_yaml(path: Path):
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_Loader)  # noqa: S506 - a safe loader (CSafeLoader/SafeLoader)


def load_json(path: Path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def parse_duration(text: str) -> int:
    """Prometheus duration (e.g. 5m, 1h30m) to seconds."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    parts = re.findall(r"(\d+)(ms|s|m|h|d|w|y)", str(text))
    if not parts or "".join(n + u for n, u in parts) != str(text):
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return int(sum(int(n) * units[u] for n, u in parts))


def contract_metrics() -> set[str]:
    """Metric names of the METRICS.md table, with the series names of histograms."""
    names: set[str] = set()
    for line in METRICS_MD.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*`([a-z_:][a-z0-9_:]*)`\s*\|\s*(\w+)", line)
        if not m:
            continue
        name, kind = m.groups()
        names.add(name)
        if kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


# --------------------------------------------------------------------------------------------------
# PromQL helpers (promql-parser, a dependency of obslint)
# --------------------------------------------------------------------------------------------------
GRAFANA_STANDINS = {
    "$__rate_interval": "1m",
    "$__interval": "1m",
    "$__range": "1h",
    "${datasource}": "prometheus",
    "$service": "__service__",
}


def parse_promql(expr: str):
    """Parse PromQL, with Grafana's macros and variables replaced by stand-ins first."""
    import promql_parser

    text = expr
    for macro, value in GRAFANA_STANDINS.items():
        text = text.replace(macro, value)
    return promql_parser.parse(text)


def nodes(expr: str, kind: str) -> list:
    """All AST nodes of the given class name (e.g. "VectorSelector"), in pre-order."""
    import promql_parser

    found = []

    def visit(node):
        if type(node).__name__ == kind:
            found.append(node)

    promql_parser.walk(parse_promql(expr), visit)
    return found


def selectors(expr: str) -> list:
    return nodes(expr, "VectorSelector")


def metric_names(expr: str) -> set[str]:
    return {vs.name for vs in selectors(expr) if vs.name}


def function_names(expr: str) -> set[str]:
    return {c.func.name for c in nodes(expr, "Call")}


def top_comparison(expr: str) -> tuple[str, float]:
    """(`>`/`<`/..., number) of an alert expression of the form `<query> <op> <number>`."""
    import promql_parser

    ast = parse_promql(expr)
    if not isinstance(ast, promql_parser.BinaryExpr) or not isinstance(ast.rhs, promql_parser.NumberLiteral):
        raise AssertionError(f"not `<query> <comparison> <number>`: {expr}")
    op = str(ast.op)
    if op not in (">", "<", ">=", "<=", "==", "!="):
        raise AssertionError(f"top-level operator {op!r} is not a comparison: {expr}")
    return op, float(ast.rhs.val)


def result_labels(expr: str, recording: dict[str, str] | None = None) -> set[str]:
    """Labels the result of an aggregated expression carries: the `by` labels of its outermost
    aggregation (minus `le`, which histogram_quantile consumes). A selector of a recording rule is
    resolved through the rule's own expression."""
    aggs = nodes(expr, "AggregateExpr")
    if aggs:
        modifier = aggs[0].modifier
        if modifier is None or str(modifier.type).endswith("Without"):
            raise AssertionError(f"outermost aggregation is not `by (...)`: {expr}")
        return set(modifier.labels) - {"le"}
    recording = recording or {}
    for vs in selectors(expr):
        if vs.name in recording:
            return result_labels(recording[vs.name], recording)
    raise AssertionError(f"cannot tell which labels the result of this expression carries: {expr}")


def template_labels(text: str) -> set[str]:
    """Label names a Go template refers to as `$labels.<name>` or `index $labels "<name>"`."""
    return set(re.findall(r"\$labels\.([A-Za-z_][A-Za-z0-9_]*)", text)) | set(
        re.findall(r'index\s+\$labels\s+"([^"]+)"', text))
