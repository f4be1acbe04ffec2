"""Codes reported by `obslint probe`, which runs queries against a live Prometheus.
These never fire in a static run; they are registered so `rules`, `explain` and
suppressions know them."""
from obslint.findings import Severity
from obslint.registry import Rule


class EmptyPanelQuery(Rule):
    """A dashboard panel's query returns no series from the Prometheus it is pointed at:
    the panel shows "No data". Usually a misspelt metric or label value, a selector on a
    label the target does not have, or a service that is not scraped.

    ## Fix
    Open the query in Prometheus' expression browser and remove matchers one by one.
    """

    code, name, severity = "PR001", "empty-panel-query", Severity.WARNING
    summary = "panel query returns no series from the live Prometheus"


class UnseenMetric(Rule):
    """A query selects a metric name that the live Prometheus has never stored.

    ## Fix
    Check the exporter exposes it (`curl target/metrics | grep NAME`) and that the target is scraped.
    """

    code, name, severity = "PR002", "unseen-metric", Severity.WARNING
    summary = "metric name unknown to the live Prometheus"


class AlertActive(Rule):
    """An alert defined in the linted rule files is pending or firing right now in the live
    Prometheus (information, so a deploy check can show it)."""

    code, name, severity = "PR003", "alert-active", Severity.INFO
    summary = "alert is pending or firing in the live Prometheus"


class QueryFailed(Rule):
    """Prometheus rejected or failed to run a query (bad syntax after Grafana interpolation,
    a timeout, too many samples)."""

    code, name, severity = "PR004", "query-failed", Severity.ERROR
    summary = "live Prometheus rejected or failed the query"
