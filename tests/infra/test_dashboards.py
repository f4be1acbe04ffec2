"""The seven dashboards of infra/grafana/dashboards.

Model: bare dashboard JSON, schemaVersion 39, flat `panels[]` on a 24-column grid without overlaps,
stable unique uids and titles, a `datasource` variable used by every panel and target. Content: the
panels each dashboard must have, the metric each one queries, units, and thresholds that match the
alert thresholds of alert-rules.yml.
"""
from __future__ import annotations

import json
import re

import pytest

from stack_files import (
    DASHBOARDS_DIR,
    GRAFANA_STANDINS,
    contract_metrics,
    function_names,
    load_json,
    metric_names,
    parse_promql,
    selectors,
    top_comparison,
)

DS = {"type": "prometheus", "uid": "${datasource}"}

# panel title -> metrics its queries read (a set: all of them, nothing else)
COMMON = {
    "Request Rate (RPS)": {"http_requests_total"},
    "5xx Error Rate": {"http_requests_total"},
    "Latency P50 / P95 / P99": {"http_request_duration_seconds_bucket"},
    "CPU Usage (cores)": {"service_cpu_seconds_total"},
    "Memory Usage": {"service_memory_bytes"},
    "DB Connections (active vs max)": {"db_connections_active", "db_connections_max"},
    "DB Pool Utilisation": {"db_connections_active", "db_connections_max"},
}
COMMON_ROWS = ["Traffic & Errors", "Resources"]
# every service dashboard ends with its cost (FinOps: hourly cost and cost per request)
COST = {
    "Hourly Cost (USD/hour)": {"infrastructure_cost_total"},
    "Cost per Request (USD)": {"infrastructure_cost_total", "http_requests_total"},
}

# file -> (uid, title, service, rows, panels)
SERVICE_DASHBOARDS = {
    "auth-service.json": ("edu-auth-service", "Auth Service", "auth-svc", COMMON_ROWS, COMMON),
    "user-service.json": ("edu-user-service", "User Service", "user-svc", COMMON_ROWS, COMMON),
    "learner-service.json": ("edu-learner-service", "Learner Service", "learner-svc",
                             COMMON_ROWS + ["AI Inference"], {
                                 **COMMON,
                                 "AI Inference Latency P95": {"ai_inference_duration_seconds_bucket"},
                                 "AI Inference Throughput": {"ai_inference_requests_total"},
                             }),
    "payment-service.json": ("edu-payment-service", "Payment Service", "payment-svc",
                             COMMON_ROWS + ["Payments"], {
                                 **COMMON,
                                 "Transactions by Status": {"payment_transactions_total"},
                                 "Transaction Failure Rate": {"payment_transactions_total"},
                                 "Revenue (USD/hour)": {"payment_revenue_dollars_total"},
                                 "Processing Fees (USD/hour)": {"payment_processing_fees_dollars_total"},
                             }),
    "assessment-service.json": ("edu-assessment-service", "Assessment Service", "assessment-svc",
                                COMMON_ROWS + ["Assessments"], {
                                    **COMMON,
                                    "Assessment Completions by Type": {"assessment_completed_total"},
                                    "AI Scoring Latency P95": {"ai_inference_duration_seconds_bucket"},
                                    "AI Scoring Throughput": {"ai_inference_requests_total"},
                                }),
    "iep-service.json": ("edu-iep-service", "IEP Service", "iep-svc", COMMON_ROWS + ["IEP"], {
        **COMMON,
        "AI Generation Latency P95": {"ai_inference_duration_seconds_bucket"},
        "IEP Compliance Score": {"iep_compliance_score_ratio"},
        "IEP Documents Generated": {"iep_documents_generated_total"},
        "AI Generation Throughput": {"ai_inference_requests_total"},
    }),
}
SERVICE_DASHBOARDS = {f: (uid, title, svc, rows + ["Cost"], {**panels_, **COST})
                      for f, (uid, title, svc, rows, panels_) in SERVICE_DASHBOARDS.items()}

FINOPS_PANELS = {
    "Infrastructure Cost per Service (hourly)": {"infrastructure_cost_total"},
    "Infrastructure Cost by Resource (hourly)": {"infrastructure_cost_total"},
    "Infrastructure Burn Rate (USD/hour)": {"infrastructure_cost_total"},
    "Payment Revenue vs Processing Cost (USD/hour)": {"payment_revenue_dollars_total",
                                                      "payment_processing_fees_dollars_total"},
    "Processing Cost Share of Revenue": {"payment_revenue_dollars_total", "payment_processing_fees_dollars_total"},
    "Cost per Request": {"infrastructure_cost_total", "http_requests_total"},
    "Cost per AI Inference": {"infrastructure_cost_total", "ai_inference_requests_total"},
    "Budget Use % (month-to-date)": {"infrastructure_cost_total", "finops_budget_monthly_dollars"},
    "Projected Month-End Budget Use %": {"infrastructure_cost_total", "finops_budget_monthly_dollars"},
    "Monthly Budget per Service": {"finops_budget_monthly_dollars"},
    "Stage-2 placeholder: Learner AI Inference Cost (0.25 USD/h)": set(),
    "Stage-2 placeholder: Assessment AI Scoring Cost (0.18 USD/h)": set(),
    "Stage-2 placeholder: IEP AI Generation Cost (0.35 USD/h)": set(),
    "Stage-2 placeholder: Token-based AI Cost (0.02 USD/token)": {"ai_tokens_total"},
    "Cost Optimisation Candidates": {"service:finops_candidate_idle_capacity:dollars_per_hour",
                                     "service:finops_candidate_ai_cost_per_inference:dollars",
                                     "service:finops_candidate_cost_per_request:dollars"},
}
FINOPS_ROWS = ["Infrastructure Cost", "Revenue & Processing Cost", "Unit Economics", "Budget",
               "AI Inference Cost (Stage-2 placeholder)", "Cost Optimisation"]
ALL_DASHBOARDS = {**{f: v[:2] for f, v in SERVICE_DASHBOARDS.items()},
                  "finops-dashboard.json": ("edu-finops", "Education Platform FinOps")}

# Panels that deliberately use a 1h window instead of $__rate_interval (hourly cost, budget).
LONG_WINDOW_PANELS = {
    "Infrastructure Cost per Service (hourly)",
    "Infrastructure Cost by Resource (hourly)",
    "Budget Use % (month-to-date)",
    "Projected Month-End Budget Use %",
}

# panel title -> (unit, alert whose threshold the panel's red step must equal)
ALERT_THRESHOLD_PANELS = {
    "5xx Error Rate": ("percentunit", "{prefix}Service5xxErrorRateHigh"),
    "Latency P50 / P95 / P99": ("s", "{prefix}ServiceP95LatencyHigh"),
    "AI Inference Latency P95": ("s", "LearnerServiceAIInferenceLatencyHigh"),
    "AI Scoring Latency P95": ("s", "AssessmentAIScoringLatencyHigh"),
    "AI Generation Latency P95": ("s", "IEPAIGenerationLatencyHigh"),
    "Transaction Failure Rate": ("percentunit", "PaymentTransactionFailureRateHigh"),
    "IEP Compliance Score": ("percentunit", "IEPComplianceScoreLow"),
}
PREFIX = {"auth-svc": "Auth", "user-svc": "User", "learner-svc": "Learner", "payment-svc": "Payment",
          "assessment-svc": "Assessment", "iep-svc": "IEP"}
UNITS = {"reqps", "ops", "cpm", "percentunit", "percent", "s", "ms", "bytes", "currencyUSD", "short", "none"}


@pytest.fixture(scope="module")
def dashboards() -> dict[str, dict]:
    return {f: load_json(DASHBOARDS_DIR / f) for f in ALL_DASHBOARDS}


def panels(dashboard):
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def rows(dashboard):
    return [p for p in dashboard["panels"] if p["type"] == "row"]


def exprs(panel):
    return [t["expr"] for t in panel["targets"]]


# -------------------------------------------------------------------------------------------------
# model
# -------------------------------------------------------------------------------------------------
def test_exactly_the_seven_dashboards():
    assert sorted(p.name for p in DASHBOARDS_DIR.glob("*.json")) == sorted(ALL_DASHBOARDS)


@pytest.mark.parametrize("fname", sorted(ALL_DASHBOARDS))
def test_valid_pretty_printed_json(fname):
    text = (DASHBOARDS_DIR / fname).read_text(encoding="utf-8")
    doc = json.loads(text)
    assert text == json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "not 2-space pretty-printed"


def test_uids_and_titles_unique_and_stable(dashboards):
    uids = [d["uid"] for d in dashboards.values()]
    titles = [d["title"] for d in dashboards.values()]
    assert len(set(uids)) == len(uids) and len(set(titles)) == len(titles)
    for fname, d in dashboards.items():
        assert (d["uid"], d["title"]) == ALL_DASHBOARDS[fname]
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", d["uid"])
        assert d["title"].strip()


@pytest.mark.parametrize("fname", sorted(ALL_DASHBOARDS))
def test_dashboard_model(fname, dashboards):
    d = dashboards[fname]
    assert "dashboard" not in d, "bare model expected, not a {'dashboard': ...} wrapper"
    assert d["schemaVersion"] == 39
    assert "rows" not in d
    assert d["tags"] and "edu-platform" in d["tags"]
    assert d["description"].strip()
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    for p in d["panels"]:
        assert p["title"].strip() and p["description"].strip(), p["id"]
        if p["type"] == "row":
            assert p["gridPos"]["w"] == 24 and p["gridPos"]["h"] == 1 and p["panels"] == []
    titles = [p["title"] for p in panels(d)]
    assert len(titles) == len(set(titles)), "duplicate panel titles"


@pytest.mark.parametrize("fname", sorted(ALL_DASHBOARDS))
def test_grid_has_no_overlaps(fname, dashboards):
    cells: dict[tuple[int, int], int] = {}
    for p in dashboards[fname]["panels"]:
        g = p["gridPos"]
        assert g["w"] > 0 and g["h"] > 0 and g["x"] >= 0 and g["y"] >= 0
        assert g["x"] + g["w"] <= 24, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']!r} overlaps panel {cells[(x, y)]}"
                cells[(x, y)] = p["id"]


@pytest.mark.parametrize("fname", sorted(ALL_DASHBOARDS))
def test_rows_group_the_panels_below_them(fname, dashboards):
    d = dashboards[fname]
    assert d["panels"][0]["type"] == "row"
    ys = [p["gridPos"]["y"] for p in d["panels"]]
    assert ys == sorted(ys), "panels are not in reading order"


@pytest.mark.parametrize("fname", sorted(ALL_DASHBOARDS))
def test_datasource_variable_everywhere(fname, dashboards):
    d = dashboards[fname]
    variables = {v["name"]: v for v in d["templating"]["list"]}
    ds = variables["datasource"]
    assert ds["type"] == "datasource" and ds["query"] == "prometheus"
    assert ds["current"]["value"] == "prometheus"
    for p in panels(d):
        assert p["datasource"] == DS, p["title"]
        assert p["targets"], p["title"]
        for t in p["targets"]:
            assert t["datasource"] == DS, p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs))


@pytest.mark.parametrize("fname", sorted(ALL_DASHBOARDS))
def test_every_panel_has_a_unit(fname, dashboards):
    for p in panels(dashboards[fname]):
        unit = p["fieldConfig"]["defaults"].get("unit")
        assert unit in UNITS, f"{p['title']}: unit {unit!r}"


# -------------------------------------------------------------------------------------------------
# queries
# -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fname", sorted(ALL_DASHBOARDS))
def test_queries_parse_and_use_only_contract_metrics(fname, dashboards, recording_rules):
    contract = contract_metrics() | set(recording_rules)
    for p in panels(dashboards[fname]):
        for expr in exprs(p):
            parse_promql(expr)
            assert metric_names(expr) <= contract, (p["title"], metric_names(expr) - contract)
            assert "topk" not in function_names(expr) and "bottomk" not in function_names(expr)


@pytest.mark.parametrize("fname", sorted(ALL_DASHBOARDS))
def test_rate_windows_use_rate_interval(fname, dashboards):
    for p in panels(dashboards[fname]):
        for expr in exprs(p):
            windows = re.findall(r"\[([^\]]+)\]", expr)
            for w in windows:
                if p["title"] in LONG_WINDOW_PANELS:
                    assert w in ("$__rate_interval", "1h"), (p["title"], w)
                else:
                    assert w == "$__rate_interval", (p["title"], w)
            if p["title"] in LONG_WINDOW_PANELS:
                assert "1h" in windows


@pytest.mark.parametrize("fname", sorted(ALL_DASHBOARDS))
def test_regex_matchers_only_for_status_classes(fname, dashboards):
    for p in panels(dashboards[fname]):
        for expr in exprs(p):
            for vs in selectors(expr):
                for m in vs.matchers.matchers:
                    if "Re" in str(m.op) or "NotEqual" in str(m.op):
                        assert (m.name, str(m.op), m.value) == ("status", "MatchOp.Re", "5.."), (p["title"], expr)


@pytest.mark.parametrize("fname", sorted(SERVICE_DASHBOARDS))
def test_service_dashboard_panels_and_metrics(fname, dashboards):
    uid, title, service, expected_rows, expected = SERVICE_DASHBOARDS[fname]
    d = dashboards[fname]
    assert [r["title"] for r in rows(d)] == expected_rows
    assert {p["title"] for p in panels(d)} == set(expected)
    for p in panels(d):
        used = set().union(*(metric_names(e) for e in exprs(p)))
        assert used == expected[p["title"]], p["title"]


@pytest.mark.parametrize("fname", sorted(SERVICE_DASHBOARDS))
def test_service_dashboard_selects_its_service(fname, dashboards):
    uid, title, service, _, _ = SERVICE_DASHBOARDS[fname]
    d = dashboards[fname]
    variables = {v["name"]: v for v in d["templating"]["list"]}
    svc = variables["service"]
    assert svc["type"] == "constant" and svc["query"] == service and svc["current"]["value"] == service
    assert service in d["tags"]
    standin = GRAFANA_STANDINS["$service"]
    for p in panels(d):
        for expr in exprs(p):
            for vs in selectors(expr):
                matchers = {(m.name, str(m.op), m.value) for m in vs.matchers.matchers}
                assert ("service", "MatchOp.Equal", standin) in matchers, (p["title"], expr)


def test_latency_panels_use_histogram_quantile_by_le(dashboards):
    for fname in SERVICE_DASHBOARDS:
        d = dashboards[fname]
        by_title = {p["title"]: p for p in panels(d)}
        lat = by_title["Latency P50 / P95 / P99"]
        assert [t["legendFormat"] for t in lat["targets"]] == ["P50", "P95", "P99"]
        for q, expr in zip(("0.5", "0.95", "0.99"), exprs(lat)):
            assert expr.startswith(f"histogram_quantile({q}, sum by (le) (rate(http_request_duration_seconds_bucket{{")
            assert expr.endswith("[$__rate_interval])))")
    ai = {
        "learner-service.json": ("AI Inference Latency P95", "inference"),
        "assessment-service.json": ("AI Scoring Latency P95", "scoring"),
        "iep-service.json": ("AI Generation Latency P95", "generation"),
    }
    for fname, (title, op) in ai.items():
        (expr,) = exprs({p["title"]: p for p in panels(dashboards[fname])}[title])
        assert expr.startswith("histogram_quantile(0.95, sum by (le) (rate(ai_inference_duration_seconds_bucket{")
        assert f'operation="{op}"' in expr


def test_finops_panels_and_metrics(dashboards):
    d = dashboards["finops-dashboard.json"]
    assert [r["title"] for r in rows(d)] == FINOPS_ROWS
    assert {p["title"] for p in panels(d)} == set(FINOPS_PANELS)
    for p in panels(d):
        used = set().union(*(metric_names(e) for e in exprs(p)))
        assert used == FINOPS_PANELS[p["title"]], p["title"]
    by_title = {p["title"]: p for p in panels(d)}
    (hourly,) = exprs(by_title["Infrastructure Cost per Service (hourly)"])
    assert hourly == "sum by (service) (increase(infrastructure_cost_total[1h]))"
    assert by_title["Infrastructure Cost per Service (hourly)"]["fieldConfig"]["defaults"]["unit"] == "currencyUSD"
    for title in ("Budget Use % (month-to-date)", "Projected Month-End Budget Use %"):
        assert by_title[title]["fieldConfig"]["defaults"]["unit"] == "percentunit"


def test_finops_stage2_placeholders(dashboards):
    d = dashboards["finops-dashboard.json"]
    placeholders = {p["title"]: p for p in panels(d) if "placeholder" in p["title"].lower()}
    assert len(placeholders) == 4
    rates = {"0.25": "Learner", "0.18": "Assessment", "0.35": "IEP"}
    for rate, who in rates.items():
        (p,) = [p for t, p in placeholders.items() if who in t]
        assert p["title"].startswith("Stage-2 placeholder:")
        assert "Stage-2 placeholder" in p["description"]
        assert exprs(p) == [f"vector({rate})"]
        assert p["fieldConfig"]["defaults"]["unit"] == "currencyUSD"
    (token,) = [p for t, p in placeholders.items() if "Token" in t]
    assert token["title"].startswith("Stage-2 placeholder:") and "Stage-2 placeholder" in token["description"]
    (expr,) = exprs(token)
    assert expr == "sum by (service) (rate(ai_tokens_total[$__rate_interval])) * 3600 * 0.02"


# -------------------------------------------------------------------------------------------------
# thresholds = alert thresholds
# -------------------------------------------------------------------------------------------------
def _steps(panel):
    return [(s["color"], s["value"]) for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def test_thresholds_match_the_alerts(dashboards, prom_alerts):
    checked = set()
    for fname, (uid, title, service, _, _) in SERVICE_DASHBOARDS.items():
        for p in panels(dashboards[fname]):
            if p["title"] not in ALERT_THRESHOLD_PANELS:
                continue
            unit, alert = ALERT_THRESHOLD_PANELS[p["title"]]
            alert = alert.format(prefix=PREFIX[service])
            op, value = top_comparison(prom_alerts[alert]["expr"])
            assert p["fieldConfig"]["defaults"]["unit"] == unit, p["title"]
            steps = _steps(p)
            assert steps[0][1] is None, "the base step has no value"
            if op == ">":
                # everything from the alert threshold up is red
                assert steps[-1] == ("red", value), (fname, p["title"], steps)
            else:
                # below the threshold is red, from the threshold up is fine
                assert steps == [("red", None), ("green", value)], (fname, p["title"], steps)
            checked.add(alert)
    assert checked == {a for a in prom_alerts if a != "InferenceCostSpikePlaceholder" and "Budget" not in a}


def test_budget_forecast_panel_matches_the_budget_alerts(dashboards, prom_alerts, grafana_alerts):
    """The FinOps forecast panel is the service budget alerts' query, coloured at their thresholds."""
    by_title = {p["title"]: p for p in panels(dashboards["finops-dashboard.json"])}
    panel = by_title["Projected Month-End Budget Use %"]
    (expr,) = exprs(panel)
    assert expr == grafana_alerts["ServiceBudgetForecastExceeded"]["data"][0]["model"]["expr"]
    thresholds = [top_comparison(prom_alerts[a]["expr"])[1]
                  for a in ("ServiceBudgetForecastAbove80Percent", "ServiceBudgetForecastExceeded")]
    assert _steps(panel) == [("green", None), ("orange", thresholds[0]), ("red", thresholds[1])]


def test_cost_optimisation_table(dashboards, recording_rules):
    """The candidates table lists every candidate rule, with its recommendation text as a column."""
    table = {p["title"]: p for p in panels(dashboards["finops-dashboard.json"])}["Cost Optimisation Candidates"]
    assert table["type"] == "table"
    (target,) = table["targets"]
    assert target["format"] == "table" and target["instant"] is True
    candidates = {name for name in recording_rules if ":finops_candidate_" in name}
    assert metric_names(target["expr"]) == candidates and len(candidates) == 3
    for name in candidates:
        labels = recording_rules[name]["labels"]
        assert labels["kind"] and len(labels["recommendation"]) > 40, name
    (organize,) = table["transformations"]
    assert organize["options"]["renameByName"]["recommendation"] == "Recommendation"


def test_threshold_lines_on_alerting_timeseries(dashboards):
    for fname in SERVICE_DASHBOARDS:
        for p in panels(dashboards[fname]):
            if p["title"] in ALERT_THRESHOLD_PANELS and p["type"] == "timeseries":
                mode = p["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"]
                assert mode != "off", (fname, p["title"])
