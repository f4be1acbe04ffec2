"""The policy's sections as checks read them (required alerts and dashboards, regexes and
thresholds given in the policy), and findings placed in the policy file. Reading the file is
obslint.policyload; the metric catalog obslint.metriccatalog; units and alert thresholds
obslint.thresholds."""
from __future__ import annotations

from obslint.config import ConfigError
from obslint.thresholds import parse_threshold


def alerts_policy(ctx) -> dict:
    a = (ctx.policy or {}).get("alerts")
    if isinstance(a, list):
        return {"required": a}
    return a if isinstance(a, dict) else {}


def alerts_base_path(ctx) -> tuple:
    return ("alerts",) if isinstance((ctx.policy or {}).get("alerts"), list) else ("alerts", "required")


def required_alerts(ctx) -> dict[str, tuple[tuple, dict]]:
    """Alert name -> (path in the policy, entry)."""
    if "policy.alerts" in ctx.cache:
        return ctx.cache["policy.alerts"]
    out = {}
    base = alerts_base_path(ctx)
    for i, e in enumerate(alerts_policy(ctx).get("required") or []):
        if isinstance(e, dict) and isinstance(e.get("name"), str):
            out.setdefault(e["name"], (base + (i,), e))
    ctx.cache["policy.alerts"] = out
    return out


def dashboards_policy(ctx) -> dict:
    d = (ctx.policy or {}).get("dashboards")
    return d if isinstance(d, dict) else {}


def required_dashboards(ctx) -> list[tuple[tuple, dict]]:
    out = []
    for i, e in enumerate(dashboards_policy(ctx).get("required") or []):
        if isinstance(e, dict) and isinstance(e.get("uid"), str):
            out.append((("dashboards", "required", i), e))
    return out


def policy_regex(ctx, path: tuple, pattern: str):
    memo = ctx.cache.setdefault("policy.regex", {})
    if pattern not in memo:
        from obslint import saferegex

        try:  # RE2: linear time whatever the pattern (`^(a+)+$` cannot hang a run)
            memo[pattern] = saferegex.compile(pattern)
        except saferegex.PatternError as exc:
            where = ".".join(str(p) for p in path)
            raise ConfigError(f"{policy_display(ctx)}: `{where}` is not a valid regular expression: {exc}") from None
    return memo[pattern]


def threshold_of(ctx, path: tuple, value) -> float:
    try:
        return parse_threshold(value)
    except ValueError as exc:
        where = ".".join(str(p) for p in path)
        raise ConfigError(f"{policy_display(ctx)}: `{where}`: {exc}") from None


def policy_display(ctx) -> str:
    """The policy file as findings name it: relative to the working directory at report time."""
    path = getattr(ctx.config, "path", None)
    if path is None:
        return "policy"
    from obslint.config import relative

    return relative(path)


def policy_position(ctx, path: tuple) -> tuple[int, int]:
    """Line and column of a node of the policy file (1, 1 when it cannot be told), found by
    the file's own locator, as in linted files."""
    doc = ctx.config.policy_document() if getattr(ctx.config, "path", None) is not None else None
    if doc is None:
        return 1, 1
    memo = ctx.cache.setdefault("policy.positions", {})
    key = tuple(path)
    if key not in memo:
        try:
            memo[key] = doc.locate(key)
        except Exception:  # noqa: BLE001 - a position is a nicety; the finding stays
            memo[key] = (1, 1)
    return memo[key]


def policy_finding(rule, ctx, path: tuple, message: str, *, fix: str | None = None, **context):
    """A finding that points into the policy file (for things that are missing from the tree)."""
    from obslint.findings import Finding

    line, col = policy_position(ctx, path)
    return Finding(code=rule.code, message=message, severity=rule.level, file=policy_display(ctx), line=line,
                   col=col, fix=fix, context=context)
