"""Which datasource a query runs on, and so in which language it is written.

Grafana decides a query's language by its datasource: a panel or target `datasource`
(`{type, uid}` from schemaVersion 33, a name string or null before), a `${var}` that a
`type: datasource` templating variable (or an `__inputs` entry of an exported dashboard)
stands for, the special `-- Mixed --` / `-- Grafana --` / `-- Dashboard --` sources, or
a Grafana alert query's `datasourceUid`. No datasource means the instance's default one.

`DatasourceIndex` knows the datasources of a run: those provisioned in files linted in
the same run (`apiVersion: 1` + `datasources:`) and the policy's `datasources:` entries
(`{uid | name, type, dialect}`, which win). `resolve()` turns a reference into a
`Resolution`: the datasource type, its uid/name when known, the query language
(`promql`, `logql` or `other`) and, for PromQL, the dialect (`prometheus` | `metricsql`).
"""
from __future__ import annotations

import re

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

PROMQL, LOGQL, OTHER = "promql", "logql", "other"
PROMETHEUS, METRICSQL = "prometheus", "metricsql"
DIALECTS = (PROMETHEUS, METRICSQL)

# Grafana's built-in pseudo datasources (uids and the names older dashboards use).
MIXED = "-- Mixed --"
GRAFANA = "-- Grafana --"
DASHBOARD = "-- Dashboard --"
EXPRESSION = "__expr__"
# Core panel plugins that never run their queries (`skipDataQuery` in their plugin.json): a
# datasource or query such a panel still carries (left from a type change) does nothing.
QUERYLESS_PANELS = frozenset(("text", "news", "dashlist", "alertlist", "annolist", "welcome", "gettingstarted"))
_SPECIAL_UIDS = {MIXED: MIXED, "mixed": MIXED, GRAFANA: GRAFANA, "grafana": GRAFANA,
                 DASHBOARD: DASHBOARD, EXPRESSION: EXPRESSION, "-100": EXPRESSION}

# Plugin ids that speak PromQL over the Prometheus HTTP API (Prometheus, Mimir, Cortex,
# Thanos and the cloud variants all use one of these), and the VictoriaMetrics ones.
_VICTORIA_METRICS = ("victoriametrics-datasource", "victoriametrics-metrics-datasource",
                     "victoria-metrics-datasource")
_PROMQL_WORDS = ("prometheus", "mimir", "cortex", "thanos")
# Words that mark a datasource as something else when only a name is known.
_OTHER_WORDS = ("elasticsearch", "influx", "graphite", "tempo", "mysql", "postgres", "mssql", "cloudwatch",
                "stackdriver", "testdata", "jaeger", "zipkin", "opensearch", "clickhouse", "bigquery", "splunk",
                "datadog", "x-ray", "pyroscope", "parca", "logs", "sql", "json", "infinity", "zabbix",
                "opentsdb", "azure-monitor", "grafana-")


class Resolution:
    """What a datasource reference stands for. `type` is the plugin id ("" when unknown),
    `uid`/`name` the datasource's when known, `special` one of MIXED, GRAFANA, DASHBOARD,
    EXPRESSION or None, `known` whether the index holds the datasource, `via` how it was
    found ("ref" the reference itself, "variable", "input", "index", "default", "name")."""

    __slots__ = ("ref", "type", "uid", "name", "language", "dialect", "special", "known", "via")

    def __init__(self, ref: Any, type: str, language: str, dialect: str | None = None, uid: str | None = None,
                 name: str | None = None, special: str | None = None, known: bool = False, via: str = "ref") -> None:
        self.ref, self.type, self.language, self.dialect = ref, type, language, dialect
        self.uid, self.name, self.special, self.known, self.via = uid, name, special, known, via

    def __repr__(self) -> str:
        return (f"Resolution(type={self.type!r}, language={self.language!r}, dialect={self.dialect!r}, "
                f"uid={self.uid!r}, name={self.name!r}, special={self.special!r}, via={self.via!r})")


class Datasource:
    """One known datasource: from a provisioning file (`origin` = its display path) or the policy."""

    __slots__ = ("uid", "name", "type", "dialect", "is_default", "origin")

    def __init__(self, uid: str | None, name: str | None, type: str, dialect: str | None = None,
                 is_default: bool = False, origin: str = "policy") -> None:
        self.uid, self.name, self.type, self.dialect = uid, name, type, dialect
        self.is_default, self.origin = is_default, origin

    def __repr__(self) -> str:
        return f"Datasource(uid={self.uid!r}, name={self.name!r}, type={self.type!r}, dialect={self.dialect!r})"


def language_of(ds_type: str) -> str:
    """The query language of a datasource plugin id (or, for old dashboards, of a name)."""
    t = ds_type.lower()
    if t in _VICTORIA_METRICS or "victoriametrics-metrics" in t:
        return PROMQL
    if "loki" in t:
        return LOGQL
    if "victoria" in t and "log" in t:
        return OTHER
    if any(w in t for w in _PROMQL_WORDS):
        return PROMQL
    return OTHER


def _is_victoria_metrics(ds_type: str) -> bool:
    t = ds_type.lower()
    return t in _VICTORIA_METRICS or "victoriametrics-metrics" in t


# Where a Prometheus-type datasource's URL shows VictoriaMetrics behind it: the single-node and
# cluster (vmselect) ports, the cluster's query path, and the usual service names.
_VICTORIA_URL = re.compile(r"victoria|\bvm(?:single|select|cluster|auth)\b|:(?:8428|8481)\b|/select/[^/]+/prometheus",
                           re.IGNORECASE)


def provisioned_dialect(entry: dict) -> str | None:
    """MetricsQL for a provisioned Prometheus-type datasource whose URL or name shows that
    VictoriaMetrics answers it (`url: http://vmsingle:8428`, `name: VictoriaMetrics`), else None."""
    if language_of(str(entry.get("type"))) != PROMQL:
        return None
    text = " ".join(str(entry.get(k)) for k in ("url", "name") if isinstance(entry.get(k), str))
    return METRICSQL if _VICTORIA_URL.search(text) else None


def generated_uid(name: str) -> str:
    """The uid Grafana provisions a datasource under when its file gives none
    (datasources.safeUIDFromName): "P" and the first 8 bytes of the SHA-256 of the name, in
    upper-case hex."""
    import hashlib

    return "P" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16].upper()


def targets_choose(panel: dict) -> bool:
    """Whether Grafana queries the datasource a panel's targets name: only when the panel is
    Mixed or names none. Otherwise its query runner (PanelQueryRunner, and scenes'
    SceneQueryRunner) replaces a target's datasource that differs from the panel's ("the panel
    might have the incorrect datasource stored"), so a stale uid there is never used."""
    ds = panel.get("datasource")
    uid = ds.get("uid") if isinstance(ds, dict) else ds
    if not isinstance(uid, str):
        return True  # none, or a type without a uid: which one Grafana picks is not sure here
    return _SPECIAL_UIDS.get(uid) == MIXED


def _text(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


class DatasourceIndex:
    """The datasources of one run, looked up by uid or name; see the module docstring."""

    def __init__(self, policy: dict | None = None) -> None:
        policy = policy or {}
        promql = policy.get("promql")
        dialect = promql.get("dialect") if isinstance(promql, dict) else None
        # The dialect of Prometheus-type datasources and rule files; None = not configured
        # (then Prometheus, and MetricsQL-only queries are reported gently: see checks).
        self.dialect: str | None = dialect if dialect in DIALECTS else None
        self._by_uid: dict[str, Datasource] = {}
        self._by_name: dict[str, Datasource] = {}
        self._policy: list[Datasource] = []
        self.default: Datasource | None = None
        self._policy_default = False
        for entry in policy.get("datasources") or []:
            if isinstance(entry, dict) and isinstance(entry.get("type"), str):
                ds = Datasource(_text(entry.get("uid")), _text(entry.get("name")), entry["type"],
                                entry.get("dialect") if entry.get("dialect") in DIALECTS else None,
                                bool(entry.get("default") or entry.get("isDefault")), "policy")
                self._policy.append(ds)
                self._put(ds, override=True)
                if ds.is_default:
                    self.default, self._policy_default = ds, True

    @property
    def configured_dialect(self) -> str | None:
        return self.dialect

    def __len__(self) -> int:
        return len({id(d) for d in (*self._by_uid.values(), *self._by_name.values())})

    def datasources(self) -> list[Datasource]:
        """Every known datasource, each once."""
        seen: dict[int, Datasource] = {}
        for d in (*self._by_uid.values(), *self._by_name.values()):
            seen.setdefault(id(d), d)
        return list(seen.values())

    def _put(self, ds: Datasource, override: bool) -> None:
        for key, table in ((ds.uid, self._by_uid), (ds.name, self._by_name)):
            if key is not None and (override or key not in table):
                table[key] = ds

    def add_provisioned(self, root: Any, origin: str = "") -> None:
        """Register the datasources of a provisioning file (`datasources:` list). The policy's
        entries keep precedence over provisioned ones of the same uid or name."""
        entries = root.get("datasources") if isinstance(root, dict) else None
        if not isinstance(entries, list):
            return
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
                continue
            ds = Datasource(_text(entry.get("uid")), _text(entry.get("name")), entry["type"],
                            provisioned_dialect(entry), entry.get("isDefault") is True, origin)
            self._put(ds, override=False)
            if ds.uid is None and ds.name is not None:  # dashboards name it by the uid Grafana gives it
                self._by_uid.setdefault(generated_uid(ds.name), ds)
            if ds.is_default and not self._policy_default:
                self.default = self.find(ds.uid, ds.name) or ds  # the policy's entry for it, if any

    def find(self, uid: str | None = None, name: str | None = None) -> Datasource | None:
        """The known datasource with this uid (else this name), or None."""
        if uid is not None:
            hit = self._by_uid.get(uid)
            if hit is not None:
                return hit
        if name is not None:
            return self._by_name.get(name)
        return None

    def _dialect(self, ds_type: str, ds: Datasource | None) -> str:
        if ds is not None and ds.dialect:
            return ds.dialect
        if _is_victoria_metrics(ds_type):
            return METRICSQL
        return self.dialect or PROMETHEUS

    def _of(self, ref: Any, ds_type: str, ds: Datasource | None, uid: str | None, name: str | None,
            via: str) -> Resolution:
        lang = language_of(ds_type)
        return Resolution(ref, ds_type, lang, self._dialect(ds_type, ds) if lang == PROMQL else None,
                          uid if ds is None else ds.uid or uid, name if ds is None else ds.name or name,
                          None, ds is not None, via)

    def default_resolution(self, ref: Any = None) -> Resolution:
        """Grafana's default datasource: the policy's or provisioned `isDefault` one, else Prometheus."""
        ds = self.default
        if ds is None:
            return Resolution(ref, PROMETHEUS, PROMQL, self.dialect or PROMETHEUS, via="default")
        return self._of(ref, ds.type, ds, ds.uid, ds.name, "default")

    def resolve(self, ref: Any, variables: dict | None = None, expr: str | None = None) -> Resolution:
        """The datasource `ref` (a panel/target `datasource` value, or a uid string) stands for.
        `variables` maps a dashboard's datasource variable names (and `__inputs` names) to
        their plugin type. `expr`, when given, breaks a tie for a name obslint cannot place:
        a LogQL pipeline marks Loki."""
        if ref is None or ref == "" or ref == {}:
            return self.default_resolution(ref)
        if isinstance(ref, dict):
            ds_type = _text(ref.get("type"))
            uid = _text(ref.get("uid"))
            if uid in _SPECIAL_UIDS:
                return Resolution(ref, ds_type or "datasource", OTHER, special=_SPECIAL_UIDS[uid], uid=uid)
            if ds_type in ("datasource", "__expr__") and uid is None:
                return Resolution(ref, ds_type, OTHER, special=EXPRESSION if ds_type == "__expr__" else MIXED)
            if uid is not None and "$" in uid:
                var_type = _variable_type(uid, variables)
                if var_type is not None:
                    return self._of(ref, ds_type or var_type, None, None, None, "variable")
            ds = self.find(uid=uid)
            if ds is not None:
                return self._of(ref, ds.type if ds_type is None else ds_type, ds, uid, None, "index")
            if ds_type is not None:
                return self._of(ref, ds_type, None, uid, None, "ref")
            if uid is None:
                return self.default_resolution(ref)
            return self._by_words(ref, uid, expr)
        if isinstance(ref, str):
            if ref in _SPECIAL_UIDS:
                return Resolution(ref, "datasource", OTHER, special=_SPECIAL_UIDS[ref], name=ref)
            if "$" in ref:
                var_type = _variable_type(ref, variables)
                if var_type is not None:
                    return self._of(ref, var_type, None, None, None, "variable")
            ds = self.find(uid=ref, name=ref)
            if ds is not None:
                return self._of(ref, ds.type, ds, None, ref, "index")
            if ref.lower() == "default":
                return self.default_resolution(ref)
            return self._by_words(ref, ref, expr)
        return self.default_resolution(ref)

    def _by_words(self, ref: Any, text: str, expr: str | None) -> Resolution:
        """A datasource obslint does not know: its name often says what it is ("Loki",
        "prometheus-eu", "InfluxDB"); otherwise the query itself, else the default's language."""
        low = text.lower()
        if _is_victoria_metrics(low) or ("victoria" in low and "log" not in low):
            return Resolution(ref, low, PROMQL, METRICSQL, name=text, via="name")
        if "loki" in low:
            return Resolution(ref, "loki", LOGQL, name=text, via="name")
        if any(w in low for w in _PROMQL_WORDS):
            return Resolution(ref, PROMETHEUS, PROMQL, self.dialect or PROMETHEUS, name=text, via="name")
        if expr is not None and looks_like_logql(expr):
            return Resolution(ref, "loki", LOGQL, name=text, via="name")
        if any(w in low for w in _OTHER_WORDS):
            return Resolution(ref, low, OTHER, name=text, via="name")
        default = self.default_resolution(ref)
        default.name, default.via = text, "name"
        return default


def _variable_type(ref: str, variables: dict | None) -> str | None:
    """The plugin type behind `$ds`, `${ds}`, `${ds:raw}` or `[[ds]]`, from `variables`."""
    if not variables:
        return None
    name = ref.strip()
    if name.startswith("${") and name.endswith("}"):
        name = name[2:-1].split(":", 1)[0]
    elif name.startswith("[[") and name.endswith("]]"):
        name = name[2:-2].split(":", 1)[0]
    elif name.startswith("$"):
        name = name[1:]
    else:
        return None
    return variables.get(name.strip())


def dashboard_variables(dashboard: Any) -> dict:
    """Datasource variable names of a dashboard -> plugin type: `templating.list` entries of
    `type: datasource` (their `query` is the plugin id) and `__inputs` of `type: datasource`
    (exports for sharing: `${DS_PROMETHEUS}` with `pluginId: prometheus`)."""
    out: dict[str, str] = {}
    if not isinstance(dashboard, dict):
        return out
    inputs = dashboard.get("__inputs")
    if isinstance(inputs, list):
        for i in inputs:
            if isinstance(i, dict) and i.get("type") == "datasource" and isinstance(i.get("name"), str):
                out[i["name"]] = str(i.get("pluginId") or "")
    templ = dashboard.get("templating")
    lst = templ.get("list") if isinstance(templ, dict) else None
    if isinstance(lst, list):
        for v in lst:
            if isinstance(v, dict) and v.get("type") == "datasource" and isinstance(v.get("name"), str):
                q = v.get("query")
                out[v["name"]] = (q if isinstance(q, str) else "") or PROMETHEUS
    return out


_LOGQL = None  # compiled on first use


def looks_like_logql(expr: str) -> bool:
    """A LogQL pipeline stage (`|=`, `|~`, `| json`, `| logfmt`, ...) appears: no PromQL has one."""
    global _LOGQL
    if _LOGQL is None:
        import re

        _LOGQL = re.compile(r"\|[=~]|\|\s*(?:json|logfmt|line_format|label_format|pattern|regexp|unwrap|"
                            r"decolorize|drop|keep|unpack)\b|!=\s*[\"`][^\"`]*[\"`]\s*(?:\||$)")
    return _LOGQL.search(expr) is not None


def not_parsed_summary(project) -> list[str]:
    """Lines for `-v`: how many queries were read in each language, and the queries obslint
    does not parse, per datasource type."""
    if project is None:
        return []
    counts: dict[str, int] = {}
    logql = 0
    for q in project.other_queries:
        if q.language == LOGQL:
            logql += 1
        else:
            if q.datasource is not None:
                t = q.datasource.type or "unknown"
            else:  # a rule file's group of another type (vmalert `type: graphite|vlogs`)
                group = getattr(q.owner, "group", None)
                t = f"rules of type {group.data.get('type')}" if group is not None else "unknown"
            counts[t] = counts.get(t, 0) + 1
    out = [f"queries: {len(project.queries)} PromQL/MetricsQL, {logql} LogQL checked"]
    if counts:
        listed = ", ".join(f"{n} {t}" for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        out.append(f"queries not parsed (other languages), by datasource type: {listed}")
    return out
