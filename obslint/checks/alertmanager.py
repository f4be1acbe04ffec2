"""Alertmanager configuration files, checked the way `amtool check-config` loads them (AM001-AM004).
The facts and the route walk live in `obslint.alertmanager`; routing of the linted alerts through
the tree is in `alertmanager_routes.py`."""
from __future__ import annotations

from obslint import alertmanager as am
from obslint.classify import ALERTMANAGER_CONFIG
from obslint.registry import Rule


def problems(doc, ctx) -> list:
    key = ("alertmanager-problems", id(doc))
    if key not in ctx.cache:
        ctx.cache[key] = am.validate(doc.root) if isinstance(doc.root, dict) else []
    return ctx.cache[key]


class _AlertmanagerCheck(Rule):
    def check_document(self, doc, ctx):
        if doc.kind != ALERTMANAGER_CONFIG:
            return
        for p in problems(doc, ctx):
            if p.code == self.code:
                yield self.finding(doc, p.path, p.message, fix=p.fix, at_key=p.at_key and bool(p.path))


class AlertmanagerUnknownField(_AlertmanagerCheck):
    """An Alertmanager configuration has a field Alertmanager does not know, or a section of the
    wrong type (a mapping where a list belongs). Alertmanager reads its file strictly: it refuses
    to start (or to reload) and keeps the old configuration, so a typo such as `recevier` or
    `group_by: alertname` (not a list) stops every change to routing.

    ## Bad (`alertmanager.yml`)
    ```yaml
    route:
      receiver: team
      group_by: [alertname]
      recevier: ops
    receivers:
      - name: team
    ```

    ## Good (`alertmanager.yml`)
    ```yaml
    route:
      receiver: team
      group_by: [alertname]
    receivers:
      - name: team
    ```
    """

    code, name = "AM001", "alertmanager-unknown-field"
    summary = "Alertmanager refuses the file: an unknown field or a section of the wrong type"


class AlertmanagerReference(_AlertmanagerCheck):
    """The route tree refers to a receiver or time interval that is not defined, names are not
    unique, or the root route breaks its rules (it needs a default `receiver` and takes every
    alert, so it may have no matchers and no time intervals). Alertmanager refuses the file.

    ## Bad (`alertmanager.yml`)
    ```yaml
    route:
      receiver: team
      routes:
        - receiver: pager
          matchers: ['severity="critical"']
    receivers:
      - name: team
    ```

    ## Good (`alertmanager.yml`)
    ```yaml
    route:
      receiver: team
      routes:
        - receiver: pager
          matchers: ['severity="critical"']
    receivers:
      - name: team
      - name: pager
    ```
    """

    code, name = "AM002", "alertmanager-reference"
    summary = "Alertmanager refuses the file: undefined or duplicate receiver/time interval, or a bad root route"


class AlertmanagerValue(_AlertmanagerCheck):
    """A value Alertmanager cannot parse: a duration that is not a Prometheus duration (`5 min`),
    a zero `group_interval`/`repeat_interval`, a matcher without an operator, `group_by` with a
    label twice or `...` next to other labels, a webhook URL that is not http(s).

    ## Bad (`alertmanager.yml`)
    ```yaml
    route:
      receiver: team
      group_wait: 30 seconds
      routes:
        - receiver: team
          matchers: ['severity critical']
    receivers:
      - name: team
    ```

    ## Good (`alertmanager.yml`)
    ```yaml
    route:
      receiver: team
      group_wait: 30s
      routes:
        - receiver: team
          matchers: ['severity="critical"']
    receivers:
      - name: team
    ```
    """

    code, name = "AM003", "alertmanager-value"
    summary = "Alertmanager refuses the file: a duration, matcher, group_by or URL it cannot parse"


class AlertmanagerIntegration(_AlertmanagerCheck):
    """An integration of a receiver lacks what it needs to send anything: a webhook without
    `url`, an email without `to` or an SMTP smarthost (here or in `global`), Slack without an API
    URL, PagerDuty without a routing or service key, and so on. Alertmanager refuses the file.

    ## Bad (`alertmanager.yml`)
    ```yaml
    route:
      receiver: oncall
    receivers:
      - name: oncall
        email_configs:
          - to: oncall@example.org
    ```

    ## Good (`alertmanager.yml`)
    ```yaml
    global:
      smtp_smarthost: smtp.example.org:587
      smtp_from: alertmanager@example.org
    route:
      receiver: oncall
    receivers:
      - name: oncall
        email_configs:
          - to: oncall@example.org
    ```
    """

    code, name = "AM004", "alertmanager-integration"
    summary = "Alertmanager refuses the file: an integration lacks its address or key"
