"""What a document is, decided by its content (never by its file name, except the policy)."""
from __future__ import annotations

import json

from obslint.document import Document

DASHBOARD = "grafana-dashboard"
PROM_RULES = "prometheus-rules"
GRAFANA_ALERTING = "grafana-alerting"
DASHBOARD_PROVIDER = "grafana-dashboard-provider"
DATASOURCES = "grafana-datasources"
PROMTOOL_TEST = "promtool-test"
PROMETHEUS_CONFIG = "prometheus-config"
ALERTMANAGER_CONFIG = "alertmanager-config"

_GRAFANA_ALERTING_KEYS = ("contactPoints", "policies", "templates", "muteTimes", "deleteRules",
                          "deleteContactPoints", "deleteTemplates", "deleteMuteTimes", "resetPolicies")


# A template action standing where YAML needs structure: on a line of its own (`{{- if ... }}`)
# or as an unquoted value (`for: {{ .for }}`). Actions inside quoted strings (alert
# annotations' `{{ $labels.x }}`) are text, and do not count.
_TEMPLATE_ACTION = None


_HELM_ACTION = None


def templated(text: str, helm: bool = False):
    """(line, column, action) of the first Go-template action that makes `text` a template
    rather than YAML or JSON (Helm charts), or None. With `helm`, only actions that are
    Helm's (`.Values`, `.Release`, `include`, `if`/`range`/`end`...), for a text that parsed:
    an alert annotation's unquoted `{{ $labels.x }}` stays the user's mistake to report."""
    global _TEMPLATE_ACTION, _HELM_ACTION
    if "{{" not in text:
        return None
    if _TEMPLATE_ACTION is None:
        import re

        _TEMPLATE_ACTION = re.compile(r"^([ \t]*(?:-[ \t]+)?(?:[\w.-]+:[ \t]+|\"[\w.-]+\":[ \t]*)?)(\{\{-?.*?-?\}\})",
                                      re.M)
    if helm and _HELM_ACTION is None:
        import re

        _HELM_ACTION = re.compile(r"\{\{-?\s*(?:if|else|end|range|with|define|include|template|toYaml|tpl)\b|"
                                  r"\.(?:Values|Release|Chart|Capabilities)\b")
    m = None
    for m in _TEMPLATE_ACTION.finditer(text):
        if not helm or _HELM_ACTION.search(m.group(2)):
            break
    else:
        m = None
    if m is None:
        return None
    line = text.count("\n", 0, m.start()) + 1
    action = m.group(2)
    return line, len(m.group(1)) + 1, action if len(action) <= 60 else action[:57] + "..."


def is_dashboard(obj) -> bool:
    if not isinstance(obj, dict):
        return False
    has_layout = isinstance(obj.get("panels"), list) or isinstance(obj.get("rows"), list)
    return has_layout and ("title" in obj or "schemaVersion" in obj or "uid" in obj or "templating" in obj)


_GENERATOR_REASON = ("a dashboard generator's template (its panels name a `class` of the generator instead of a "
                     "`type`), not a Grafana dashboard until the generator expands it")


def _generator_template(obj: dict) -> bool:
    """A template of a dashboard generator (ScyllaDB's make_dashboards.py): the dashboard and its
    rows and panels carry `class`, which the generator replaces with the classes' fields. Grafana's
    model has no `class` key; such a file is not a dashboard yet."""
    if "class" not in obj or "type" in obj:
        return False
    for row in obj.get("rows") or obj.get("panels") or ():
        if not isinstance(row, dict):
            continue
        for panel in row.get("panels") or (row,):
            if isinstance(panel, dict) and "class" in panel and "type" not in panel:
                return True
    return False


def _is_grafana_alerting(obj: dict) -> bool:
    if "apiVersion" not in obj:
        return False
    if any(k in obj for k in _GRAFANA_ALERTING_KEYS):
        return True
    groups = obj.get("groups")
    if not isinstance(groups, list):
        return False
    for g in groups:
        if isinstance(g, dict):
            if "folder" in g or "orgId" in g:
                return True
            for r in g.get("rules") or []:
                if isinstance(r, dict) and ("data" in r or "uid" in r or "condition" in r):
                    return True
    return False


def _has_test_groups(tests) -> bool:
    """promtool test groups (a test file may omit `rule_files`)."""
    return isinstance(tests, list) and any(
        isinstance(t, dict) and ("input_series" in t or "alert_rule_test" in t or "promql_expr_test" in t)
        for t in tests)


def _is_alertmanager(obj: dict) -> bool:
    from obslint.alertmanager import is_config  # only for documents with `route` or `receivers`

    return is_config(obj)


def classify(doc: Document) -> list[Document]:
    """Set doc.kind/base; returns any extra documents found inside it (ConfigMap dashboards)."""
    obj = doc.data
    if isinstance(obj, list) or isinstance(obj, dict) and ("kind" in obj or "model" in obj):
        from obslint import resources  # Grafana 12 resources, operator CRs, library panels, Perses

        found = resources.classify(doc)
        if found is not None:
            return found
    if not isinstance(obj, dict):
        if isinstance(obj, list) and obj and all(isinstance(g, dict) and "name" in g and "rules" in g for g in obj):
            doc.skip_reason = ("a bare list of rule groups (deckhouse's modules wrap them into PrometheusRule "
                               "resources), not a rule file Prometheus loads: lint the rendered resources")
        return []
    if "elements" in obj and "layout" in obj:
        from obslint import resources

        found = resources.bare_v2(doc)
        if found is not None:
            return found
    if is_dashboard(obj):
        if _generator_template(obj):
            doc.skip_reason = _GENERATOR_REASON
        else:
            doc.kind = DASHBOARD
    elif isinstance(obj.get("dashboard"), dict) and is_dashboard(obj["dashboard"]):
        if _generator_template(obj["dashboard"]):
            doc.skip_reason = _GENERATOR_REASON
        else:
            doc.kind, doc.base = DASHBOARD, ("dashboard",)
    elif obj.get("kind") == "PrometheusRule" and isinstance(obj.get("spec"), dict):
        doc.kind, doc.base = PROM_RULES, ("spec",)
    elif isinstance(obj.get("spec"), dict) and "groups" in obj["spec"] and _rule_resource(doc, obj):
        doc.kind, doc.base = PROM_RULES, ("spec",)
    elif obj.get("kind") == "ConfigMap" and isinstance(obj.get("data"), dict):
        return _configmap(doc, obj["data"])
    elif obj.get("kind") in ("List", "ConfigMapList") and isinstance(obj.get("items"), list):
        return _configmap_list(doc, obj["items"])
    elif _other_object(obj):
        pass  # a Kubernetes-style object of another tool (an OpenShift SCC's `groups`, Kyverno's `policies`)
    elif "groups" in obj and _is_grafana_alerting(obj) or any(k in obj for k in _GRAFANA_ALERTING_KEYS) and "apiVersion" in obj:
        doc.kind = GRAFANA_ALERTING
    elif "groups" in obj and _rule_groups(obj["groups"]) and "scrape_configs" not in obj:
        doc.kind = PROM_RULES
    elif "providers" in obj and "apiVersion" in obj:
        doc.kind = DASHBOARD_PROVIDER
    elif ("datasources" in obj or "deleteDatasources" in obj) and "apiVersion" in obj:
        doc.kind = DATASOURCES
    elif ("route" in obj or "receivers" in obj) and _is_alertmanager(obj):
        doc.kind = ALERTMANAGER_CONFIG
    elif "tests" in obj and ("rule_files" in obj or _has_test_groups(obj["tests"])):
        doc.kind = PROMTOOL_TEST
    elif "scrape_configs" in obj or ("rule_files" in obj and "global" in obj):
        doc.kind = PROMETHEUS_CONFIG
    return []


def _other_object(obj: dict) -> bool:
    """A Kubernetes-style object none of the checks above took: a `kind`, or an `apiVersion` of
    the form `group/version`. Rule files, Prometheus, Alertmanager and Grafana provisioning files
    have neither (Grafana's `apiVersion` is the number 1)."""
    api = obj.get("apiVersion")
    return isinstance(obj.get("kind"), str) or isinstance(api, str) and "/" in api


def _rule_groups(groups) -> bool:
    """Whether a top-level `groups` is a rule file's: empty, or a group has `rules`, or every
    group has only keys some ruler knows (`name`, `interval`, ...). Keycloak realms, Kubernetes
    SecurityContextConstraints and site data files have a `groups` list of their own."""
    if groups is None or groups == []:
        return True
    if not isinstance(groups, list):
        return False
    dicts = [g for g in groups if isinstance(g, dict)]
    if any("rules" in g for g in dicts):
        return True
    if not dicts or len(dicts) != len(groups):
        return False
    from obslint.lang.flavor import ANY_GROUP_KEYS

    return all(ANY_GROUP_KEYS.issuperset(g) for g in dicts)


def _rule_resource(doc: Document, obj: dict) -> bool:
    """Rule groups in a resource other than PrometheusRule: VictoriaMetrics `VMRule`, Loki
    operator `AlertingRule`/`RecordingRule`, `LokiRule`, OpenShift `AlertingRule`."""
    from obslint.lang.flavor import resource_flavor

    flavor = resource_flavor(obj)
    if flavor is None:
        return False
    doc.flavor_hint = flavor
    return True


def _configmap_list(doc: Document, items: list) -> list[Document]:
    """The dashboards of the ConfigMaps of a `kind: List` / `ConfigMapList` (what `kubectl get
    -o yaml` writes, and how kube-prometheus ships its dashboards)."""
    out = []
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("kind") == "ConfigMap" and isinstance(item.get("data"), dict):
            out.extend(_configmap(doc, item["data"], ("items", i)))
    return out


def _configmap(doc: Document, data: dict, base: tuple = ()) -> list[Document]:
    out = []
    for key, value in data.items():
        if not isinstance(value, str) or not value.lstrip().startswith("{"):
            continue
        try:
            inner = json.loads(value)
        except (ValueError, RecursionError):
            continue
        sub = Document(doc.source, doc.index, inner, parent=doc, parent_path=(*base, "data", key), text=value,
                       label=f"{'.'.join(map(str, base))}{'.' if base else ''}data.{key}")
        if is_dashboard(inner):
            sub.kind = DASHBOARD
            out.append(sub)
    if out:
        doc.kind = "configmap"
    return out
