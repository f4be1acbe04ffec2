"""Rules register themselves by subclassing `Rule`; the registry imports every module in
`obslint.checks` once, so a new rule is one new module and nothing else."""
from __future__ import annotations

import os

from obslint.findings import Finding, Severity

TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Any, ClassVar

    from obslint.document import Document

_RULES: dict[str, type["Rule"]] = {}
_LOADED = False

# The hooks the engine calls, in this order, for every rule that defines them. A
# `check_query` may read the query's `expr`, `origin`, `grafana`, its owner's `is_alert`, its
# file and the run-wide context, and must not depend on anything else: the engine skips a
# query that matches, in all of these, one already checked without findings in the same file.
HOOKS = ("check_document", "check_group", "check_rule", "check_alert", "check_dashboard", "check_panel",
         "check_grafana_rule", "check_query", "check_project")


class Rule:
    """Base of every rule. Subclasses set `code`, `name`, `severity`, `summary` and a
    docstring (markdown with `Bad`/`Good` examples, shown by `obslint explain`)."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.ERROR
    summary: ClassVar[str] = ""
    # Default options; users override them under `checks.options.<code or name>`.
    options: ClassVar[dict[str, Any]] = {}
    # Rules that need a policy section run only when the policy has it.
    needs_policy: ClassVar[bool] = False

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.code:
            if cls.code in _RULES and _RULES[cls.code] is not cls:
                raise RuntimeError(f"rule code {cls.code} registered twice")
            _RULES[cls.code] = cls

    def __init__(self, options: dict[str, Any] | None = None, severity: Severity | None = None) -> None:
        self.opts = {**self.options, **(options or {})}
        self.level = severity or self.severity

    def finding(self, doc: "Document", node: tuple, message: str, *, fix: str | None = None,
                at_key: bool = False, scope: tuple | None = None, severity: Severity | None = None,
                **context: Any) -> Finding:
        return Finding(code=self.code, message=message, severity=severity or self.level,
                       file=doc.source.display, fix=fix, doc=doc, node=tuple(doc.base) + tuple(node),
                       at_key=at_key, scope=None if scope is None else tuple(doc.base) + tuple(scope),
                       context=context)


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


def load_all() -> dict[str, type[Rule]]:
    global _LOADED
    if not _LOADED:
        import obslint.checks as pkg

        for name in check_modules(pkg.__path__):
            __import__(f"{pkg.__name__}.{name}")
        _LOADED = True
    return dict(sorted(_RULES.items()))


def get(code_or_name: str) -> type[Rule] | None:
    rules = load_all()
    key = code_or_name.strip()
    if key.upper() in rules:
        return rules[key.upper()]
    for rule in rules.values():
        if rule.name == key:
            return rule
    return None


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
