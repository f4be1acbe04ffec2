"""Issue acceptance: the synthetic load generator, 200 users for 60 s against the mock services,
completes with zero connection errors while Prometheus records every scrape as successful."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import load_generator_module

pytestmark = pytest.mark.e2e

USERS = 200
SECONDS = 60.0


def test_200_users_for_60_seconds(e2e_stack):
    lg = load_generator_module()
    result = lg.run_load(e2e_stack.mock_url, users=USERS, duration=SECONDS, max_requests=2_000_000,
                         ramp_up=2.0, seed=e2e_stack.seed)
    summary = result.to_dict()
    assert result.total_requests > USERS * 10, summary
    assert result.connection_errors == 0, summary.get("connection_error_kinds")
    e2e_stack.assert_up_throughout()
