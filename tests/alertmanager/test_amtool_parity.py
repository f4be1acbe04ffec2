"""obslint's Alertmanager checks (AM001-AM004) agree with the real `amtool check-config` on good
and broken files: every file amtool refuses gets an error of the expected code, and no file amtool
accepts gets any."""
from __future__ import annotations

import os
import shutil
import subprocess
import textwrap

import pytest

from tests.conftest import INFRA, lint_tree

BASE = """
route:
  receiver: team
receivers:
  - name: team
    webhook_configs:
      - url: http://127.0.0.1:9095/hooks/team
"""

# (id, expected code or None for a good file, configuration)
CASES = [
    ("good-minimal", None, BASE),
    ("good-routes-and-matchers", None, """
        global:
          resolve_timeout: 5m
          smtp_smarthost: smtp.example.org:587
          smtp_from: am@example.org
          slack_api_url: https://hooks.slack.com/services/T/B/X
        route:
          receiver: team
          group_by: ['...']
          group_wait: 0s
          routes:
            - receiver: mail
              matchers: ['{severity="critical", team=~"pay.*"}', 'service!=batch', 'env = prod']
              continue: true
            - receiver: chat
              match: {team: web}
              match_re: {service: "^(api|www)$"}
              mute_time_intervals: [nights]
        time_intervals:
          - name: nights
            time_intervals:
              - times: [{start_time: "00:00", end_time: "06:00"}]
        inhibit_rules:
          - source_matchers: [severity="critical"]
            target_matchers: [severity="warning"]
            equal: [service]
        receivers:
          - name: team
          - name: mail
            email_configs: [{to: oncall@example.org}]
          - name: chat
            slack_configs: [{channel: "#alerts"}]
        templates: ['/etc/alertmanager/*.tmpl']
        """),
    ("good-pagerduty-opsgenie", None, """
        route: {receiver: pd}
        receivers:
          - name: pd
            pagerduty_configs: [{routing_key: abc}]
            opsgenie_configs: [{api_key: xyz}]
        """),
    ("unknown-top-level-field", "AM001", BASE + "routes: []\n"),
    ("unknown-route-field", "AM001", """
        route: {receiver: team, recevier: team}
        receivers: [{name: team}]
        """),
    ("unknown-inhibit-field", "AM001", BASE + "inhibit_rules: [{source_matchers: ['a=\"b\"'], target_mach: {a: c}}]\n"),
    ("receivers-not-a-list", "AM001", "route: {receiver: team}\nreceivers: {name: team}\n"),
    ("unknown-receiver-field", "AM001", "route: {receiver: team}\nreceivers: [{name: team, webhooks: []}]\n"),
    ("unknown-webhook-field", "AM001", "route: {receiver: t}\nreceivers: [{name: t, webhook_configs: [{url: 'http://a:1/', adress: x}]}]\n"),
    ("no-route", "AM002", "receivers: [{name: team, webhook_configs: [{url: 'http://a:1/'}]}]\n"),
    ("route-not-a-mapping", "AM001", "route: [receiver, team]\nreceivers: [{name: team}]\n"),
    ("root-without-receiver", "AM002", "route: {group_by: [alertname]}\nreceivers: [{name: team}]\n"),
    ("root-with-matchers", "AM002", "route: {receiver: team, matchers: ['a=\"b\"']}\nreceivers: [{name: team}]\n"),
    ("root-with-mute-interval", "AM002", """
        route: {receiver: team, mute_time_intervals: [nights]}
        time_intervals: [{name: nights, time_intervals: [{weekdays: [saturday]}]}]
        receivers: [{name: team}]
        """),
    ("undefined-receiver", "AM002", """
        route:
          receiver: team
          routes: [{receiver: pager, matchers: ['severity="critical"']}]
        receivers: [{name: team}]
        """),
    ("duplicate-receiver", "AM002", "route: {receiver: team}\nreceivers: [{name: team}, {name: team}]\n"),
    ("receiver-without-name", "AM002", "route: {receiver: team}\nreceivers: [{name: team}, {webhook_configs: []}]\n"),
    ("undefined-time-interval", "AM002", """
        route:
          receiver: team
          routes: [{receiver: team, matchers: ['a="b"'], mute_time_intervals: [weekends]}]
        receivers: [{name: team}]
        """),
    ("duplicate-time-interval", "AM002", """
        route: {receiver: team}
        time_intervals: [{name: nights, time_intervals: []}, {name: nights, time_intervals: []}]
        receivers: [{name: team}]
        """),
    ("bad-duration", "AM003", "route: {receiver: team, group_wait: 30 seconds}\nreceivers: [{name: team}]\n"),
    ("zero-group-interval", "AM003", "route: {receiver: team, group_interval: 0s}\nreceivers: [{name: team}]\n"),
    ("zero-repeat-interval", "AM003", "route: {receiver: team, repeat_interval: 0s}\nreceivers: [{name: team}]\n"),
    ("bad-resolve-timeout", "AM003", "global: {resolve_timeout: 5 minutes}\n" + BASE),
    ("duplicate-group-by", "AM003", "route: {receiver: team, group_by: [alertname, alertname]}\nreceivers: [{name: team}]\n"),
    ("group-by-all-and-more", "AM003", "route: {receiver: team, group_by: ['...', alertname]}\nreceivers: [{name: team}]\n"),
    ("matcher-without-operator", "AM003", """
        route:
          receiver: team
          routes: [{receiver: team, matchers: ['severity critical']}]
        receivers: [{name: team}]
        """),
    ("match-invalid-label-name", "AM003", """
        route:
          receiver: team
          routes: [{receiver: team, match: {1team: x}}]
        receivers: [{name: team}]
        """),
    ("webhook-ftp-url", "AM003", "route: {receiver: t}\nreceivers: [{name: t, webhook_configs: [{url: 'ftp://example.org/x'}]}]\n"),
    ("smarthost-without-port", "AM003", "global: {smtp_smarthost: smtp.example.org}\n" + BASE),
    ("webhook-without-url", "AM004", "route: {receiver: t}\nreceivers: [{name: t, webhook_configs: [{send_resolved: true}]}]\n"),
    ("webhook-url-and-url-file", "AM004",
     "route: {receiver: t}\nreceivers: [{name: t, webhook_configs: [{url: 'http://a:1/', url_file: /etc/u}]}]\n"),
    ("email-without-smarthost", "AM004", "route: {receiver: t}\nreceivers: [{name: t, email_configs: [{to: a@b.c, from: x@b.c}]}]\n"),
    ("email-without-to", "AM004", """
        global: {smtp_smarthost: 'smtp.example.org:25', smtp_from: am@example.org}
        route: {receiver: t}
        receivers: [{name: t, email_configs: [{send_resolved: true}]}]
        """),
    ("slack-without-api-url", "AM004", "route: {receiver: t}\nreceivers: [{name: t, slack_configs: [{channel: '#a'}]}]\n"),
    ("pagerduty-without-key", "AM004", "route: {receiver: t}\nreceivers: [{name: t, pagerduty_configs: [{severity: critical}]}]\n"),
    ("opsgenie-without-key", "AM004", "route: {receiver: t}\nreceivers: [{name: t, opsgenie_configs: [{message: hi}]}]\n"),
    ("empty-webhook-entry", "AM004", "route: {receiver: t}\nreceivers: [{name: t, webhook_configs: [null]}]\n"),
]


@pytest.fixture(scope="module")
def amtool() -> str:
    path = shutil.which("amtool")
    if not path:
        msg = "amtool not found: install the Debian/Ubuntu package `prometheus-alertmanager`"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def _obslint_errors(tmp_path, text: str) -> list[str]:
    (tmp_path / "alertmanager.yml").write_text(text, encoding="utf-8")
    result = lint_tree(tmp_path)
    return [f.code for f in result.findings if f.code.startswith("AM") and f.severity.name == "ERROR"]


@pytest.mark.parametrize("name,code,text", CASES, ids=[c[0] for c in CASES])
def test_same_verdict_as_amtool(tmp_path, amtool, name, code, text):
    text = textwrap.dedent(text).lstrip("\n")
    (tmp_path / "alertmanager.yml").write_text(text, encoding="utf-8")
    proc = subprocess.run([amtool, "check-config", str(tmp_path / "alertmanager.yml")],
                          capture_output=True, text=True, timeout=60)
    errors = _obslint_errors(tmp_path, text)
    assert (proc.returncode != 0) == (code is not None), f"amtool: {proc.stdout}{proc.stderr}"
    if code is None:
        assert errors == [], errors
    else:
        assert code in errors, (errors, proc.stdout + proc.stderr)


def test_the_stack_configuration_is_clean_for_both(tmp_path, amtool):
    path = INFRA / "grafana" / "alertmanager" / "alertmanager.yml"
    assert subprocess.run([amtool, "check-config", str(path)], capture_output=True).returncode == 0
    assert _obslint_errors(tmp_path, path.read_text()) == []


def test_findings_point_at_the_field(tmp_path):
    text = "route:\n  receiver: team\n  recevier: ops\nreceivers:\n  - name: team\n"
    (tmp_path / "alertmanager.yml").write_text(text)
    (finding,) = [f for f in lint_tree(tmp_path).findings if f.code == "AM001"]
    assert (finding.line, finding.col) == (3, 3)
    assert "recevier" in finding.message and "receiver" in (finding.fix or "")
