"""Small typed views over the loaded documents, built once and shared by every rule.

Paths are relative to the document's `root` (its `base` is added when a finding is made).
"""
from __future__ import annotations

import re

from obslint import classify as kinds
from obslint.datasources import (LOGQL, METRICSQL, OTHER, PROMETHEUS, PROMQL, DatasourceIndex, dashboard_variables,
                                 looks_like_logql)
from obslint.lang.flavor import group_language, rule_flavor

TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any

    from obslint.document import Document, Source

# Plain classes with __slots__ rather than dataclasses (which cost start-up time); all of them
# compare by identity, as the `eq=False` dataclasses they replace did.

class Query:
    """One query. `language` is "promql", "logql" or "other" (see obslint.datasources);
    `dialect` "prometheus" or "metricsql" for PromQL; `datasource` the Resolution of its
    datasource (None for rule files, whose language comes from the file's flavour)."""

    __slots__ = ("doc", "path", "expr", "origin", "owner", "grafana", "language", "dialect", "datasource")

    def __init__(self, doc: Document, path: tuple, expr: str, origin: str, owner: Any, grafana: bool,
                 language: str = "promql", dialect: str | None = "prometheus", datasource: Any = None) -> None:
        self.doc = doc
        self.path = path
        self.expr = expr
        self.origin = origin  # "rule", "panel" or "grafana-alert"
        self.owner = owner
        self.grafana = grafana  # Grafana macros and variables may appear
        self.language = language
        self.dialect = dialect
        self.datasource = datasource

    def __repr__(self) -> str:
        return (f"Query(path={self.path!r}, expr={self.expr!r}, origin={self.origin!r}, grafana={self.grafana!r}, "
                f"language={self.language!r}, dialect={self.dialect!r})")

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
    """A rule of a rule file. `query` is its PromQL expression (None when the rule's
    language is another: a Loki ruler file's LogQL, a vmalert Graphite group; that query
    is in `other_query`)."""

    __slots__ = ("doc", "path", "data", "group", "query", "other_query")

    def __init__(self, doc: Document, path: tuple, data: dict, group: RuleGroup, query: Query | None = None) -> None:
        self.doc = doc
        self.path = path
        self.data = data
        self.group = group
        self.query = query
        self.other_query: Query | None = None

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
    """A panel. `queries` are its PromQL queries (what PromQL checks see); `other_queries`
    those in other languages (LogQL, SQL, ...), each with its `language`."""

    __slots__ = ("dashboard", "path", "data", "queries", "other_queries")

    def __init__(self, dashboard: Dashboard, path: tuple, data: dict, queries: list[Query] | None = None) -> None:
        self.dashboard = dashboard
        self.path = path
        self.data = data
        self.queries = [] if queries is None else queries
        self.other_queries: list[Query] = []

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
    __slots__ = ("doc", "path", "data", "group", "queries", "other_queries")

    def __init__(self, doc: Document, path: tuple, data: dict, group: dict, queries: list[Query] | None = None) -> None:
        self.doc = doc
        self.path = path
        self.data = data
        self.group = group
        self.queries = [] if queries is None else queries
        self.other_queries: list[Query] = []

    def __repr__(self) -> str:
        return f"GrafanaRule(path={self.path!r}, title={self.title!r})"

    @property
    def title(self) -> str:
        t = self.data.get("title")
        return t if isinstance(t, str) else ""


class Project:
    """Every modelled object of a run. Queries are placed by `finish()`, once every file is
    read: a query's language depends on its datasource, which a provisioning file read
    later in the run may define."""

    def __init__(self, sources: list[Source] | None = None, documents: list[Document] | None = None,
                 groups: list[RuleGroup] | None = None, rules: list[PromRule] | None = None,
                 dashboards: list[Dashboard] | None = None, panels: list[Panel] | None = None,
                 grafana_rules: list[GrafanaRule] | None = None, queries: list[Query] | None = None,
                 policy: dict | None = None) -> None:
        self.sources = [] if sources is None else sources
        self.documents = [] if documents is None else documents
        self.groups = [] if groups is None else groups
        self.rules = [] if rules is None else rules
        self.dashboards = [] if dashboards is None else dashboards
        self.panels = [] if panels is None else panels
        self.grafana_rules = [] if grafana_rules is None else grafana_rules
        self.queries = [] if queries is None else queries  # PromQL queries, in file order
        self.other_queries: list[Query] = []  # LogQL and queries obslint does not parse
        self.policy = policy or {}
        self.datasources = DatasourceIndex(self.policy)
        # Query or (owner, doc, path, expr, origin, ref, variables, language) to resolve, in order.
        self._pending: list = []

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
        elif doc.kind == kinds.DATASOURCES:
            self.datasources.add_provisioned(root, doc.source.display)

    def finish(self) -> None:
        """Resolve every query's datasource and language; PromQL queries go to `queries`
        (and their panel's, rule's or Grafana rule's), the others to `other_queries`."""
        pending, self._pending = self._pending, []
        resolve = self.datasources.resolve
        for item in pending:
            if type(item) is Query:
                q = item
            else:
                owner, doc, path, expr, origin, ref, variables, language = item
                res = resolve(ref, variables, expr)
                lang = res.language
                if lang == PROMQL and language is None and looks_like_logql(expr) and res.via in ("default", "name"):
                    lang = LOGQL  # an unknown datasource, a LogQL pipeline: Loki
                if language == "text":  # a target without `expr`: not PromQL or LogQL whatever the source
                    lang = OTHER
                q = Query(doc, path, expr, origin, owner, True, lang, res.dialect if lang == PROMQL else None, res)
            owner = q.owner
            if q.language == PROMQL:
                if type(owner) is PromRule:
                    owner.query = q
                else:
                    owner.queries.append(q)
                self.queries.append(q)
            else:
                if type(owner) is PromRule:
                    owner.other_query = q
                else:
                    owner.other_queries.append(q)
                self.other_queries.append(q)

    def _add_rules(self, doc: Document, root: dict) -> None:
        groups = root.get("groups") if isinstance(root, dict) else None
        if not isinstance(groups, list):
            return
        flavor = rule_flavor(doc, self.policy)
        dialect = METRICSQL if flavor == "vmalert" else (self.datasources.dialect or PROMETHEUS)
        for gi, g in enumerate(groups):
            if not isinstance(g, dict):
                continue
            group = RuleGroup(doc, ("groups", gi), g)
            self.groups.append(group)
            rules = g.get("rules")
            if not isinstance(rules, list):
                continue
            language = group_language(flavor, g)
            for ri, r in enumerate(rules):
                if not isinstance(r, dict):
                    continue
                rule = PromRule(doc, ("groups", gi, "rules", ri), r, group)
                expr = r.get("expr")
                if isinstance(expr, (str, int, float)) and not isinstance(expr, bool) and str(expr).strip():
                    self._pending.append(Query(doc, rule.path + ("expr",), str(expr), "rule", rule, False, language,
                                               dialect if language == PROMQL else None))
                group.rules.append(rule)
                self.rules.append(rule)

    def _add_dashboard(self, doc: Document, root: dict) -> None:
        dash = Dashboard(doc, root)
        self.dashboards.append(dash)
        variables = dashboard_variables(root)
        pending = self._pending
        for path, pdata in _iter_panels(root):
            panel = Panel(dash, path, pdata)
            dash.panels.append(panel)
            self.panels.append(panel)
            panel_ds = pdata.get("datasource")  # None: the default datasource
            if isinstance(panel_ds, dict) and panel_ds.get("uid") == "-- Mixed --" or panel_ds == "-- Mixed --":
                panel_ds = None  # each target names its own; one that does not uses the default
            targets = pdata.get("targets")
            if not isinstance(targets, list):
                continue
            for ti, t in enumerate(targets):
                if not isinstance(t, dict):
                    continue
                ds = t.get("datasource")
                if ds is None:
                    ds = panel_ds
                expr = t.get("expr")
                if isinstance(expr, str):
                    if expr.strip():
                        pending.append((panel, doc, path + ("targets", ti, "expr"), expr, "panel", ds, variables,
                                        None))
                    continue
                for key in _OTHER_QUERY_KEYS:
                    text = t.get(key)
                    if isinstance(text, str) and text.strip():
                        pending.append((panel, doc, path + ("targets", ti, key), text, "panel", ds, variables,
                                        "text"))
                        break

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
                    ref = d.get("datasourceUid")
                    if not isinstance(ref, str) or not ref:
                        ref = model.get("datasource")
                    self._pending.append((rule, doc, rule.path + ("data", di, "model", "expr"), expr,
                                          "grafana-alert", ref, None, None))


# Where targets of other datasources keep their query text (SQL, Lucene, Flux, TraceQL...).
_OTHER_QUERY_KEYS = ("rawSql", "rawQuery", "query", "queryText", "target", "expression")


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
