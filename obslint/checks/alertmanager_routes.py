"""Every linted Prometheus alert should reach a receiver that notifies someone: its labels are
followed through the route tree of the (one) linted Alertmanager configuration (AM010, AM011).

An alert's labels are its rule's static labels, `alertname`, Prometheus' `external_labels` (from
a linted Prometheus configuration) and whatever its expression's result may carry. A matcher on a
label that only the expression can supply cannot be judged statically; such alerts are left alone,
so a finding is certain. Nothing is checked when several Alertmanager configurations are linted
(which one gets the alerts is unknown), when the one linted is refused by Alertmanager (AM001-AM004),
when a linted Prometheus configuration relabels alerts, or for a rule file far from the configuration
in the tree (more than two directories below the one both share).
"""
from __future__ import annotations

import os

from obslint import alertmanager as am
from obslint import promql
from obslint.classify import ALERTMANAGER_CONFIG, PROMETHEUS_CONFIG
from obslint.findings import Severity
from obslint.registry import Rule


def _routing(ctx):
    """(Alertmanager document, external labels) when the project allows certain routing, else None."""
    key = "alertmanager-routing"
    if key in ctx.cache:
        return ctx.cache[key]
    docs = ctx.project.documents
    configs = [d for d in docs if d.kind == ALERTMANAGER_CONFIG and isinstance(d.root, dict)]
    external: dict = {}
    relabels = False
    for d in docs:
        if d.kind == PROMETHEUS_CONFIG and isinstance(d.root, dict):
            glob = d.root.get("global") if isinstance(d.root.get("global"), dict) else {}
            if isinstance(glob.get("external_labels"), dict):
                external.update({str(k): str(v) for k, v in glob["external_labels"].items()})
            alerting = d.root.get("alerting") if isinstance(d.root.get("alerting"), dict) else {}
            relabels = relabels or bool(alerting.get("alert_relabel_configs"))
    ok = (len(configs) == 1 and not relabels and isinstance(configs[0].root.get("route"), dict)
          and not am.validate(configs[0].root))  # a file Alertmanager refuses routes nothing
    ctx.cache[key] = (configs[0], external) if ok else None
    return ctx.cache[key]


def _label_values(rule, external: dict):
    labels = rule.data.get("labels") if isinstance(rule.data.get("labels"), dict) else {}
    expr = rule.data.get("expr")
    parsed = promql.parse(expr) if isinstance(expr, str) else None
    ast = parsed.ast if parsed is not None and parsed.error is None else None
    result = promql.result_labels(ast) if ast is not None else None

    def value(name: str) -> str | None:
        if name == "alertname":
            return rule.name
        if name in labels:
            v = labels[name]
            return None if "{{" in str(v) else str(v)
        if result is None or result.may_have(name):
            return None  # the expression's result may carry it: unknown here
        return external.get(name, "")

    return value


def _near(rule_doc, am_doc, ctx) -> bool:
    """Whether a rule file is in the Alertmanager configuration's part of the tree: both at most
    two directories below the one they share (`stack/alertmanager/`, `stack/rules/team/`), and the
    rule file below the folder that holds the Alertmanager configuration's folder. Loki's
    repository has one Alertmanager configuration, a docker-compose demo's
    (`production/docker/config/`), and hundreds of rule files of the operator, the mixin
    (`production/loki-mixin-compiled/`) and test data that never reach it."""
    memo = ctx.cache.setdefault("alertmanager-near", {})
    key = id(rule_doc.source)
    hit = memo.get(key)
    if hit is None:
        from obslint.nearby import within

        rules_dir = os.path.dirname(os.path.abspath(str(rule_doc.source.path)))
        am_dir = os.path.dirname(os.path.abspath(str(am_doc.source.path)))
        stack = os.path.dirname(am_dir)  # the folder that holds the Alertmanager's folder
        hit = memo[key] = within(rules_dir, am_dir, 2) and (rules_dir + os.sep).startswith(stack.rstrip(os.sep) + os.sep)
    return hit


def _walk(rule, ctx):
    setup = _routing(ctx)
    if setup is None:
        return None
    doc, external = setup
    if not _near(rule.doc, doc, ctx):
        return None
    key = ("alertmanager-route", id(rule))
    if key not in ctx.cache:
        reached, uncertain = am.route_alert(doc.root["route"], _label_values(rule, external))
        ctx.cache[key] = None if uncertain else (doc, reached)
    return ctx.cache[key]


def _silent(doc, reached) -> bool:
    """Every receiver reached has no integration."""
    counts = am.integrations(doc.root)
    receivers = {r for _path, r in reached}
    return bool(receivers) and all(counts.get(r) == 0 for r in receivers)


class AlertReachesOnlyDefaultRoute(Rule):
    """An alert's labels match none of the Alertmanager routes under the root, so it lands on the
    root's default receiver, usually a catch-all nobody watches. Typical cause: a missing or
    misspelt `team`/`severity` label, or a new team without a route.

    Checked when exactly one Alertmanager configuration is linted, and only for alerts whose
    route can be decided from the rule's own labels (see the module notes).

    ## Bad (`rules.yaml`, `alertmanager.yml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: sum(up{job="api"}) == 0
            for: 5m
            labels: {severity: critical, tema: api}
    ```
    ```yaml
    route:
      receiver: catch-all
      routes:
        - receiver: api-team
          matchers: ['team="api"']
    receivers:
      - name: catch-all
        webhook_configs: [{url: "http://127.0.0.1:9095/catch-all"}]
      - name: api-team
        webhook_configs: [{url: "http://127.0.0.1:9095/api"}]
    ```

    ## Good (`rules.yaml`, `alertmanager.yml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: sum(up{job="api"}) == 0
            for: 5m
            labels: {severity: critical, team: api}
    ```
    ```yaml
    route:
      receiver: catch-all
      routes:
        - receiver: api-team
          matchers: ['team="api"']
    receivers:
      - name: catch-all
        webhook_configs: [{url: "http://127.0.0.1:9095/catch-all"}]
      - name: api-team
        webhook_configs: [{url: "http://127.0.0.1:9095/api"}]
    ```
    """

    code, name, severity = "AM010", "alert-reaches-only-default-route", Severity.WARNING
    summary = "an alert matches no Alertmanager route but the root's default receiver"
    applies_to = ("prometheus-rules",)

    def check_alert(self, rule, ctx):
        walked = _walk(rule, ctx)
        if walked is None:
            return
        doc, reached = walked
        route = doc.root["route"]
        if _silent(doc, reached):
            return  # AM011 says the worse: nobody at all is told
        if reached == [(("route",), str(route.get("receiver")))] and route.get("routes"):
            yield self.finding(rule.doc, rule.path + ("alert",), f"alert `{rule.name}` matches no route of "
                               f"{doc.source.display} but the root: it only reaches the default receiver "
                               f"`{route.get('receiver')}`", at_key=True,
                               fix="give it the labels a route matches (e.g. team, severity), or add a route for it")


class AlertReachesNoIntegration(Rule):
    """Every receiver an alert reaches through the Alertmanager route tree has no integration
    (no webhook, email, Slack, PagerDuty... config): the alert fires and nobody is told. Deliberate
    for a heartbeat such as `Watchdog` routed to a `null` receiver; suppress it there.

    ## Bad (`rules.yaml`, `alertmanager.yml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: sum(up{job="api"}) == 0
            for: 5m
            labels: {severity: critical, team: api}
    ```
    ```yaml
    route:
      receiver: default
      routes:
        - receiver: api-team
          matchers: ['team="api"']
    receivers:
      - name: default
        webhook_configs: [{url: "http://127.0.0.1:9095/default"}]
      - name: api-team
    ```

    ## Good (`rules.yaml`, `alertmanager.yml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: sum(up{job="api"}) == 0
            for: 5m
            labels: {severity: critical, team: api}
    ```
    ```yaml
    route:
      receiver: default
      routes:
        - receiver: api-team
          matchers: ['team="api"']
    receivers:
      - name: default
        webhook_configs: [{url: "http://127.0.0.1:9095/default"}]
      - name: api-team
        webhook_configs: [{url: "http://127.0.0.1:9095/api"}]
    ```
    """

    code, name, severity = "AM011", "alert-reaches-no-integration", Severity.WARNING
    summary = "every receiver an alert reaches has no integration: nobody is notified"
    applies_to = ("prometheus-rules",)

    def check_alert(self, rule, ctx):
        walked = _walk(rule, ctx)
        if walked is None:
            return
        doc, reached = walked
        if _silent(doc, reached):
            receivers = sorted({r for _path, r in reached})
            names = ", ".join(f"`{r}`" for r in receivers)
            yield self.finding(rule.doc, rule.path + ("alert",), f"alert `{rule.name}` reaches only {names} in "
                               f"{doc.source.display}, which has no integration: nobody is notified", at_key=True,
                               fix="add a webhook/email/... config to the receiver, or route the alert elsewhere")
