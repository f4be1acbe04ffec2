"""Dashboard template variables: used but never defined (the query is always empty), defined
but never used, and the PromQL inside Prometheus variable queries (`label_values(...)`)."""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from functools import lru_cache

from obslint import grafanavars, promql
from obslint.datasources import QUERYLESS_PANELS
from obslint.findings import Severity
from obslint.jsonnetinputs import dashboard_importer
from obslint.registry import Rule

# `$name`, `${name}`, `${name:format}`, `${name.field}`, `[[name]]`, `[[name:format]]`.
_REF = grafanavars.REFERENCE
# Names Grafana defines itself besides the `__`-prefixed ones (`$__interval`, `$__range`,
# `${__field.labels.x}`, `$__all`, `$__cell_0`, ...): the pre-7 spellings of the interval.
_LEGACY_BUILT_INS = {"interval", "interval_ms", "timeFilter", "timeFrom", "timeTo"}
_NOT_PROMQL = ("loki", "elasticsearch", "influxdb", "graphite", "tempo", "mysql", "postgres", "mssql",
               "cloudwatch", "stackdriver", "testdata", "grafana", "jaeger", "zipkin", "opensearch", "clickhouse",
               "bigquery", "splunk", "datadog", "x-ray", "pyroscope", "parca", "victorialogs", "sql", "json")
# The Prometheus datasource's variable query functions, and the characters that split their arguments.
_VAR_QUERY = re.compile(r"\s*(label_values|label_names|metrics|query_result)\s*\((.*)\)\s*", re.S)
_ARG_MARKS = re.compile(r"[\"'`(){}\[\],]")


def refs(text: str) -> tuple:
    """(name, start) of every variable reference in a text."""
    if "$" not in text and "[[" not in text:
        return ()
    return _refs(text)


@lru_cache(maxsize=4096)  # dashboards repeat the same few strings (`$datasource`, ...) thousands of times
def _refs(text: str) -> tuple:
    out = []
    for m in _REF.finditer(text):
        name = m.group(1) or m.group(2) or m.group(3)
        # `\$SYS` in a regex is a literal dollar: Grafana leaves an unknown name as it is, as meant
        if name and not name[0].isdigit() and not (m.start() and text[m.start() - 1] == "\\"):
            out.append((name, m.start()))
    return tuple(out)


def built_in(name: str) -> bool:
    return name.startswith("__") or name in _LEGACY_BUILT_INS


# The variables Juju's COS library (charms.grafana_k8s grafana_dashboard) adds to every dashboard a
# charm ships before Grafana sees it: the datasource dropdowns and the Juju topology. Charm
# dashboards use them without defining them, as that library's documentation asks.
JUJU_INJECTED = frozenset({"prometheusds", "lokids", "juju_model", "juju_model_uuid", "juju_application",
                           "juju_unit"})


def defined(dash) -> set[str]:
    """Variable names a dashboard defines: its templating list, its `__inputs` (import
    placeholders such as `${DS_PROMETHEUS}`), and the ones Juju's COS library injects."""
    names = {v["name"] for v in dash.variables if isinstance(v.get("name"), str)}
    inputs = dash.data.get("__inputs")
    if isinstance(inputs, list):
        for i in inputs:
            if isinstance(i, dict) and isinstance(i.get("name"), str):
                names.add(i["name"])
                # Import replaces `${DS_ADOT GA}` whole, whatever is inside the braces
                # (dash_template_evaluator.go); a reference is read up to a space or a dot
                names.add(_INPUT_CUT.split(i["name"], 1)[0])
    return names | JUJU_INJECTED


_INPUT_CUT = re.compile(r"[:.\s]")


def _ds_text(ds) -> str:
    if isinstance(ds, dict):
        return f"{ds.get('type') or ''} {ds.get('uid') or ''}".lower()
    return ds.lower() if isinstance(ds, str) else ""


def datasource_variables(dash) -> dict:
    """{name: "type"} of the dashboard's datasource variables (names that are not text skipped)."""
    return {v["name"]: _ds_text({"type": v.get("query")}) for v in dash.variables
            if v.get("type") == "datasource" and isinstance(v.get("name"), str)}


def promql_datasource(ds, ds_vars: dict) -> bool:
    """Whether a datasource reference (None: the default) may be a Prometheus-like one."""
    text = _ds_text(ds)
    for name, _start in refs(text):
        text += " " + ds_vars.get(name, "")
    if any(k in text for k in ("prometheus", "mimir", "cortex", "thanos", "victoriametrics-metrics")):
        return True
    return not any(k in text for k in _NOT_PROMQL)


def variable_query(var: dict) -> str | None:
    """A query variable's query text (string, or `{"query": ...}` from Grafana 8+)."""
    q = var.get("query")
    if isinstance(q, dict):
        q = q.get("query")
    return q if isinstance(q, str) else None


def _query_path(var: dict) -> tuple:
    return ("query", "query") if isinstance(var.get("query"), dict) else ("query",)


def _fields(dash):
    """(path, text) of every string where a variable can be used and obslint knows how to read
    it: PromQL panel targets (every field), panel titles, descriptions, `repeat`, datasource
    references and links; query variables' queries and datasources."""
    ds_vars = datasource_variables(dash)
    for panel in dash.panels:
        p = panel.data
        for key in ("title", "description"):
            if isinstance(p.get(key), str):
                yield panel.path + (key,), p[key]
        if isinstance(p.get("repeat"), str) and p["repeat"]:
            yield panel.path + ("repeat",), "$" + p["repeat"]
        for li, link in enumerate(p.get("links") or []):
            if isinstance(link, dict) and isinstance(link.get("url"), str):
                yield panel.path + ("links", li, "url"), link["url"]
        if panel.type in QUERYLESS_PANELS:  # its datasource and queries are never used
            continue
        yield from _datasource_fields(panel.path + ("datasource",), p.get("datasource"))
        targets = p.get("targets")
        if not isinstance(targets, list):
            continue
        for ti, t in enumerate(targets):
            if not isinstance(t, dict):
                continue
            ds = t.get("datasource", p.get("datasource"))
            yield from _datasource_fields(panel.path + ("targets", ti, "datasource"), t.get("datasource"))
            if not promql_datasource(ds, ds_vars) or "expr" not in t:
                continue
            for key in ("expr", "legendFormat", "interval"):
                if isinstance(t.get(key), str):
                    yield panel.path + ("targets", ti, key), t[key]
    for vi, var in enumerate(dash.variables):
        base = ("templating", "list", vi)
        yield from _datasource_fields(base + ("datasource",), var.get("datasource"))
        q = variable_query(var)
        if q is not None and var.get("type") == "query" and promql_datasource(var.get("datasource"), ds_vars):
            yield base + _query_path(var), q


def _datasource_fields(path: tuple, ds):
    if isinstance(ds, str):
        yield path, ds
    elif isinstance(ds, dict) and isinstance(ds.get("uid"), str):
        yield path + ("uid",), ds["uid"]


def _classic(dash) -> bool:
    return isinstance(dash.data.get("panels", dash.data.get("rows")), list)


def text_refs(dash, ctx) -> Counter:
    """How often each variable name is referenced in the dashboard's file (the raw text: one
    regex scan, no walk and no dump), counted once per file for DB040 and DB041. For a file
    holding several dashboards it counts them all: a superset, which only makes DB040 take its
    precise path and DB041 more cautious."""
    source = dash.doc.source
    key = ("variables.refs", id(source))
    hit = ctx.cache.get(key)
    if hit is None:
        text = source.text if isinstance(getattr(source, "text", None), str) else None
        hit = ctx.cache[key] = _count_refs(text) if text is not None else _names_in(dash.data)
    return hit


_DOLLAR_NAME = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_BRACKET_NAME = re.compile(r"\[\[([^\[\]:.\s]+)[^\[\]]*\]\]")


def _count_refs(text: str) -> Counter:
    """References counted by two C-level scans (`findall` into a `Counter`): per-match Python
    work on files with thousands of `$datasource` would cost more than the rest of DB040."""
    out = Counter(_DOLLAR_NAME.findall(text))
    if "[[" in text:
        out.update(n for n in _BRACKET_NAME.findall(text) if not n[0].isdigit())
    return out


class UndefinedVariable(Rule):
    r"""A panel query, title, link or datasource uses a template variable (`$x`, `${x}`,
    `[[x]]`) that the dashboard does not define: Grafana leaves the text as it is, so
    `{job="$x"}` matches nothing and the panel stays empty (a datasource `${DS_X}` without the
    matching `__inputs` entry is not found), and a `repeat` on it repeats nothing. In a title,
    description, link or legend the text is only shown as written: a warning there. Grafana's built-ins (`$__interval`,
    `$__rate_interval`, `$__range`, `${__field.labels.x}`, `$__all`, ...), the pre-7 `$interval`,
    `__inputs` placeholders, and the variables Juju's COS library injects into charm dashboards
    (`$prometheusds`, `$lokids`, `$juju_model`, `$juju_model_uuid`, `$juju_application`,
    `$juju_unit`) count as defined. A file that a `.jsonnet`/`.libsonnet` file in its
    directory or the two above it imports (a mixin's raw dashboard, to which jsonnet adds the
    variables) gets info instead, naming the importer.

    ## Bad (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39,
     "templating": {"list": [{"name": "job", "type": "query", "query": "label_values(up, job)"}]},
     "panels": [{"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
                 "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total{job=\"$job\", env=\"$env\"}[5m]))"}]}]}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39,
     "templating": {"list": [{"name": "job", "type": "query", "query": "label_values(up, job)"},
                             {"name": "env", "type": "custom", "query": "prod,staging"}]},
     "panels": [{"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
                 "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total{job=\"$job\", env=\"$env\"}[5m]))"}]}]}
    ```
    """

    code, name, severity = "DB040", "undefined-variable", Severity.ERROR
    summary = "dashboard uses a template variable it does not define"

    def check_dashboard(self, dash, ctx):
        if not _classic(dash):
            return None
        names = defined(dash)
        repeats = (p.data.get("repeat") for p in dash.panels)
        if all(built_in(n) or n in names for n in text_refs(dash, ctx)) and \
                all(not isinstance(r, str) or not r or r in names or built_in(r) for r in repeats):
            return None  # every reference anywhere in the dashboard is defined: nothing to locate
        importer = dashboard_importer(dash, ctx)
        found = list(self._undefined(dash, names))
        if importer is not None:  # a mixin's input: the jsonnet that imports it may add the variables
            for f in found:
                f.severity = Severity.INFO
                f.message += (f"; `{_shown_path(importer, dash.doc.source.path)}` imports this file, and jsonnet "
                              "may define it there (lint the rendered dashboard to be sure)")
        return found

    def _undefined(self, dash, names):
        for path, text in _fields(dash):
            for name, _start in refs(text):
                if built_in(name) or name in names:
                    continue
                near = [n for n in names if n.lower() == name.lower()]
                fix = (f"did you mean `${near[0]}`? Variable names are case-sensitive" if near else
                       f"add a variable `{name}` under `{_variables_key(dash)}`, or remove the reference")
                shown = path[-1] in _SHOWN_FIELDS  # a text shown as written: nothing breaks
                yield self.finding(dash.doc, path, f"`${name}` is not a variable of this dashboard: "
                                   f"{_effect(path)}", fix=fix, variable=name,
                                   severity=Severity.WARNING if shown else None)
                break


_SHOWN_FIELDS = ("title", "description", "url", "legendFormat")


def _shown_path(path: str, beside) -> str:
    """`path` relative to the directory of the file `beside` (the importer is near it)."""
    try:
        return os.path.relpath(path, os.path.dirname(os.path.abspath(beside)))
    except ValueError:
        return path


def _effect(path: tuple) -> str:
    """What an undefined variable does where it is used."""
    if "datasource" in path[-2:]:
        return "Grafana finds no datasource of that name, so the queries fail"
    if path[-1] == "repeat":
        return "the panel is not repeated"
    if path[-1] in _SHOWN_FIELDS:
        return "Grafana shows it as written"
    return "Grafana leaves it as text, so it matches nothing"


def _variables_key(dash) -> str:
    """Where this dashboard's file keeps its variables: `templating.list`, or the place a
    resource's view maps it to (`spec.variables` in a v2 resource)."""
    real = getattr(dash.doc, "real_path", None)
    path = real(("templating", "list")) if real is not None else ("templating", "list")
    return ".".join(str(p) for p in path if not isinstance(p, int)) or "templating.list"


def _names_in(node) -> Counter:
    """How often each variable is referenced in the strings under `node`: one C-level dump and
    one regex scan instead of a walk over every string."""
    return _count_refs(json.dumps(node, ensure_ascii=False, default=str))


class UnusedVariable(Rule):
    r"""A template variable that nothing in the dashboard uses (no query, title, link, other
    variable or repeat mentions it): a selector at the top that changes nothing, or a leftover.
    Ad-hoc filter variables (applied to every query implicitly) and dashboards whose links pass
    variables on (`includeVars`) are not reported.

    ## Bad (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39,
     "templating": {"list": [{"name": "job", "type": "query", "query": "label_values(up, job)"},
                             {"name": "pod", "type": "query", "query": "label_values(up, pod)"}]},
     "panels": [{"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
                 "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total{job=\"$job\"}[5m]))"}]}]}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39,
     "templating": {"list": [{"name": "job", "type": "query", "query": "label_values(up, job)"}]},
     "panels": [{"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
                 "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total{job=\"$job\"}[5m]))"}]}]}
    ```
    """

    code, name, severity = "DB041", "unused-variable", Severity.INFO
    summary = "template variable that nothing in the dashboard uses"

    def check_dashboard(self, dash, ctx):
        if not _classic(dash) or not dash.variables:
            return
        links = dash.data.get("links")
        if isinstance(links, list) and any(isinstance(l, dict) and l.get("includeVars") for l in links):
            return
        templ = dash.data.get("templating")
        lst = templ.get("list") if isinstance(templ, dict) else None
        everywhere = text_refs(dash, ctx)
        used: set = set()
        for panel in dash.panels:
            if isinstance(panel.data.get("repeat"), str):
                used.add(panel.data["repeat"])
        for row in dash.data.get("rows") or []:
            if isinstance(row, dict) and isinstance(row.get("repeat"), str):
                used.add(row["repeat"])
        for vi, var in enumerate(lst if isinstance(lst, list) else []):
            if not isinstance(var, dict):
                continue
            name = var.get("name")
            if not isinstance(name, str) or not name or var.get("type") in ("adhoc", "datasource", "constant") \
                    or name in used:
                continue
            if everywhere[name] and everywhere[name] > _names_in(var)[name]:  # used outside its own definition
                continue
            yield self.finding(dash.doc, ("templating", "list", vi, "name"),
                               f"variable `{name}` is defined but no query, title, link or other variable uses it",
                               fix=f"use `${name}` in the queries it should filter, or remove the variable",
                               variable=name)


@lru_cache(maxsize=4096)  # dashboards of one family repeat the same variable queries
def _inner_promql(query: str):
    """(function, PromQL text or None) of a Prometheus variable query, or None when it is not
    one of the datasource's functions."""
    m = _VAR_QUERY.fullmatch(query)
    if not m:
        return None
    fn, args = m.group(1), m.group(2).strip()
    if fn == "label_names":
        return fn, args or None
    if fn == "metrics":
        return fn, None  # a regex, not PromQL
    if fn == "query_result":
        return fn, args
    # label_values(label) | label_values(series selector or expression, label): the last comma
    # outside quotes and brackets (every other character changes nothing, so only these are read)
    depth, quote, cut = 0, "", -1
    for m in _ARG_MARKS.finditer(args):
        c = m.group()
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'`":
            quote = c
        elif c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        elif depth == 0:  # a comma
            cut = m.start()
    if cut < 0:
        return fn, None
    return fn, args[:cut].strip()


class VariableQuerySyntax(Rule):
    r"""The PromQL inside a Prometheus variable query (`label_values(up{job="$job"}, instance)`,
    `query_result(...)`, `label_names(...)`) does not parse: the variable has no values and every
    panel that uses it is empty. Checked only for variables whose datasource may be Prometheus.

    ## Bad (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39,
     "templating": {"list": [{"name": "instance", "type": "query", "datasource": {"type": "prometheus"},
                              "query": "label_values(up{job=\"api\"} >, instance)"}]},
     "panels": []}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39,
     "templating": {"list": [{"name": "instance", "type": "query", "datasource": {"type": "prometheus"},
                              "query": "label_values(up{job=\"api\"}, instance)"}]},
     "panels": []}
    ```
    """

    code, name, severity = "DB042", "variable-query-syntax", Severity.ERROR
    summary = "PromQL inside a Prometheus variable query does not parse"

    def check_dashboard(self, dash, ctx):
        ds_vars = datasource_variables(dash)
        templ = dash.data.get("templating")
        lst = templ.get("list") if isinstance(templ, dict) else None
        for vi, var in enumerate(lst if isinstance(lst, list) else []):
            if not isinstance(var, dict) or var.get("type") != "query":
                continue
            q = variable_query(var)
            if not q or not promql_datasource(var.get("datasource"), ds_vars):
                continue
            inner = _inner_promql(q)
            if inner is None or not inner[1]:
                continue
            fn, expr = inner
            parsed = promql.parse(expr)
            if parsed.error:
                yield self.finding(dash.doc, ("templating", "list", vi) + _query_path(var),
                                   f"variable `{var.get('name')}`: the PromQL in `{fn}(...)` does not parse: "
                                   f"{parsed.error}", fix="correct the expression; the variable has no values until "
                                   "then", variable=var.get("name"))
