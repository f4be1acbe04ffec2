"""Cross-file facts that a cached dashboard's shadow does not carry (issue 19): the metric
names its queries read through rate/increase (PQ125) and select on their own (PQ124), the metric families it shows, by
directory (XF002), and the datasources its queries use MetricsQL-only constructs on
(PQ001/PQ002). Computed per file, merged per run; shadows contribute what the cache kept
(`ctx.cache["scale.facts"]`: display -> facts)."""
from __future__ import annotations

import os


def _rated_in(queries) -> set:
    from obslint.checks.conventions import rated_names

    out: set = set()
    for q in queries:
        text = q.expr
        if "rate" in text or "increase" in text:
            out.update(rated_names(text))
    return out


def project_rated(ctx) -> set:
    """Metric names some query of the project reads through rate/irate/increase."""
    return _project_union(ctx, "rated")


def project_named(ctx) -> set:
    """Metric names some query of the project selects on its own (PQ124)."""
    return _project_union(ctx, "named")


def _project_union(ctx, what: str) -> set:
    """One per-file fact over every file: the files read this run, and what the cache kept
    for the others (a cached file's own queries are not read again: a dashboard's shadow has
    none, and a rule file's gave the same fact)."""
    kept = ctx.cache.get("scale.facts") or {}
    out: set = set()
    for key, items in by_source(ctx, "queries", ctx.project.queries).items():
        facts = kept.get(items[0].doc.source.display)
        if facts is None or what not in facts:
            out |= _of_source(ctx, what, key)
    for facts in kept.values():
        out.update(facts.get(what) or ())
    return out


def by_source(ctx, name: str, items) -> dict:
    """id(Source) -> its items, built once per run (facts are asked for every file)."""
    memo = ctx.cache.get(("scale.by-source", name))
    if memo is None:
        memo = ctx.cache[("scale.by-source", name)] = {}
        for x in items:
            memo.setdefault(id(x.doc.source), []).append(x)
    return memo


def _of_source(ctx, what: str, key: int):
    """One file's rated names or dashboard directories, computed once per run where the run
    keeps facts (`ctx.cache["scale.memo"]`: cached and parallel runs): a file's facts
    (obslint.incremental.facts_of) and the project-wide sets the checks read share them. A
    plain run keeps none (18 MiB on the 7,000-file monorepo)."""
    memo = ctx.cache.setdefault(("scale.of-source", what), {}) if ctx.cache.get("scale.memo") else {}
    got = memo.get(key)
    if got is None:
        if what == "rated":
            got = _rated_in(by_source(ctx, "queries", ctx.project.queries).get(key, ()))
        elif what == "named":
            from obslint.checks.names import named_in

            got = named_in(by_source(ctx, "queries", ctx.project.queries).get(key, ()))
        elif what == "vm":
            got = _metricsql_keys(ctx, by_source(ctx, "queries", ctx.project.queries).get(key, ()))
        else:
            got = _dirs_of(ctx, by_source(ctx, "dashboards", ctx.project.dashboards).get(key, ()))
        memo[key] = got
    return got


def _metricsql_keys(ctx, queries) -> set:
    from obslint.checks.promql_syntax import datasource_key, uses_metricsql

    out: set = set()
    for q in queries:
        if q.origin == "panel":
            key = datasource_key(q)
            if key is not None and key not in out and uses_metricsql(q, ctx):
                out.add(key)
    return out


def metricsql_datasources(ctx) -> set:
    """Datasources (promql_syntax.datasource_key) some dashboard query of the project uses a
    MetricsQL-only construct on: VictoriaMetrics behind a Prometheus-type datasource."""
    out = ctx.cache.get("scale.vm-datasources")
    if out is None:
        out = ctx.cache["scale.vm-datasources"] = set()
        for key in by_source(ctx, "queries", ctx.project.queries):
            out |= _of_source(ctx, "vm", key)
        for facts in (ctx.cache.get("scale.facts") or {}).values():
            out.update(facts.get("vm") or ())
    return out


def metricsql_datasources_of_source(ctx, source) -> set:
    return _of_source(ctx, "vm", id(source))


def rated_of_source(ctx, source) -> set:
    return _of_source(ctx, "rated", id(source))


def named_of_source(ctx, source) -> set:
    return _of_source(ctx, "named", id(source))


def _dirs_of(ctx, dashboards) -> dict:
    from obslint import metriccatalog
    from obslint.checks.crossfile import _family

    dirs: dict = {}
    for d in dashboards:
        path = os.path.dirname(os.path.abspath(d.doc.source.display))
        metrics = dirs.setdefault(path, set())
        for p in d.panels:
            for q in p.queries:
                metrics |= {_family(m) for m in metriccatalog.base_metrics(ctx, q.expr)}
    return dirs


def dash_dirs(ctx) -> dict:
    """Directory -> metric families its dashboards show (every linted dashboard)."""
    dirs: dict = {}
    for key in by_source(ctx, "dashboards", ctx.project.dashboards):
        for d, fams in _of_source(ctx, "dirs", key).items():
            dirs.setdefault(d, set()).update(fams)
    for facts in (ctx.cache.get("scale.facts") or {}).values():
        for d, fams in (facts.get("dirs") or {}).items():
            dirs.setdefault(d, set()).update(fams)
    return dirs


def dash_dirs_of_source(ctx, source) -> dict:
    return _of_source(ctx, "dirs", id(source))
