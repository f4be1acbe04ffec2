"""AL003: an alert holds (`for`) at least as long as the policy asks."""
from __future__ import annotations

from obslint import thresholds
from obslint import policy as pol
from obslint.durations import format_duration, parse_duration
from obslint.findings import Severity
from obslint.registry import Rule


class AlertFor(Rule):
    """An alert has no `for`, or a shorter one than the policy asks (per alert `for`, or
    `alerts.min-for` for all). Without `for`, one bad scrape pages someone. A Grafana-managed
    rule that mirrors a Prometheus rule is compared with that rule instead (XF001).

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      min-for: 2m
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      min-for: 2m
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
    ```
    """

    code, name, severity = "AL003", "alert-for", Severity.ERROR
    summary = "alert `for` is missing or shorter than the policy says"
    needs_policy = True
    fixable = "unsafe"  # `for` raised to the policy's: the alert fires later

    def check_alert(self, alert, ctx):
        if not alert.name or alert.is_mirror:
            return
        name, path, data = alert.name, alert.path, alert.data
        entry = pol.required_alerts(ctx).get(name)
        want, why = None, ""
        if entry is not None and isinstance(entry[1].get("for"), str):
            want, why = parse_duration(entry[1]["for"]), f"the policy's `for: {entry[1]['for']}` for this alert"
        mf = pol.alerts_policy(ctx).get("min-for")
        if want is None and isinstance(mf, str):
            want, why = parse_duration(mf), f"the policy's `alerts.min-for: {mf}`"
        if not want:
            return
        have = thresholds.for_seconds(data)
        if have is None or have >= want:
            return
        from obslint.fixalerts import for_fix

        autofix = for_fix(alert.doc, path, data, format_duration(want))
        if "for" not in data:
            yield self.finding(alert.doc, path, f"alert `{name}` has no `for`, so it fires on the first evaluation; "
                               f"expected at least {format_duration(want)} ({why})",
                               fix=f"add `for: {format_duration(want)}`", scope=path, autofix=autofix)
        else:
            yield self.finding(alert.doc, path + ("for",), f"alert `{name}` has `for: {data['for']}`, shorter than "
                               f"{format_duration(want)} ({why})", fix=f"use `for: {format_duration(want)}`", scope=path,
                               autofix=autofix)
