"""An alert's labels: the severity the Alertmanager routes on (AL004), the labels the policy
requires (AL010), and no `$value` in a label, which would make every value a new alert (AL007)."""
from __future__ import annotations

import re

from obslint import policy as pol
from obslint.findings import Severity
from obslint.registry import Rule

_VALUE_IN_LABEL = re.compile(r"\$value\b|\$values\b|\.Value\b|\.Values\b")


class AlertSeverity(Rule):
    """The `severity` label must be one of the policy's `alerts.severities` (what the
    Alertmanager routes on), and the one the policy's entry for the alert names. A missing
    `severity` label is reported when the policy lists severities.

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      severities: [critical, warning, info]
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
            labels:
              severity: page
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      severities: [critical, warning, info]
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
            labels:
              severity: critical
    ```
    """

    code, name, severity = "AL004", "alert-severity", Severity.ERROR
    summary = "alert severity label is missing, not an allowed value, or not the policy's"
    needs_policy = True

    def check_alert(self, alert, ctx):
        if not alert.name:
            return
        name, doc, path = alert.name, alert.doc, alert.path
        allowed = pol.alerts_policy(ctx).get("severities")
        entry = pol.required_alerts(ctx).get(name)
        want = entry[1].get("severity") if entry is not None else None
        if not allowed and not want:
            return
        sev = alert.labels.get("severity")
        if sev is None:
            yield self.finding(doc, path, f"alert `{name}` has no `severity` label"
                               + (f" (allowed: {', '.join(map(str, allowed))})" if allowed else ""),
                               fix=f"add `labels: {{severity: {want or (allowed or ['warning'])[0]}}}`", scope=path)
            return
        if isinstance(sev, str) and "{{" in sev:
            return
        lpath = path + ("labels", "severity")
        if want and str(sev) != str(want):
            yield self.finding(doc, lpath, f"alert `{name}` has severity `{sev}`, the policy says `{want}`",
                               fix=f"use `severity: {want}`", scope=path)
        elif allowed and str(sev) not in [str(a) for a in allowed]:
            yield self.finding(doc, lpath, f"severity `{sev}` of alert `{name}` is not one of "
                               f"{', '.join(map(str, allowed))}", fix="use one of the severities the Alertmanager routes",
                               scope=path)


class ValueInLabels(Rule):
    """An alert label uses `$value` (or `$values`). Labels identify an alert: each new value
    makes a new alert, the old one resolves, and `for` starts again, so the alert flaps or never
    fires. Put the value in an annotation.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiLatencyHigh
            expr: job:latency_seconds:p95 > 1
            for: 5m
            labels:
              latency: "{{ $value }}"
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiLatencyHigh
            expr: job:latency_seconds:p95 > 1
            for: 5m
            annotations:
              description: "P95 latency is {{ $value | humanizeDuration }}"
    ```
    """

    code, name, severity = "AL007", "value-in-labels", Severity.ERROR
    summary = "alert label uses `$value`, so every new value is a new alert"

    def check_alert(self, alert, ctx):
        for k, v in alert.labels.items():
            if isinstance(v, str) and "{{" in v and _VALUE_IN_LABEL.search(v):
                yield self.finding(alert.doc, alert.path + ("labels", k), f"label `{k}` of alert `{alert.name}` uses "
                                   f"the alert's value; each new value creates a new alert and restarts `for`",
                                   fix="move the value into an annotation", scope=alert.path)


class AlertLabels(Rule):
    """A required alert's static labels differ from the policy entry's `labels` (labels the
    Alertmanager routes on, such as `team` or `service`).

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      required:
        - {name: ApiDown, labels: {team: platform}}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
            labels:
              team: web
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      required:
        - {name: ApiDown, labels: {team: platform}}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
            labels:
              team: platform
    ```
    """

    code, name, severity = "AL010", "alert-labels", Severity.ERROR
    summary = "required alert's labels differ from the policy"
    needs_policy = True

    def check_alert(self, alert, ctx):
        if not alert.name:
            return
        entry = pol.required_alerts(ctx).get(alert.name)
        if entry is None or not isinstance(entry[1].get("labels"), dict):
            return
        name, path, data, labels = alert.name, alert.path, alert.data, alert.labels
        for k, v in entry[1]["labels"].items():
            if k not in labels:
                yield self.finding(alert.doc, path + ("labels",) if "labels" in data else path,
                                   f"alert `{name}` has no label `{k}` (the policy says `{k}: {v}`)",
                                   fix=f"add `{k}: {v}` to its labels", at_key="labels" in data, scope=path)
            elif str(labels[k]) != str(v):
                yield self.finding(alert.doc, path + ("labels", k), f"alert `{name}` has `{k}: {labels[k]}`, the policy "
                                   f"says `{k}: {v}`", fix=f"use `{k}: {v}`", scope=path)
