"""Rule sets as a whole: the same rule in two groups of a file (promtool's duplicate check),
redundant `for: 0s`, group intervals far above the scrape interval, and the opt-in naming and
required-label policies (`rules.naming`, `rules.require-labels`)."""
from __future__ import annotations

import re

from obslint import samename
from obslint.durations import format_duration, parse_duration
from obslint.findings import Severity
from obslint.registry import Rule


def _labels_key(labels) -> frozenset:
    if not isinstance(labels, dict):
        return frozenset()
    return frozenset((str(k), str(v)) for k, v in labels.items())


def _group_labels(group) -> dict:
    labels = group.data.get("labels")
    return labels if isinstance(labels, dict) else {}


class DuplicateAcrossGroups(Rule):
    """The same alert or recording rule (same name, same labels, group labels included) is
    defined in two groups of one file. Both are evaluated: a recording rule's series are written
    twice and collide, an alert is sent twice. `promtool check rules` reports these as
    duplicate rules; duplicates inside one group are RF008. Rules that split one series by a
    selector the result keeps never collide: info.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
      - name: api-copy
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
    ```
    """

    code, name, severity = "RF020", "duplicate-across-groups", Severity.WARNING
    summary = "the same rule (name and labels) in two groups of one file"

    def check_document(self, doc, ctx):
        memo = ctx.cache.get("RF020.by-doc")
        if memo is None:
            memo = ctx.cache["RF020.by-doc"] = {}
            for group in ctx.project.groups:
                memo.setdefault(id(group.doc), []).append(group)
        groups = memo.get(id(doc))
        if not groups or len(groups) < 2:
            return
        seen: dict = {}
        first_rule: dict = {}
        for group in groups:
            glabels = _group_labels(group)
            for rule in group.rules:
                name = rule.data.get("alert", rule.data.get("record"))
                if not isinstance(name, str):
                    continue
                own = rule.data.get("labels") if isinstance(rule.data.get("labels"), dict) else {}
                key = ("alert" in rule.data, name, _labels_key({**glabels, **own}))
                first = seen.get(key)
                if first is None:
                    seen[key], first_rule[key] = group, rule
                    continue
                if first is group:
                    continue  # same group: RF008's
                kind = "alert" if "alert" in rule.data else "recording rule"
                how, severity = samename.verdict(first_rule[key].data.get("expr"), rule.data.get("expr"))
                yield self.finding(doc, rule.path, f"{kind} `{name}` is also defined, with the same labels, in group "
                                   f"`{first.name}` of this file, {how}",
                                   fix="remove one copy, or give them distinguishing labels"
                                   if severity is Severity.WARNING else None, scope=rule.path, rule_name=name,
                                   severity=severity)


class RedundantForZero(Rule):
    """`for: 0s` (or `0m`, `0`) on an alert is the default: the alert fires on the first
    evaluation either way. Writing it suggests a hold time was meant; say so or remove it.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 0m
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
    ```
    """

    code, name, severity = "RF021", "redundant-for-zero", Severity.INFO
    summary = "`for: 0s` is the default: remove it or set a real hold time"
    applies_to = ("prometheus-rules",)

    def check_alert(self, rule, ctx):
        # A plain function, not a generator: nearly every alert leaves here.
        raw = rule.data.get("for")
        if not ((isinstance(raw, str) and parse_duration(raw) == 0) or (raw == 0 and not isinstance(raw, bool))):
            return None
        return [self.finding(rule.doc, rule.path + ("for",), f"alert `{rule.name}` has `for: {raw}`, which is "
                             f"the default: it fires on the first evaluation", fix="remove `for`, or set the hold "
                             "time the alert needs (`for: 5m`)", scope=rule.path)]


class GroupIntervalTooLong(Rule):
    """A rule group's `interval` is many times the scrape interval: rules see only every Nth
    sample and alerts react minutes late. Usually a typo (`15m` for `15s`). Only groups with
    alerts are checked: recording rules over long windows are often evaluated slowly on purpose. The scrape interval is the policy's `scrape-interval`, else the closest linted
    Prometheus config, else the option `scrape-interval`.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        interval: 30m
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        interval: 30s
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
    ```

    ## Options
    - `factor` (default 20): report intervals longer than this many scrape intervals.
    - `scrape-interval` (default `15s`): assumed when nothing else tells.
    """

    code, name, severity = "RF022", "group-interval-too-long", Severity.INFO
    summary = "group `interval` far above the scrape interval"
    options = {"factor": 20, "scrape-interval": "15s"}

    def check_group(self, group, ctx):
        raw = group.data.get("interval")
        if not isinstance(raw, str):
            return None  # (a plain function: most groups have no `interval`)
        secs = parse_duration(raw)
        # Only PromQL alert groups: a Loki ruler group has no scrape interval to compare with.
        if not secs or not any(r.is_alert and r.query is not None for r in group.rules):
            return None  # recording rules over long windows (28d availability) are evaluated slowly on purpose
        from obslint.checks.types import scrape_interval

        scrape, where = scrape_interval(ctx, str(self.opts.get("scrape-interval") or "15s"), group.doc.source.display,
                                       rule_file=True)
        factor = float(self.opts.get("factor") or 20)
        if secs <= factor * scrape:
            return None
        return [self.finding(group.doc, group.path + ("interval",),
                             f"group `{group.name}` is evaluated every {format_duration(secs)}, "
                             f"{secs / scrape:.0f}x the scrape interval ({format_duration(scrape)}, {where})",
                             fix=f"evaluate rules every {format_duration(scrape)} to {format_duration(4 * scrape)}, "
                                 f"or raise `factor` for this set", scope=group.path)]


def _rules_policy(ctx) -> dict:
    rules = (ctx.policy or {}).get("rules")
    return rules if isinstance(rules, dict) else {}


def _compile(pattern, memo: dict):
    if pattern not in memo:
        try:
            memo[pattern] = re.compile(pattern)
        except (re.error, TypeError):
            memo[pattern] = None
    return memo[pattern]


class RuleNaming(Rule):
    """Alert, recording rule and group names follow the team's conventions, given as regexes
    in the policy (`rules.naming.alert`, `.record`, `.group`) with an optional `max-length`.
    Nothing is checked without the policy section. A common choice: CamelCase alerts
    (`^[A-Z][A-Za-z0-9]*$`) and `level:metric:operations` records.

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    rules:
      naming:
        alert: "^[A-Z][A-Za-z0-9]*$"
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: api_down
            expr: up{job="api"} == 0
            for: 5m
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    rules:
      naming:
        alert: "^[A-Z][A-Za-z0-9]*$"
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

    code, name, severity = "PL020", "rule-naming", Severity.WARNING
    summary = "alert/record/group name breaks the policy's `rules.naming`"
    needs_policy = True

    def _naming(self, ctx) -> dict:
        naming = _rules_policy(ctx).get("naming")
        return naming if isinstance(naming, dict) else {}

    def _check(self, ctx, kind: str, name, doc, path, scope):
        naming = self._naming(ctx)
        if not naming or not isinstance(name, str):
            return
        memo = ctx.cache.setdefault("PL020.patterns", {})
        pattern = naming.get(kind)
        rx = _compile(pattern, memo) if isinstance(pattern, str) else None
        if rx is not None and not rx.search(name):
            yield self.finding(doc, path, f"{kind} name `{name}` does not match the policy's `rules.naming.{kind}` "
                               f"(`{pattern}`)", fix=f"rename it to match `{pattern}`", scope=scope)
        limit = naming.get("max-length")
        if isinstance(limit, int) and not isinstance(limit, bool) and len(name) > limit:
            yield self.finding(doc, path, f"{kind} name `{name}` is {len(name)} characters long, more than the "
                               f"policy's `rules.naming.max-length` ({limit})", fix="shorten it", scope=scope)

    def check_group(self, group, ctx):
        yield from self._check(ctx, "group", group.name, group.doc, group.path + ("name",), group.path)

    def check_rule(self, rule, ctx):
        kind = "alert" if rule.is_alert else "record"
        yield from self._check(ctx, kind, rule.name, rule.doc, rule.path + (kind,), rule.path)


class RuleRequiredLabels(Rule):
    """Every alert carries the labels and annotations the team requires, with values matching
    the policy's regexes: `rules.require-labels` and `rules.require-annotations` map a name to a
    regex its value must match (`""` or `.*` for "present"). Alertmanager routes, silences and
    runbooks depend on them. Nothing is checked without the policy section.

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    rules:
      require-labels:
        team: "^[a-z-]+$"
      require-annotations:
        runbook_url: "^https://"
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
            labels: {team: API}
    ```

    ## Good (`obslint.yaml`, `rules.yaml`)
    ```yaml
    rules:
      require-labels:
        team: "^[a-z-]+$"
      require-annotations:
        runbook_url: "^https://"
    ```
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
            labels: {team: api}
            annotations: {runbook_url: "https://runbooks.example.com/api-down"}
    ```
    """

    code, name, severity = "PL021", "rule-required-labels", Severity.WARNING
    summary = "alert lacks a label/annotation the policy's `rules.require-labels` asks for"
    needs_policy = True
    applies_to = ("prometheus-rules",)

    def check_alert(self, rule, ctx):
        policy = _rules_policy(ctx)
        memo = ctx.cache.setdefault("PL021.patterns", {})
        for key, field in (("require-labels", "labels"), ("require-annotations", "annotations")):
            wanted = policy.get(key)
            if not isinstance(wanted, dict):
                continue
            have = rule.data.get(field) if isinstance(rule.data.get(field), dict) else {}
            for name, pattern in wanted.items():
                value = have.get(name)
                if value is None:
                    yield self.finding(rule.doc, rule.path, f"alert `{rule.name}` has no {field[:-1]} `{name}`, "
                                       f"which the policy's `rules.{key}` requires",
                                       fix=f"add `{field}: {{{name}: ...}}`", scope=rule.path)
                    continue
                rx = _compile(pattern, memo) if isinstance(pattern, str) and pattern else None
                if rx is not None and not rx.search(str(value)):
                    yield self.finding(rule.doc, rule.path + (field, name),
                                       f"alert `{rule.name}`: {field[:-1]} `{name}: {value}` does not match the "
                                       f"policy's `{pattern}`", fix=f"use a value matching `{pattern}`",
                                       scope=rule.path)
