"""Consistency between files: Prometheus rules and their Grafana-managed twins, alerts and
the dashboards that should show what they watch, threshold lines and alert thresholds."""
from __future__ import annotations

import os
import re

from obslint import metriccatalog, thresholds
from obslint import policy as pol
from obslint.model import GRAFANA_ALERT, PROMETHEUS_ALERT
from obslint.checks.required import _entry_for, matching_panels
from obslint.durations import format_duration, parse_duration
from obslint.findings import Severity
from obslint.registry import Rule

_FAMILY = re.compile(r"_(bucket|sum|count)$")


def _where(rule) -> str:
    line, _ = rule.doc.locate(rule.path)
    return f"{rule.doc.source.display}:{line}"


def _same_thresholds(a, b) -> bool:
    return any(x.op == y.op and thresholds.same_number(x.value, y.value) for x in a for y in b)


def _grafana_metrics(ctx, alert) -> set:
    out: set = set()
    for q in alert.queries:
        out |= metriccatalog.base_metrics(ctx, q.expr)
    return out


class PrometheusGrafanaParity(Rule):
    """A Grafana-managed alert rule and the Prometheus alerting rule of the same name (its
    `title` equals the `alert`) disagree on the metric they read (through recording rules), the
    threshold (comparison and number, from the Grafana threshold/classic condition/math node or
    the PromQL), `for`, or the `severity` label. Teams that keep both (for Grafana's UI and for
    Prometheus' Alertmanager) then get two different alerts under one name.

    When the policy pins the value and the Grafana rule matches the policy, the Prometheus rule
    is the one that drifted, and AL002/AL003/AL009 report it there instead.

    ## Bad (`rules.yaml`, `alerting.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRateHigh
            expr: sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.02
            for: 5m
    ```
    ```yaml
    apiVersion: 1
    groups:
      - orgId: 1
        name: api
        folder: API
        interval: 1m
        rules:
          - uid: api-errors
            title: ApiErrorRateHigh
            condition: B
            data:
              - refId: A
                datasourceUid: prometheus
                model: {expr: 'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))', refId: A}
              - refId: B
                datasourceUid: __expr__
                model: {type: threshold, expression: A, refId: B,
                        conditions: [{evaluator: {type: gt, params: [0.05]}}]}
            for: 5m
    ```

    ## Good (`rules.yaml`, `alerting.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRateHigh
            expr: sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.02
            for: 5m
    ```
    ```yaml
    apiVersion: 1
    groups:
      - orgId: 1
        name: api
        folder: API
        interval: 1m
        rules:
          - uid: api-errors
            title: ApiErrorRateHigh
            condition: B
            data:
              - refId: A
                datasourceUid: prometheus
                model: {expr: 'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))', refId: A}
              - refId: B
                datasourceUid: __expr__
                model: {type: threshold, expression: A, refId: B,
                        conditions: [{evaluator: {type: gt, params: [0.02]}}]}
            for: 5m
    ```
    """

    code, name, severity = "XF001", "prometheus-grafana-parity", Severity.ERROR
    summary = "Grafana-managed rule and Prometheus rule of the same alert disagree (metric, threshold, for, severity)"
    applies_to = ("grafana-alerting",)
    fixable = "unsafe"  # the Grafana rule's threshold set to the Prometheus rule's

    def check_alert(self, rule, ctx):
        twins = rule.mirrors  # Prometheus alerts of the same name
        if not twins:
            return
        entry = pol.required_alerts(ctx).get(rule.name)
        e = entry[1] if entry else {}
        g_thr = rule.thresholds
        g_metrics = _grafana_metrics(ctx, rule)
        g_for = thresholds.for_seconds(rule.data)
        g_sev = rule.labels.get("severity")

        # The twin that agrees best (several Prometheus rules may share a name, e.g. per severity).
        def score(p):
            return (_same_thresholds(p.thresholds, g_thr), thresholds.for_seconds(p.data) == g_for,
                    p.labels.get("severity") == g_sev)

        prom = max(twins, key=score)
        where = _where(prom)
        p_thr = prom.thresholds
        if g_thr and p_thr and not _same_thresholds(g_thr, p_thr):
            pinned = False
            if "threshold" in e:
                want = pol.threshold_of(ctx, entry[0] + ("threshold",), e["threshold"])
                pinned = any(thresholds.same_number(t.value, want) and (not e.get("comparison") or t.op == e["comparison"])
                             for t in g_thr)
            if not pinned:
                yield self.finding(rule.doc, g_thr[0].path, f"Grafana rule `{rule.name}` fires at `{g_thr[0]}`, the "
                                   f"Prometheus rule at `{p_thr[0]}` ({where})",
                                   fix=f"use the same threshold in both (`{p_thr[0]}`)", scope=rule.path,
                                   autofix=_threshold_fix(rule, g_thr, p_thr, ctx, entry))
        p_metrics = metriccatalog.base_metrics(ctx, prom.query.expr) if prom.query is not None else set()
        if g_metrics and p_metrics and g_metrics != p_metrics:
            want = e.get("metric")
            want = {want} if isinstance(want, str) else set(want or [])
            if not (want and want <= g_metrics and not want <= p_metrics):
                only_g, only_p = sorted(g_metrics - p_metrics), sorted(p_metrics - g_metrics)
                detail = "; ".join(x for x in (
                    f"only the Grafana rule reads {', '.join(f'`{m}`' for m in only_g)}" if only_g else "",
                    f"only the Prometheus rule reads {', '.join(f'`{m}`' for m in only_p)}" if only_p else "") if x)
                yield self.finding(rule.doc, rule.queries[0].path, f"Grafana rule `{rule.name}` and the Prometheus "
                                   f"rule ({where}) read different metrics: {detail}",
                                   fix="query the same metric in both", scope=rule.path)
        p_for = thresholds.for_seconds(prom.data)
        if g_for is not None and p_for is not None and g_for != p_for:
            pinned = isinstance(e.get("for"), str) and parse_duration(e["for"]) == g_for
            if not pinned:
                node = rule.path + ("for",) if "for" in rule.data else rule.path
                yield self.finding(rule.doc, node, f"Grafana rule `{rule.name}` has `for: {format_duration(g_for)}`, "
                                   f"the Prometheus rule `for: {format_duration(p_for)}` ({where})",
                                   fix=f"use `for: {format_duration(p_for)}` in both", scope=rule.path)
        p_sev = (prom.data.get("labels") or {}).get("severity") if isinstance(prom.data.get("labels"), dict) else None
        if g_sev is not None and p_sev is not None and str(g_sev) != str(p_sev) and e.get("severity") != g_sev:
            yield self.finding(rule.doc, rule.path + ("labels", "severity"), f"Grafana rule `{rule.name}` has severity "
                               f"`{g_sev}`, the Prometheus rule `{p_sev}` ({where})",
                               fix="use the same severity in both", scope=rule.path)


def _threshold_fix(rule, g_thr, p_thr, ctx, entry):
    """XF001's fix: one Grafana threshold, one Prometheus threshold, the same comparison: the
    Grafana number becomes the Prometheus one, or the policy's where the policy pins one (AL002
    moves the Prometheus rule there in the same run)."""
    if len(g_thr) != 1 or len(p_thr) != 1 or g_thr[0].op != p_thr[0].op:
        return None
    new, whose = p_thr[0].value, f"the Prometheus rule's ({p_thr[0]})"
    if entry is not None and "threshold" in entry[1]:
        if entry[1].get("comparison") not in (None, g_thr[0].op):
            return None
        new = pol.threshold_of(ctx, entry[0] + ("threshold",), entry[1]["threshold"])
        whose = f"the policy's ({entry[1]['threshold']})"
    from obslint.fixalerts import threshold_fix

    return threshold_fix(rule.doc, g_thr[0], new, f"set the threshold to {whose}")


def _family(name: str) -> str:
    return _FAMILY.sub("", name)


class AlertMetricNotOnDashboard(Rule):
    """An alert watches a metric that no dashboard of its stack shows. Whoever is paged opens
    the dashboards and finds nothing about what fired. The stack of a rule file is the closest
    directory above it (at most `max-depth` levels up) that holds linted dashboards; rule files
    without dashboards nearby are not checked, nor a rule file whose alerts watch three or more
    metrics of which the stack's dashboards show none when those dashboards all sit two or more
    folders below the stack's (`vmanomaly/preset/dashboard.json`: another component's; the
    rule file's own are elsewhere). Histogram series count as one metric.

    ## Bad (`rules/alerts.yaml`, `dashboards/api.json`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiQueueFull
            expr: max(queue_length) > 100
            for: 5m
    ```
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
       "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total[$__rate_interval]))"}]}
    ]}
    ```

    ## Good (`rules/alerts.yaml`, `dashboards/api.json`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiQueueFull
            expr: max(queue_length) > 100
            for: 5m
    ```
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Queue", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
       "targets": [{"refId": "A", "expr": "max(queue_length)"}]}
    ]}
    ```

    ## Options
    - `max-depth` (default 2): how many directories above a rule file to look for dashboards.
    - `ignore` (default [up, ALERTS, ALERTS_FOR_STATE]): metrics not to look for.
    """

    code, name, severity = "XF002", "alert-metric-not-on-dashboard", Severity.WARNING
    summary = "an alert's metric appears on no dashboard of its stack"
    options = {"max-depth": 2, "ignore": ["up", "ALERTS", "ALERTS_FOR_STATE"]}

    def _dash_dirs(self, ctx) -> dict:
        if "xf.dashdirs" not in ctx.cache:
            from obslint.scalefacts import dash_dirs  # cached files contribute what the cache kept

            ctx.cache["xf.dashdirs"] = dash_dirs(ctx)
        return ctx.cache["xf.dashdirs"]

    def _stack_metrics(self, ctx, display: str):
        memo = ctx.cache.setdefault("xf.stack", {})
        start = os.path.dirname(os.path.abspath(display))
        if start in memo:
            return memo[start]
        dirs = self._dash_dirs(ctx)
        found = None
        here = start
        for _ in range(int(self.opts.get("max-depth", 2)) + 1):
            prefix = here.rstrip(os.sep) + os.sep
            hits = [(d, m) for d, m in dirs.items() if d == here or d.startswith(prefix)]
            if hits:
                found = set().union(*(m for _d, m in hits))
                # dashboards only in folders two or more below the stack's (vmanomaly/preset/): maybe another
                # component's, kept apart from the rule files' own (see _file_in_stack)
                nested = all(d != here and d[len(prefix):].count(os.sep) >= 1 for d, _m in hits)
                if nested:
                    ctx.cache.setdefault("xf.nested", set()).add(start)
                break
            parent = os.path.dirname(here)
            if parent == here:
                break
            here = parent
        memo[start] = found
        return found

    def _check(self, ctx, name, doc, path, scope, exprs):
        if not ctx.project.dashboards:
            return
        shown = self._stack_metrics(ctx, doc.source.display)
        if shown is None:
            return
        ignore = set(self.opts.get("ignore") or [])
        start = os.path.dirname(os.path.abspath(doc.source.display))
        if start in ctx.cache.get("xf.nested", ()) and not self._file_in_stack(ctx, doc.source, shown, ignore):
            return
        metrics: set = set()
        for e in exprs:
            metrics |= metriccatalog.base_metrics(ctx, e)
        missing = sorted({m for m in metrics if _family(m) not in shown and m not in ignore and "__var_" not in m})
        if missing:
            yield self.finding(doc, path, f"alert `{name}` watches {', '.join(f'`{m}`' for m in missing)}, which no "
                               f"dashboard of this stack shows", fix="add a panel with the metric to a dashboard",
                               scope=scope)

    def _file_in_stack(self, ctx, source, shown, ignore) -> bool:
        """Whether the stack guessed for a rule file is its own, when its dashboards are all nested
        two or more folders below it: a file whose alerts watch three or more metrics, none of
        which those dashboards show, belongs to other dashboards (VictoriaMetrics'
        deployment/docker/rules beside vmanomaly/*/dashboard.json, while its own come from the
        repository's dashboards/)."""
        memo = ctx.cache.setdefault("xf.in-stack", {})
        hit = memo.get(id(source))
        if hit is None:
            from obslint.scalefacts import by_source

            metrics: set = set()
            for a in by_source(ctx, "alerts", ctx.project.alerts).get(id(source), ()):
                for q in a.queries:
                    metrics |= {_family(m) for m in metriccatalog.base_metrics(ctx, q.expr)
                                if m not in ignore and "__var_" not in m}
            hit = memo[id(source)] = len(metrics) < 3 or not metrics.isdisjoint(shown)
        return hit

    def check_alert(self, alert, ctx):
        if alert.queries:
            yield from self._check(ctx, alert.name, alert.doc, alert.queries[0].path, alert.path,
                                   [q.expr for q in alert.queries])


def _panel_thresholds(panel):
    """(values, path to the thresholds node, unit) of a panel, or None when it has none."""
    fc = panel.data.get("fieldConfig")
    defaults = fc.get("defaults") if isinstance(fc, dict) else None
    unit = None
    if isinstance(defaults, dict):
        unit = defaults.get("unit")
        th = defaults.get("thresholds")
        if isinstance(th, dict) and isinstance(th.get("steps"), list):
            if th.get("mode") == "percentage":
                return None
            values = [s.get("value") for s in th["steps"] if isinstance(s, dict)]
            values = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
            return values, panel.path + ("fieldConfig", "defaults", "thresholds"), unit
    legacy = panel.data.get("thresholds")
    if isinstance(legacy, list):
        values = [float(t.get("value")) for t in legacy if isinstance(t, dict) and isinstance(t.get("value"), (int, float))]
        yaxes = panel.data.get("yaxes")
        if isinstance(yaxes, list) and yaxes and isinstance(yaxes[0], dict):
            unit = yaxes[0].get("format")
        return values, panel.path + ("thresholds",), unit
    return [], panel.path, unit


class DashboardThresholdMismatch(Rule):
    """A panel the policy links to an alert (`dashboards.required[].panels[].alert`, or a
    `threshold`) must draw that alert's threshold: one of its threshold steps must equal it, in
    the panel's unit (`percentunit` 0.02, `percent` 2, `ms` 1000 for a 1 s alert). Otherwise
    the graph says "fine" while the alert fires, or the other way round. The alert's threshold
    comes from the policy's entry for the alert when it has one (an alert that drifted from it
    is AL002's finding), else the Prometheus rule, else the Grafana-managed rule.

    ## Bad (`obslint.yaml`, `rules.yaml`, `dashboard.json`)
    ```yaml
    dashboards:
      required:
        - uid: api
          panels:
            - {title: "Error rate", alert: ApiErrorRateHigh}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRateHigh
            expr: sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.02
            for: 5m
    ```
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Error rate", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
       "fieldConfig": {"defaults": {"unit": "percent", "thresholds": {"mode": "absolute",
         "steps": [{"color": "green", "value": null}, {"color": "red", "value": 5}]}}},
       "targets": [{"refId": "A", "expr": "100 * sum(rate(http_requests_total{status=~'5..'}[$__rate_interval])) / sum(rate(http_requests_total[$__rate_interval]))"}]}
    ]}
    ```

    ## Good (`obslint.yaml`, `rules.yaml`, `dashboard.json`)
    ```yaml
    dashboards:
      required:
        - uid: api
          panels:
            - {title: "Error rate", alert: ApiErrorRateHigh}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRateHigh
            expr: sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.02
            for: 5m
    ```
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Error rate", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
       "fieldConfig": {"defaults": {"unit": "percent", "thresholds": {"mode": "absolute",
         "steps": [{"color": "green", "value": null}, {"color": "red", "value": 2}]}}},
       "targets": [{"refId": "A", "expr": "100 * sum(rate(http_requests_total{status=~'5..'}[$__rate_interval])) / sum(rate(http_requests_total[$__rate_interval]))"}]}
    ]}
    ```
    """

    code, name, severity = "XF003", "dashboard-threshold-mismatch", Severity.ERROR
    summary = "a panel linked to an alert does not draw the alert's threshold"
    needs_policy = True

    def _alert_threshold(self, ctx, name: str):
        entry = pol.required_alerts(ctx).get(name)
        if entry and "threshold" in entry[1]:
            return pol.threshold_of(ctx, entry[0] + ("threshold",), entry[1]["threshold"]), "the policy"
        for r in (*ctx.project.alerts_named(PROMETHEUS_ALERT).get(name, []),
                  *ctx.project.alerts_named(GRAFANA_ALERT).get(name, [])):
            t = r.thresholds
            if t:
                return t[0].value, _where(r)
        return None, None

    def check_dashboard(self, dash, ctx):
        entry = _entry_for(ctx, dash)
        if entry is None:
            return
        path, e = entry
        for si, spec in enumerate(e.get("panels") or []):
            if not isinstance(spec, dict) or not (spec.get("alert") or "threshold" in spec):
                continue
            if spec.get("alert"):
                value, source = self._alert_threshold(ctx, spec["alert"])
                what = f"alert `{spec['alert']}`"
            else:
                value, source = None, None
            if "threshold" in spec:
                value = pol.threshold_of(ctx, path + ("panels", si, "threshold"), spec["threshold"])
                source, what = "the policy", f"the policy's threshold {spec['threshold']}"
            if value is None:
                continue
            for panel in matching_panels(ctx, dash, spec):
                got = _panel_thresholds(panel)
                if got is None:
                    continue
                values, node, unit = got
                scale = thresholds.PANEL_UNIT_SCALE.get(str(unit), 1.0) if unit else 1.0
                expect = value * scale
                if any(thresholds.same_number(v, expect) for v in values):
                    continue
                unit_note = f" in the panel's unit `{unit}`" if unit and scale != 1.0 else ""
                if not values:
                    msg = f"panel `{panel.title}` draws no threshold; {what} fires at {thresholds.show_number(value)} ({source})"
                else:
                    msg = (f"panel `{panel.title}` draws thresholds at {', '.join(thresholds.show_number(v) for v in values)}, "
                           f"but {what} fires at {thresholds.show_number(expect)}{unit_note} ({source})")
                yield self.finding(dash.doc, node, msg, fix=f"add a threshold step at {thresholds.show_number(expect)}",
                                   scope=panel.path)
