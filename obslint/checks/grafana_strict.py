"""What Grafana's alert rule storage refuses although the provisioning file parses: checked
where Grafana checks it (pkg/services/ngalert/models: AlertQuery.PreSave, ValidateAlertRule;
the provisioning reader passes these values through unchanged)."""
from __future__ import annotations

import os

from obslint.findings import Severity
from obslint.model import EXPRESSION_DATASOURCES
from obslint.registry import Rule



def consequence(doc) -> str:
    """What one refused rule costs: provisioning stops at it, so the file's other rules are
    not loaded either; the operator fails the whole rule group."""
    if doc.label == "GrafanaAlertRuleGroup":
        return "the operator cannot apply this rule group, so none of its rules reach Grafana"
    return "Grafana refuses the whole file, so none of its rules are provisioned"


def _number(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


class GrafanaRuleRefused(Rule):
    """A rule that Grafana's alert rule store refuses, though the file parses:

    - a data source query (not an `__expr__` expression) needs a `relativeTimeRange` whose
      `from` is greater than its `to` (seconds before now); a missing range is 0 to 0, which
      Grafana refuses with "invalid relative time range [From: 0s, To: 0s]";
    - `missing_series_evals_to_resolve` of an alerting rule must be greater than 0;
    - a rule uid may be used once per organization (checked among the files of one directory,
      which Grafana provisions together).

    One refused rule stops the provisioning of its file, so the message says so.

    ## Bad (`alerting.yaml`)
    ```yaml
    apiVersion: 1
    groups:
      - orgId: 1
        name: api
        folder: API
        interval: 1m
        rules:
          - uid: api-down
            title: ApiDown
            condition: A
            data:
              - refId: A
                datasourceUid: prometheus
                relativeTimeRange: {from: 0, to: 600}
                model: {expr: 'up{job="api"} == 0'}
    ```

    ## Good (`alerting.yaml`)
    ```yaml
    apiVersion: 1
    groups:
      - orgId: 1
        name: api
        folder: API
        interval: 1m
        rules:
          - uid: api-down
            title: ApiDown
            condition: A
            data:
              - refId: A
                datasourceUid: prometheus
                relativeTimeRange: {from: 600, to: 0}
                model: {expr: 'up{job="api"} == 0'}
    ```
    """

    code, name, severity = "GA020", "grafana-rule-refused", Severity.ERROR
    summary = "alert rule that Grafana refuses to store (and with it the whole file)"

    def check_grafana_rule(self, rule, ctx):
        data = rule.data.get("data")
        cost = consequence(rule.doc)
        if isinstance(data, list):
            for i, q in enumerate(data):
                if not isinstance(q, dict) or q.get("datasourceUid") in EXPRESSION_DATASOURCES:
                    continue
                model = q.get("model") if isinstance(q.get("model"), dict) else {}
                ds = model.get("datasource")
                if isinstance(ds, dict) and ds.get("uid") in EXPRESSION_DATASOURCES and "datasourceUid" not in q:
                    continue
                rtr = q.get("relativeTimeRange")
                if rtr is None:
                    yield self.finding(rule.doc, rule.path + ("data", i), f"query `{q.get('refId', i)}` of rule "
                                       f"`{rule.title}` has no `relativeTimeRange`: Grafana reads it as 0s to 0s and "
                                       f"refuses the rule (\"invalid relative time range\"); {cost}",
                                       fix="add `relativeTimeRange: {from: 600, to: 0}` (seconds before now)",
                                       scope=rule.path)
                    continue
                if not isinstance(rtr, dict):
                    continue
                start, end = _number(rtr.get("from", 0)), _number(rtr.get("to", 0))
                if start is not None and end is not None and not start > end:
                    yield self.finding(rule.doc, rule.path + ("data", i, "relativeTimeRange"),
                                       f"query `{q.get('refId', i)}` of rule `{rule.title}` has relativeTimeRange "
                                       f"from {start:g}s to {end:g}s: `from` must be greater than `to` (both count "
                                       f"seconds back from now), so Grafana refuses the rule; {cost}",
                                       fix="swap them, e.g. `{from: 600, to: 0}` for the last ten minutes",
                                       scope=rule.path)
        msetr = rule.data.get("missing_series_evals_to_resolve")
        if "record" not in rule.data and _number(msetr) is not None and msetr <= 0:
            yield self.finding(rule.doc, rule.path + ("missing_series_evals_to_resolve",),
                               f"`missing_series_evals_to_resolve` of rule `{rule.title}` is {msetr}; Grafana requires "
                               f"it to be greater than 0; {cost}", fix="use 1 or more, or remove it (default 2)",
                               scope=rule.path)
        uid = rule.data.get("uid")
        if isinstance(uid, str) and uid:
            same = self._uids(ctx).get((_org(rule), uid), [])
            if len(same) > 1 and same[0] is not rule:
                first = same[0]
                line, _ = first.doc.locate(first.path + ("uid",))
                yield self.finding(rule.doc, rule.path + ("uid",), f"rule uid `{uid}` (`{rule.title}`) is already "
                                   f"used by rule `{first.title}` at {first.doc.source.display}:{line}; Grafana refuses "
                                   f"the second one; {cost}", fix="give every rule its own uid", scope=rule.path)

    def _uids(self, ctx) -> dict:
        if "ga020.uids" not in ctx.cache:
            idx: dict = {}
            for r in ctx.project.grafana_rules:
                uid = r.data.get("uid")
                if isinstance(uid, str) and uid:
                    idx.setdefault((_org(r), uid), []).append(r)
            ctx.cache["ga020.uids"] = idx
        return ctx.cache["ga020.uids"]


def _org(rule):
    """Where a uid must be unique: the organization, among the files Grafana loads together
    (one provisioning directory, or the manifests of one directory)."""
    org = rule.group.get("orgId", 1) if isinstance(rule.group, dict) else 1
    return (os.path.dirname(os.path.normpath(rule.doc.source.display)), org if isinstance(org, (int, str)) else 1)
