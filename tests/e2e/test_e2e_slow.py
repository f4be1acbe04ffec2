"""(b) Slow mode on learner-svc fires LearnerServiceP95LatencyHigh (and its AI latency alert)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

WARMUP_S = 4.0
FIRE_TIMEOUT_S = 60.0
AI_ALERT = "LearnerServiceAIInferenceLatencyHigh"


def test_learner_slow_mode_fires_latency_alerts(e2e_stack):
    stack = e2e_stack
    target = stack.latency_alerts["learner-svc"]
    assert {target, AI_ALERT} <= stack.alert_rule_names()
    stack.start_load()
    warmup = stack.watch_alerts(WARMUP_S)
    stack.set_mode("learner-svc", "slow")
    try:
        slow = stack.watch_alerts(
            FIRE_TIMEOUT_S,
            until=lambda states: states.get(target) == "firing" and states.get(AI_ALERT) == "firing")
    finally:
        stack.set_mode("learner-svc", "normal")

    assert not warmup.ever(target, "firing"), f"{target} fired before slow mode\n{warmup.summary()}"
    assert slow.ever(target, "firing"), (
        f"{target} did not fire within {FIRE_TIMEOUT_S:.0f} s of slow mode\n{stack.debug()}\n{slow.summary()}")
    assert slow.ever(AI_ALERT, "firing"), f"{AI_ALERT} did not fire\n{slow.summary()}"
    p95 = stack.scalar('service:http_request_duration_seconds:p95_5m{service="learner-svc"}')
    assert p95 is not None and p95 > 1.0, p95


def test_mock_target_up_throughout(e2e_stack):
    result = e2e_stack.stop_load()
    assert result is not None and result.total_requests > 0
    assert result.connection_errors == 0, result.to_dict()["connection_error_kinds"]
    e2e_stack.assert_up_throughout()
