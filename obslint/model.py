"""Small typed views over the loaded documents, built once and shared by every rule.

Paths are relative to the document's `root` (its `base` is added when a finding is made).
"""
from __future__ import annotations

import re

from obslint import classify as kinds

TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

    from obslint.document import Document, Source

# Plain classes with __slots__ rather than dataclasses (which cost start-up time); all of them
# compare by identity, as the `eq=False` dataclasses they replace did.

_LOGQL_PATTERN = r"\|[=~]|\|\s*(?:json|logfmt|line_format|label_format|pattern|regexp|unwrap|decolorize|drop|keep)\b"
_LOGQL = None  # compiled on first use: only dashboards and Grafana alerting need it


def _is_logql(expr: str) -> bool:
    global _LOGQL
    if _LOGQL is None:
        _LOGQL = re.compile(_LOGQL_PATTERN)
    return _LOGQL.search(expr) is not None
_NOT_PROMQL_TYPES = ("loki", "elasticsearch", "influxdb", "graphite", "tempo", "mysql", "postgres", "mssql",
                     "cloudwatch", "stackdriver", "testdata", "grafana-", "jaeger", "zipkin", "opensearch",
                     "clickhouse", "bigquery", "splunk", "datadog", "x-ray", "pyroscope", "parca", "-- grafana --")


class Query:
    __slots__ = ("doc", "path", "expr", "origin", "owner", "grafana")

    def __init__(self, doc: Document, path: tuple, expr: str, origin: str, owner: Any, grafana: bool) -> None:
        self.doc = doc
        self.path = path
        self.expr = expr
        self.origin = origin  # "rule", "panel" or "grafana-alert"
        self.owner = owner
        self.grafana = grafana  # Grafana macros and variables may appear

    def __repr__(self) -> str:
        return f"Query(path={self.path!r}, expr={self.expr!r}, origin={self.origin!r}, grafana={self.grafana!r})"

    @property
    def scope(self) -> tuple:
        return self.owner.path


class RuleGroup:
    __slots__ = ("doc", "path", "data", "rules")

    def __init__(self, doc: Document, path: tuple, data: dict, rules: list[PromRule] | None = None) -> None:
        self.doc = doc
        self.path = path
        self.data = data
        self.rules = [] if rules is None else rules

    def __repr__(self) -> str:
        return f"RuleGroup(path={self.path!r}, name={self.name!r}, rules={len(self.rules)})"

    @property
    def name(self) -> Any:
        return self.data.get("name")


class PromRule:
    __slots__ = ("doc", "path", "data", "group", "query")

    def __init__(self, doc: Document, path: tuple, data: dict, group: RuleGroup, query: Query | None = None) -> None:
        self.doc = doc
        self.path = path
        self.data = data
        self.group = group
        self.query = query

    def __repr__(self) -> str:
        return f"PromRule(path={self.path!r}, data={self.data!r})"

    @property
    def is_alert(self) -> bool:
        return "alert" in self.data

    @property
    def name(self) -> str:
        value = self.data.get("alert", self.data.get("record"))
        return value if isinstance(value, str) else str(value)


class Panel:
    __slots__ = ("dashboard", "path", "data", "queries")

    def __init__(self, dashboard: Dashboard, path: tuple, data: dict, queries: list[Query] | None = None) -> None:
        self.dashboard = dashboard
        self.path = path
        self.data = data
        self.queries = [] if queries is None else queries

    def __repr__(self) -> str:
        return f"Panel(path={self.path!r}, title={self.title!r}, type={self.type!r})"

    @property
    def doc(self) -> Document:
        return self.dashboard.doc

    @property
    def title(self) -> str:
        t = self.data.get("title")
        return t if isinstance(t, str) else ""

    @property
    def type(self) -> str:
        t = self.data.get("type")
        return t if isinstance(t, str) else ""


class Dashboard:
    __slots__ = ("doc", "data", "panels", "path")

    def __init__(self, doc: Document, data: dict, panels: list[Panel] | None = None, path: tuple = ()) -> None:
        self.doc = doc
        self.data = data
        self.panels = [] if panels is None else panels
        self.path = path

    def __repr__(self) -> str:
        return f"Dashboard(uid={self.uid!r}, title={self.title!r}, panels={len(self.panels)})"

    @property
    def uid(self) -> Any:
        return self.data.get("uid")

    @property
    def title(self) -> Any:
        return self.data.get("title")

    @property
    def variables(self) -> list[dict]:
        templ = self.data.get("templating")
        lst = templ.get("list") if isinstance(templ, dict) else None
        return [v for v in lst if isinstance(v, dict)] if isinstance(lst, list) else []

    @property
    def schema_version(self) -> int | None:
        v = self.data.get("schemaVersion")
        return v if isinstance(v, int) and not isinstance(v, bool) else None


class GrafanaRule:
    __slots__ = ("doc", "path", "data", "group", "queries")

    def __init__(self, doc: Document, path: tuple, data: dict, group: dict, queries: list[Query] | None = None) -> None:
        self.doc = doc
        self.path = path
        self.data = data
        self.group = group
        self.queries = [] if queries is None else queries

    def __repr__(self) -> str:
        return f"GrafanaRule(path={self.path!r}, title={self.title!r})"

    @property
    def title(self) -> str:
        t = self.data.get("title")
        return t if isinstance(t, str) else ""


class Project:
    def __init__(self, sources: list[Source] | None = None, documents: list[Document] | None = None,
                 groups: list[RuleGroup] | None = None, rules: list[PromRule] | None = None,
                 dashboards: list[Dashboard] | None = None, panels: list[Panel] | None = None,
                 grafana_rules: list[GrafanaRule] | None = None, queries: list[Query] | None = None) -> None:
        self.sources = [] if sources is None else sources
        self.documents = [] if documents is None else documents
        self.groups = [] if groups is None else groups
        self.rules = [] if rules is None else rules
        self.dashboards = [] if dashboards is None else dashboards
        self.panels = [] if panels is None else panels
        self.grafana_rules = [] if grafana_rules is None else grafana_rules
        self.queries = [] if queries is None else queries

    def __repr__(self) -> str:
        return (f"Project(sources={len(self.sources)}, documents={len(self.documents)}, rules={len(self.rules)}, "
                f"dashboards={len(self.dashboards)}, panels={len(self.panels)}, "
                f"grafana_rules={len(self.grafana_rules)}, queries={len(self.queries)})")

    def add(self, doc: Document) -> None:
        self.documents.append(doc)
        root = doc.root
        if doc.kind == kinds.PROM_RULES:
            self._add_rules(doc, root)
        elif doc.kind == kinds.DASHBOARD:
            self._add_dashboard(doc, root)
        elif doc.kind == kinds.GRAFANA_ALERTING:
            self._add_grafana_alerting(doc, root)

    def _add_rules(self, doc: Document, root: dict) -> None:
        groups = root.get("groups") if isinstance(root, dict) else None
        if not isinstance(groups, list):
            return
        for gi, g in enumerate(groups):
            if not isinstance(g, dict):
                continue
            group = RuleGroup(doc, ("groups", gi), g)
            self.groups.append(group)
            rules = g.get("rules")
            if not isinstance(rules, list):
                continue
            for ri, r in enumerate(rules):
                if not isinstance(r, dict):
                    continue
                rule = PromRule(doc, ("groups", gi, "rules", ri), r, group)
                expr = r.get("expr")
                if isinstance(expr, (str, int, float)) and not isinstance(expr, bool) and str(expr).strip():
                    rule.query = Query(doc, rule.path + ("expr",), str(expr), "rule", rule, grafana=False)
                    self.queries.append(rule.query)
                group.rules.append(rule)
                self.rules.append(rule)

    def _add_dashboard(self, doc: Document, root: dict) -> None:
        dash = Dashboard(doc, root)
        self.dashboards.append(dash)
        ds_vars = {v.get("name"): str(v.get("query", "")).lower() for v in dash.variables
                   if v.get("type") == "datasource" and isinstance(v.get("name"), str)}
        for path, pdata in _iter_panels(root):
            panel = Panel(dash, path, pdata)
            dash.panels.append(panel)
            self.panels.append(panel)
            panel_ds = pdata.get("datasource")  # None: the default datasource
            targets = pdata.get("targets")
            if not isinstance(targets, list):
                continue
            for ti, t in enumerate(targets):
                if not isinstance(t, dict):
                    continue
                expr = t.get("expr")
                if not isinstance(expr, str) or not expr.strip():
                    continue
                ds = t.get("datasource", panel_ds)
                if ds is None or (isinstance(ds, dict) and ds.get("uid") in ("-- Mixed --",) and not ds.get("type")):
                    ds = panel_ds
                if not _is_promql(ds, ds_vars, expr):
                    continue
                q = Query(doc, path + ("targets", ti, "expr"), expr, "panel", panel, grafana=True)
                panel.queries.append(q)
                self.queries.append(q)

    def _add_grafana_alerting(self, doc: Document, root: dict) -> None:
        groups = root.get("groups")
        if not isinstance(groups, list):
            return
        for gi, g in enumerate(groups):
            if not isinstance(g, dict) or not isinstance(g.get("rules"), list):
                continue
            for ri, r in enumerate(g["rules"]):
                if not isinstance(r, dict):
                    continue
                rule = GrafanaRule(doc, ("groups", gi, "rules", ri), r, g)
                self.grafana_rules.append(rule)
                data = r.get("data")
                if not isinstance(data, list):
                    continue
                for di, d in enumerate(data):
                    if not isinstance(d, dict) or d.get("datasourceUid") in ("__expr__", "-100"):
                        continue
                    model = d.get("model")
                    if not isinstance(model, dict):
                        continue
                    expr = model.get("expr")
                    if not isinstance(expr, str) or not expr.strip():
                        continue
                    if model.get("type") in ("math", "reduce", "threshold", "classic_conditions", "resample", "sql"):
                        continue
                    ds = model.get("datasource")
                    if isinstance(ds, dict) and not _is_promql(ds, {}, expr):
                        continue
                    if _is_logql(expr):
                        continue
                    q = Query(doc, rule.path + ("data", di, "model", "expr"), expr, "grafana-alert", rule, grafana=True)
                    rule.queries.append(q)
                    self.queries.append(q)


def _is_promql(ds, ds_vars: dict, expr: str) -> bool:
    if _is_logql(expr):
        return False
    text = ""
    if isinstance(ds, dict):
        text = str(ds.get("type") or "")
        uid = str(ds.get("uid") or "")
        if not text and uid:
            text = _resolve_var(uid, ds_vars) or uid
        elif text == "datasource":  # "-- Mixed --" / "-- Dashboard --"
            return True
    elif isinstance(ds, str):
        text = _resolve_var(ds, ds_vars) or ds
    text = text.lower()
    if "prometheus" in text or "mimir" in text or "cortex" in text or "thanos" in text:
        return True
    return not any(t in text for t in _NOT_PROMQL_TYPES)


_VAR_REF = re.compile(r"\$\{?([A-Za-z0-9_]+)(?::[a-z]+)?\}?")


def _resolve_var(ref: str, ds_vars: dict) -> str | None:
    if "$" not in ref:
        return None
    m = _VAR_REF.fullmatch(ref.strip())
    if m and m.group(1) in ds_vars:
        return ds_vars[m.group(1)] or "prometheus"
    return None


def _iter_panels(root: dict):
    """Every panel in a dashboard: legacy rows[], flat panels[], and collapsed rows' panels."""
    rows = root.get("rows")
    if isinstance(rows, list):
        for ri, row in enumerate(rows):
            if isinstance(row, dict) and isinstance(row.get("panels"), list):
                for pi, p in enumerate(row["panels"]):
                    if isinstance(p, dict):
                        yield ("rows", ri, "panels", pi), p
    panels = root.get("panels")
    if isinstance(panels, list):
        for pi, p in enumerate(panels):
            if not isinstance(p, dict):
                continue
            yield ("panels", pi), p
            nested = p.get("panels")
            if isinstance(nested, list):
                for ni, n in enumerate(nested):
                    if isinstance(n, dict):
                        yield ("panels", pi, "panels", ni), n
