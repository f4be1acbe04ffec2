"""LogQL (Loki) syntax: a tokenizer that reads the text as Loki's lexer does, an LALR
grammar for lark, and the checks Loki makes right after parsing.

What Loki's lexer does that a plain grammar cannot (`pkg/logql/syntax/lex.go`): keywords
are case-insensitive; a function word (`rate`, `sum`, `bytes`, ...) is a function only
when `(` (or `by (`/`without (`) follows, else a label name; `[...]` is one range token
holding a Prometheus duration; a number directly followed by a unit is a duration
(`250ms`, `1.5h`) or a byte size (`20MB`, `1KiB`); `#` starts a comment.

The grammar follows Loki's `syntax.y` in structure (log queries: a selector and pipeline
stages; metric queries: range aggregations over log ranges, vector aggregations, binary
operations, literals, `vector()`, `label_replace()`), written anew. It is compiled once,
on the first LogQL query of a run: lark is not imported on a run without LogQL.
"""
from __future__ import annotations

import re

# --- tokens --------------------------------------------------------------------------

_RANGE_FUNCS = {"rate", "rate_counter", "count_over_time", "bytes_rate", "bytes_over_time", "avg_over_time",
                "sum_over_time", "min_over_time", "max_over_time", "stdvar_over_time", "stddev_over_time",
                "quantile_over_time", "first_over_time", "last_over_time", "absent_over_time"}
_VECTOR_FUNCS = {"sum", "avg", "count", "max", "min", "stddev", "stdvar", "bottomk", "topk", "sort", "sort_desc",
                 "approx_topk"}
_CONVERSIONS = {"bytes", "duration", "duration_seconds"}
_KEYWORDS = {"by": "BY", "without": "WITHOUT", "bool": "BOOL", "offset": "OFFSET", "on": "ON",
             "ignoring": "IGNORING", "group_left": "GROUP_LEFT", "group_right": "GROUP_RIGHT", "or": "OR",
             "and": "AND", "unless": "UNLESS", "json": "JSON", "regexp": "REGEXP", "logfmt": "LOGFMT",
             "unpack": "UNPACK", "pattern": "PATTERN", "label_format": "LABEL_FMT", "line_format": "LINE_FMT",
             "ip": "IP", "decolorize": "DECOLORIZE", "drop": "DROP", "keep": "KEEP", "unwrap": "UNWRAP",
             "label_replace": "LABEL_REPLACE"}
_PUNCT = {"|=": "PIPE_EXACT", "|~": "PIPE_MATCH", "|>": "PIPE_PATTERN", "!=": "NEQ", "!~": "NRE", "!>": "NPA",
          "=~": "RE", "==": "CMP_EQ", ">=": "GTE", "<=": "LTE", ">": "GT", "<": "LT", "=": "EQ", "|": "PIPE",
          "(": "LPAR", ")": "RPAR", "{": "LBRACE", "}": "RBRACE", ",": "COMMA", "+": "ADD", "-": "SUB",
          "*": "MUL", "/": "DIV", "%": "MOD", "^": "POW", ".": "DOT"}
_TERMINALS = sorted(set(_KEYWORDS.values()) | set(_PUNCT.values()) |
                    {"RANGE_FN", "VECTOR_FN", "CONV", "VECTOR", "STRING", "NUMBER", "DURATION", "BYTES", "RANGE",
                     "IDENT", "FLAG"})

_TOKEN_PATTERN = r"""
    (?P<ws>\s+) | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|`[^`]*`)
  | (?P<range>\[[^\]]*\])
  | (?P<flag>--(?:strict|keep-empty)\b)
  | (?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)(?P<suffix>[0-9A-Za-zµ.]*)
  | (?P<ident>[^\W\d]\w*)
  | (?P<punct>\|[=~>]|![=~>]|=~|==|>=|<=|[|(){},+\-*/%^<>=.])
"""
_TOKEN = None  # compiled on first use
_GO_DURATION = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?(?:ns|us|µs|ms|s|m|h|d|w|y))+")
_PROM_DURATION = re.compile(r"(?:[0-9]+(?:ms|s|m|h|d|w|y))+")
_BYTES = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[kKmMgGtTpPeE][iI]?)?[bB]")
_FUNCTION_AFTER = re.compile(r"\s*(?:\(|(?:by|without)\s*\()", re.I)


class LogqlError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message, self.offset = message, offset


def tokens(text: str):
    global _TOKEN
    if _TOKEN is None:
        _TOKEN = re.compile(_TOKEN_PATTERN, re.X)
    """(type, value, offset) for each token of `text`, the way Loki's lexer reads it."""
    pos, n = 0, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            raise LogqlError(f"unexpected character `{text[pos]}`", pos)
        kind = m.lastgroup
        start = m.start()
        pos = m.end()
        if kind in ("ws", "comment"):
            continue
        value = m.group()
        if kind == "string":
            yield "STRING", value, start
        elif kind == "range":
            inner = value[1:-1].strip()
            if not _PROM_DURATION.fullmatch(inner):
                raise LogqlError(f"`{value}` is not a range: use a duration such as [5m] or [1h30m]"
                                 + (" (no subqueries in LogQL)" if ":" in inner else ""), start)
            yield "RANGE", value, start
        elif kind == "flag":
            yield "FLAG", value, start
        elif m.lastgroup == "suffix" or kind == "number":
            number, suffix = m.group("number"), m.group("suffix")
            whole = number + suffix
            if suffix and _GO_DURATION.fullmatch(whole):
                yield "DURATION", whole, start
            elif suffix and _BYTES.fullmatch(whole):
                yield "BYTES", whole, start
            else:
                pos = start + len(number)  # the rest is read as the next token
                yield "NUMBER", number, start
        elif kind == "ident":
            low = value.lower()
            if low in _RANGE_FUNCS or low in _VECTOR_FUNCS or low in _CONVERSIONS or low in ("vector", "ip",
                                                                                            "label_replace"):
                if _FUNCTION_AFTER.match(text, pos):
                    kind = ("RANGE_FN" if low in _RANGE_FUNCS else "VECTOR_FN" if low in _VECTOR_FUNCS else
                            "CONV" if low in _CONVERSIONS else _KEYWORDS.get(low, "VECTOR"))
                    yield kind, value, start
                    continue
                yield "IDENT", value, start  # a function word not before `(` is a label name
                continue
            yield _KEYWORDS.get(low, "IDENT"), value, start
        else:
            yield _PUNCT[value], value, start


# --- grammar -------------------------------------------------------------------------

_GRAMMAR = r"""
start: expr

?expr: or_e
?or_e: and_e | or_e OR bin_mod and_e -> binop
?and_e: cmp_e | and_e AND bin_mod cmp_e -> binop | and_e UNLESS bin_mod cmp_e -> binop
?cmp_e: add_e | cmp_e cmp_op bin_mod add_e -> binop
?add_e: mul_e | add_e ADD bin_mod mul_e -> binop | add_e SUB bin_mod mul_e -> binop
?mul_e: pow_e | mul_e mul_op bin_mod pow_e -> binop
?pow_e: atom | atom POW bin_mod pow_e -> binop
cmp_op: CMP_EQ | NEQ | GT | GTE | LT | LTE
mul_op: MUL | DIV | MOD

bin_mod: BOOL? matching?
matching: (ON | IGNORING) LPAR labels? RPAR group?
group: (GROUP_LEFT | GROUP_RIGHT) (LPAR labels? RPAR)?

?atom: log_expr
     | range_agg
     | vector_agg
     | label_replace
     | VECTOR LPAR NUMBER RPAR -> vector
     | NUMBER -> number
     | ADD NUMBER -> number
     | SUB NUMBER -> number
     | LPAR expr RPAR -> paren

log_expr: selector pipeline?

selector: LBRACE matchers? RBRACE
matchers: matcher | matchers COMMA matcher
matcher: IDENT match_op STRING
match_op: EQ | NEQ | RE | NRE

pipeline: stage | pipeline stage
stage: line_filter
     | PIPE parser
     | PIPE label_filter
     | PIPE LINE_FMT STRING
     | PIPE LABEL_FMT label_fmts
     | PIPE DECOLORIZE
     | PIPE DROP named_matchers
     | PIPE KEEP named_matchers

line_filter: line_op line_value | line_filter OR line_value
line_op: PIPE_EXACT | PIPE_MATCH | PIPE_PATTERN | NEQ | NRE | NPA
line_value: STRING | IP LPAR STRING RPAR

parser: JSON
      | JSON extractions
      | LOGFMT flags?
      | LOGFMT flags? extractions
      | REGEXP STRING
      | UNPACK
      | PATTERN STRING
flags: FLAG | flags FLAG
extractions: extraction | extractions COMMA extraction
extraction: IDENT | IDENT EQ STRING

label_fmts: label_fmt | label_fmts COMMA label_fmt
label_fmt: IDENT EQ IDENT | IDENT EQ STRING

named_matchers: named_matcher | named_matchers COMMA named_matcher
named_matcher: IDENT | matcher

?label_filter: lf_or
?lf_or: lf_and | lf_or OR lf_and
?lf_and: lf_atom | lf_and AND lf_atom | lf_and COMMA lf_atom | lf_and lf_atom
lf_atom: IDENT match_op STRING
       | IDENT cmp_filter_op filter_value
       | IDENT EQ IP LPAR STRING RPAR
       | IDENT NEQ IP LPAR STRING RPAR
       | LPAR label_filter RPAR
cmp_filter_op: GT | GTE | LT | LTE | NEQ | EQ | CMP_EQ
filter_value: DURATION | BYTES | NUMBER | SUB NUMBER | ADD NUMBER

unwrap: PIPE UNWRAP IDENT
      | PIPE UNWRAP CONV LPAR IDENT RPAR
      | unwrap PIPE label_filter

range_agg: RANGE_FN LPAR log_range RPAR grouping?
         | RANGE_FN LPAR NUMBER COMMA log_range RPAR grouping?
log_range: selector pipeline? unwrap? RANGE offset?
         | selector RANGE offset? pipeline unwrap?
         | selector RANGE offset? unwrap
         | LPAR selector pipeline? unwrap? RPAR RANGE offset?
         | LPAR log_range RPAR
offset: OFFSET DURATION | OFFSET SUB DURATION

vector_agg: VECTOR_FN LPAR agg_args RPAR grouping?
          | VECTOR_FN grouping LPAR agg_args RPAR
agg_args: expr | NUMBER COMMA expr

label_replace: LABEL_REPLACE LPAR expr COMMA STRING COMMA STRING COMMA STRING COMMA STRING RPAR

grouping: (BY | WITHOUT) LPAR labels? RPAR
labels: IDENT | labels COMMA IDENT

%declare """ + " ".join(_TERMINALS) + "\n"

_PARSER = None


def _cache_file():
    from obslint.lang import grammar_cache

    return grammar_cache()


def _parser():
    global _PARSER
    if _PARSER is None:
        from lark import Lark

        from obslint.lang.lexers import LogqlLexer

        _PARSER = Lark(_GRAMMAR, parser="lalr", lexer=LogqlLexer, propagate_positions=False, maybe_placeholders=False,
                       cache=_cache_file())
    return _PARSER


# --- checks after parsing ------------------------------------------------------------

# Loki's RangeAggregationExpr.validate: which range aggregations take `| unwrap`, which work
# without it, and which may be grouped.
_WITH_UNWRAP = {"avg_over_time", "sum_over_time", "max_over_time", "min_over_time", "stddev_over_time",
                "stdvar_over_time", "quantile_over_time", "rate", "rate_counter", "absent_over_time",
                "first_over_time", "last_over_time"}
_WITHOUT_UNWRAP = {"bytes_over_time", "bytes_rate", "count_over_time", "rate", "absent_over_time"}
_GROUPED = {"avg_over_time", "stddev_over_time", "stdvar_over_time", "quantile_over_time", "max_over_time",
            "min_over_time", "first_over_time", "last_over_time"}
_NEEDS_PARAM = {"topk", "bottomk", "approx_topk"}
_TOKEN_NAMES = {"RANGE_FN": "a range aggregation such as rate(", "VECTOR_FN": "an aggregation such as sum(",
                "STRING": "a quoted string", "NUMBER": "a number", "DURATION": "a duration",
                "RANGE": "a range such as [5m]", "IDENT": "a label name", "LBRACE": "`{`", "RBRACE": "`}`",
                "LPAR": "`(`", "RPAR": "`)`", "COMMA": "`,`", "PIPE": "`|`", "$END": "the end of the query"}


class Parsed:
    __slots__ = ("error", "offset", "metric")

    def __init__(self, error: str | None = None, offset: int = 0, metric: bool = False) -> None:
        self.error, self.offset, self.metric = error, offset, metric


_cache: dict[str, Parsed] = {}


def parse(text: str) -> Parsed:
    """Parse a LogQL query (Grafana variables already substituted); cached per text."""
    hit = _cache.get(text)
    if hit is None:
        hit = _cache[text] = _parse(text)
    return hit


def _parse(text: str) -> Parsed:
    if not text.strip():
        return Parsed("the query is empty", 0)
    try:
        tree = _parser().parse(text)
    except LogqlError as exc:
        return Parsed(exc.message, exc.offset)
    except Exception as exc:  # noqa: BLE001 - lark's UnexpectedInput family
        return Parsed(*_describe(exc, text))
    try:
        metric = _check(tree.children[0])
    except LogqlError as exc:
        return Parsed(exc.message, exc.offset)
    return Parsed(None, 0, metric)


def _describe(exc: Exception, text: str) -> tuple[str, int]:
    token = getattr(exc, "token", None)
    expected = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or set()
    from obslint.lang import expected_text

    want = expected_text(expected, _TOKEN_NAMES, _KEYWORD_TEXT)
    if token is None or getattr(token, "type", "") == "$END":
        return f"the query ends too early{want}", len(text.rstrip())
    offset = token.start_pos if token.start_pos is not None else 0
    return f"unexpected `{token.value}`{want}", offset


_KEYWORD_TEXT = {v: k for k, v in _KEYWORDS.items()} | {v: k for k, v in _PUNCT.items()}


def _first_token(tree) -> int:
    from lark import Token

    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Token):
            return node.start_pos or 0
        stack.extend(reversed(node.children))
    return 0


def _kind(node) -> str:
    """"log", "metric" or "literal" for an expression node."""
    from lark import Token

    while not isinstance(node, Token) and node.data == "paren":
        node = node.children[1]
    if isinstance(node, Token):
        return "literal"
    if node.data == "log_expr":
        return "log"
    if node.data == "number":
        return "literal"
    return "metric"


def _check(root) -> bool:
    """Loki's checks after parsing (what `mustNew...` reject); True for a metric query."""
    from lark import Token

    for node in root.iter_subtrees():
        data = node.data
        if data == "binop":
            lhs, rhs = node.children[0], node.children[-1]
            for side in (lhs, rhs):
                if _kind(side) == "log":
                    raise LogqlError("a binary operation needs metric queries or numbers on both sides, not a log "
                                     "query: wrap it in a range aggregation such as count_over_time(...[5m])",
                                     _first_token(side))
            op = node.children[1]
            if isinstance(op, Token) and op.type in ("OR", "AND", "UNLESS"):
                for side in (lhs, rhs):
                    if _kind(side) == "literal":
                        raise LogqlError(f"`{op.value}` needs metric queries on both sides, not a number",
                                         _first_token(side))
        elif data == "vector_agg":
            fn = node.children[0]
            args = next(c for c in node.children if not isinstance(c, Token) and c.data == "agg_args")
            inner = args.children[-1]
            param = args.children[0] if len(args.children) == 3 else None
            name = fn.value.lower()
            at = fn.start_pos or 0
            if _kind(inner) == "log":
                raise LogqlError(f"`{fn.value}` aggregates metric queries, not a log query: use e.g. "
                                 f"{fn.value}(count_over_time(...[5m]))", _first_token(inner))
            if name in _NEEDS_PARAM:
                if param is None:
                    raise LogqlError(f"`{fn.value}` needs a number first: {fn.value}(10, ...)", at)
                if not param.value.isdigit() or int(param.value) <= 0:
                    raise LogqlError(f"`{fn.value}` needs a whole number above 0, not {param.value}", param.start_pos)
                if name == "approx_topk" and any(not isinstance(c, Token) and c.data == "grouping"
                                                 for c in node.children):
                    raise LogqlError("`approx_topk` cannot be grouped (`by`/`without`)", at)
            elif param is not None:
                raise LogqlError(f"`{fn.value}` takes no parameter", at)
        elif data == "range_agg":
            fn = node.children[0]
            name = fn.value.lower()
            at = fn.start_pos or 0
            has_param = any(isinstance(c, Token) and c.type == "NUMBER" for c in node.children)
            unwrapped = any(t.data == "unwrap" for t in node.iter_subtrees())
            grouped = any(not isinstance(c, Token) and c.data == "grouping" for c in node.children)
            if unwrapped and name not in _WITH_UNWRAP:
                raise LogqlError(f"`{fn.value}` counts log lines or bytes; it takes no `| unwrap`", at)
            if not unwrapped and name not in _WITHOUT_UNWRAP:
                raise LogqlError(f"`{fn.value}` needs an unwrapped label: add `| unwrap <label>` before the range",
                                 at)
            if grouped and name not in _GROUPED:
                raise LogqlError(f"`{fn.value}` cannot be grouped (`by`/`without`): wrap it in an aggregation such "
                                 f"as sum by (...) ({fn.value}(...))", at)
            if (name == "quantile_over_time") != has_param:
                raise LogqlError(f"`{fn.value}` " + ("needs a quantile first: quantile_over_time(0.99, ...)"
                                                     if not has_param else "takes no parameter"), at)
        elif data == "selector":
            _check_selector(node)
    return _kind(root) != "log"


def _check_selector(node) -> None:
    matchers = [m for m in node.iter_subtrees() if m.data == "matcher"]
    for m in matchers:
        name, op, value = m.children[0], m.children[1].children[0], m.children[2]
        if not _matches_empty(op.type, _unquote(value.value)):
            return
    start = node.children[0].start_pos or 0
    raise LogqlError("a stream selector needs at least one matcher that cannot match an empty value, "
                     "e.g. {app=\"api\"}", start)


def _unquote(s: str) -> str:
    if s.startswith("`"):
        return s[1:-1]
    body = s[1:-1]
    return re.sub(r"\\(.)", r"\1", body) if "\\" in body else body


def _matches_empty(op: str, value: str) -> bool:
    if op == "EQ":
        return value == ""
    if op == "NEQ":
        return value != ""
    try:
        hit = re.fullmatch(value, "") is not None
    except re.error:
        return False  # Go's regexp syntax differs from Python's in corners: do not guess
    return hit if op == "RE" else not hit
