"""(a) A 5xx spike on auth-svc under load fires AuthService5xxErrorRateHigh, and only that 5xx alert."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

WARMUP_S = 4.0  # normal load before the spike
FIRE_TIMEOUT_S = 45.0  # the ratio crosses 2 % within ~2 s, then `for` (5s) and evaluation lag
AFTER_FIRING_S = 3.0  # keep watching the other services once the alert fired


def test_auth_spike_fires_auth_5xx_alert_only(e2e_stack):
    stack = e2e_stack
    assert set(stack.error_alerts.values()) <= stack.alert_rule_names()
    stack.start_load()
    warmup = stack.watch_alerts(WARMUP_S)
    target = stack.error_alerts["auth-svc"]
    stack.set_mode("auth-svc", "spike")
    try:
        spike = stack.watch_alerts(FIRE_TIMEOUT_S, until=lambda states: states.get(target) == "firing")
        after = stack.watch_alerts(AFTER_FIRING_S)
    finally:
        stack.set_mode("auth-svc", "normal")

    assert spike.ever(target, "firing"), (
        f"{target} did not fire within {FIRE_TIMEOUT_S:.0f} s of the spike\n{stack.debug()}\n{spike.summary()}")
    assert not warmup.ever(target, "firing"), f"{target} fired before the spike\n{warmup.summary()}"
    others = [stack.error_alerts[s] for s in stack.services if s != "auth-svc"]
    fired = sorted({n for n in others for tl in (warmup, spike, after) if tl.ever(n, "firing")})
    assert not fired, f"other services' 5xx alerts fired: {fired}\n{stack.debug()}"
    ratio = {r["metric"]["service"]: float(r["value"][1])
             for r in stack.query("service:http_request_errors:ratio_rate5m")}
    assert ratio["auth-svc"] > 0.02, ratio


def test_mock_target_up_throughout(e2e_stack):
    result = e2e_stack.stop_load()
    assert result is not None and result.total_requests > 0
    assert result.connection_errors == 0, result.to_dict()["connection_error_kinds"]
    e2e_stack.assert_up_throughout()
