"""MetricsQL (VictoriaMetrics): a superset of PromQL, read with an LALR grammar for lark.

What MetricsQL adds (VictoriaMetrics docs and its `metricsql` parser, learned from there
and written anew): `WITH (name = expr, f(x) = expr) expr` templates; `if`, `ifnot` and
`default` operators; `keep_metric_names`; `limit N` after an aggregation; aggregations
over several arguments (`sum(a, b)`); optional range windows (`rate(x)`) and windows on
any expression; `[:1m]`, `[5i]` steps; `or` inside selectors; numbers with K/Ki/M/Mi/G/
Gi/T/Ti suffixes and durations as numbers; trailing commas; many more functions
(`topk_max`, `range_last`, `histogram_share`, ...); `prefix "x"` after group_left/right.

The tokenizer follows VictoriaMetrics' lexer.go (its order of attempts, its number and
duration forms, keywords that are names where no keyword fits: see obslint.lang.lexers);
the grammar its parser.go; obslint.lang.metricsql_check what it refuses once it expands
`WITH` templates. scripts/metricsql_parity.py measures the agreement on its own tests.

Used two ways: to accept MetricsQL queries of the `metricsql` dialect (with real syntax
errors reported at their position), and, for a query promql-parser refuses in the
`prometheus` dialect, to tell whether it fails only on MetricsQL constructs (and name
one), or to give the position of its syntax error.
"""
from __future__ import annotations



AGGREGATIONS = frozenset(
    "any avg bottomk bottomk_avg bottomk_max bottomk_median bottomk_last bottomk_min count count_values distinct "
    "geomean group histogram limitk mad max median min mode outliers_iqr outliers_mad outliersk quantile quantiles "
    "share stddev stdvar sum sum2 topk topk_avg topk_max topk_median topk_last topk_min zscore limit_ratio".split())
ROLLUPS = frozenset(
    "absent_over_time aggr_over_time ascent_over_time avg_over_time changes changes_prometheus count_eq_over_time "
    "count_gt_over_time count_le_over_time count_ne_over_time count_over_time count_values_over_time "
    "decreases_over_time default_rollup delta delta_prometheus deriv deriv_fast descent_over_time "
    "distinct_over_time duration_over_time first_over_time geomean_over_time histogram_over_time "
    "hoeffding_bound_lower hoeffding_bound_upper holt_winters idelta ideriv increase increase_prometheus "
    "increase_pure increases_over_time integrate irate lag last_over_time lifetime mad_over_time max_over_time "
    "median_over_time min_over_time mode_over_time outlier_iqr_over_time predict_linear present_over_time "
    "quantile_over_time quantiles_over_time range_over_time rate rate_prometheus rate_over_sum resets rollup "
    "rollup_candlestick rollup_delta rollup_deriv rollup_increase rollup_rate rollup_scrape_interval "
    "scrape_interval share_gt_over_time share_le_over_time share_eq_over_time stale_samples_over_time "
    "stddev_over_time stdvar_over_time sum_eq_over_time sum_gt_over_time sum_le_over_time sum_over_time "
    "sum2_over_time tfirst_over_time timestamp timestamp_with_name tlast_change_over_time tlast_over_time "
    "tmax_over_time tmin_over_time zscore_over_time".split())
TRANSFORMS = frozenset(
    "abs absent acos acosh asin asinh atan atanh bitmap_and bitmap_or bitmap_xor buckets_limit ceil clamp "
    "clamp_max clamp_min cos cosh day_of_month day_of_week day_of_year days_in_month deg drop_common_labels "
    "drop_empty_series end exp floor histogram_avg histogram_fraction histogram_quantile histogram_quantiles "
    "histogram_share histogram_stddev histogram_stdvar hour interpolate keep_last_value keep_next_value label_copy "
    "label_del label_graphite_group label_join label_keep label_lowercase label_map label_match label_mismatch "
    "label_move label_replace label_set label_transform label_uppercase label_value labels_equal limit_offset ln "
    "log2 log10 minute month now pi prometheus_buckets rad rand rand_exponential rand_normal range_avg range_first "
    "range_last range_linear_regression range_mad range_max range_min range_normalize range_quantile range_stddev "
    "range_stdvar range_sum range_trim_outliers range_trim_spikes range_trim_zscore range_zscore remove_resets round "
    "running_avg running_max running_min running_sum scalar sgn sin sinh smooth_exponential sort sort_by_label "
    "sort_by_label_desc sort_by_label_numeric sort_by_label_numeric_desc sort_desc sqrt start step tan tanh time "
    "timezone_offset union vector year".split())
# Prometheus functions: what is not among them is MetricsQL's own.
PROMETHEUS = frozenset(
    "abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil changes clamp clamp_max "
    "clamp_min cos cosh count_over_time day_of_month day_of_week day_of_year days_in_month deg delta deriv exp floor "
    "histogram_avg histogram_count histogram_fraction histogram_quantile histogram_stddev histogram_stdvar "
    "histogram_sum holt_winters double_exponential_smoothing hour idelta increase info irate label_join "
    "label_replace last_over_time ln log10 log2 mad_over_time max_over_time min_over_time minute month pi "
    "predict_linear present_over_time quantile_over_time rad rate resets round scalar sgn sin sinh sort sort_desc "
    "sort_by_label sort_by_label_desc sqrt stddev_over_time stdvar_over_time sum_over_time tan tanh time timestamp "
    "vector year first_over_time ts_of_max_over_time ts_of_min_over_time ts_of_last_over_time "
    "sum avg count min max group stddev stdvar topk bottomk quantile count_values limitk limit_ratio".split())
KNOWN = AGGREGATIONS | ROLLUPS | TRANSFORMS | PROMETHEUS

# Words that are keywords only where the grammar expects them (obslint.lang.lexers picks
# IDENT elsewhere, as VictoriaMetrics does): `by`, `offset` or `with` can be metric names.
_KEYWORDS = {"by": "BY", "without": "WITHOUT", "on": "ON", "ignoring": "IGNORING", "group_left": "GROUP_LEFT",
             "group_right": "GROUP_RIGHT", "bool": "BOOL", "offset": "OFFSET", "or": "OR", "and": "AND",
             "unless": "UNLESS", "if": "IF", "ifnot": "IFNOT", "default": "DEFAULT", "limit": "LIMIT",
             "keep_metric_names": "KEEP_METRIC_NAMES", "with": "WITH", "atan2": "ATAN2", "prefix": "PREFIX"}
_PUNCT = {"==": "CMP_EQ", "!=": "NEQ", ">=": "GTE", "<=": "LTE", "=~": "RE", "!~": "NRE", "=": "EQ", ">": "GT",
          "<": "LT", "+": "ADD", "-": "SUB", "*": "MUL", "/": "DIV", "%": "MOD", "^": "POW", "(": "LPAR",
          ")": "RPAR", "{": "LBRACE", "}": "RBRACE", "[": "LBRACKET", "]": "RBRACKET", ",": "COMMA", ":": "COLON",
          "@": "AT"}
_TERMINALS = sorted(set(_KEYWORDS.values()) | set(_PUNCT.values()) | {"IDENT", "STRING", "NUMBER", "DURATION"})
_SPACE = " \t\n\v\f\r"
_SINGLE = "{}[](),@"
_OPERATORS = ("==", "!=", ">=", "<=", "=~", "!~", "=", ">", "<", "+", "-", "*", "/", "%", "^")
_MULTIPLIERS = ("kib", "ki", "kb", "k", "mib", "mi", "mb", "m", "gib", "gi", "gb", "g", "tib", "ti", "tb", "t")
_HEX = "0123456789abcdefABCDEF"
_INTERVALS = ("$__rate_interval", "$__interval")  # Grafana's macros, which VictoriaMetrics reads itself


_FAST = None  # whitespace, plain ASCII names, strings, operators: the common tokens, compiled on first use


class MetricsqlError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message, self.offset = message, offset


def tokens(text: str) -> list:
    """(kind, text, offset) of each token, scanned as VictoriaMetrics' lexer does: its
    order of attempts (names, strings, operators, durations, numbers), its number and
    duration forms (`45mI`, `0o12`, `5w4h-3.4m`), `#` comments, and `:` as a name
    character except inside `[...]`. A keyword's kind is its own; the lexer adapter
    turns it into IDENT where the grammar does not expect it. Text that is no token
    ends the list with ("$ERROR", MetricsqlError, offset), raised when the parser gets
    there (a syntax error before it is reported first, as VictoriaMetrics does)."""
    global _FAST
    if _FAST is None:
        import re

        _FAST = re.compile(r"""(?s)[ \t\n\v\f\r]+
            | (?P<name>[A-Za-z_:][A-Za-z0-9_:.]*+)(?![^\x00-\x7f]|\\)
            | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`)
            | (?P<op>==|!=|>=|<=|=~|!~|[=<>+\-*/%^(){},@])""", re.X)
    fast = _FAST.match
    out = []
    pos, n = 0, len(text)
    brackets = 0
    try:
        while pos < n:
            m = fast(text, pos)
            if m is not None and not (brackets and ":" in m.group()):
                kind = m.lastgroup
                if kind == "name":  # a plain ASCII name
                    value = m.group()
                    low = value.lower()
                    out.append((_KEYWORDS.get(low, "NUMBER" if low in ("inf", "nan") else "IDENT"), value, pos))
                elif kind is not None:
                    value = m.group()
                    out.append(("STRING" if kind == "string" else _PUNCT[value], value, pos))
                pos = m.end()
                continue
            c = text[pos]
            if c in _SPACE:
                pos += 1
                continue
            start = pos
            if c == "#":
                nl = text.find("\n", pos)
                pos = n if nl < 0 else nl + 1
                continue
            if c in _SINGLE:
                brackets += 1 if c == "[" else -1 if c == "]" and brackets else 0
                out.append((_PUNCT[c], c, start))
                pos += 1
                continue
            if c == ":" and brackets:
                out.append(("COLON", c, start))
                pos += 1
                continue
            end = _ident_end(text, pos, brackets > 0)
            if end > pos:
                value = text[pos:end]
                low = value.lower()
                kind = _KEYWORDS.get(low, "NUMBER" if low in ("inf", "nan") else "IDENT")
                out.append((kind, value, start))
                pos = end
                continue
            if c in "\"'`":
                pos = _string_end(text, pos)
                out.append(("STRING", text[start:pos], start))
                continue
            op = next((o for o in _OPERATORS if text.startswith(o, pos)), None)
            if op is not None:
                out.append((_PUNCT[op], op, start))
                pos += len(op)
                continue
            end = _duration_end(text, pos)
            if end > pos:
                out.append(("DURATION", text[pos:end], start))
                pos = end
                continue
            if c.isdigit() and c.isascii() or (c == "." and pos + 1 < n and text[pos + 1] in "0123456789"):
                pos = _number_end(text, pos)
                _check_number(text[start:pos], start)
                out.append(("NUMBER", text[start:pos], start))
                continue
            macro = next((m for m in _INTERVALS if text.startswith(m, pos)), None)
            if macro is not None:
                out.append(("DURATION", macro, start))
                pos += len(macro)
                continue
            raise MetricsqlError(f"unexpected character `{c}`", pos)
    except MetricsqlError as exc:  # given to the parser in its place: an earlier syntax error comes first
        out.append(("$ERROR", exc, exc.offset))
    return out


def _escape_len(text: str, i: int) -> int:
    """Length of the escape sequence after a backslash at i-1 in a name (0: invalid)."""
    if i >= len(text):
        return 0
    c = text[i]
    if c in "xXuU":
        size = 2 if c in "xX" else 4
        digits = text[i + 1:i + 1 + size]
        return size + 1 if len(digits) == size and all(d in _HEX for d in digits) else 0
    return 1 if c.isprintable() else 0


def _ident_end(text: str, pos: int, in_brackets: bool) -> int:
    i, n = pos, len(text)
    while i < n:
        c = text[i]
        if c.isalpha() or c == "_" or (c == ":" and not in_brackets) or (
                i > pos and (c == "." or ("0" <= c <= "9"))):
            i += 1
            continue
        if c != "\\":
            break
        size = _escape_len(text, i + 1)
        if not size:
            break
        i += 1 + size
    return i


def unescape(name: str) -> str:
    """A name as VictoriaMetrics reads it: `r\\a\\te` is `rate`."""
    if "\\" not in name:
        return name
    out, i = [], 0
    while i < len(name):
        c = name[i]
        if c == "\\" and _escape_len(name, i + 1):
            size = _escape_len(name, i + 1)
            seq = name[i + 1:i + 1 + size]
            out.append(chr(int(seq[1:], 16)) if size > 1 else seq)
            i += 1 + size
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _string_end(text: str, pos: int) -> int:
    quote, i = text[pos], pos + 1
    while True:
        j = text.find(quote, i)
        if j < 0:
            raise MetricsqlError(f"the string has no closing {quote}", pos)
        backslashes = 0
        while text[j - 1 - backslashes] == "\\" and j - 1 - backslashes > pos:
            backslashes += 1
        if backslashes % 2 == 0:
            return j + 1
        i = j + 1


def _single_duration_end(text: str, i: int, negative: bool) -> int:
    n = len(text)
    j = i + 1 if negative and i < n and text[i] == "-" else i
    digits = j
    while j < n and "0" <= text[j] <= "9":
        j += 1
    if j == digits or j == n:
        return -1
    if text[j] == ".":
        j += 1
        while j < n and "0" <= text[j] <= "9":
            j += 1
        if j == n:
            return -1
    unit = text[j].lower()
    if unit == "m":
        nxt = text[j + 1].lower() if j + 1 < n else ""
        if nxt == "s":
            return j + 2
        if nxt in ("i", "b") and nxt:
            return -1  # `5Mi`, `5MB`: numbers
        return j + 1 if text[j] == "m" else -1  # `5M` is 5e6
    return j + 1 if unit in "shdwyi" else -1


def _duration_end(text: str, pos: int) -> int:
    end = _single_duration_end(text, pos, False)
    if end < 0:
        return pos
    while True:
        nxt = _single_duration_end(text, end, True)
        if nxt < 0:
            return end
        end = nxt


def _multiplier(text: str, i: int) -> int:
    low = text[i:i + 3].lower()
    return next((len(m) for m in _MULTIPLIERS if low.startswith(m)), 0)


def _number_end(text: str, pos: int) -> int:
    n, i = len(text), pos
    if text[i] == "0" and i + 1 < n and text[i + 1].lower() in "0123456789xob":
        if text[i + 1].lower() == "x":
            i += 2
            while i < n and text[i] in _HEX:
                i += 1
            return i
        i += 1 if text[i + 1].isdigit() else 2
    while i < n and (text[i] in "0123456789_"):
        i += 1
    if i == n:
        return i
    if _multiplier(text, i):
        return i + _multiplier(text, i)
    if text[i] == ".":
        i += 1
        while i < n and text[i] in "0123456789_":
            i += 1
        if i == n:
            return i
        if _multiplier(text, i):
            return i + _multiplier(text, i)
    if text[i] not in "eE":
        return i
    i += 1
    if i < n and text[i] in "+-":
        i += 1
    digits = i
    while i < n and "0" <= text[i] <= "9":
        i += 1
    if i == digits:
        raise MetricsqlError("the number's exponent is missing", pos)
    return i


def number_value(text: str) -> float:
    """The value of a number token (ValueError if it has none): `0x1F`, `0o12`, `012`
    (octal), `1_000`, `1.5e3`, `2Ki`, `5MB`, `Inf`."""
    low = text.lower()
    if low in ("inf", "nan"):
        return float(low)
    if len(low) > 1 and low[0] == "0" and low[1] in "xob0123456789":
        base = {"x": 16, "o": 8, "b": 2}.get(low[1], 8)
        return float(int(low[2:] if low[1] in "xob" else low[1:], base))
    scale = 1.0
    for suffix, size in (("kib", 2 ** 10), ("ki", 2 ** 10), ("kb", 1e3), ("k", 1e3), ("mib", 2 ** 20),
                         ("mi", 2 ** 20), ("mb", 1e6), ("m", 1e6), ("gib", 2 ** 30), ("gi", 2 ** 30),
                         ("gb", 1e9), ("g", 1e9), ("tib", 2 ** 40), ("ti", 2 ** 40), ("tb", 1e12), ("t", 1e12)):
        if low.endswith(suffix):
            low, scale = low[:-len(suffix)], size
            break
    return float(low) * scale


def _check_number(text: str, offset: int) -> None:
    try:
        number_value(text)
    except ValueError:
        raise MetricsqlError(f"`{text}` is not a number", offset) from None


def duration_number(text: str) -> bool:
    """A number that VictoriaMetrics reads as seconds where a duration goes (`[300]`, not
    `[5M]` or `[0x10]`)."""
    if text[-1:] not in "0123456789." or text.lower().startswith(("0x", "0o", "0b")):
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True


# The grammar follows VictoriaMetrics' parser, which reads binary operators left to right
# and orders them afterwards: precedence does not decide validity, so `expr` is flat.
# lark resolves its few shift/reduce conflicts by shifting, which is VictoriaMetrics'
# greedy reading too (`WITH (...) a + b` spans to the end; `keep_metric_names` after
# `rate(x)` belongs to the call).
_GRAMMAR = r"""
start: expr

expr: single tail*
tail: _binop bin_mod single keep?
_binop: ADD | SUB | MUL | DIV | MOD | POW | ATAN2 | CMP_EQ | NEQ | GT | GTE | LT | LTE | AND | OR | UNLESS
      | IF | IFNOT | DEFAULT
bin_mod: BOOL? matching?
matching: (ON | IGNORING) ident_list join?
join: (GROUP_LEFT | GROUP_RIGHT) (LPAR MUL RPAR | ident_list)? prefix?
prefix: PREFIX str_chain
str_chain: _str_atom (ADD _str_atom)*
_str_atom: STRING | IDENT
ident_list: LPAR (_label (COMMA _label)* COMMA?)? RPAR
_label: IDENT | STRING
keep: KEEP_METRIC_NAMES

?single: WITH LPAR (with_def (COMMA with_def)* COMMA?)? RPAR expr -> with_expr
       | SUB single -> neg
       | ADD single -> pos
       | primary
       | primary rollup -> rolled
with_def: IDENT ident_list? EQ expr

rollup: window (at offset? | offset at?)?
      | at offset?
      | offset at?
window: LBRACKET _win_value RBRACKET
      | LBRACKET _win_value? COLON _win_value? RBRACKET
_win_value: DURATION | NUMBER | IDENT
at: AT primary | AT SUB single | AT ADD single
offset: OFFSET SUB? (DURATION | NUMBER | IDENT)

?primary: NUMBER -> number
        | DURATION -> number
        | STRING -> string
        | LPAR RPAR -> empty_paren
        | LPAR expr (COMMA expr)* COMMA? RPAR keep? -> paren
        | IDENT -> name
        | IDENT LBRACE filters? RBRACE -> selector
        | LBRACE filters? RBRACE -> selector
        | IDENT grouping? LPAR (expr (COMMA expr)* COMMA?)? RPAR grouping? limit? keep? -> call

grouping: (BY | WITHOUT) ident_list
limit: LIMIT NUMBER
filters: group (OR group)*
group: filter (COMMA filter)* COMMA?
filter: _label _match_op str_chain | _label -> filter_ref
_match_op: EQ | NEQ | RE | NRE

%declare """ + " ".join(_TERMINALS) + "\n"

_PARSER = None


def _cache_file():
    from obslint.lang import grammar_cache

    return grammar_cache()


def _parser():
    global _PARSER
    if _PARSER is None:
        from lark import Lark

        from obslint.lang.lexers import MetricsqlLexer

        _PARSER = Lark(_GRAMMAR, parser="lalr", lexer=MetricsqlLexer, maybe_placeholders=False,
                       cache=_cache_file())
    return _PARSER


class Parsed:
    """`error`/`offset` for a syntax error; else `features`: the MetricsQL-only constructs
    the query uses, each (description, offset), first first."""

    __slots__ = ("error", "offset", "features")

    def __init__(self, error: str | None = None, offset: int = 0, features: list | None = None) -> None:
        self.error, self.offset, self.features = error, offset, features or []


_cache: dict[str, Parsed] = {}


def parse(text: str) -> Parsed:
    hit = _cache.get(text)
    if hit is None:
        hit = _cache[text] = _parse(text)
    return hit


_NAMES = {"IDENT": "a name", "STRING": "a quoted string", "NUMBER": "a number", "DURATION": "a duration",
          "$END": "the end of the query"}
_TEXT = {v: k for k, v in _KEYWORDS.items()} | {v: k for k, v in _PUNCT.items()}


def _parse(text: str) -> Parsed:
    if not text.strip(_SPACE):
        return Parsed("the query is empty", 0)
    try:
        tree = _parser().parse(text)
    except MetricsqlError as exc:
        return Parsed(exc.message, exc.offset)
    except Exception as exc:  # noqa: BLE001 - lark's UnexpectedInput family
        token = getattr(exc, "token", None)
        expected = getattr(exc, "expected", None) or set()
        from obslint.lang import expected_text

        want = expected_text(expected, _NAMES, _TEXT)
        if token is None or getattr(token, "type", "") == "$END":
            return Parsed(f"the query ends too early{want}", len(text.rstrip()))
        return Parsed(f"unexpected `{token.value}`{want}", token.start_pos or 0)
    from obslint.lang.metricsql_check import check

    try:
        check(tree)
        return Parsed(None, 0, _features(tree))
    except MetricsqlError as exc:
        return Parsed(exc.message, exc.offset)
    except RecursionError:  # callers pass promql.too_complex first; this is the last guard
        return Parsed("the query nests too deeply for obslint to check", 0)


def _features(tree) -> list:
    """MetricsQL-only constructs, in order of appearance."""
    from lark import Token

    found = []
    for node in tree.iter_subtrees_topdown():
        data, kids = node.data, node.children
        if data == "with_expr":
            found.append(("`WITH` templates", kids[0].start_pos))
        elif data == "call":
            fn = kids[0]
            name = unescape(fn.value).lower()
            if name not in PROMETHEUS:
                found.append((f"`{fn.value}`", fn.start_pos))
            args = [k for k in kids if not isinstance(k, Token) and k.data == "expr"]
            if name in AGGREGATIONS and name in PROMETHEUS and len(args) > (
                    2 if name in _PARAM_AGGREGATIONS else 1):
                found.append((f"`{fn.value}` over several arguments", fn.start_pos))
            if name in ROLLUPS and name in PROMETHEUS and args and not any(
                    n.data == "window" for a in args for n in a.iter_subtrees()):
                found.append((f"`{fn.value}` without a range window", fn.start_pos))
            if any(not isinstance(k, Token) and k.data == "limit" for k in kids):
                found.append(("`limit` after an aggregation", fn.start_pos))
            if name not in ROLLUPS and name not in _RANGE_ARGUMENT and any(_ranged(a) for a in args):
                found.append((f"a range vector given to `{fn.value}` (MetricsQL applies a rollup)", fn.start_pos))
        elif data == "tail":
            op = kids[0]
            if op.type in ("IF", "IFNOT", "DEFAULT"):
                found.append((f"the `{op.value}` operator", op.start_pos))
            elif op.type in ("OR", "AND", "UNLESS") and _number_operand(tree, node):
                found.append((f"`{op.value}` with a number", op.start_pos))
            if any(not isinstance(k, Token) and k.data == "keep" for k in kids):
                found.append(("`keep_metric_names`", _start(kids[-1])))
        elif data == "paren":
            if sum(1 for k in kids if not isinstance(k, Token) and k.data == "expr") > 1:
                found.append(("a union `(a, b)`", _start(node)))
            if any(not isinstance(k, Token) and k.data == "keep" for k in kids):
                found.append(("`keep_metric_names`", _start(kids[-1])))
        elif data == "empty_paren":
            found.append(("an empty union `()`", _start(node)))
        elif data == "number":
            tok = kids[0]
            if tok.type == "DURATION" or (tok.type == "NUMBER" and not tok.value.isdigit() and not (
                    tok.value.lower() in ("inf", "nan") or _plain_number(tok.value))):
                found.append((f"the number `{tok.value}`", tok.start_pos))
        elif data == "keep":
            if not any(f[0] == "`keep_metric_names`" and f[1] == kids[0].start_pos for f in found):
                found.append(("`keep_metric_names`", kids[0].start_pos))
        elif data == "filters" and any(isinstance(k, Token) and k.type == "OR" for k in kids):
            found.append(("`or` inside a selector", _start(node)))
        elif data == "prefix":
            found.append(("`prefix` after group_left/group_right", _start(node)))
        elif data == "window":
            values = [k for k in kids if k.type not in ("LBRACKET", "RBRACKET", "COLON")]
            ranged = kids[1].type != "COLON"
            if not ranged or any(v.type == "IDENT" or v.value.lower().endswith("i") or "-" in v.value
                                 for v in values):
                found.append(("a MetricsQL range window", _start(node)))
        elif data == "str_chain" and len(kids) > 1:
            found.append(("a string concatenation", _start(node)))
        for tok in kids:
            if isinstance(tok, Token) and tok.type == "DURATION" and not _prometheus_duration(tok.value):
                found.append((f"the duration `{tok.value}`" if tok.value[0] != "$" else
                              f"Grafana's `{tok.value}`, which VictoriaMetrics reads itself", tok.start_pos))
    found.sort(key=lambda f: f[1] or 0)
    return found


def _prometheus_duration(text: str) -> bool:
    """A duration Prometheus reads too: lower-case units, no `i`, no negative part."""
    return text[0] != "$" and text == text.lower() and "-" not in text and not text.endswith("i")


def _plain_number(text: str) -> bool:
    """A number Prometheus reads too: decimal, with a fraction or exponent, or hex."""
    low = text.lower()
    if low.startswith("0x"):
        return True
    if low.startswith(("0o", "0b")) or low[-1:] in "kmgtib" or "_" in low:
        return False
    return True


def _ranged(node) -> bool:
    """An argument that is itself a range vector (`x[5m]`), not one holding it."""
    while node.data == "expr" and len(node.children) == 1:
        node = node.children[0]
    return node.data == "rolled" and any(getattr(k, "data", "") == "rollup" and k.children[0].data == "window"
                                         for k in node.children)


_PRIORITY = {"DEFAULT": -1, "IF": 0, "IFNOT": 0, "OR": 1, "AND": 2, "UNLESS": 2, "CMP_EQ": 3, "NEQ": 3, "GT": 3,
             "GTE": 3, "LT": 3, "LTE": 3, "ADD": 4, "SUB": 4, "MUL": 5, "DIV": 5, "MOD": 5, "ATAN2": 5, "POW": 6}


def _number_operand(tree, tail) -> bool:
    """Whether a side of this operator is a bare number (`count(x) or 0`), with the
    operators' precedence: in `up == 1 or x` the left side is `up == 1`."""
    for node in tree.iter_subtrees():
        if node.data == "expr" and tail in node.children:
            kids = node.children
            i = kids.index(tail)
            level = _PRIORITY[tail.children[0].type]
            left = kids[i - 1].children[2] if i > 1 else kids[0]
            left_alone = i == 1 or _PRIORITY[kids[i - 1].children[0].type] <= level
            right_alone = i + 1 == len(kids) or _PRIORITY[kids[i + 1].children[0].type] <= level
            return (left_alone and _is_number(left)) or (right_alone and _is_number(tail.children[2]))
    return False


# Functions that take a range vector in Prometheus too (besides the rollups).
_RANGE_ARGUMENT = {"timestamp", "absent_over_time", "present_over_time", "label_replace", "label_join"}


def _is_number(node) -> bool:
    from lark import Token

    while not isinstance(node, Token) and node.data in ("neg", "pos", "paren", "expr"):
        kids = [k for k in node.children if not isinstance(k, Token)]
        if len(kids) != 1:
            return False
        node = kids[0]
    return not isinstance(node, Token) and node.data == "number"


# Function names only MetricsQL has: their use marks a rule file as vmalert's.
ONLY = frozenset((AGGREGATIONS | ROLLUPS | TRANSFORMS) - PROMETHEUS)

_PARAM_AGGREGATIONS = {"topk", "bottomk", "quantile", "count_values", "limitk", "limit_ratio"}


def _start(node) -> int:
    from lark import Token

    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Token):
            return n.start_pos or 0
        stack.extend(reversed(n.children))
    return 0
