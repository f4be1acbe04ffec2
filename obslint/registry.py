"""Rules register themselves by subclassing `Rule`; the registry imports every module in
`obslint.checks` once, so a new rule is one new module and nothing else.

A rule's metadata is declarative: `code`, `name`, `severity`, `summary`, `options` (defaults)
and their JSON Schema (`options_schema`, derived from the defaults unless given),
`needs_policy`, and `applies_to` (the document kinds its `check_document` hook sees).
`table()` is the one code table that `obslint rules`, `explain`, SARIF and the README read."""
from __future__ import annotations

import os

from obslint.findings import Finding, Severity

# The code families: prefix -> (SARIF tag, what the family checks). The README's family table,
# the code table in docs/rules.md and SARIF's rule tags are made from this (a test holds them).
FAMILIES = {
    "IN": ("input", "the file itself: unreadable, not UTF-8, syntax errors, duplicate keys, too large or too deep, "
                    "templated"),
    "PQ": ("promql", "PromQL and MetricsQL: syntax in the query's dialect, hygiene, label flow, dead expressions"),
    "LQ": ("logql", "LogQL (Loki) queries of dashboards and Loki ruler files"),
    "RF": ("rule-file", "rule files as Prometheus, Thanos, Mimir/Cortex, vmalert or the Loki ruler load them"),
    "UT": ("rule-tests", "promtool unit-test files and alert test coverage"),
    "DB": ("dashboard", "dashboards: what Grafana refuses or breaks, uids, panels, layout, variables, units"),
    "RS": ("grafana-resource", "Grafana 12 dashboard resources (v0/v1/v2), operator CRs, library panels"),
    "DS": ("datasource", "datasource references against the provisioned datasources"),
    "GA": ("grafana-alerting", "Grafana alerting provisioning files"),
    "PV": ("provisioning", "dashboard-provider provisioning files"),
    "AL": ("alert-quality", "alert quality: conditions, thresholds, for, labels, annotations, templates"),
    "PL": ("policy", "the team policy: metric catalog, thresholds, required content, pinned uids"),
    "XF": ("cross-file", "consistency across files: Prometheus and Grafana alerts, dashboards and rules"),
    "AM": ("alertmanager", "Alertmanager configuration as amtool loads it, and alert routing"),
    "PR": ("probe", "`obslint probe`: the queries run against a live Prometheus"),
    "SU": ("suppression", "suppressions and policy ignore entries that silence nothing"),
}


def family(code: str) -> tuple[str, str]:
    """(tag, description) of a code's family."""
    return FAMILIES.get(code[:2], (code[:2].lower(), ""))


def families_table() -> str:
    """The family table as Markdown (README.md, docs/rules.md)."""
    rows = ["| prefix | what |", "|---|---|"]
    rows += [f"| `{prefix}` | {what} |" for prefix, (_tag, what) in FAMILIES.items()]
    return "\n".join(rows)


def rules_document() -> str:
    """docs/rules.md: the family table and the code table, made from the rules themselves."""
    return ("# Checks\n\nGenerated from the rules by `obslint rules --format markdown` (a test keeps this file "
            "current); `obslint explain CODE` prints a check's documentation.\n\n## Families\n\n"
            + families_table() + "\n\n## Codes\n\n" + markdown_table() + "\n")


def markdown_table(rules=None) -> str:
    """The code table as Markdown: one row per rule (docs/rules.md, `obslint rules --format markdown`)."""
    rows = ["| code | name | severity | fix | summary |", "|---|---|---|---|---|"]
    for r in (load_all().values() if rules is None else rules):
        summary = r.summary.replace("|", "\\|")
        rows.append(f"| `{r.code}` | {r.name} | {r.severity} | {r.fixable or ''} | {summary} |")
    return "\n".join(rows)


_RULES: dict = {}  # code -> Rule subclass
_LOADED = False

# The hooks the engine calls, in this order, for every rule that defines them. A
# `check_query` may read the query's `expr`, `origin`, `grafana`, its owner's `is_alert`, its
# file and the run-wide context, and must not depend on anything else: the engine skips a
# query that matches, in all of these, one already checked without findings in the same file
# (QUERY_KEY below is that contract in code).
HOOKS = ("check_document", "check_group", "check_rule", "check_alert", "check_dashboard", "check_panel",
         "check_grafana_rule", "check_query", "check_project")


def query_key(query, src) -> tuple:
    """What a `check_query` may depend on: equal keys, equal findings."""
    return (query.expr, query.origin, query.grafana, query.language, query.dialect,
            getattr(query.owner, "is_alert", None), id(src))


class Rule:
    """Base of every rule. Subclasses set `code`, `name`, `severity`, `summary` and a
    docstring (markdown with `Bad`/`Good` examples, shown by `obslint explain`)."""

    code = ""
    name = ""
    severity = Severity.ERROR
    summary = ""
    # Default options; users override them under `checks.options.<code or name>`.
    options: dict = {}
    # JSON Schema of the options mapping; None: derived from the defaults (`option_schema()`).
    options_schema: dict | None = None
    # Rules that need a policy section run only when the policy has it.
    needs_policy = False
    # Document kinds `check_document` is called for; None: every kind.
    applies_to: tuple | None = None
    # Whether findings may carry an automatic fix (`--fix`): None, "safe" or "unsafe"
    # (fixes.SAFE / fixes.UNSAFE: unsafe ones change behaviour and need `--unsafe-fixes`).
    fixable: str | None = None

    def __init_subclass__(cls, **kw) -> None:
        super().__init_subclass__(**kw)
        if cls.code:
            if cls.code in _RULES and _RULES[cls.code] is not cls:
                raise RuntimeError(f"rule code {cls.code} registered twice")
            _RULES[cls.code] = cls

    def __init__(self, options: dict | None = None, severity: Severity | None = None) -> None:
        self.opts = {**self.options, **(options or {})}
        self.level = severity or self.severity

    def finding(self, doc, node: tuple, message: str, *, fix: str | None = None,
                at_key: bool = False, scope: tuple | None = None, severity: Severity | None = None,
                autofix=None, **context) -> Finding:
        """A finding at a node of a document (placed lazily, only when reported). `autofix`:
        a fixes.Fix whose edits are made only when asked for (see obslint/fixes.py)."""
        return Finding(code=self.code, message=message, severity=severity or self.level,
                       file=doc.source.display, fix=fix, doc=doc, node=tuple(doc.base) + tuple(node),
                       at_key=at_key, scope=None if scope is None else tuple(doc.base) + tuple(scope),
                       context=context, autofix=autofix)

    def fix_for(self, finding, source):
        """A Fix for a finding made with a fixed position (no document), or None; rules whose
        fixes need the file rather than a node (IN006) define it."""
        return None

    def at(self, file: str, message: str, line: int = 1, col: int = 1, fix: str | None = None) -> Finding:
        """A finding at a known position of a file (input problems, suppressions, the engine's own)."""
        return Finding(code=self.code, message=message, severity=self.level, file=file, line=line, col=col,
                       fix=fix)

    @classmethod
    def option_schema(cls) -> dict:
        """The JSON Schema options are validated with: given, or one property per default."""
        if cls.options_schema is not None:
            return cls.options_schema
        return {"type": "object", "additionalProperties": False,
                "properties": {k: _value_schema(v) for k, v in cls.options.items()}}


def _value_schema(value) -> dict:
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, (int, float)):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, (list, tuple)):
        return {"type": "array", "items": _value_schema(value[0]) if value else {"type": "string"}}
    if isinstance(value, dict):
        return {"type": "object"}
    return {}


class Emitter(list):
    """Collects findings with fixed positions for one file, each made by its active rule
    (`rules`: code -> Rule instance); a code whose rule is not active is dropped. Without
    `rules` every code is made by its rule at its default severity (library use)."""

    def __init__(self, file: str, rules: dict | None = None) -> None:
        super().__init__()
        self.file = file
        self.rules = rules

    def add(self, code: str, message: str, line: int = 1, col: int = 1, fix: str | None = None,
            severity=None) -> None:
        if self.rules is None:
            rule = rule_class(code)()
        else:
            rule = self.rules.get(code)
            if rule is None:
                return
        f = rule.at(self.file, message, line, col, fix)
        if severity is not None:  # as Rule.finding's: the finding's own severity
            f.severity = severity
        self.append(f)


def check_modules(path) -> list[str]:
    """Names of the modules in the checks package directories, sorted: every `NAME.py` (and
    package directory with an `__init__.py`) whose name is an identifier. A directory listing
    instead of `pkgutil.iter_modules`, whose import alone costs more than the listing."""
    names = set()
    for d in path:
        try:
            entries = os.listdir(d)
        except OSError:
            continue
        for entry in entries:
            if entry.endswith(".py"):
                name = entry[:-3]
            elif "." not in entry and os.path.isfile(os.path.join(d, entry, "__init__.py")):
                name = entry
            else:
                continue
            if name.isidentifier() and name != "__init__":
                names.add(name)
    return sorted(names)


def load_all() -> dict:
    """code -> Rule subclass, sorted by code."""
    global _LOADED
    if not _LOADED:
        import obslint.checks as pkg

        for name in check_modules(pkg.__path__):
            __import__(f"{pkg.__name__}.{name}")
        _LOADED = True
    return dict(sorted(_RULES.items()))


def rule_class(code: str):
    """The Rule subclass registered for a code (KeyError for an unknown one: a bug)."""
    rules = _RULES if _LOADED else load_all()
    return rules[code]


def table() -> list[dict]:
    """The code table: one row per rule, in code order."""
    return [{"code": r.code, "name": r.name, "severity": str(r.severity), "summary": r.summary,
             "needs_policy": r.needs_policy, "options": dict(r.options), "fix": r.fixable,
             "applies_to": list(r.applies_to) if r.applies_to else None}
            for r in load_all().values()]


def get(code_or_name: str):
    rules = load_all()
    key = code_or_name.strip()
    if key.upper() in rules:
        return rules[key.upper()]
    for rule in rules.values():
        if rule.name == key:
            return rule
    return None


def unknown(selectors) -> list[str]:
    """The selectors (codes, prefixes, names, ALL) that name no check."""
    known = load_all()
    return [s for s in selectors if s.strip().upper() != "ALL" and not any(matches(c, [s]) for c in known)]


def matches(code: str, selectors) -> bool:
    """True when a code is named by one of the selectors: a full code, a prefix (`RF`), a name, or ALL."""
    for s in selectors:
        s = s.strip()
        if not s:
            continue
        if s.upper() == "ALL" or code.startswith(s.upper()):
            return True
        rule = _RULES.get(code)
        if rule is not None and rule.name == s:
            return True
    return False


def option_errors(name: str, options) -> list[str]:
    """Problems with `checks.options.<name>`: unknown keys (with a suggestion) and values
    the rule's option schema rejects."""
    rule = get(name)
    if rule is None:
        return []
    schema = rule.option_schema()
    if not isinstance(options, dict):
        return [f"options of {name} must be a mapping"]
    props = schema.get("properties", {})
    out = []
    if schema.get("additionalProperties") is False:
        from obslint.suggest import closest

        for key in options:
            if key not in props:
                near = closest(str(key), props)
                hint = f"; did you mean `{near}`?" if near else (
                    f" (known: {', '.join(sorted(props))})" if props else f" ({rule.code} takes no options)")
                out.append(f"unknown option `{key}` for {rule.code} ({rule.name}){hint}")
    if out:
        return out
    import jsonschema_rs

    for err in jsonschema_rs.validator_for(schema).iter_errors(options):
        where = ".".join(str(p) for p in err.instance_path)
        out.append(f"option {where or '(all)'} of {rule.code} ({rule.name}): {err.message}")
    return out
