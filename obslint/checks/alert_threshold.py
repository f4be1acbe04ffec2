"""AL002 and AL009: a required alert fires where the policy says (comparison and threshold,
in base units) and on the metric the policy names."""
from __future__ import annotations

from obslint import metriccatalog
from obslint import policy as pol
from obslint.findings import Severity
from obslint.registry import Rule
from obslint.thresholds import same_number, show_number


class AlertThreshold(Rule):
    """An alert's comparison or threshold differs from the policy's `alerts.required[]` entry
    (`comparison`, `threshold`). Thresholds are compared in base units: `2%` is 0.02, `1000ms`
    is 1 (seconds). A Grafana-managed rule that mirrors a Prometheus rule is compared with that
    rule instead (XF001).

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      required:
        - {name: ApiErrorRateHigh, comparison: ">", threshold: 2%}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRateHigh
            expr: job:http_errors:ratio_rate5m > 0.05
            for: 5m
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      required:
        - {name: ApiErrorRateHigh, comparison: ">", threshold: 2%}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRateHigh
            expr: job:http_errors:ratio_rate5m > 0.02
            for: 5m
    ```
    """

    code, name, severity = "AL002", "alert-threshold", Severity.ERROR
    summary = "alert threshold or comparison differs from the policy"
    needs_policy = True
    fixable = "unsafe"  # the threshold set to the policy's: the alert fires elsewhere

    def check_alert(self, alert, ctx):
        if not alert.name or alert.is_mirror or alert.expr_path is None:
            return
        entry = pol.required_alerts(ctx).get(alert.name)
        if entry is None:
            return
        ppath, e = entry
        if "threshold" not in e and "comparison" not in e:
            return
        name, found = alert.name, alert.thresholds
        want_op = e.get("comparison")
        want = pol.threshold_of(ctx, ppath + ("threshold",), e["threshold"]) if "threshold" in e else None
        if any((want_op is None or t.op == want_op) and (want is None or same_number(t.value, want))
               for t in found):
            return
        expected = f"{want_op or ''} {e['threshold'] if 'threshold' in e else ''}".strip()
        if want is not None and isinstance(e.get("threshold"), str) and show_number(want) != str(e["threshold"]).strip():
            expected += f" (= {show_number(want)})"
        if not found:
            yield self.finding(alert.doc, alert.expr_path, f"alert `{name}` has no comparison with a number; the policy "
                               f"expects `{expected}`", fix=f"compare with the policy's threshold: `... {want_op or '>'} "
                               f"{show_number(want) if want is not None else '...'}`", scope=alert.path)
            return
        t = next((t for t in found if want_op is None or t.op == want_op), found[0])
        autofix = None
        if want is not None and (want_op is None or t.op == want_op) and len(found) == 1:
            from obslint.fixalerts import threshold_fix  # only the number changes, never the comparison

            autofix = threshold_fix(alert.doc, t, want, f"set the threshold to {show_number(want)}")
        yield self.finding(alert.doc, t.path, f"alert `{name}` fires at `{t}`, the policy says `{expected}`",
                           fix=f"use `{want_op or t.op} {show_number(want) if want is not None else t.value}` "
                               f"(or change the policy if the threshold moved on purpose)", scope=alert.path,
                           autofix=autofix)


class AlertMetric(Rule):
    """A required alert does not read the metric the policy names for it (directly or through
    the recording rules it uses): it watches something else than the policy intends.

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      required:
        - {name: ApiErrorRateHigh, metric: http_requests_total}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRateHigh
            expr: sum(rate(grpc_server_handled_total{grpc_code!="OK"}[5m])) > 1
            for: 5m
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    alerts:
      required:
        - {name: ApiErrorRateHigh, metric: http_requests_total}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - record: job:http_errors:rate5m
            expr: sum by (job) (rate(http_requests_total{status=~"5.."}[5m]))
          - alert: ApiErrorRateHigh
            expr: job:http_errors:rate5m > 1
            for: 5m
    ```
    """

    code, name, severity = "AL009", "alert-metric", Severity.ERROR
    summary = "required alert does not read the metric the policy names"
    needs_policy = True

    def check_alert(self, alert, ctx):
        if not alert.name or alert.is_mirror or not alert.queries:
            return
        entry = pol.required_alerts(ctx).get(alert.name)
        if entry is None or not entry[1].get("metric"):
            return
        want = entry[1]["metric"]
        want = [want] if isinstance(want, str) else list(want)
        have: set = set()
        for q in alert.queries:
            have |= metriccatalog.base_metrics(ctx, q.expr)
        missing = [m for m in want if m not in have and not any(h.startswith(m + "_") and h[len(m):] in
                                                                 ("_bucket", "_sum", "_count", "_total") for h in have)]
        if missing:
            yield self.finding(alert.doc, alert.queries[0].path, f"alert `{alert.name}` does not read "
                               f"{', '.join(f'`{m}`' for m in missing)} as the policy says (it reads "
                               f"{', '.join(f'`{h}`' for h in sorted(have)) or 'nothing'})",
                               fix="query the policy's metric, or fix the policy", scope=alert.path)
