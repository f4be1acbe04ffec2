"""Which rule-file flavour a document is: prometheus, thanos, mimir, cortex, vmalert or loki.

The policy's `rules: {flavor: ...}` decides when set; otherwise the file tells by its
keys (Thanos `partial_response_strategy`, Mimir/Cortex `namespace:`/`source_tenants`,
vmalert `concurrency`/`type`/`eval_offset`...), by its resource kind (`VMRule`, Loki's
`AlertingRule`/`RecordingRule`/`LokiRule`) or by its expressions (LogQL marks Loki).
Each flavour's extra keys are listed here, with the flavour they belong to, so RF001
can accept them, or name their owner when the file is of another flavour.
"""
from __future__ import annotations

from obslint.datasources import LOGQL, OTHER, PROMQL, looks_like_logql

FLAVORS = ("prometheus", "thanos", "mimir", "cortex", "vmalert", "loki")

# Prometheus' own keys (model/rulefmt).
FILE_KEYS = frozenset({"groups"})
GROUP_KEYS = frozenset({"name", "interval", "query_offset", "limit", "rules", "labels"})
RULE_KEYS = frozenset({"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"})

# Extra group keys per flavour (Thanos rule groups; Mimir/Cortex/Loki ruler groups, from
# their rule-group config and the cortextool namespace files; vmalert's config.Group).
_RULER_GROUP = frozenset({"source_tenants", "evaluation_delay", "align_evaluation_time_on_interval", "remote_write"})
EXTRA_GROUP_KEYS = {
    "thanos": frozenset({"partial_response_strategy"}),
    "mimir": _RULER_GROUP,
    "cortex": _RULER_GROUP,
    "loki": _RULER_GROUP,
    "vmalert": frozenset({"type", "eval_offset", "eval_delay", "concurrency", "params", "headers",
                          "notifier_headers", "eval_alignment", "debug"}),
}
EXTRA_RULE_KEYS = {"vmalert": frozenset({"debug", "update_entries_limit"})}
EXTRA_FILE_KEYS = {"mimir": frozenset({"namespace"}), "cortex": frozenset({"namespace"}),
                   "loki": frozenset({"namespace"})}
# Prometheus keys a flavour does not read (vmalert has `eval_delay` instead of `query_offset`).
MISSING_GROUP_KEYS = {"vmalert": frozenset({"query_offset"})}
ANY_GROUP_KEYS = GROUP_KEYS.union(*EXTRA_GROUP_KEYS.values())  # a group of some ruler has only these

# vmalert's templates predeclare more variables than Prometheus (app/vmalert/notifier/alert.go)
# and add a few functions (app/vmalert/templates/template.go).
VMALERT_TEMPLATE_VARIABLES = frozenset({"$type", "$expr", "$interval", "$alertID", "$groupID", "$activeAt", "$for",
                                        "$isPartial"})
VMALERT_TEMPLATE_FUNCTIONS = frozenset({"first", "label", "value", "strvalue", "sortByLabel", "now", "args",
                                        "safeHtml", "crlfEscape", "quotesEscape", "jsonEscape", "htmlEscape",
                                        "pathPrefix", "pathEscape", "queryEscape", "parseDurationTime", "formatTime",
                                        "toTime", "stripPort", "stripDomain", "match", "reReplaceAll", "query",
                                        "externalURL", "title", "toUpper", "toLower", "humanize", "humanizeDuration",
                                        "humanizePercentage", "humanizeTimestamp", "parseDuration"})

_NAMES = {"prometheus": "Prometheus", "thanos": "Thanos", "mimir": "Mimir", "cortex": "Cortex",
          "vmalert": "vmalert", "loki": "Loki ruler"}


def display(flavor: str) -> str:
    return _NAMES.get(flavor, flavor)


def group_keys(flavor: str) -> frozenset:
    return _GROUP_KEYS.get(flavor) or GROUP_KEYS


def rule_keys(flavor: str) -> frozenset:
    return _RULE_KEYS.get(flavor) or RULE_KEYS


def file_keys(flavor: str) -> frozenset:
    return _FILE_KEYS.get(flavor) or FILE_KEYS


# each flavour's key sets, built once (RF001 asks for them on every rule)
_GROUP_KEYS = {f: (GROUP_KEYS | EXTRA_GROUP_KEYS.get(f, frozenset())) - MISSING_GROUP_KEYS.get(f, frozenset())
               for f in FLAVORS}
_RULE_KEYS = {f: RULE_KEYS | EXTRA_RULE_KEYS.get(f, frozenset()) for f in FLAVORS}
_FILE_KEYS = {f: FILE_KEYS | EXTRA_FILE_KEYS.get(f, frozenset()) for f in FLAVORS}


def owners(key: str, level: str) -> tuple[str, ...]:
    """The flavours that know `key` at `level` ("file", "group" or "rule"), in FLAVORS order."""
    return _OWNERS.get((level, key), ())


# (level, key) -> the flavours that add that key; detection asks for every key of every rule
_OWNERS = {}
for _level, _table in (("file", EXTRA_FILE_KEYS), ("group", EXTRA_GROUP_KEYS), ("rule", EXTRA_RULE_KEYS)):
    for _key in sorted(set().union(*_table.values())):
        _OWNERS[(_level, _key)] = tuple(f for f in FLAVORS if _key in _table.get(f, ()))


# Kubernetes kinds that hold rule groups in `spec`, and their flavour.
RESOURCE_FLAVORS = {
    ("operator.victoriametrics.com", "VMRule"): "vmalert",
    ("loki.grafana.com", "AlertingRule"): "loki",
    ("loki.grafana.com", "RecordingRule"): "loki",
    ("quero.com", "LokiRule"): "loki",
    ("monitoring.openshift.io", "AlertingRule"): "prometheus",
    ("monitoring.coreos.com", "PrometheusRule"): "prometheus",
    # Google Cloud Managed Service for Prometheus: rule groups evaluated as Prometheus does
    ("monitoring.googleapis.com", "Rules"): "prometheus",
    ("monitoring.googleapis.com", "ClusterRules"): "prometheus",
    ("monitoring.googleapis.com", "GlobalRules"): "prometheus",
}


def resource_flavor(obj: dict) -> str | None:
    """The flavour of a rule resource (`apiVersion` group + `kind`), or None."""
    api = obj.get("apiVersion")
    kind = obj.get("kind")
    if not isinstance(api, str) or not isinstance(kind, str):
        return None
    return RESOURCE_FLAVORS.get((api.split("/", 1)[0], kind))


def configured(policy: dict | None) -> str | None:
    rules = (policy or {}).get("rules")
    flavor = rules.get("flavor") if isinstance(rules, dict) else None
    return flavor if flavor in FLAVORS else None


def rule_flavor(doc, policy: dict | None) -> str:
    """The document's flavour (also stored on it as `doc.flavor`, with `doc.flavor_configured`
    True when the policy set it)."""
    flavor = configured(policy)
    doc.flavor_configured = flavor is not None
    if flavor is None:
        flavor = getattr(doc, "flavor_hint", None) or detect(doc.root)
    doc.flavor = flavor
    return flavor


def detect(root) -> str:
    """The flavour a rule file shows by its keys and expressions (prometheus when nothing tells)."""
    if not isinstance(root, dict):
        return "prometheus"
    groups = root.get("groups")
    groups = [g for g in groups if isinstance(g, dict)] if isinstance(groups, list) else []
    votes = {f: 0 for f in FLAVORS}
    seen: set = set()  # expressions already looked at (rule files repeat them)
    for g in groups:
        for key in g:
            for f in owners(key, "group"):
                votes[f] += 1
        rules = g.get("rules")
        if isinstance(rules, list):
            for r in rules:
                if isinstance(r, dict):
                    if not RULE_KEYS.issuperset(r):
                        for key in r:
                            for f in owners(key, "rule"):
                                votes[f] += 1
                    expr = r.get("expr")
                    if isinstance(expr, str) and expr not in seen:
                        seen.add(expr)
                        if looks_like_logql(expr):
                            return "loki"
                        if not votes["vmalert"] and _metricsql(expr):
                            votes["vmalert"] += 1
                    if not votes["vmalert"] and _vmalert_templates(r):
                        votes["vmalert"] += 1
    if votes["vmalert"]:
        return "vmalert"
    if votes["thanos"]:
        return "thanos"
    if "namespace" in root or votes["mimir"]:
        return "mimir"
    return "prometheus"


_VMALERT_VARIABLE = None


def _metricsql(expr: str) -> bool:
    """The expression uses what only MetricsQL has: one of its own functions, `WITH`,
    `keep_metric_names`, or VictoriaMetrics' `vmrange` histogram buckets. (A missing range
    window does not count: in a Prometheus file that is a mistake to report.)"""
    if "(" not in expr:
        return False
    hit = _SEEN.get(expr)
    if hit is not None:
        return hit
    _SEEN[expr] = hit = _uses_metricsql(expr)
    return hit


_SEEN: dict = {}


def _uses_metricsql(expr: str) -> bool:
    if "vmrange" in expr or "keep_metric_names" in expr or "WITH" in expr.upper()[:6]:
        return True
    from obslint.lang.metricsql import ONLY

    # the identifier before each "(": a backward scan is ~15x faster than a regex over the text
    at = 0
    for part in expr.split("(")[:-1]:
        at += len(part) + 1
        part = part.rstrip()
        start = len(part)
        while start and part[start - 1] in _IDENT:
            start -= 1
        name = part[start:].lower()
        if start < len(part) and name in ONLY:
            if name == "step" and expr.count("[", 0, at) > expr.count("]", 0, at):
                continue  # `[5m:step()]`: Prometheus' duration expression, not MetricsQL's step()
            return True
    return False


_IDENT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _vmalert_templates(rule: dict) -> bool:
    """Templates of the rule use a variable only vmalert predeclares (`$expr`, `$activeAt`, ...)."""
    global _VMALERT_VARIABLE
    for key in ("labels", "annotations"):
        mapping = rule.get(key)
        if not isinstance(mapping, dict):
            continue
        for value in mapping.values():
            if isinstance(value, str) and "{{" in value:
                if _VMALERT_VARIABLE is None:
                    import re

                    names = "|".join(sorted(v[1:] for v in VMALERT_TEMPLATE_VARIABLES))
                    _VMALERT_VARIABLE = re.compile(r"\$(?:" + names + r")\b")
                if _VMALERT_VARIABLE.search(value):
                    return True
    return False


def group_language(flavor: str, group: dict) -> str:
    """The language of a group's expressions: LogQL for Loki; for vmalert its `type`
    (graphite and vlogs are not parsed); PromQL otherwise."""
    if flavor == "loki":
        return LOGQL
    if flavor == "vmalert":
        t = group.get("type")
        if isinstance(t, str) and t.strip() and t.strip().lower() != "prometheus":
            return OTHER
    return PROMQL


def _duration(value) -> bool:
    import re

    return isinstance(value, str) and re.fullmatch(r"0|(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h|d|w|y))+", value) is not None


def _problem(key: str, value) -> str | None:
    """What is wrong with the value of a flavour's own group or rule key, or None."""
    if key == "partial_response_strategy":
        if not isinstance(value, str) or value.lower() not in ("warn", "abort"):
            return f"`partial_response_strategy` must be `warn` or `abort`, not {value!r}"
    elif key == "source_tenants":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return "`source_tenants` must be a list of tenant ids"
    elif key in ("evaluation_delay", "eval_offset", "eval_delay"):
        if not _duration(value):
            return f"`{key}: {value}` is not a duration"
    elif key in ("align_evaluation_time_on_interval", "eval_alignment", "debug"):
        if not isinstance(value, bool):
            return f"`{key}` must be true or false, not {value!r}"
    elif key == "concurrency":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"`{key}` must be a non-negative integer, not {value!r}"
    elif key == "update_entries_limit":  # -1 turns the state history off
        if not isinstance(value, int) or isinstance(value, bool) or value < -1:
            return f"`{key}` must be an integer of -1 or more, not {value!r}"
    elif key == "type":
        if value not in ("prometheus", "graphite", "vlogs"):
            return f"`type` must be `prometheus`, `graphite` or `vlogs`, not {value!r}"
    elif key in ("headers", "notifier_headers"):
        if not isinstance(value, list) or not all(isinstance(v, str) and ":" in v for v in value):
            return f"`{key}` must be a list of `Name: value` strings"
    elif key == "params":
        if not isinstance(value, dict) or not all(isinstance(v, (str, list)) for v in value.values()):
            return "`params` must map parameter names to values (lists of strings)"
    return None


def value_problems(flavor: str, data: dict, level: str):
    """(key, message) for each of the flavour's own keys in `data` whose value it refuses."""
    extra = (EXTRA_GROUP_KEYS if level == "group" else EXTRA_RULE_KEYS).get(flavor, ())
    for key in extra:
        if key in data:
            problem = _problem(key, data[key])
            if problem is not None:
                yield key, problem


def foreign_key_message(key: str, level: str, flavor: str) -> str | None:
    """`key is a vmalert key; Prometheus refuses the file` when another flavour knows it."""
    others = [f for f in owners(key, level) if f != flavor]
    if not others:
        return None
    names = " and ".join(dict.fromkeys(display(f) for f in others))
    return f"`{key}` is a {names} key; {display(flavor)} refuses the file"
