"""Regular expressions from the policy, matched in linear time.

A policy pattern such as `uid-pattern: '^(a+)+$'` makes Python's backtracking engine take
exponential time on a 40-character uid that almost matches. Policy patterns are compiled with
RE2 (`google-re2`), whose time is linear in the text, and which is also the dialect Prometheus
and Grafana speak. Where the binding is not installed, Python's engine is used but patterns
with a repetition inside a repetition (the shape that backtracks exponentially) are refused."""
from __future__ import annotations

try:  # pragma: no cover - depends on the platform's wheels
    import re2 as _re2
except ImportError:  # pragma: no cover
    _re2 = None


class PatternError(ValueError):
    """The pattern cannot be used: the message says why."""


def compile(pattern: str):  # noqa: A001 - the re module's name
    """An object with search/match/fullmatch, or PatternError."""
    if not isinstance(pattern, str):
        raise PatternError("not a string")
    if _re2 is not None:
        options = _re2.Options()
        options.log_errors = False  # the error is ours to report, in one line
        try:
            return _re2.compile(pattern, options)
        except Exception as exc:  # noqa: BLE001 - re2.error, and TypeError for odd input
            reason = exc.args[0] if exc.args else exc
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            raise PatternError(f"{reason} (patterns use RE2 syntax, as in Prometheus: no look-around or "
                               f"back-references)") from None
    import re

    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise PatternError(str(exc)) from None
    if _nested_repeat(pattern):
        raise PatternError("a repetition inside a repetition (like `(a+)+`) can take exponential time; "
                           "rewrite it, or install google-re2")
    return compiled


def _nested_repeat(pattern: str) -> bool:
    try:
        import re._parser as sre_parse  # Python 3.11+
    except ImportError:  # pragma: no cover
        import sre_parse  # type: ignore[no-redef]
    repeats = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, getattr(sre_parse, "POSSESSIVE_REPEAT", None)}
    stack = [(sre_parse.parse(pattern), 0)]
    while stack:
        items, depth = stack.pop()
        for op, arg in items:
            inner = depth + (op in repeats)
            if inner >= 2:
                return True
            for part in arg if isinstance(arg, (list, tuple)) else ():
                if isinstance(part, sre_parse.SubPattern):
                    stack.append((part, inner))
                elif isinstance(part, (list, tuple)):
                    stack.extend((p, inner) for p in part if isinstance(p, sre_parse.SubPattern))
    return False
