"""The one door to `promql-parser`: Grafana macros substituted, results cached, facts extracted.

Grafana expressions may hold `$__rate_interval`, `${var}`, `[[var]]` and friends, which
are not PromQL. Each is replaced by a stand-in of the type its position needs (a
duration inside `[...]`, a label name inside `by (...)`, a number as a scalar argument,
an identifier elsewhere) so the rest of the expression is still checked.
"""
from __future__ import annotations

import re
import sys
from collections import OrderedDict

import promql_parser as pp

from obslint import fastpaths, promqlfast

# Functions that older Prometheus versions had, or that newer ones added, which the
# parser may not know: accepted rather than reported as false errors.
_EXTRA_FUNCTIONS = [
    ("holt_winters", [pp.ValueType.Matrix, pp.ValueType.Scalar, pp.ValueType.Scalar], pp.ValueType.Vector),
]


def _register_extras() -> None:
    extra = []
    for name, args, ret in _EXTRA_FUNCTIONS:
        try:
            pp.parse(f"{name}(x[5m], 1, 1)" if len(args) == 3 else f"{name}(x)")
        except ValueError:
            extra.append(pp.Function(name, args, ret))
    if extra:
        pp.register_extra_functions(extra)


_register_extras()

COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}
_FIRST_ARG_SCALAR = {"topk", "bottomk", "quantile", "limitk", "limit_ratio", "histogram_quantile",
                     "quantile_over_time", "vector", "histogram_fraction"}
_LATER_ARG_SCALAR = {"predict_linear", "clamp", "clamp_min", "clamp_max", "round", "holt_winters",
                     "double_exponential_smoothing", "histogram_fraction"}
_LABEL_LISTS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
# The function or aggregation that owns an opening paren, also in `topk by (x) (`.
_IDENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _owner(expr: str, paren: int) -> str:
    """The lower-cased word before the paren at `paren` (`rate`, `by`, ...); for
    `topk by (x) (` the aggregation before the label list."""
    i = paren - 1
    while i >= 0 and expr[i] in " \t\n":
        i -= 1
    if i >= 0 and expr[i] == ")":  # `agg by (labels) (`: skip the label list
        j = expr.rfind("(", 0, i)
        if j > 0:
            # Not recursive: `(a) (b) (c) ...` thousands of groups long must not exhaust the stack.
            word = _word_before(expr, j)
            if word in ("by", "without"):
                k = j - 1
                while k >= 0 and expr[k] in " \t\n":
                    k -= 1
                k -= len(word)
                return _word_before(expr, k + 1) if k >= 0 else ""
        return ""
    return _word_before(expr, paren)


def _word_before(expr: str, pos: int) -> str:
    """The lower-cased identifier that ends just before `pos` (spaces skipped), or ""."""
    i = pos - 1
    while i >= 0 and expr[i] in " \t\n":
        i -= 1
    end = i + 1
    while i >= 0 and expr[i] in _IDENT_CHARS:
        i -= 1
    return expr[i + 1:end].lower()
_UNIT_AFTER = re.compile(r"(?:ms|s|m|h|d|w|y)\b")


_TOKENS = re.compile(r"""
    "[^"\\]*(?:\\.[^"\\]*)*"? | '[^'\\]*(?:\\.[^'\\]*)*'? | `[^`]*`?   # strings (possibly unterminated)
  | \#[^\n]*                                            # comments
  | \$\{[^}]*\} | \$[A-Za-z_][A-Za-z0-9_]* | \[\[[^\[\]]*\]\]  # Grafana variables and macros
  | [\[\](){}]
""", re.X)


def substitute(expr: str) -> str:
    """Replace Grafana macros and template variables with parseable stand-ins."""
    if "$" not in expr and "[[" not in expr:
        return expr
    if _NO_VARIABLE is not None and _NO_VARIABLE.fullmatch(expr):  # `$` only in strings and comments
        return expr
    edits = _substitute_ranges(expr) if _FAST else None
    return _apply(expr, edits if edits is not None else _substitute(expr))[0]


def substitute_spans(expr: str) -> tuple[str, list]:
    """`substitute(expr)` and its edits as (start, end, new_start, new_end) spans, so an
    offset in the substituted text can be mapped back (`original_offset`)."""
    if "$" not in expr and "[[" not in expr:
        return expr, []
    edits = _substitute_ranges(expr) if _FAST else None
    return _apply(expr, edits if edits is not None else _substitute(expr))


def original_offset(spans: list, offset: int) -> int:
    """The offset in the user's text of `offset` in the substituted text."""
    shift = 0
    for start, end, new_start, new_end in spans:
        if offset < new_start:
            break
        if offset < new_end:
            return start
        shift = end - new_end
    return offset + shift


def shown(message: str) -> str:
    """A parser message with the stand-ins of variables written as the user wrote them."""
    if "__var_" not in message:
        return message
    return _STAND_IN_TEXT.sub(lambda m: "$" + m.group(1), message)


_STAND_IN_TEXT = re.compile(r'__var_(\w+?)(?:=~"\.\+")?(?=\W|$)')


def _apply(expr: str, edits: list) -> tuple[str, list]:
    """The text with `edits` ((start, end, replacement), in order) made, and their spans."""
    if not edits:
        return expr, []
    out: list[str] = []
    spans = []
    last = 0
    size = 0
    for start, end, rep in edits:
        chunk = expr[last:start]
        out.append(chunk)
        size += len(chunk)
        out.append(rep)
        spans.append((start, end, size, size + len(rep)))
        size += len(rep)
        last = end
    out.append(expr[last:])
    return "".join(out), spans


# Most templated expressions hold variables only inside strings (`{job="$job"}`, left as
# they are) and inside range brackets (`[$__rate_interval]`, `[1h:$__interval]`): those are
# handled by one scan; any other variable takes the full, context-aware path.
_FAST_TOKENS = re.compile(r"""
    "[^"\\]*(?:\\.[^"\\]*)*"? | '[^'\\]*(?:\\.[^'\\]*)*'? | `[^`]*`? | \#[^\n]*   # strings, comments: kept
  | (\[\[)                                                  # an old-style [[var]]: full path
  | (\[[^\[\]"'`\#]*\])                                     # a range or subquery bracket
  | (\$)                                                     # a variable anywhere else: full path
""", re.X)
# The same reading in one C-level match, for texts whose `$` are all inside strings (half of
# the corpus dashboards' expressions): possessive quantifiers, so a text that does not match
# fails in linear time. They exist from Python 3.11; before that the scan above does it all.
_NO_VARIABLE = (re.compile(r"""(?:[^"'`\#$\[]++ | "[^"\\]*+(?:\\.[^"\\]*+)*+" | '[^'\\]*+(?:\\.[^'\\]*+)*+'
                               | `[^`]*+` | \#[^\n]*+ | \[(?!\[))*+""", re.X)
                if sys.version_info >= (3, 11) and fastpaths.ENABLED else None)
_BRACKET_VAR = re.compile(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*")


def _bracket_stand_in(m: "re.Match") -> str:
    return "5" if _UNIT_AFTER.match(m.string, m.end()) else "5m"


def _substitute_ranges(expr: str) -> list | None:
    """Edits replacing the variables inside range brackets, or None when `expr` holds a
    variable the fast path does not handle."""
    edits: list = []
    for m in _FAST_TOKENS.finditer(expr):
        if m.lastindex is None:
            continue
        if m.lastindex != 2:
            return None
        if "$" in m.group(2):
            base = m.start(2)
            for v in _BRACKET_VAR.finditer(expr, base, m.end(2)):
                edits.append((v.start(), v.end(), _bracket_stand_in(v)))
    return edits


def _substitute(expr: str) -> list:
    edits: list = []
    bracket = brace = label_list = 0
    parens: list[str] = []  # the function name owning each open paren
    for m in _TOKENS.finditer(expr):
        tok = m.group()
        c = tok[0]
        if c in "\"'`#":
            continue
        start = m.start()
        if c == "$" or tok.startswith("[["):
            name = (tok[2:-1] if tok.startswith("${") else tok[2:-2] if c == "[" else tok[1:])
            name = name.split(":")[0].strip()
            edits.append((start, m.end(), _stand_in(name, expr, start, m.end(), bracket, brace, label_list, parens)))
        elif c == "[":
            bracket += 1
        elif c == "]":
            bracket = max(0, bracket - 1)
        elif c == "{":
            brace += 1
        elif c == "}":
            brace = max(0, brace - 1)
        elif c == "(":
            owner = _owner(expr, start)
            if owner in _LABEL_LISTS:
                label_list += 1
                parens.append("#labels")
            else:
                parens.append(owner)
        elif c == ")":
            if parens and parens.pop() == "#labels":
                label_list = max(0, label_list - 1)
    return edits


def _stand_in(name: str, expr: str, start: int, end: int, bracket: int, brace: int, label_list: int,
              parens: list[str]) -> str:
    ident = "__var_" + (re.sub(r"[^A-Za-z0-9_]", "_", name) or "x")
    if bracket:
        return "5" if _UNIT_AFTER.match(expr, end) else "5m"
    if brace:
        before = expr[:start].rstrip()
        after = expr[end:].lstrip()
        if before.endswith(("{", ",")) and after[:1] in (",", "}"):
            # A variable holding whole matchers (`{$matchers}`, an ad-hoc `$filter`): a matcher
            # that matches any non-empty value keeps the selector valid on its own.
            return ident + '=~".+"'
        return ident
    if label_list:
        return ident
    before = expr[:start].rstrip()
    after = expr[end:].lstrip()
    if before and before[-1] in ")}]" and after and (after[0] in "({" or after[0].isalpha() or after[0] == "_"):
        # Between two operands: the variable holds a binary operator (`$op`, e.g. `and`/`unless`).
        return "and"
    if re.search(r"\boffset$", before):
        return "5m"
    if before[-1:] in ("<", ">", "="):  # a threshold (`> $limit`; LogQL `| duration > $min`)
        return "1"
    if _UNIT_AFTER.match(expr, end):
        return "5"
    fn = parens[-1] if parens else ""
    if (before.endswith("(") and fn in _FIRST_ARG_SCALAR) or (before.endswith(",") and fn in _LATER_ARG_SCALAR):
        return "1"
    if name.startswith("__") and name not in ("__name__",):
        return "1"
    return ident


class Selector:
    """One vector or matrix selector: metric name, matchers (label, op, value), range in
    seconds for a matrix selector, enclosing function names (innermost first)."""

    __slots__ = ("name", "matchers", "range", "funcs")

    def __init__(self, name: str | None, matchers: list, range: float | None, funcs: tuple) -> None:
        self.name, self.matchers, self.range, self.funcs = name, matchers, range, funcs

    def __repr__(self) -> str:
        return f"Selector(name={self.name!r}, matchers={self.matchers!r}, range={self.range!r}, funcs={self.funcs!r})"


class Parsed:
    """Facts about one expression. The syntax tree itself is heavy (promql-parser copies
    every subtree into every node), so it is not kept here: `ast` fetches it from the run's
    weight-bounded tree cache, parsing again when it was evicted."""

    __slots__ = ("text", "error", "selectors", "calls", "aggregations", "ranges", "operators", "nested",
                 "shape_text", "_service")

    def __init__(self, text: str, error: str | None, service: Service | None = None) -> None:
        self.text, self.error = text, error
        # What `shape` parses: `text`, or `text` with its regex matchers written as `=`/`!=`.
        self.shape_text = text
        self.selectors: list[Selector] = []
        self.calls: list[str] = []
        self.aggregations: list = []  # (op, "by"/"without"/None, labels, param value)
        self.ranges: list = []  # (seconds, enclosing funcs)
        self.operators: list[str] = []  # binary operators (`/`, `>`, `and`, ...)
        # Whether some comparison has another comparison inside an operand (`x > 5 < 3`,
        # `sum(x > 1) > 2`): only then can two comparisons narrow one value (PQ121).
        self.nested = False
        self._service = service

    @property
    def ast(self):
        """The syntax tree of the expression (Grafana variables substituted), or None."""
        if self.error is not None:
            return None
        return (self._service or Service()).tree(self.text)

    @property
    def shape(self):
        """A syntax tree of the same shape as `ast`, cheaper to get: when the facts came from
        the regex-free parse, its regex matchers read `=`/`!=` (take operators from
        `selectors`, never from this tree's matchers). For checks of structure only."""
        if self.error is not None:
            return None
        return (self._service or Service()).tree(self.shape_text)


def _matchers(vs) -> list:
    ms = vs.matchers
    ops = _MATCH_OPS
    out = [(m.name, ops[int(m.op)], m.value) for m in ms.matchers]
    groups = ms.or_matchers
    if groups:
        out += [(m.name, ops[int(m.op)], m.value) for group in groups for m in group]
    return out


_MATCH_OPS = {int(pp.MatchOp.Equal): "=", int(pp.MatchOp.NotEqual): "!=", int(pp.MatchOp.Re): "=~",
              int(pp.MatchOp.NotRe): "!~"}


# --- guards against pathological expressions ------------------------------------------
# promql-parser (Rust) recurses once per nesting level, and its Python AST keeps a copy of
# every subtree in every node, so time and memory grow with the square of the nesting
# depth: 2,000 levels take 300 MB, and about 10,000 overflow the native stack and kill the
# process (a segfault, nothing to catch). Real expressions nest a couple of dozen levels at
# most (23 across the whole corpus), so deeper or longer ones are reported, not parsed.
MAX_LENGTH = 65_536  # characters
MAX_DEPTH = 128  # parentheses, calls, ranges and chained operators, counted as `nesting` does
_NESTING = re.compile(r"""
    "(?:[^"\\]|\\.)*"? | '(?:[^'\\]|\\.)*'? | `[^`]*`? | \#[^\n]*   # strings, comments
  | [(){}\[] | \b(?:and|or|unless|atan2)\b | [=!<>]=? | [-+*/%^]
""", re.X)


def nesting(expr: str) -> int:
    """An upper bound of the depth of the expression's syntax tree: each parenthesised group
    adds one level plus one per operator chained inside it; a range `[...]` adds one."""
    stack = [[0, 0]]  # per open group: [operators in it, deepest group inside it]
    braces = 0  # inside a selector's {...}, `=`, `!=`, `=~` are matchers, not operators
    for m in _NESTING.finditer(expr):
        c = m.group()[0]
        if c in "\"'`#":
            continue
        if c == "{":
            braces += 1
        elif c == "}":
            braces = max(0, braces - 1)
        elif braces:
            continue
        elif c == "(":
            stack.append([0, 0])
        elif c == ")":
            if len(stack) > 1:
                ops, inner = stack.pop()
                stack[-1][1] = max(stack[-1][1], ops + inner + 1)
        else:  # an operator, or a range/subquery wrapping the operand before it
            stack[-1][0] += 1
    while len(stack) > 1:  # unclosed groups still nest for the parser
        ops, inner = stack.pop()
        stack[-1][1] = max(stack[-1][1], ops + inner + 1)
    return stack[0][0] + stack[0][1]


_LEVEL_MARKS = ("(", "[", "=", "!", "<", ">", "+", "-", "*", "/", "%", "^", "and", "or", "unless", "atan2")


def too_complex(expr: str) -> str | None:
    """Why an expression is not handed to the parser, or None when it is safe to parse."""
    if len(expr) <= MAX_DEPTH:  # every level takes at least one character
        return None
    if len(expr) > MAX_LENGTH:
        return (f"expression is {len(expr):,} characters long; obslint parses expressions of up to "
                f"{MAX_LENGTH:,} characters")
    # Every level `nesting` counts needs one of these characters or words: few of them, no scan.
    if sum(map(expr.count, _LEVEL_MARKS)) <= MAX_DEPTH:
        return None
    depth = nesting(expr)
    if depth > MAX_DEPTH:
        return (f"expression nests about {depth:,} levels deep (parentheses, calls and chained operators); "
                f"obslint parses up to {MAX_DEPTH} levels")
    return None


# Syntax trees are kept apart from the facts, under a weight budget: an AST's size grows
# with length times nesting, so each is charged len(text) x (1 + parentheses, ranges and
# operator characters) and the oldest are dropped when the total passes the budget. The
# engine runs every check of one rule or panel back to back, so only the trees of the
# expressions being checked need to stay: the budget holds a handful of ordinary trees, and
# always the newest. Keeping more costs time, not only memory: on the corpus dashboards a
# budget for ~100 trees made the checks ~15% slower (more live objects, colder caches) than
# one for ~4. The facts (selectors, calls, aggregations, ranges) are small and kept for the run.
_CACHE_BUDGET = 20_000
_WEIGHED = ("(", "[", "+", "-", "*", "/", "%", "^", "<", ">", "=", " or ", " and ", " unless ")


def _weight(text: str) -> int:
    if len(text) <= 256:  # a short text cannot hold a heavy tree: skip the counting
        return len(text) * 32
    return len(text) * (1 + sum(map(text.count, _WEIGHED)))


class Service:
    """PromQL facts and syntax trees for one run: facts once per distinct expression, trees
    under the weight budget above. The engine makes one per run (`Context.promql`) and makes
    it the active one while the checks run (`use`); `parse()` outside a run works on a
    throwaway service, so nothing outlives a run."""

    __slots__ = ("facts", "trees", "weight", "regexes")

    def __init__(self) -> None:
        self.facts: dict[str, Parsed] = {}
        self.trees: OrderedDict[str, tuple[object, int]] = OrderedDict()
        self.weight = 0
        self.regexes: dict = {}  # (op, literal) -> whether promql-parser accepts it (promqlfast)

    def parse(self, expr: str) -> Parsed:
        """Facts about an expression, computed once per run."""
        hit = self.facts.get(expr)
        if hit is None:
            hit = self.facts[expr] = self._parse(expr)
        return hit

    def remember(self, text: str, ast) -> None:
        w = _weight(text)
        trees = self.trees
        trees[text] = (ast, w)
        self.weight += w
        while self.weight > _CACHE_BUDGET and len(trees) > 1:
            _old, (_tree, ow) = trees.popitem(last=False)
            self.weight -= ow

    def tree(self, text: str):
        """The syntax tree of `text` (a text that parsed before), parsed again when evicted."""
        hit = self.trees.get(text)
        if hit is not None:
            self.trees.move_to_end(text)
            return hit[0]
        try:
            ast = pp.parse(text)
        except BaseException as exc:  # noqa: BLE001 - parsed before without error; be safe anyway
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            return None
        self.remember(text, ast)
        return ast

    def _parse(self, expr: str) -> Parsed:
        problem = too_complex(expr)
        if problem is not None:
            return Parsed(expr, problem, self)
        text = substitute(expr)
        if _FAST:
            quick = promqlfast.facts(text)
            if quick is not None:  # a common shape, valid and described without a syntax tree
                parsed = Parsed(text, None, self)
                selector, parsed.calls, parsed.aggregations, parsed.ranges = quick
                parsed.selectors.append(Selector(*selector))
                return parsed
            plain = promqlfast.without_regexes(text, self.regexes)
            if plain is not None:
                parsed = self._parse_plain(text, *plain)
                if parsed is not None:
                    return parsed
        try:
            ast = pp.parse(text)
        except ValueError as exc:
            return Parsed(text, str(exc) or "invalid PromQL", self)
        except BaseException as exc:  # the Rust core may panic on pathological input
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            return Parsed(text, f"the PromQL parser failed on this expression ({type(exc).__name__})", self)
        parsed = Parsed(text, None, self)
        try:
            _collect(ast, parsed, ())
        except RecursionError:
            parsed.error = "expression nests too deeply to analyse"
            return parsed
        self.remember(text, ast)
        return parsed

    def _parse_plain(self, text: str, plain: str, matchers: list) -> Parsed | None:
        """Facts of `text` from the parse of `plain` (its regex matchers written as `=`/`!=`,
        their values already checked), operators restored; None when anything does not line
        up, and the caller parses `text` itself. The plain tree is kept as the facts' `shape`;
        `ast` is always the tree of `text` itself."""
        try:
            ast = pp.parse(plain)
        except BaseException as exc:  # noqa: BLE001 - invalid: the full parse gives the exact message
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            return None
        parsed = Parsed(text, None, self)
        try:
            _collect(ast, parsed, ())
        except RecursionError:
            return None
        found = [m for sel in parsed.selectors for m in sel.matchers]
        if len(found) != len(matchers):
            return None
        ops = iter(matchers)
        for sel in parsed.selectors:
            restored = []
            for label, _op, value in sel.matchers:
                want_label, want_op, literal = next(ops)
                if label != want_label or ('\\' not in literal and literal[1:-1] != value):
                    return None
                restored.append((label, want_op, value))
            sel.matchers = restored
        if "absent" in parsed.calls or "absent_over_time" in parsed.calls:
            return parsed  # result_labels reads absent()'s matcher operators: `shape` is `ast` here
        parsed.shape_text = plain
        self.remember(plain, ast)
        return parsed


_FAST = fastpaths.ENABLED
_active: Service | None = None  # the running lint's service (set by `use`), not a cache


def use(service: Service | None) -> Service | None:
    """Make `service` the one `parse()` works with (None: none); returns the one before, to
    restore. The engine calls it around the checks of a run."""
    global _active
    before, _active = _active, service
    return before


def parse(expr: str) -> Parsed:
    """Facts about an expression, from the running lint's service (once per run)."""
    svc = _active
    return (svc if svc is not None else Service()).parse(expr)


def _collect(node, out: Parsed, funcs: tuple) -> None:
    # Dispatch on the exact class (promql-parser's node classes are final): one lookup
    # instead of a chain of isinstance calls, on every node of every expression.
    t = type(node)
    if t is _VS:
        out.selectors.append(Selector(node.name, _matchers(node), None, funcs))
    elif t is _MS:
        vs = node.vector_selector
        rng = node.range.total_seconds()
        out.ranges.append((rng, funcs))
        out.selectors.append(Selector(vs.name, _matchers(vs), rng, funcs))
    elif t is _CALL:
        name = node.func.name
        out.calls.append(name)
        inner = (name,) + funcs
        for a in node.args:
            _collect(a, out, inner)
    elif t is _BIN:
        op = str(node.op)
        ops = out.operators
        ops.append(op)
        if op in COMPARISONS:
            k = len(ops)
            _collect(node.lhs, out, funcs)
            _collect(node.rhs, out, funcs)
            if k < len(ops) and not COMPARISONS.isdisjoint(ops[k:]):
                out.nested = True
        else:
            _collect(node.lhs, out, funcs)
            _collect(node.rhs, out, funcs)
    elif t is _AGG:
        mod = node.modifier
        kind = None
        labels: list = []
        if mod is not None:
            kind = "without" if str(mod.type).endswith("Without") else "by"
            labels = list(mod.labels)
        op = str(node.op)
        param = node.param
        value = None if param is None else (param.val if type(param) is pp.StringLiteral else number(param))
        # A plain value, not a syntax node: facts outlive the tree they came from.
        out.aggregations.append((op, kind, labels, value))
        if param is not None:
            _collect(param, out, funcs)
        _collect(node.expr, out, (op,) + funcs)
    elif t is _PAREN or t is _UNARY:
        _collect(node.expr, out, funcs)
    elif t is _SUBQUERY:
        out.ranges.append((node.range.total_seconds(), funcs))
        _collect(node.expr, out, ("subquery",) + funcs)


_VS, _MS, _CALL, _BIN, _AGG = pp.VectorSelector, pp.MatrixSelector, pp.Call, pp.BinaryExpr, pp.AggregateExpr
_PAREN, _UNARY, _SUBQUERY = pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr
_NUM, _STR = pp.NumberLiteral, pp.StringLiteral


def nodes(ast, params: bool = False):
    """Every node of a syntax tree, depth first from a stack (the last child first); with
    `params`, also aggregation parameters (the `5` of `topk(5, ...)`). A matrix selector is a
    leaf: its vector selector is not visited on its own."""
    stack = [ast]
    while stack:
        n = stack.pop()
        yield n
        t = type(n)
        if t is _CALL:
            stack.extend(n.args)
        elif t is _AGG:
            stack.append(n.expr)
            if params and n.param is not None:
                stack.append(n.param)
        elif t is _BIN:
            stack.append(n.lhs)
            stack.append(n.rhs)
        elif t is _PAREN or t is _UNARY or t is _SUBQUERY:
            stack.append(n.expr)


def comparisons(ast) -> list:
    """Top-level filtering comparisons (not `bool`): the ones that make an alert conditional."""
    found = []
    stack = [ast]
    while stack:
        node = stack.pop()
        if isinstance(node, pp.ParenExpr):
            stack.append(node.expr)
        elif isinstance(node, pp.BinaryExpr):
            op = str(node.op)
            if op in COMPARISONS and not (node.modifier is not None and node.modifier.return_bool):
                found.append(node)
            elif op in ("and", "or", "unless"):
                stack.append(node.lhs)
                if op == "or":
                    stack.append(node.rhs)
            else:
                stack.extend([node.lhs, node.rhs])
        elif isinstance(node, pp.AggregateExpr):
            if str(node.op) in ("topk", "bottomk", "limitk", "limit_ratio", "min", "max"):
                stack.append(node.expr)
        elif isinstance(node, pp.Call):
            if node.func.name in ("absent", "absent_over_time", "present_over_time"):
                found.append(node)
            elif node.func.name in ("sort", "sort_desc", "label_replace", "label_join", "ceil", "floor", "round",
                                    "abs", "clamp", "clamp_min", "clamp_max", "sort_by_label", "sort_by_label_desc"):
                if node.args:
                    stack.append(node.args[0])
        elif isinstance(node, pp.SubqueryExpr):
            stack.append(node.expr)
        elif isinstance(node, pp.UnaryExpr):
            stack.append(node.expr)
    return found


# --- labels a result can carry -------------------------------------------------------
class Labels:
    """The labels an expression's result may carry: all but `minus`, or only `only`."""

    __slots__ = ("only", "minus")

    def __init__(self, only: frozenset | None = None, minus: frozenset = frozenset()) -> None:
        self.only, self.minus = only, minus

    def may_have(self, label: str) -> bool:
        if self.only is not None:
            return label in self.only
        return label not in self.minus

    def without(self, labels) -> "Labels":
        if self.only is not None:
            return Labels(self.only - frozenset(labels))
        return Labels(None, self.minus | frozenset(labels))

    def with_(self, labels) -> "Labels":
        if self.only is not None:
            return Labels(self.only | frozenset(labels))
        return Labels(None, self.minus - frozenset(labels))

    def union(self, other: "Labels") -> "Labels":
        if self.only is not None and other.only is not None:
            return Labels(self.only | other.only)
        if self.only is None and other.only is None:
            return Labels(None, self.minus & other.minus)
        a, b = (self, other) if self.only is None else (other, self)
        return Labels(None, a.minus - b.only)


_NO_ARG_ZERO_LABELS = {"vector", "time", "scalar", "pi"}
_DATE_FUNCS = {"minute", "hour", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "month", "year"}
_KEEP_ALL = ("topk", "bottomk", "limitk", "limit_ratio")


def result_labels(node) -> Labels:
    t = type(node)
    if t is _VS or t is _MS:
        return Labels()
    if t is _NUM or t is _STR:
        return Labels(frozenset())
    if t is _PAREN or t is _UNARY or t is _SUBQUERY:
        return result_labels(node.expr)
    if t is _AGG:
        op = str(node.op)
        inner = result_labels(node.expr)
        if op in _KEEP_ALL:
            return inner
        mod = node.modifier
        extra = set()
        if op == "count_values" and type(node.param) is _STR:
            extra.add(node.param.val)
        if mod is None:
            return Labels(frozenset(extra))
        if str(mod.type).endswith("Without"):
            return inner.without(mod.labels).with_(extra)
        return Labels(frozenset(l for l in mod.labels if inner.may_have(l)) | frozenset(extra))
    if t is _CALL:
        name = node.func.name
        args = node.args
        if name in _NO_ARG_ZERO_LABELS or (name in _DATE_FUNCS and not args):
            return Labels(frozenset())
        if name in ("absent", "absent_over_time"):
            labels = set()
            stack = list(args)
            while stack:
                a = stack.pop()
                if type(a) is _VS:
                    labels |= {m[0] for m in _matchers(a) if m[1] == "="}
                elif type(a) is _MS:
                    labels |= {m[0] for m in _matchers(a.vector_selector) if m[1] == "="}
            return Labels(frozenset(labels))
        base = next((result_labels(a) for a in args if type(a) is not _NUM and type(a) is not _STR),
                    Labels(frozenset()))
        if name in ("label_replace", "label_join") and len(args) > 1 and type(args[1]) is _STR:
            return base.with_([args[1].val])
        if name == "histogram_quantile":
            return base.without(["le"])
        return base
    if t is _BIN:
        lhs_node, rhs_node = node.lhs, node.rhs
        lhs_scalar = _is_scalar(lhs_node)
        rhs_scalar = _is_scalar(rhs_node)
        if lhs_scalar and not rhs_scalar:
            return result_labels(rhs_node)
        if rhs_scalar:
            return result_labels(lhs_node)
        op = str(node.op)
        if op == "or":
            return result_labels(lhs_node).union(result_labels(rhs_node))
        if op in ("and", "unless"):
            return result_labels(lhs_node)
        mod = node.modifier
        card = str(mod.card) if mod is not None else ""
        if card.endswith("OneToMany"):
            group = list(mod.group_labels or []) if getattr(mod, "group_labels", None) else []
            return result_labels(rhs_node).with_(group)
        if card.endswith("ManyToOne"):
            group = list(mod.group_labels or []) if getattr(mod, "group_labels", None) else []
            return result_labels(lhs_node).with_(group)
        # one-to-one, with or without on(...)/ignoring(...), keeps the left side's labels
        return result_labels(lhs_node)
    return Labels()


def _is_scalar(node) -> bool:
    t = type(node)
    while t is _PAREN or t is _UNARY:
        node = node.expr
        t = type(node)
    if t is _NUM:
        return True
    if t is _CALL:
        return node.func.name in ("scalar", "time", "pi")
    if t is _BIN:
        return _is_scalar(node.lhs) and _is_scalar(node.rhs)
    return False


def number(node) -> float | None:
    """The value of a scalar literal (through parens and unary minus), else None."""
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return float(node)
    sign = 1.0
    while isinstance(node, (pp.ParenExpr, pp.UnaryExpr)):
        if isinstance(node, pp.UnaryExpr):
            sign = -sign
        node = node.expr
    if isinstance(node, pp.NumberLiteral):
        return sign * node.val
    return None
