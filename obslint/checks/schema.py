"""Structure of dashboards, Grafana alerting provisioning and other provisioning files,
checked against obslint's JSON Schemas in `schemas/`, with messages a person can act on."""
from __future__ import annotations

import json

from obslint import schemas
from obslint.findings import Severity
from obslint.model import EXPRESSION_DATASOURCES
from obslint.registry import Rule
from obslint.suggest import closest

# Keys that Grafana's export API writes into alert rules; provisioning ignores them, harmlessly.
_EXPORT_ONLY_KEYS = {"orgID", "folderUID", "ruleGroup", "updated", "id", "namespace_uid", "provenance",
                     "intervalSeconds", "version", "rule_group", "namespace_id"}


def _schema_findings(rule: Rule, doc, schema: str, skip_unknown: bool = False, tolerated=None):
    """One finding per schema error; `tolerated(err)`, when given, names the deviations the
    reader accepts (a warning with that hint instead of an error)."""
    for err in schemas.errors(schema, doc.root):
        if skip_unknown and err.validator == "additionalProperties":
            continue
        if tolerated is not None and _empty_mapping(err):
            continue  # `secureJsonData:` with its keys commented out: the same as leaving it out
        path = tuple(err.absolute_path)
        at_key = False
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
            if extra:
                path, at_key = path + (extra[0],), True
        hint = tolerated(err) if tolerated is not None else None
        if hint and _harmless_null(err):
            # `user:` with nothing after it: the reader's zero value, as if the key were left out
            yield rule.finding(doc, path, f"{schemas.where(err.absolute_path)}is empty (null); {hint}, as if the "
                               "key were left out", fix="remove the key or give it a value", severity=Severity.INFO)
            continue
        yield rule.finding(doc, path, schemas.describe(err) + (f"; {hint}" if hint else ""), at_key=at_key,
                           fix=_fix_hint(err), severity=Severity.WARNING if hint else None)


# Keys without which a provisioned datasource or provider does not work: empty, they stay a warning.
_NEEDED_KEYS = frozenset({"name", "type", "apiVersion", "path", "url", "options"})


def _harmless_null(err) -> bool:
    path = tuple(err.absolute_path)
    return err.validator == "type" and err.instance is None and bool(path) and path[-1] not in _NEEDED_KEYS


def _empty_mapping(err) -> bool:
    """A key written with no value where a mapping belongs (`jsonData:`, `options:`): the reader
    takes it as an empty mapping, exactly as if the key were absent."""
    expected = err.validator_value if err.validator == "type" else None
    return err.instance is None and (expected == "object" or expected == ["object"])


def _provisioning_tolerated(err) -> str | None:
    """What Grafana's provisioning reader does with a deviation it accepts (yaml.Unmarshal is
    not strict; config_reader.validateAccessAndOrgID), or None for one it refuses."""
    if err.validator == "additionalProperties":
        return "Grafana ignores keys it does not know"
    if err.validator == "type" and err.instance is None:
        return "Grafana reads it as the zero value"
    if err.validator == "enum" and tuple(err.absolute_path)[-1:] == ("access",):
        return "Grafana logs a warning and uses `proxy`"
    return None


def _fix_hint(err) -> str | None:
    if err.validator == "required":
        return "add the missing key"
    if err.validator == "enum":
        return "use one of the listed values"
    if err.validator == "pattern" and "A-Za-z0-9_-" in str(err.validator_value):
        return "use letters, digits, `-` and `_` only, at most 40 characters"
    if err.validator == "pattern" and "ms|s|m" in str(err.validator_value):
        return "use a Prometheus duration such as `30s`, `5m` or `1h30m`"
    return None


class DashboardSchema(Rule):
    """A dashboard Grafana refuses on import or save, or with a part it cannot use: an empty
    title or one over 5,000 characters, a tag over 50 characters or not a string
    (pkg/services/dashboards/errors.go, the import form's validation), panels that are not
    a list of objects, a variable without a `name` or of an unknown type. Deviations
    Grafana migrates or ignores (a `span` out of range in old `rows`, a fractional
    `gridPos.y`, a string `schemaVersion`) are DB008 warnings. See docs/grafana-sources.md.

    ## Bad (`dashboard.json`)
    ```json
    {"title": "", "schemaVersion": 39,
     "panels": [{"id": 1, "type": "timeseries", "title": "RPS", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8}}]}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"title": "API", "schemaVersion": 39,
     "panels": [{"id": 1, "type": "timeseries", "title": "RPS", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8}}]}
    ```
    """

    code, name, severity = "DB001", "dashboard-schema", Severity.ERROR
    summary = "dashboard that Grafana refuses, or with an unusable panel or variable"

    def check_dashboard(self, dash, ctx):
        for err in _dashboard_errors(dash, ctx):
            if _refused(err):
                yield _finding(self, dash.doc, err)


class DashboardModelDeviation(Rule):
    """A dashboard deviates from the dashboard model in a way Grafana accepts: it migrates
    or ignores the value on import (a `span` out of range in old `rows`, a fractional
    `gridPos.y`, `options: []`, `schemaVersion` as a string, a `refresh` of `false`). The
    dashboard loads; the value may not do what its author meant. A null is taken as the key
    left out, and a `span` beside a `gridPos` is never read: neither is reported. What
    Grafana refuses (an empty title, a title over 5,000 characters, a tag over 50 or not a
    string) and what leaves a panel or variable unusable (a panel without `type`, a
    variable without `name` or of an unknown type) is DB001. docs/grafana-sources.md says
    which Grafana source each of these comes from.

    ## Bad (`dashboard.json`)
    ```json
    {"title": "API", "schemaVersion": 39,
     "panels": [{"id": 1, "type": "timeseries", "title": "RPS", "gridPos": {"x": 0, "y": 0.5, "w": 12, "h": 8}}]}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"title": "API", "schemaVersion": 39,
     "panels": [{"id": 1, "type": "timeseries", "title": "RPS", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}}]}
    ```

    ## Bad (`dashboard.json`)
    ```json
    {"title": "API", "schemaVersion": "39", "panels": []}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"title": "API", "schemaVersion": 39, "panels": []}
    ```

    ## Fix
    `--fix` writes a `schemaVersion` string of digits as the number.
    """

    code, name, severity = "DB008", "dashboard-model-deviation", Severity.WARNING
    summary = "dashboard value Grafana migrates or ignores"
    fixable = "safe"  # `"schemaVersion": "39"` -> `39`, as Grafana reads it

    def check_dashboard(self, dash, ctx):
        for err in _dashboard_errors(dash, ctx):
            if _refused(err) or (err.validator == "type" and err.instance is None):
                continue  # (a null that Grafana does not refuse reads as the key left out: grafanalib writes them)
            if _unread_span(dash.doc.root, tuple(err.absolute_path)):
                continue
            yield _finding(self, dash.doc, err)


def _unread_span(root, path: tuple) -> bool:
    """A `span` on a panel that has a `gridPos`: only the migration of old `rows` reads it,
    and never where gridPos is set, so no value of it matters (kube-prometheus leaves 24s)."""
    if not path or path[-1] != "span":
        return False
    node = root
    for step in path[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(node, dict) and isinstance(node.get("gridPos"), dict)


def _dashboard_errors(dash, ctx) -> list:
    """The dashboard schema's errors, computed once for DB001 and DB008."""
    cache = ctx.cache.setdefault("dashboard-schema", {})
    key = id(dash)
    hit = cache.get(key)
    if hit is None:
        hit = cache[key] = (dash, list(schemas.errors("dashboard", dash.doc.root)))
    return hit[1]


def _finding(rule: Rule, doc, err):
    path = tuple(err.absolute_path)
    return rule.finding(doc, path, schemas.describe(err), fix=_fix_hint(err), autofix=_schema_version_fix(doc, path))


def _schema_version_fix(doc, path: tuple):
    """`"schemaVersion": "39"` -> `39` (Grafana reads the string as that number)."""
    if path != ("schemaVersion",) or not isinstance(doc.root, dict):
        return None
    value = doc.root.get("schemaVersion")
    if not isinstance(value, str) or not value.strip().isdigit() or not value.strip().isascii():
        return None
    from obslint.fixes import Fix
    from obslint.fixspan import replace_value

    return Fix(lambda: replace_value(doc, path, int(value.strip())), "safe", f"write `{int(value.strip())}`")


def _refused(err) -> bool:
    """Does Grafana refuse the dashboard (save/import) or is a panel or variable unusable?
    (pkg/services/dashboards/errors.go and the import form's validation for the first,
    the panel and variable models for the second; everything else the DashboardMigrator
    migrates or the frontend ignores.)"""
    path = tuple(err.absolute_path)
    v = err.validator
    if not path:
        return v == "required" or v == "type"  # no title / not an object
    head = path[0]
    if head == "title":
        return True  # empty, not a string, over 5,000 characters
    if head == "tags":
        return True  # a tag that is not a string, or over 50 characters
    if head in ("panels", "rows") and (len(path) == 1 or (len(path) == 2 and v == "type")):
        return v == "type"  # panels that are not a list, a panel that is not an object
    if head in ("panels", "rows") and path[-1] == "type" and v in ("type", "minLength"):
        return True  # a panel without a plugin type cannot render
    if head == "templating" and len(path) >= 3 and path[1] == "list":
        if len(path) == 3:
            return v in ("required", "type")  # a variable without name, or not an object
        # An empty name is not refused: the dashboard loads, and nothing can use the variable
        # (cert-manager's published mixin dashboard ships a hidden one): a DB008 warning.
        return len(path) == 4 and (path[3] == "type" or (path[3] == "name" and v != "minLength"))
    return False


class WrappedDashboard(Rule):
    """A dashboard file holds `{"dashboard": {...}}` (the shape of Grafana's HTTP API) instead
    of the bare dashboard model. File provisioning reads the top level as the dashboard and
    fails with "Dashboard title cannot be empty". A file that is a save request for the API
    (`POST /api/dashboards/db`: `overwrite`, `folderUid`, `folderId` or `message` beside
    `dashboard`, no `meta`) is made for the API, where it is right: info. So is a bundle of
    generated outputs (`{"dashboard": ..., "alerts": ..., "recordingrule": ...}`).

    ## Bad (`dashboard.json`)
    ```json
    {"dashboard": {"title": "API", "uid": "api", "schemaVersion": 39, "panels": []},
     "meta": {"type": "db", "slug": "api"}}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"title": "API", "uid": "api", "schemaVersion": 39, "panels": []}
    ```
    """

    code, name, severity = "DB020", "wrapped-dashboard", Severity.ERROR
    summary = "dashboard file is wrapped in {\"dashboard\": ...}"
    fixable = "safe"  # the wrapper's text around the dashboard is removed; the dashboard's own text stays

    def check_dashboard(self, dash, ctx):
        doc = dash.doc
        if doc.base == ("dashboard",) and doc.parent is None:
            # Paths are relative to the wrapped dashboard, so () is the `dashboard` key itself.
            keys = set(doc.data) if isinstance(doc.data, dict) else set()
            others = sorted(str(k) for k in keys - _WRAPPER_KEYS)
            if others:  # slo-libsonnet's example bundle: {alerts, dashboard, recordingrule}
                yield self.finding(doc, (), "the dashboard is one output of a bundle (beside "
                                   f"{', '.join(f'`{k}`' for k in others[:3])}), not a file Grafana provisions as "
                                   "it is", fix="write the `dashboard` value to a file of its own to provision it",
                                   at_key=True, severity=Severity.INFO)
                return
            request = "meta" not in keys and not keys.isdisjoint(_SAVE_REQUEST_KEYS)
            yield self.finding(doc, (), "the dashboard is wrapped in `{\"dashboard\": ...}`" + (
                               ", as a save request for Grafana's HTTP API (`POST /api/dashboards/db`) is; file "
                               "provisioning would read the top level and fail" if request else
                               "; Grafana's file provisioning expects the bare dashboard model and will fail with "
                               "\"Dashboard title cannot be empty\""),
                               fix="save only the value of `dashboard` as the file's content" + (
                                   ", if the file is for provisioning" if request else ""),
                               at_key=True, autofix=_unwrap_fix(doc), severity=Severity.INFO if request else None)


_SAVE_REQUEST_KEYS = frozenset({"overwrite", "folderUid", "folderId", "message"})
# The keys of the HTTP API's dashboard shapes (a GET answer, a save or import request).
_WRAPPER_KEYS = _SAVE_REQUEST_KEYS | {"dashboard", "meta", "inputs", "folderUID", "folder", "path", "pluginId"}


def _unwrap_fix(doc):
    """DB020's fix (JSON files): delete the text before and after the `dashboard` value."""
    if doc.source.format != "json":
        return None
    from obslint.fixes import Edit, Fix

    def make():
        from obslint.fixspan import spans

        sp = spans(doc)
        inner = sp.value(()) if sp is not None else None
        if inner is None:
            return None
        text = doc.source.text
        start = len(text) - len(text.lstrip())
        end = json.JSONDecoder().raw_decode(text, start)[1]
        return [Edit(start, inner[0], ""), Edit(inner[1], end, "")], [((), doc.root)]

    return Fix(make, "safe", "keep only the value of `dashboard`")


class GrafanaAlertingSchema(Rule):
    """A Grafana alerting provisioning file breaks Grafana's format: `apiVersion: 1`; each
    group needs `name`, `folder` and `interval`; each rule `uid` (at most 40 of
    `[A-Za-z0-9_-]`), `title` and at least one `data` query; `noDataState` is one of
    NoData, Alerting, OK, KeepLast; `execErrState` one of Error, Alerting, OK, KeepLast;
    `for` is a Prometheus duration; `relativeTimeRange` is in integer seconds.

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
            noDataState: Missing
            data:
              - refId: A
                datasourceUid: prometheus
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
            noDataState: NoData
            data:
              - refId: A
                datasourceUid: prometheus
                model: {expr: 'up{job="api"} == 0'}
    ```
    """

    code, name, severity = "GA001", "grafana-alerting-schema", Severity.ERROR
    summary = "Grafana alerting provisioning file does not match Grafana's format"
    applies_to = ("grafana-alerting",)

    def check_document(self, doc, ctx):
        from obslint.checks.grafana_strict import consequence

        for f in _schema_findings(self, doc, "grafana-alerting", skip_unknown=True):
            f.message += f"; {consequence(doc)}"
            yield f
        root = doc.root
        if isinstance(root, dict) and root.get("apiVersion") == 2:
            from obslint.versions import grafana_major

            major = grafana_major(ctx.policy)
            if major < 12:
                yield self.finding(doc, ("apiVersion",), f"`apiVersion: 2` is read from Grafana 12; the policy's "
                                   f"Grafana {major} reads only `apiVersion: 1`",
                                   fix="write `apiVersion: 1`, or set `grafana: {version: ...}` to the Grafana "
                                       "that reads this file")


class GrafanaAlertingUnknownKey(Rule):
    """A key Grafana's alerting provisioning does not read. Grafana drops unknown keys
    silently, so a typo such as `datasourceUID` (for `datasourceUid`) loses the setting
    with no error at all. A key that looks like a misspelt known key is an error; any other
    unknown key is a warning. Keys that Grafana's own export writes (`orgID`, `folderUID`,
    `ruleGroup`, `updated`) are ignored.

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
                datasourceUID: prometheus
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
                model: {expr: 'up{job="api"} == 0'}
    ```
    """

    code, name, severity = "GA002", "grafana-alerting-unknown-key", Severity.ERROR
    summary = "unknown key in Grafana alerting provisioning (silently dropped by Grafana)"
    applies_to = ("grafana-alerting",)
    fixable = "safe"  # a key whose did-you-mean is unique: renamed (`datasourceUID` -> `datasourceUid`)

    def check_document(self, doc, ctx):
        for err in schemas.errors("grafana-alerting", doc.root):
            if err.validator != "additionalProperties" or not isinstance(err.instance, dict):
                continue
            known = set(err.schema.get("properties", {}))
            for key in sorted(set(err.instance) - known, key=str):
                if key in _EXPORT_ONLY_KEYS:
                    continue
                typo = closest(str(key), known, cutoff=0.8)
                path = tuple(err.absolute_path) + (key,)
                if typo:
                    from obslint.fixes import rename_fix

                    yield self.finding(doc, path, f"`{key}` is not a key Grafana reads; did you mean `{typo}`? "
                                       "Grafana drops it silently", fix=f"rename `{key}` to `{typo}`", at_key=True,
                                       autofix=rename_fix(doc, path, known))
                else:
                    yield self.finding(doc, path, f"`{key}` is not a key Grafana reads here; it is dropped silently",
                                       fix=f"remove it, or use one of: {', '.join(sorted(known))}", at_key=True,
                                       severity=Severity.WARNING)


class GrafanaAlertingRefs(Rule):
    """A Grafana alert rule's `condition` must name the `refId` of one of its `data`
    queries, refIds must be unique, and server-side expressions (`__expr__`: math, reduce,
    threshold, resample) must reference refIds that exist. Otherwise the rule fails to
    evaluate and goes to its error state.

    ## Bad (`alerting.yaml`)
    ```yaml
    apiVersion: 1
    groups:
      - orgId: 1
        name: api
        folder: API
        interval: 1m
        rules:
          - uid: api-errors
            title: ApiErrors
            condition: C
            data:
              - refId: A
                datasourceUid: prometheus
                model: {expr: 'job:errors:ratio5m'}
              - refId: B
                datasourceUid: __expr__
                model: {type: threshold, expression: A, conditions: [{evaluator: {type: gt, params: [0.02]}}]}
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
          - uid: api-errors
            title: ApiErrors
            condition: B
            data:
              - refId: A
                datasourceUid: prometheus
                model: {expr: 'job:errors:ratio5m'}
              - refId: B
                datasourceUid: __expr__
                model: {type: threshold, expression: A, conditions: [{evaluator: {type: gt, params: [0.02]}}]}
    ```
    """

    code, name, severity = "GA003", "grafana-alerting-refs", Severity.ERROR
    summary = "condition or expression references a refId that does not exist"

    def check_grafana_rule(self, rule, ctx):
        data = rule.data.get("data")
        if not isinstance(data, list):
            return
        refs: dict[str, int] = {}
        for i, q in enumerate(data):
            if isinstance(q, dict) and isinstance(q.get("refId"), str):
                if q["refId"] in refs:
                    yield self.finding(rule.doc, rule.path + ("data", i, "refId"),
                                       f"refId `{q['refId']}` is used twice in rule `{rule.title}`",
                                       fix="give every query its own refId", scope=rule.path)
                refs.setdefault(q["refId"], i)
        cond = rule.data.get("condition")
        if isinstance(cond, str) and cond and refs and cond not in refs:
            yield self.finding(rule.doc, rule.path + ("condition",),
                               f"condition `{cond}` is not the refId of any query in rule `{rule.title}` "
                               f"(refIds: {', '.join(sorted(refs))})",
                               fix="set `condition` to the refId of the final threshold/math expression",
                               scope=rule.path)
        if cond is None and "record" not in rule.data and refs:
            yield self.finding(rule.doc, rule.path, f"rule `{rule.title}` has no `condition`",
                               fix="set `condition` to the refId that decides whether the alert fires",
                               scope=rule.path)
        for i, q in enumerate(data):
            if not isinstance(q, dict) or q.get("datasourceUid") not in EXPRESSION_DATASOURCES:
                continue
            model = q.get("model")
            if not isinstance(model, dict):
                continue
            kind = model.get("type")
            expression = model.get("expression")
            if kind in ("reduce", "threshold", "resample") and isinstance(expression, str) and expression:
                if expression not in refs:
                    yield self.finding(rule.doc, rule.path + ("data", i, "model", "expression"),
                                       f"{kind} expression reads `{expression}`, which is not a refId of this rule",
                                       fix=f"use one of: {', '.join(sorted(refs))}", scope=rule.path)
            elif kind == "math" and isinstance(expression, str):
                import re

                for ref in re.findall(r"\$\{?([A-Za-z0-9_]+)\}?", expression):
                    if ref not in refs:
                        yield self.finding(rule.doc, rule.path + ("data", i, "model", "expression"),
                                           f"math expression reads `${ref}`, which is not a refId of this rule",
                                           fix=f"use one of: {', '.join(sorted(refs))}", scope=rule.path)


class ProvisioningSchema(Rule):
    """A Grafana dashboard-provider or datasource provisioning file does not match Grafana's
    format: `apiVersion: 1`; providers need `name` and `options.path`; datasources need
    `name` and `type`, `access` is `proxy` or `direct`, a `uid` has at most 40 of `[A-Za-z0-9_-]`.
    What Grafana reads anyway is a warning: an unknown key (ignored), an `access` other than
    `proxy`/`direct` (Grafana uses `proxy`), an empty (`null`) `name`, `type` or `url`. Any
    other empty key (`user:`, `isDefault:`) is read as its zero value, as if it were left out: info.

    ## Bad (`datasources.yaml`)
    ```yaml
    apiVersion: 1
    datasources:
      - name: Prometheus
        type: prometheus
        access: server
        url: http://prometheus:9090
    ```

    ## Good (`datasources.yaml`)
    ```yaml
    apiVersion: 1
    datasources:
      - name: Prometheus
        type: prometheus
        access: proxy
        uid: prometheus
        url: http://prometheus:9090
    ```
    """

    code, name, severity = "PV001", "provisioning-schema", Severity.ERROR
    summary = "dashboard-provider or datasource provisioning file does not match Grafana's format"

    applies_to = ("grafana-dashboard-provider", "grafana-datasources")

    def check_document(self, doc, ctx):
        yield from _schema_findings(self, doc, "grafana-provisioning", tolerated=_provisioning_tolerated)
