"""MetricsQL (VictoriaMetrics): a superset of PromQL, read with an LALR grammar for lark.

What MetricsQL adds (VictoriaMetrics docs and its `metricsql` parser, learned from there
and written anew): `WITH (name = expr, f(x) = expr) expr` templates; `if`, `ifnot` and
`default` operators; `keep_metric_names`; `limit N` after an aggregation; aggregations
over several arguments (`sum(a, b)`); optional range windows (`rate(x)`) and windows on
any expression; `[:1m]`, `[5i]` steps; `or` inside selectors; numbers with K/Ki/M/Mi/G/
Gi/T/Ti suffixes and durations as numbers; trailing commas; many more functions
(`topk_max`, `range_last`, `histogram_share`, ...); `prefix "x"` after group_left/right.

Used two ways: to accept MetricsQL queries of the `metricsql` dialect (with real syntax
errors reported at their position), and, for a query promql-parser refuses in the
`prometheus` dialect, to tell whether it fails only on MetricsQL constructs (and name
one), or to give the position of its syntax error.
"""
from __future__ import annotations

import re

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

_KEYWORDS = {"by": "BY", "without": "WITHOUT", "on": "ON", "ignoring": "IGNORING", "group_left": "GROUP_LEFT",
             "group_right": "GROUP_RIGHT", "bool": "BOOL", "offset": "OFFSET", "or": "OR", "and": "AND",
             "unless": "UNLESS", "if": "IF", "ifnot": "IFNOT", "default": "DEFAULT", "limit": "LIMIT",
             "keep_metric_names": "KEEP_METRIC_NAMES", "with": "WITH", "atan2": "ATAN2", "prefix": "PREFIX"}
_PUNCT = {"==": "CMP_EQ", "!=": "NEQ", ">=": "GTE", "<=": "LTE", "=~": "RE", "!~": "NRE", "=": "EQ", ">": "GT",
          "<": "LT", "+": "ADD", "-": "SUB", "*": "MUL", "/": "DIV", "%": "MOD", "^": "POW", "(": "LPAR",
          ")": "RPAR", "{": "LBRACE", "}": "RBRACE", "[": "LBRACKET", "]": "RBRACKET", ",": "COMMA", ":": "COLON",
          "@": "AT"}
_TERMINALS = sorted(set(_KEYWORDS.values()) | set(_PUNCT.values()) | {"IDENT", "STRING", "NUMBER", "DURATION"})

_TOKEN_PATTERN = r"""
    (?P<ws>\s+) | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<number>0[xX][0-9a-fA-F_]+|0[bB][01_]+|(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)
    (?P<suffix>[A-Za-zµ0-9.]*)
  | (?P<ident>(?:[^\W\d]|[_:]|\\.)(?:[\w:.]|\\.)*)
  | (?P<punct>==|!=|>=|<=|=~|!~|[=<>+\-*/%^(){}\[\],:@])
"""
_TOKEN = None  # compiled on first use
_DURATION = re.compile(r"(?:[0-9][0-9_]*(?:\.[0-9]+)?(?:ms|s|m|h|d|w|y|i))+")
_SUFFIXED = re.compile(r"[0-9][0-9_]*(?:\.[0-9]+)?(?:[KMGT]i?|[kmgt]i)(?:[bB])?")


class MetricsqlError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message, self.offset = message, offset


def tokens(text: str):
    global _TOKEN
    if _TOKEN is None:
        _TOKEN = re.compile(_TOKEN_PATTERN, re.X)
    pos, n = 0, len(text)
    brackets = 0  # inside `[...]` a `:` separates range and step; elsewhere it may start a name
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            raise MetricsqlError(f"unexpected character `{text[pos]}`", pos)
        kind, start, pos = m.lastgroup, m.start(), m.end()
        if kind in ("ws", "comment"):
            continue
        value = m.group()
        if kind == "ident" and brackets and value.startswith(":"):
            pos = start + 1
            yield "COLON", ":", start
            continue
        if kind == "punct" and value in "[]":
            brackets = max(0, brackets + (1 if value == "[" else -1))
        if kind == "string":
            yield "STRING", value, start
        elif kind in ("number", "suffix"):
            number, suffix = m.group("number"), m.group("suffix")
            whole = number + suffix
            if suffix and _DURATION.fullmatch(whole):
                yield "DURATION", whole, start
            elif suffix and _SUFFIXED.fullmatch(whole):
                yield "NUMBER", whole, start
            else:
                pos = start + len(number)
                yield "NUMBER", number, start
        elif kind == "ident":
            low = value.lower()
            if low in ("inf", "nan"):
                yield "NUMBER", value, start
            else:
                yield _KEYWORDS.get(low, "IDENT"), value, start
        else:
            yield _PUNCT[value], value, start


_GRAMMAR = r"""
start: expr

?expr: with_expr | default_e
with_expr: WITH LPAR with_defs COMMA? RPAR expr
with_defs: with_def | with_defs COMMA with_def
with_def: IDENT EQ expr | IDENT LPAR ident_list? RPAR EQ expr
ident_list: IDENT | ident_list COMMA IDENT

?default_e: if_e | default_e DEFAULT bin_mod if_e -> binop
?if_e: or_e | if_e IF bin_mod or_e -> binop | if_e IFNOT bin_mod or_e -> binop
?or_e: and_e | or_e OR bin_mod and_e -> binop
?and_e: cmp_e | and_e AND bin_mod cmp_e -> binop | and_e UNLESS bin_mod cmp_e -> binop
?cmp_e: add_e | cmp_e cmp_op bin_mod add_e -> binop
?add_e: mul_e | add_e ADD bin_mod mul_e -> binop | add_e SUB bin_mod mul_e -> binop
?mul_e: unary | mul_e mul_op bin_mod unary -> binop
?unary: pow_e | ADD unary -> neg | SUB unary -> neg
?pow_e: postfix | postfix POW bin_mod unary -> binop
cmp_op: CMP_EQ | NEQ | GT | GTE | LT | LTE
mul_op: MUL | DIV | MOD | ATAN2

bin_mod: BOOL? matching?
matching: (ON | IGNORING) LPAR (labels COMMA?)? RPAR group?
group: (GROUP_LEFT | GROUP_RIGHT) (LPAR (labels COMMA? | MUL) RPAR | LPAR RPAR)? (PREFIX STRING)?

?postfix: primary
        | postfix window -> windowed
        | postfix OFFSET offset_value -> offset
        | postfix AT at_value -> at
        | postfix KEEP_METRIC_NAMES -> keep_names
window: LBRACKET step? RBRACKET | LBRACKET step? COLON step? RBRACKET
step: DURATION | NUMBER | SUB DURATION | SUB NUMBER | IDENT
offset_value: DURATION | NUMBER | SUB DURATION | SUB NUMBER
at_value: NUMBER | SUB NUMBER | IDENT LPAR RPAR | LPAR expr RPAR

?primary: NUMBER -> number
        | DURATION -> number
        | STRING -> string
        | selector
        | call
        | LPAR args COMMA? RPAR -> paren

selector: IDENT -> name
        | IDENT LBRACE filters? RBRACE
        | LBRACE filters? RBRACE
filters: filter_group | filters OR filter_group
filter_group: filter_list | filter_list COMMA
filter_list: filter | filter_list COMMA filter
filter: label_name match_op STRING | IDENT -> filter_ref | STRING -> filter_name
match_op: EQ | NEQ | RE | NRE

call: IDENT grouping? LPAR (args COMMA?)? RPAR grouping? limit?
limit: LIMIT NUMBER
args: expr | args COMMA expr

grouping: (BY | WITHOUT) LPAR (labels COMMA?)? RPAR
labels: label_name | labels COMMA label_name
label_name: IDENT | STRING | BY | WITHOUT | ON | IGNORING | BOOL | OFFSET | OR | AND | UNLESS | IF | IFNOT
          | DEFAULT | LIMIT | WITH | PREFIX | ATAN2 | GROUP_LEFT | GROUP_RIGHT | KEEP_METRIC_NAMES

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
    if not text.strip():
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
    try:
        return Parsed(None, 0, _features(tree))
    except MetricsqlError as exc:
        return Parsed(exc.message, exc.offset)


def _features(tree) -> list:
    """MetricsQL-only constructs, in order of appearance; unknown functions are errors."""
    from lark import Token

    defined = set()
    for node in tree.iter_subtrees():
        if node.data == "with_def":
            defined.add(node.children[0].value)
    names = [node.children[0].value for node in tree.iter_subtrees() if node.data == "with_def"]
    if len(names) != len(set(names)):
        dup = next(n for n in names if names.count(n) > 1)
        raise MetricsqlError(f"`{dup}` is defined twice in `WITH`", 0)
    found = []
    for node in tree.iter_subtrees_topdown():
        data = node.data
        kids = node.children
        if data == "binop" and isinstance(kids[1], Token) and kids[1].type not in _COMPARISONS:
            mod = kids[2] if len(kids) > 3 else None
            if mod is not None and any(isinstance(k, Token) and k.type == "BOOL" for k in mod.children):
                raise MetricsqlError(f"`bool` is for comparisons, not `{kids[1].value}`", _start(mod))
        if data == "window":
            steps = [k for k in kids if not isinstance(k, Token)]
            if not steps:
                raise MetricsqlError("an empty range `[]`: give a duration such as [5m]", _start(node))
            for st in steps:
                if isinstance(st.children[0], Token) and st.children[0].type == "SUB":
                    raise MetricsqlError("a range or step cannot be negative", st.children[0].start_pos or 0)
        if data == "call" and sum(1 for k in kids if not isinstance(k, Token) and k.data == "grouping") > 1:
            raise MetricsqlError(f"`{kids[0].value}` is grouped twice", kids[0].start_pos or 0)
        if data == "keep_names" and not (not isinstance(kids[0], Token) and kids[0].data in ("call", "keep_names")):
            raise MetricsqlError("`keep_metric_names` follows a function call, e.g. rate(m[5m]) keep_metric_names",
                                 _start(node))
        if data == "with_expr":
            found.append(("`WITH` templates", kids[0].start_pos))
        elif data == "call":
            fn = kids[0]
            name = fn.value.lower()
            if fn.value not in defined and name not in KNOWN:
                raise MetricsqlError(f"unknown function `{fn.value}`", fn.start_pos or 0)
            if name not in PROMETHEUS and fn.value not in defined:
                found.append((f"`{fn.value}`", fn.start_pos))
            args = next((k for k in kids if not isinstance(k, Token) and k.data == "args"), None)
            count = 0 if args is None else sum(1 for k in args.children if not isinstance(k, Token))
            if name in AGGREGATIONS and name in PROMETHEUS and count > (2 if name in _PARAM_AGGREGATIONS else 1):
                found.append((f"`{fn.value}` over several arguments", fn.start_pos))
            if name in ROLLUPS and name in PROMETHEUS and args is not None and not _has_window(args):
                found.append((f"`{fn.value}` without a range window", fn.start_pos))
            if any(not isinstance(k, Token) and k.data == "limit" for k in kids):
                found.append(("`limit` after an aggregation", fn.start_pos))
            if args is not None and name not in ROLLUPS and name not in _RANGE_ARGUMENT and any(
                    not isinstance(a, Token) and a.data == "windowed" for a in args.children):
                found.append((f"a range vector given to `{fn.value}` (MetricsQL applies a rollup)", fn.start_pos))
        elif data == "binop":
            op = next((k for k in kids if isinstance(k, Token)), None)
            if op is not None and op.type in ("IF", "IFNOT", "DEFAULT"):
                found.append((f"the `{op.value}` operator", op.start_pos))
            elif op is not None and op.type in ("OR", "AND", "UNLESS") and any(
                    _is_number(side) for side in (kids[0], kids[-1])):
                found.append((f"`{op.value}` with a number", op.start_pos))
        elif data == "paren":
            args = kids[1]
            if sum(1 for k in args.children if not isinstance(k, Token)) > 1:
                found.append(("a union `(a, b)`", _start(node)))
        elif data == "number":
            tok = kids[0]
            if tok.type == "DURATION" or (tok.type == "NUMBER" and tok.value[-1:] in "KMGTiB"):
                found.append((f"the number `{tok.value}`", tok.start_pos))
        elif data == "keep_names":
            found.append(("`keep_metric_names`", _start(node)))
        elif data == "filters" and any(isinstance(k, Token) and k.type == "OR" for k in kids):
            found.append(("`or` inside a selector", _start(node)))
        elif data == "group" and any(isinstance(k, Token) and k.type == "PREFIX" for k in kids):
            found.append(("`prefix` after group_left/group_right", _start(node)))
        elif data == "window":
            steps = [k for k in kids if not isinstance(k, Token)]
            has_range = not isinstance(kids[1], Token)  # `[5m...`, not `[:1m]` or `[]`
            if not has_range or any(t.value.endswith("i") for s in steps for t in s.children
                                    if isinstance(t, Token)):
                found.append(("a MetricsQL range window", _start(node)))
    found.sort(key=lambda f: f[1] or 0)
    return found


# Functions that take a range vector in Prometheus too (besides the rollups).
_RANGE_ARGUMENT = {"timestamp", "absent_over_time", "present_over_time", "label_replace", "label_join"}


def _is_number(node) -> bool:
    from lark import Token

    while not isinstance(node, Token) and node.data in ("neg", "paren"):
        node = next(k for k in node.children if not isinstance(k, Token))
        if node.data == "args":
            kids = [k for k in node.children if not isinstance(k, Token)]
            if len(kids) != 1:
                return False
            node = kids[0]
    return not isinstance(node, Token) and node.data == "number"


# Function names only MetricsQL has: their use marks a rule file as vmalert's.
ONLY = frozenset((AGGREGATIONS | ROLLUPS | TRANSFORMS) - PROMETHEUS)


_COMPARISONS = {"CMP_EQ", "NEQ", "GT", "GTE", "LT", "LTE"}
_PARAM_AGGREGATIONS = {"topk", "bottomk", "quantile", "count_values", "limitk", "limit_ratio"}


def _has_window(args) -> bool:
    for node in args.iter_subtrees():
        if node.data in ("windowed",):
            return True
    return False


def _start(node) -> int:
    from lark import Token

    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Token):
            return n.start_pos or 0
        stack.extend(reversed(n.children))
    return 0
