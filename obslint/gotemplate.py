"""A parse-level check of Go text/template strings, as Prometheus applies to alert labels
and annotations: balanced actions and control blocks, defined variables and functions."""
from __future__ import annotations

import re
from functools import lru_cache

BUILTINS = {"and", "or", "not", "len", "index", "slice", "print", "printf", "println", "html", "js",
            "urlquery", "eq", "ne", "lt", "le", "gt", "ge", "call"}
PROMETHEUS_FUNCS = {"query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml",
                    "match", "title", "toUpper", "toLower", "graphLink", "tableLink", "sortByLabel",
                    "humanize", "humanize1024", "humanizeDuration", "humanizePercentage",
                    "humanizeTimestamp", "toTime", "toDuration", "pathPrefix", "externalURL",
                    "parseDuration", "now", "stripPort", "stripDomain", "urlUnescape", "pathEscape"}
PREDECLARED = {"$", "$labels", "$value", "$externalLabels", "$externalURL"}
_PROMETHEUS_ALL = frozenset(BUILTINS | PROMETHEUS_FUNCS)
_KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
             "nil", "true", "false"}
_OPENERS = {"if", "range", "with", "define", "block"}

# Compiled on first use (~0.5 ms, and most runs check no template): see _token().
_TOKEN_PATTERN = r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\\n]|\\.)+')
  | (?P<var>\$[A-Za-z0-9_]*)
  | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
  | (?P<num>[-+]?(?:0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>:=|=|\||\(|\)|,)
"""
_TOKEN = None


def _token() -> re.Pattern:
    global _TOKEN
    if _TOKEN is None:
        _TOKEN = re.compile(_TOKEN_PATTERN, re.X)
    return _TOKEN


def check(text: str, functions: set[str] | None = None, variables=None) -> str | None:
    """Return the first problem Go's template parser would report, or None. `variables`:
    names predeclared besides Prometheus' (vmalert's `$expr`, `$activeAt`, ...)."""
    if "{{" not in text:
        return None
    if functions is None and variables is None:
        return _check_prometheus(text)  # the same few templates recur across hundreds of alerts
    return _check(text, None if functions is None else frozenset(functions), variables)


@lru_cache(maxsize=4096)
def _check_prometheus(text: str) -> str | None:
    return _check(text, None)


def _check(text: str, functions, variables=None) -> str | None:
    funcs = _PROMETHEUS_ALL if functions is None else BUILTINS | functions
    declared = set(PREDECLARED)
    if variables:
        declared.update(variables)
    stack: list[str] = []
    i = 0
    n = len(text)
    while True:
        start = text.find("{{", i)
        if start == -1:
            break
        j = start + 2
        if text.startswith("- ", j) or text.startswith("-\t", j) or text.startswith("-\n", j):
            j += 2
        if text.startswith("/*", j):
            end_comment = text.find("*/", j + 2)
            if end_comment == -1:
                return "unclosed comment"
            close = text.find("}}", end_comment)
            if close == -1 or text[end_comment + 2:close].strip(" -") != "":
                return "comment ends before closing delimiter"
            i = close + 2
            continue
        tokens, end, err = _lex_until_close(text, j)
        if err:
            return err
        i = end
        err = _check_action(tokens, funcs, declared, stack)
        if err:
            return err
    if stack:
        return f"unexpected EOF: `{{{{ {stack[-1]} }}}}` has no matching `{{{{ end }}}}`"
    return None


def _lex_until_close(text: str, pos: int):
    """`_lex_action`, through a cache of action texts: alert templates repeat the same few
    actions (`$labels.instance`, `$value | humanize`) thousands of times (5,835 actions, 289
    distinct, in the corpus rule files). The action is taken to end at the next `}}`; when
    the lexer does not end exactly there (a `}}` inside a string, an error), the text is
    lexed in place instead."""
    close = text.find("}}", pos)
    if close != -1:
        tokens, end, err = _lex_cached(text[pos:close])
        if err is None and end == close - pos + 2:
            return tokens, close + 2, None
    return _lex_action(text, pos)


@lru_cache(maxsize=2048)
def _lex_cached(action: str):
    tokens, end, err = _lex_action(action + "}}", 0)
    return (None if tokens is None else tuple(tokens)), end, err


def _lex_action(text: str, pos: int):
    token = _TOKEN or _token()
    tokens = []
    n = len(text)
    depth = 0
    while pos < n:
        if text.startswith("}}", pos) and depth >= 0:
            return tokens, pos + 2, None
        if text.startswith("-}}", pos) and tokens is not None and text[pos - 1:pos].isspace():
            return tokens, pos + 3, None
        m = token.match(text, pos)
        if not m:
            ch = text[pos]
            if ch in "\"`'":
                return None, pos, "unterminated quoted string"
            return None, pos, f"unexpected {ch!r} in action"
        kind = m.lastgroup
        if kind != "ws":
            tokens.append((kind, m.group()))
        pos = m.end()
    return None, pos, "unclosed action (missing `}}`)"


def _check_action(tokens, funcs, declared, stack) -> str | None:
    if not tokens:
        return "missing value for command"
    first_kind, first = tokens[0]
    if first_kind == "ident" and first in ("end",):
        if not stack:
            return "unexpected {{end}}"
        stack.pop()
        return None
    if first_kind == "ident" and first == "else":
        if not stack or stack[-1] not in ("if", "range", "with"):
            return "unexpected {{else}}"
        rest = tokens[1:]
        if rest and rest[0] == ("ident", "if"):
            rest = rest[1:]
        elif rest and rest[0] == ("ident", "with"):
            rest = rest[1:]
        return _check_pipeline(rest, funcs, declared) if rest else None
    if first_kind == "ident" and first in _OPENERS:
        stack.append(first)
        rest = tokens[1:]
        if first in ("define", "block"):
            if not rest or rest[0][0] not in ("str", "raw"):
                return f"{first} requires a quoted template name"
            rest = rest[1:]
            if first == "define":
                return None
        if not rest and first != "block":
            return f"missing value for {first}"
        return _check_pipeline(rest, funcs, declared)
    if first_kind == "ident" and first == "template":
        rest = tokens[1:]
        if not rest or rest[0][0] not in ("str", "raw"):
            return "template requires a quoted template name"
        return _check_pipeline(rest[1:], funcs, declared) if len(rest) > 1 else None
    if first_kind == "ident" and first in ("break", "continue"):
        return None if "range" in stack else f"{{{{{first}}}}} outside {{{{range}}}}"
    return _check_pipeline(tokens, funcs, declared)


def _check_pipeline(tokens, funcs, declared) -> str | None:
    # Declarations: `$x := ...` or `$x, $y := ...`
    for idx, (kind, val) in enumerate(tokens):
        if kind == "op" and val in (":=", "="):
            for k, v in tokens[:idx]:
                if k == "var":
                    if val == "=" and v not in declared:
                        return f'undefined variable "{v}"'
                    declared.add(v)
            tokens = tokens[idx + 1:]
            break
    depth = 0
    for kind, val in tokens:
        if kind == "op":
            if val == "(":
                depth += 1
                continue
            if val == ")":
                depth -= 1
                if depth < 0:
                    return "unexpected right paren"
                continue
            if val == "|":
                continue
            if val in (":=", "="):
                return f"unexpected {val!r} in operand"
            continue
        if kind == "var":
            base = val.split(".")[0]
            if base not in declared:
                return f'undefined variable "{base}"'
        elif kind == "ident":
            if val in ("nil", "true", "false"):
                continue
            if val in _KEYWORDS:
                return f"unexpected keyword {val!r} in command"
            if val not in funcs:
                return f'function "{val}" not defined'
    if depth > 0:
        return "unclosed left paren"
    return None
