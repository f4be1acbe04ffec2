"""AL005: an alert carries the annotations the on-call person needs."""
from __future__ import annotations

from obslint import policy as pol
from obslint.findings import Severity
from obslint.registry import Rule


class AlertAnnotations(Rule):
    """An alert lacks annotations the on-call person needs. By default `summary` and
    `description` (the older `message` counts as a description); the policy can ask for more
    with `alerts.annotations` (e.g. `runbook_url`) or per alert. Empty values count as missing.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
            annotations:
              summary: API target {{ $labels.instance }} is down
              description: Prometheus has not scraped {{ $labels.instance }} for 5 minutes.
    ```

    ## Options
    - `required` (default [summary, description]): annotations every alert must have when the
      policy does not say.
    """

    code, name, severity = "AL005", "alert-annotations", Severity.WARNING
    summary = "alert lacks required annotations (summary, description, runbook_url, ...)"
    options = {"required": ["summary", "description"]}

    def check_alert(self, alert, ctx):
        if not alert.name:
            return
        want = list(pol.alerts_policy(ctx).get("annotations") or self.opts.get("required") or [])
        entry = pol.required_alerts(ctx).get(alert.name)
        if entry is not None:
            want += [a for a in entry[1].get("annotations") or [] if a not in want]
        if not want:
            return
        have = {k for k, v in alert.annotations.items() if v not in (None, "") and str(v).strip()}
        if "message" in have:
            have.add("description")
        missing = [a for a in want if a not in have]
        if missing:
            path, data = alert.path, alert.data
            node = path + ("annotations",) if "annotations" in data else path
            yield self.finding(alert.doc, node, f"alert `{alert.name}` has no {', '.join(f'`{m}`' for m in missing)} "
                               f"annotation{'s' if len(missing) > 1 else ''}",
                               fix=f"add {', '.join(missing)} under `annotations:`", at_key="annotations" in data,
                               scope=path)
