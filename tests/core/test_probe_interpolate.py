"""`obslint probe` fills in Grafana macros and variables as Grafana would before it queries."""
from __future__ import annotations

import pytest

from obslint.probe import interpolate


@pytest.mark.parametrize("expr, want", [
    ("rate(x[$__rate_interval])", "rate(x[1m])"),
    ('x{job="$job", env=~"${env:regex}"}', 'x{job="api", env=~"prod"}'),
    ("sum by ([[group]]) (x)", "sum by (service) (x)"),
    ("rate(x[[[interval]]])", "rate(x[5m])"),  # `x[` + `[[interval]]` + `]`
    ('x{a="$unknown"}', 'x{a="$unknown"}'),  # not a variable of the dashboard: left as written
    ('x{a="${job.text}"}', 'x{a="${job.text}"}'),  # a field of the variable, not its value
])
def test_interpolate(expr, want):
    variables = {"job": "api", "env": "prod", "group": "service", "interval": "5m"}
    assert interpolate(expr, variables, rate="1m", step="30s", rng="1h") == want
