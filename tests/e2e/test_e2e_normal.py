"""(c) Normal load for longer than the spike scenario needs: no 5xx or P95 latency alert fires.
Also checks that `live_prometheus` has series for every metric of the contract (METRICS.md)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

OBSERVE_S = 25.0  # the spike scenario's alert fires ~8-10 s after the spike starts

ALL = ("auth-svc", "user-svc", "learner-svc", "payment-svc", "assessment-svc", "iep-svc")
AI = ("learner-svc", "assessment-svc", "iep-svc")
CONTRACT = {  # METRICS.md: metric -> services that must have series
    "http_requests_total": ALL,
    "http_request_duration_seconds_bucket": ALL,
    "service_cpu_seconds_total": ALL,
    "service_memory_bytes": ALL,
    "db_connections_active": ALL,
    "db_connections_max": ALL,
    "infrastructure_cost_total": ALL,
    "finops_budget_monthly_dollars": ALL,
    "ai_inference_requests_total": AI,
    "ai_inference_duration_seconds_bucket": AI,
    "ai_tokens_total": AI,
    "payment_transactions_total": ("payment-svc",),
    "payment_revenue_dollars_total": ("payment-svc",),
    "payment_processing_fees_dollars_total": ("payment-svc",),
    "assessment_completed_total": ("assessment-svc",),
    "iep_documents_generated_total": ("iep-svc",),
    "iep_compliance_score_ratio": ("iep-svc",),
}


def test_normal_load_fires_no_5xx_or_latency_alert(live_prometheus, e2e_stack):
    watched = set(e2e_stack.error_alerts.values()) | set(e2e_stack.latency_alerts.values())
    assert watched <= e2e_stack.alert_rule_names()
    timeline = e2e_stack.watch_alerts(OBSERVE_S)
    fired = sorted(n for n in watched if timeline.ever(n, "firing"))
    assert not fired, f"alerts fired under normal load: {fired}\n{e2e_stack.debug()}\n{timeline.summary()}"
    rates = {r["metric"]["service"]: float(r["value"][1]) for r in e2e_stack.query("service:http_requests:rate5m")}
    assert set(rates) == set(ALL) and min(rates.values()) > 0, rates


def test_live_prometheus_has_every_contract_metric(live_prometheus, e2e_stack):
    for metric, services in CONTRACT.items():
        got = {r["metric"].get("service") for r in e2e_stack.query(f"count by (service) ({metric})")}
        assert set(services) <= got, f"{metric}: series for {sorted(got)}, expected {sorted(services)}"


def test_mock_target_up_throughout(e2e_stack):
    result = e2e_stack.stop_load()
    assert result is not None and result.total_requests > 0
    assert result.connection_errors == 0, result.to_dict()["connection_error_kinds"]
    e2e_stack.assert_up_throughout()
