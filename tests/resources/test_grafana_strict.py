"""GA020: what Grafana's alert rule store refuses; GA001 messages say the file is lost."""
from __future__ import annotations

from tests.resources.helpers import line_of

HEAD = """\
apiVersion: 1
groups:
  - orgId: 1
    name: api
    folder: API
    interval: 1m
    rules:
"""


def rule(uid="api-down", rtr="relativeTimeRange: {from: 600, to: 0}", extra=""):
    return f"""\
      - uid: {uid}
        title: T-{uid}
        condition: A
{extra}        data:
          - refId: A
            datasourceUid: prometheus
            {rtr}
            model: {{expr: 'up == 0'}}
          - refId: B
            datasourceUid: __expr__
            model: {{type: math, expression: '$A'}}
"""


def _ga020(result):
    return [(f.file, f.line, f.message) for f in result.findings if f.code == "GA020"]


def test_from_not_greater_than_to_is_refused(lint_files):
    text = HEAD + rule(rtr="relativeTimeRange: {from: 0, to: 600}")
    found = _ga020(lint_files({"a.yaml": text}))
    assert [(f, ln) for f, ln, _ in found] == [("a.yaml", line_of(text, "relativeTimeRange"))]
    assert "whole file" in found[0][2]


def test_missing_relative_time_range_is_refused_but_not_on_expressions(lint_files):
    text = HEAD + rule(rtr="queryType: ''")
    found = _ga020(lint_files({"a.yaml": text}))
    assert len(found) == 1 and "no `relativeTimeRange`" in found[0][2]
    assert found[0][1] == line_of(text, "- refId: A")


def test_valid_rule_is_not_reported(lint_files):
    assert _ga020(lint_files({"a.yaml": HEAD + rule()})) == []


def test_missing_series_evals_to_resolve_must_be_positive(lint_files):
    text = HEAD + rule(extra="        missing_series_evals_to_resolve: 0\n")
    found = _ga020(lint_files({"a.yaml": text}))
    assert [ln for _, ln, _ in found] == [line_of(text, "missing_series_evals_to_resolve")]


def test_duplicate_uid_in_one_directory_but_not_across_directories(lint_files):
    result = lint_files({"p/a.yaml": HEAD + rule(uid="x"), "p/b.yaml": HEAD.replace("name: api", "name: b") + rule(uid="x"),
                         "q/c.yaml": HEAD + rule(uid="x")})
    assert [f for f, _, _ in _ga020(result)] == ["p/b.yaml"]


def test_schema_errors_say_the_file_is_refused(lint_files):
    text = HEAD + rule(extra="        noDataState: Missing\n")
    result = lint_files({"a.yaml": text})
    ga001 = [f for f in result.findings if f.code == "GA001"]
    assert ga001 and all("whole file" in f.message for f in ga001)


def test_notification_settings_need_a_receiver(lint_files):
    text = HEAD + rule(extra="        notification_settings:\n          group_by: [alertname]\n")
    result = lint_files({"a.yaml": text})
    lines = [f.line for f in result.findings if f.code == "GA001"]
    assert len(lines) == 1 and lines[0] in (line_of(text, "notification_settings"), line_of(text, "group_by"))
