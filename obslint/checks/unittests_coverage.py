"""UT011: alerts no promtool test exercises, when the policy asks for test coverage."""
from __future__ import annotations

from obslint.findings import Severity
from obslint.registry import Rule


class AlertUntested(Rule):
    """An alerting rule that no promtool unit test exercises: no `alert_rule_test` whose
    `rule_files` load the alert's file names it with expected alerts (and, with
    `require: both`, none also expects it silent). Runs only when the policy sets
    `tests: {require: firing}` or `tests: {require: both}`, so a pre-commit hook can hold new
    alerts to the team's rule. `obslint coverage` prints the whole table.

    ## Why
    An alert that never fired in a test may never fire at all: a typo in a label matcher or
    a threshold in the wrong unit stays silent until the incident.

    ## Bad (`obslint.yaml`, `alerts.yml`, `alerts.test.yml`)
    ```yaml
    tests: {require: firing}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - {alert: ApiDown, expr: up == 0, for: 5m}
          - {alert: ApiSlow, expr: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 1', for: 5m}
    ```
    ```yaml
    rule_files: [alerts.yml]
    tests:
      - interval: 1m
        input_series:
          - series: 'up{job="api"}'
            values: '0x10'
        alert_rule_test:
          - eval_time: 10m
            alertname: ApiDown
            exp_alerts: [{exp_labels: {job: api}}]
    ```

    ## Good (`obslint.yaml`, `alerts.yml`, `alerts.test.yml`)
    ```yaml
    tests: {require: firing}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - {alert: ApiDown, expr: up == 0, for: 5m}
    ```
    ```yaml
    rule_files: [alerts.yml]
    tests:
      - interval: 1m
        input_series:
          - series: 'up{job="api"}'
            values: '0x10'
        alert_rule_test:
          - eval_time: 10m
            alertname: ApiDown
            exp_alerts: [{exp_labels: {job: api}}]
    ```

    ## Options
    None; the policy's `tests.require` (`firing` or `both`) turns the check on.
    """

    code, name, severity = "UT011", "alert-untested", Severity.ERROR
    summary = "alert that no promtool test expects firing (or silent), when the policy requires tests"
    needs_policy = True

    def check_project(self, project, ctx):
        tests = (ctx.policy or {}).get("tests")
        require = tests.get("require") if isinstance(tests, dict) else None
        if require not in ("firing", "both"):
            return
        from obslint import coverage

        for c in coverage.collect(project, ctx):
            if c.covered(require) or c.rule.doc.source not in project.sources:
                continue
            missing = "a firing case" if not c.firing else "a silent case"
            yield self.finding(c.rule.doc, c.rule.path + ("alert",), f"no promtool test has {missing} for the "
                               f"alert `{c.name}` (the policy requires tests: {require})",
                               fix="add an alert_rule_test (`obslint gen-tests` writes one), or suppress it here",
                               scope=c.rule.path)
