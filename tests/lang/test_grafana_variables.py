"""Grafana variables never make a valid query a syntax error, and messages show the user's
text, never obslint's internal stand-ins."""
from __future__ import annotations

import json

import pytest

from tests.checks.helpers import dashboard, found, panel

VALID = [
    'sum(rate(http_requests_total{$matchers}[5m]))',  # a variable holding a whole matcher list
    'sum(rate(http_requests_total{job="api", $filter}[$__rate_interval]))',  # ad-hoc filter
    '{$filter}',
    '${metric}_total{job="$job"}',  # in a metric name
    '$metric{job=~"$job"}',
    'rate(x[$interval])', 'rate(x[${interval}])', 'max_over_time(x[$__range])', 'rate(x[1h:$__interval])',
    'x > $threshold', 'topk($limit, x)', 'x offset $shift',
    'x{job=~"${job:regex}"}', 'x{job=~"${job:pipe}"}', 'x{job=~"$__all"}',
    'sum(rate(x[$__interval])) / ($__interval_ms / 1000)', 'increase(x[$__range]) / $__range_s',
    'rate(x[${__rate_interval_ms}ms])', 'sum by ($label) (x)', 'sum(x) by (${group:csv})',
    'x{instance=~"[[instance]]"}', 'rate([[metric]][5m])',
    'sum(rate(x[[[interval]]])) by (job)',  # the old [[var]] syntax inside a range: `x[` + `[[interval]]` + `]`
]


@pytest.mark.parametrize("expr", VALID)
def test_variables_are_not_syntax_errors(lint_files, expr):
    r = lint_files({"d.json": dashboard(panels=[panel(1, "p", expr)])})
    assert not found(r, "PQ001") and not found(r, "PQ002"), [f.message for f in r.findings]


def test_messages_show_the_users_text(lint_files):
    expr = 'sum(rate(x{$matchers}[5m]) by (job)'
    r = lint_files({"d.json": dashboard(panels=[panel(1, "p", expr)])})
    (f,) = found(r, "PQ001")
    assert "__var" not in f.message and expr in f.message
    source = r.project.sources[0].text
    end = source.index(json.dumps(expr)) + 1 + len(expr)  # the expression ends too early: there
    line = source.count("\n", 0, end) + 1
    assert (f.line, f.col) == (line, end - source.rfind("\n", 0, end))


def test_logql_with_variables(lint_files):
    logs = {"id": 1, "type": "logs", "title": "l", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
            "datasource": {"type": "loki", "uid": "loki"},
            "targets": [{"refId": "A", "expr": '{app="$app", $filter} |~ "$search" | json | duration > $min'},
                        {"refId": "B", "expr": 'sum by ($label) (count_over_time({app=~"$app"}[$__auto]))'},
                        {"refId": "C", "expr": 'sum(rate({app="$app"} | unwrap bytes [$__interval])) by (le'}]}
    r = lint_files({"d.json": dashboard(panels=[logs])})
    (f,) = found(r, "LQ001")
    assert "$__interval" not in f.message.split(" in `")[0] and "__var" not in f.message
    assert "`sum(rate({app=\"$app\"}" in f.message


def test_old_bracket_variable_inside_a_range_is_the_variable(lint_files):
    """`x[[[interval]]]` is `x[` + `[[interval]]` + `]` (Grafana's `[[name]]` holds a word): the
    variable is used and defined, no stray `[interval` name."""
    d = json.loads(dashboard(panels=[panel(1, "p", "sum(rate(x_total[[[interval]]])) by (job)")]))
    d["templating"] = {"list": [{"name": "interval", "type": "interval", "query": "1m,5m"}]}
    r = lint_files({"d.json": json.dumps(d)})
    assert not [f for f in r.findings if f.code in ("PQ001", "DB040", "DB041")], [f.message for f in r.findings]
