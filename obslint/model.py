"""Small typed views over the loaded documents, built once and shared by every rule.

Paths are relative to the document's `root` (its `base` is added when a finding is made).
"""
from __future__ import annotations

import re

from obslint import classify as kinds
from obslint.datasources import (LOGQL, METRICSQL, OTHER, PROMETHEUS, PROMQL, DatasourceIndex, dashboard_variables,
                                 looks_like_logql)
from obslint.lang.flavor import group_language, rule_flavor

from typing import TYPE_CHECKING

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

    __slots__ = ("doc", "path", "data", "group", "query", "other_query", "alert")

    def __init__(self, doc: Document, path: tuple, data: dict, group: RuleGroup, query: Query | None = None) -> None:
        self.doc = doc
        self.path = path
        self.data = data
        self.group = group
        self.query = query
        self.other_query: Query | None = None
        self.alert: Alert | None = None  # set by the Project for alerting rules

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
        """The uid Grafana gets: a Grafana operator resource's `spec.uid` comes first (the
        operator's GetGrafanaUID), then the model's own."""
        custom = getattr(self.doc, "custom_uid", None)
        return custom if custom is not None else self.data.get("uid")

    @property
    def title(self) -> Any:
        return self.data.get("title")

    @property
    def variables(self) -> list[dict]:
        templ = self.data.get("templating")
        lst = templ.get("list") if isinstance(templ, dict) else None
        return [v for v in lst if isinstance(v, dict)] if isinstance(lst, list) else []


class GrafanaRule:
    """A Grafana-managed rule (alerting or recording) of a provisioning file."""

    __slots__ = ("doc", "path", "data", "group", "queries", "other_queries", "alert")

    def __init__(self, doc: Document, path: tuple, data: dict, group: dict, queries: list[Query] | None = None) -> None:
        self.doc = doc
        self.path = path
        self.data = data
        self.group = group
        self.queries = [] if queries is None else queries
        self.other_queries: list[Query] = []
        self.alert: Alert | None = None  # set by the Project unless it is a recording rule

    def __repr__(self) -> str:
        return f"GrafanaRule(path={self.path!r}, title={self.title!r})"

    @property
    def title(self) -> str:
        t = self.data.get("title")
        return t if isinstance(t, str) else ""

    @property
    def nodes(self) -> dict[str, tuple[int, dict]]:
        """The rule's `data` entries (queries and expressions) by refId: (index, entry)."""
        data = self.data.get("data")
        out: dict[str, tuple[int, dict]] = {}
        if isinstance(data, list):
            for i, d in enumerate(data):
                if isinstance(d, dict) and isinstance(d.get("refId"), str):
                    out[d["refId"]] = (i, d)
        return out


# Datasource uids of Grafana's server-side expressions (math, reduce, threshold...): not queries.
EXPRESSION_DATASOURCES = ("__expr__", "-100")
# The two kinds of alert (`Alert.kind`).
PROMETHEUS_ALERT, GRAFANA_ALERT = "prometheus", "grafana"
# Labels Grafana adds to every alert instance of a Grafana-managed rule.
GRAFANA_LABELS = frozenset({"alertname", "grafana_folder", "__alert_rule_uid__", "__alert_rule_namespace_uid__"})


class Alert:
    """One alert, whichever system evaluates it: a Prometheus-style alerting rule (`rule` is a
    PromRule, `kind` "prometheus") or a Grafana-managed alert rule (`rule` a GrafanaRule, `kind`
    "grafana"). Alert checks (`check_alert`) are written once against this view: the name,
    labels, annotations, `for`, `keep_firing_for`, thresholds, queries, where the findings about
    its expression go, and `mirrors`, the alerts of the other kind with the same name."""

    __slots__ = ("kind", "rule", "project", "_thresholds")

    def __init__(self, kind: str, rule: Any, project: Project) -> None:
        self.kind = kind
        self.rule = rule
        self.project = project
        self._thresholds: list | None = None

    def __repr__(self) -> str:
        return f"Alert(kind={self.kind!r}, name={self.name!r}, path={self.path!r})"

    @property
    def doc(self) -> Document:
        return self.rule.doc

    @property
    def path(self) -> tuple:
        return self.rule.path

    @property
    def data(self) -> dict:
        return self.rule.data

    @property
    def group(self) -> Any:
        """The rule's group: a RuleGroup, or a Grafana rule group's mapping."""
        return self.rule.group

    @property
    def grafana(self) -> bool:
        return self.kind == GRAFANA_ALERT

    @property
    def name(self) -> str:
        """`alert:` of a Prometheus rule, `title:` of a Grafana rule."""
        return self.rule.title if self.kind == GRAFANA_ALERT else self.rule.name

    @property
    def labels(self) -> dict:
        v = self.rule.data.get("labels")
        return v if isinstance(v, dict) else {}

    @property
    def annotations(self) -> dict:
        v = self.rule.data.get("annotations")
        return v if isinstance(v, dict) else {}

    def templates(self):
        """(field, key, text) of every string in `annotations:` then `labels:`: the templates
        Prometheus or Grafana render for each alert instance."""
        for field in ("annotations", "labels"):
            mapping = self.rule.data.get(field)
            if isinstance(mapping, dict):
                for key, value in mapping.items():
                    if isinstance(value, str):
                        yield field, key, value

    @property
    def for_(self) -> Any:
        """The raw `for:` value (None when absent)."""
        return self.rule.data.get("for")

    @property
    def keep_firing_for(self) -> Any:
        return self.rule.data.get("keep_firing_for")

    @property
    def queries(self) -> list[Query]:
        """The PromQL queries the alert evaluates (a Prometheus rule has at most one)."""
        if self.kind == GRAFANA_ALERT:
            return self.rule.queries
        return [] if self.rule.query is None else [self.rule.query]

    @property
    def query(self) -> Query | None:
        """The first PromQL query (a Prometheus rule's `expr`)."""
        qs = self.queries
        return qs[0] if qs else None

    @property
    def expr_path(self) -> tuple | None:
        """Where a finding about the alert's expression as a whole goes: the `expr` of a
        Prometheus rule, the `data` list of a Grafana rule (None: a rule without PromQL)."""
        if self.kind == GRAFANA_ALERT:
            return self.rule.path + ("data",)
        return None if self.rule.query is None else self.rule.query.path

    @property
    def template_labels(self) -> frozenset:
        """Labels an alert template can read besides those of the query's result: Grafana adds
        the rule's own `labels:` and its instance labels; Prometheus templates see neither."""
        if self.kind == GRAFANA_ALERT:
            return GRAFANA_LABELS | frozenset(self.labels)
        return frozenset()

    @property
    def thresholds(self) -> list:
        """The comparisons with a number the alert fires on (thresholds.Threshold), computed once."""
        if self._thresholds is None:
            from obslint import thresholds

            self._thresholds = (thresholds.grafana_thresholds(self.rule) if self.kind == GRAFANA_ALERT
                                else thresholds.rule_thresholds(self.rule))
        return self._thresholds

    @property
    def is_mirror(self) -> bool:
        """A Grafana rule mirroring a Prometheus rule of the same name: the Prometheus rule is
        the one compared with the policy, the mirror is compared with it (XF001)."""
        return self.kind == GRAFANA_ALERT and bool(self.mirrors)

    @property
    def mirrors(self) -> list[Alert]:
        """The alerts of the other kind with the same name (a Grafana rule mirroring a
        Prometheus rule, or the reverse)."""
        other = PROMETHEUS_ALERT if self.kind == GRAFANA_ALERT else GRAFANA_ALERT
        return self.project.alerts_named(other).get(self.name, [])


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
        self.alerts: list[Alert] = []  # both kinds, in file order
        self._alert_names: dict = {}  # kind -> {name: [Alert]}, built on first use
        # Query or (owner, doc, path, expr, origin, ref, variables, language) to resolve, in order.
        self._pending: list = []

    def __repr__(self) -> str:
        return (f"Project(sources={len(self.sources)}, documents={len(self.documents)}, rules={len(self.rules)}, "
                f"dashboards={len(self.dashboards)}, panels={len(self.panels)}, "
                f"grafana_rules={len(self.grafana_rules)}, queries={len(self.queries)})")

    def alerts_named(self, kind: str) -> dict[str, list[Alert]]:
        """Alerts of one kind by name (only those with a name: a string `alert:`, a non-empty
        `title:`); several rules may share one."""
        index = self._alert_names.get(kind)
        if index is None:
            index = self._alert_names[kind] = {}
            for a in self.alerts:
                if a.kind == kind:
                    name = a.rule.data.get("alert") if kind == PROMETHEUS_ALERT else a.rule.title
                    if isinstance(name, str) and (name or kind == PROMETHEUS_ALERT):
                        index.setdefault(name, []).append(a)
        return index

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
        # Panels of a dashboard repeat their datasource: one resolution per distinct reference
        # and variables, except by-name guesses, which may look at the query (LogQL or not).
        resolved: dict = {}
        for item in pending:
            if type(item) is Query:
                q = item
            else:
                owner, doc, path, expr, origin, ref, variables, language = item
                key = _ref_key(ref, variables)
                res = resolved.get(key) if key is not None else None
                if res is None:
                    res = resolve(ref, variables, expr)
                    if key is not None and res.via != "name":
                        resolved[key] = res
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
                if "alert" in r:
                    rule.alert = Alert(PROMETHEUS_ALERT, rule, self)
                    self.alerts.append(rule.alert)
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
            ptype = pdata.get("type")
            if not isinstance(targets, list) or isinstance(ptype, str) and ptype in NO_QUERY_PANELS:
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
                if "record" not in r:
                    rule.alert = Alert(GRAFANA_ALERT, rule, self)
                    self.alerts.append(rule.alert)
                data = r.get("data")
                if not isinstance(data, list):
                    continue
                for di, d in enumerate(data):
                    if not isinstance(d, dict) or d.get("datasourceUid") in EXPRESSION_DATASOURCES:
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


# Grafana's panels that run no query (their plugin.json says `skipDataQuery`): targets left on
# them (a text panel that was a graph once) are never sent to a datasource.
NO_QUERY_PANELS = frozenset({"text", "news", "dashlist", "alertlist", "annolist", "welcome", "gettingstarted", "row"})


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


def _ref_key(ref, variables):
    """A hashable key for what `DatasourceIndex.resolve` reads of a reference (its `type` and
    `uid`, or the string), or None for anything else."""
    if type(ref) is dict:
        if ref.keys() - {"type", "uid"}:
            return None
        kind, uid = ref.get("type"), ref.get("uid")
        if not (kind is None or type(kind) is str) or not (uid is None or type(uid) is str):
            return None
        return (id(variables), "d", kind, uid)
    if ref is None or type(ref) is str:
        return (id(variables), "s", ref)
    return None
