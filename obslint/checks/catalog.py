"""Queries read only metrics and labels the catalog knows (policy `metrics:`, `metrics-from:`
exposition text, and the recording rules being linted)."""
from __future__ import annotations

import fnmatch

from obslint import metriccatalog
from obslint import promql
from obslint.findings import Severity
from obslint.registry import Rule
from obslint.suggest import closest


def _skip_name(name: str) -> bool:
    # Names built from Grafana variables (`${metric}_total`) cannot be checked.
    return "__var_" in name


def _ignored(name: str, globs) -> bool:
    return any(fnmatch.fnmatchcase(name, g) for g in globs or [])


class UnknownMetric(Rule):
    """A query reads a metric the catalog does not know: a typo, a renamed metric, or a metric
    the services do not expose. The query silently returns nothing, so a panel stays empty and
    an alert can never fire. The catalog is the policy's `metrics:`, any `metrics-from:`
    exposition text, Prometheus' own series (`up`, `scrape_*`, `ALERTS`) and the recording
    rules being linted.

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    metrics:
      - {name: http_requests_total, type: counter, labels: [service, status]}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - record: service:http_requests:rate5m
            expr: sum by (service) (rate(http_request_total[5m]))
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    metrics:
      - {name: http_requests_total, type: counter, labels: [service, status]}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - record: service:http_requests:rate5m
            expr: sum by (service) (rate(http_requests_total[5m]))
    ```

    ## Options
    - `ignore` (default []): glob patterns of metric names not to check (e.g. `node_*`).
    """

    code, name, severity = "PL001", "unknown-metric", Severity.ERROR
    summary = "query reads a metric that is not in the metric catalog"
    options = {"ignore": []}
    needs_policy = True

    def check_query(self, query, ctx):
        cat = metriccatalog.catalog(ctx)
        if cat is None:
            return
        parsed = promql.parse(query.expr)
        if parsed.error is not None:
            return
        done = set()
        for sel in parsed.selectors:
            name = sel.name
            if not name or name in done or _skip_name(name) or _ignored(name, self.opts.get("ignore")):
                continue
            done.add(name)
            if cat.lookup(name) is not None:
                continue
            hint = cat.suggest(name)
            yield self.finding(query.doc, query.path,
                               f"metric `{name}` is not in the metric catalog" + (f"; did you mean `{hint}`?" if hint else ""),
                               fix=(f"use `{hint}`" if hint else "fix the name, or add the metric to `metrics:` in the policy"),
                               scope=query.scope, metric=name)


class UnknownLabel(Rule):
    """A label matcher uses a label the catalog does not list for that metric (besides the
    target labels `job`, `instance` and the policy's `target-labels`). `{statsu="500"}` matches
    nothing, and `{statsu!="500"}` matches everything. Metrics whose labels the catalog does not
    list are not checked.

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    metrics:
      - {name: http_requests_total, type: counter, labels: [service, status]}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - record: service:http_errors:rate5m
            expr: sum by (service) (rate(http_requests_total{code=~"5.."}[5m]))
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    metrics:
      - {name: http_requests_total, type: counter, labels: [service, status]}
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - record: service:http_errors:rate5m
            expr: sum by (service) (rate(http_requests_total{status=~"5.."}[5m]))
    ```
    """

    code, name, severity = "PL002", "unknown-label", Severity.ERROR
    summary = "label matcher uses a label the metric does not have"
    needs_policy = True

    def check_query(self, query, ctx):
        cat = metriccatalog.catalog(ctx)
        if cat is None:
            return
        parsed = promql.parse(query.expr)
        if parsed.error is not None:
            return
        done = set()
        for sel in parsed.selectors:
            if not sel.name or _skip_name(sel.name):
                continue
            known = cat.labels(sel.name)
            if known is None:
                continue
            for label, _op, _value in sel.matchers:
                if label in known or label.startswith("__") or (sel.name, label) in done:
                    continue
                done.add((sel.name, label))
                m = closest(label, known - {"__name__"})
                yield self.finding(query.doc, query.path,
                                   f"metric `{sel.name}` has no label `{label}`" + (f"; did you mean `{m}`?" if m else
                                   f" (it has: {', '.join(sorted(known - {'__name__'}))})"),
                                   fix=f"use `{m}`" if m else "remove the matcher or add the label to the catalog",
                                   scope=query.scope, metric=sel.name, label=label)
