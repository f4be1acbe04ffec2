"""What VictoriaMetrics refuses in a MetricsQL query that parses: it expands `WITH`
templates before it runs a query, and the expansion fails on a template called with the
wrong number of arguments, one defined twice in a `WITH`, a name used as a duration, a
label value, a `prefix` or a `{filter}` that is no template of that kind, a metric name
given twice, a bad regular expression, and (after expansion) an unknown function. Also
the modifiers its parser places: `bool` only on comparisons, `group_left` not on `and`/
`or`/`unless`, `by`/`limit` only on aggregations, `keep_metric_names` only after a
function, a binary operation, or a parenthesised one.

The checks walk the lark tree of obslint.lang.metricsql; a template's body is checked
where it is used, in the scope VictoriaMetrics gives it (the templates defined before
it, its parameters bound to the call's arguments), so an unused template costs nothing.
"""
from __future__ import annotations

from lark import Token, Tree

from obslint.lang.metricsql import (AGGREGATIONS, KNOWN, MetricsqlError, duration_number, unescape)

STRING, NUMBER, DURATION, OTHER = "string", "number", "duration", "other"
_COMPARISONS = {"CMP_EQ", "NEQ", "GT", "GTE", "LT", "LTE"}
_SET_OPERATORS = {"AND", "OR", "UNLESS"}
_BUDGET = 20_000  # template expansions can multiply; past this many nodes the rest is not checked
# VictoriaMetrics' built-in templates: name -> number of parameters.
_DEFAULTS = {"ru": 2, "ttf": 1, "range_median": 1, "alias": 2}


class _Template:
    __slots__ = ("name", "params", "body", "scope", "param")

    def __init__(self, name, params, body, scope, param=False) -> None:
        self.name, self.params, self.body, self.scope, self.param = name, params, body, scope, param


_BUILTIN = tuple(_Template(n, ("_",) * k, None, ()) for n, k in _DEFAULTS.items())


def check(tree) -> None:
    """Raise MetricsqlError (message, offset) for what VictoriaMetrics refuses."""
    _Checker().expr(tree.children[0], _BUILTIN)


def _lookup(scope, name):
    for template in reversed(scope):
        if template.name == name:
            return template
    return None


def _kids(node) -> list:
    return [k for k in node.children if isinstance(k, Tree)]


def _first(node) -> int:
    while isinstance(node, Tree):
        node = node.children[0]
    return node.start_pos or 0


class _Checker:
    def __init__(self) -> None:
        self.budget = _BUDGET

    # expressions -> their kind: STRING, NUMBER, DURATION, OTHER, ("metric", name, groups), ("rollup", kind)

    def expr(self, node, scope):
        self.budget -= 1
        if self.budget < 0:
            return OTHER
        kids = node.children
        kind = self.single(kids[0], scope)
        previous = kids[0]
        for tail in kids[1:]:
            op, mod, right = tail.children[0], tail.children[1], tail.children[2]
            keep = len(tail.children) > 3
            name = right.children[0] if right.data == "rolled" else right
            if op.type == "ADD" and not mod.children and _is_string(previous) and name.data == "name":
                # VictoriaMetrics reads `"s" + name` as one string: the name is a string template
                self.string_name(name.children[0], scope)
                if name is not right:
                    self.rollup(right.children[1], scope)
                continue
            self.modifiers(op, mod, scope)
            right_kind = self.single(right, scope, not keep)
            kind = STRING if op.type == "ADD" and kind == STRING and right_kind == STRING else OTHER
            previous = right
        return kind

    def single(self, node, scope, free_keep=False):
        """`free_keep`: a `keep_metric_names` after this operand belongs to the binary
        operation it ends (VictoriaMetrics' reading of `a + sum(b) keep_metric_names`)."""
        data = node.data
        if data == "with_expr":
            return self.with_expr(node, scope)
        if data in ("neg", "pos"):
            kind = self.single(node.children[1], scope)
            return NUMBER if kind == NUMBER else OTHER
        if data == "rolled":
            primary, rollup = node.children
            kind = self.primary(primary, scope, False)
            self.rollup(rollup, scope)
            return ("rollup", kind)
        return self.primary(node, scope, free_keep)

    def primary(self, node, scope, free_keep):
        data, kids = node.data, node.children
        if data == "number":
            return DURATION if kids[0].type == "DURATION" else ("number", kids[0].value)
        if data == "string":
            _unquote(kids[0])
            return STRING
        if data == "empty_paren":
            return OTHER
        if data == "paren":
            args = [k for k in kids if isinstance(k, Tree) and k.data == "expr"]
            kinds = [self.expr(a, scope) for a in args]
            keep = kids[-1] if isinstance(kids[-1], Tree) and kids[-1].data == "keep" else None
            if keep is not None and not free_keep:
                if not (len(args) == 1 and len(args[0].children) > 1):
                    raise MetricsqlError("`keep_metric_names` after parentheses needs a binary operation inside, "
                                         "e.g. (a + b) keep_metric_names", keep.children[0].start_pos)
            return ("paren", kinds)
        if data == "name":
            return self.metric_name(kids[0], scope)
        if data == "selector":
            return self.selector(node, scope)
        return self.call(node, scope, free_keep)

    def with_expr(self, node, scope):
        defs = [k for k in node.children if isinstance(k, Tree) and k.data == "with_def"]
        seen = {}
        inner = scope
        for d in defs:
            name = d.children[0]
            key = unescape(name.value)
            if key in seen:
                raise MetricsqlError(f"`{key}` is defined twice in this `WITH`", name.start_pos)
            seen[key] = True
            params = []
            if isinstance(d.children[1], Tree) and d.children[1].data == "ident_list":
                for p in _labels(d.children[1]):
                    if p[0] in params:
                        raise MetricsqlError(f"`{p[0]}` is a parameter of `{key}` twice", p[1])
                    params.append(p[0])
            inner = inner + (_Template(key, tuple(params), d.children[-1], inner),)
        return self.expr(node.children[-1], inner)

    def expand(self, template, args, scope):
        """The kind of `template` called with `args` (nodes in `scope`)."""
        if template.body is None:
            return OTHER
        bound = template.scope + tuple(_Template(p, (), a, scope, True) for p, a in zip(template.params, args))
        return self.expr(template.body, bound)

    def use(self, token, scope, what):
        """A template used without arguments where `what` is wanted (VictoriaMetrics
        calls it with none: one with parameters is an error)."""
        name = unescape(token.value)
        template = _lookup(scope, name)
        if template is None:
            raise MetricsqlError(f"`{token.value}` is not {what} nor a WITH template of one", token.start_pos)
        if template.params:
            raise MetricsqlError(f"`{name}` takes {len(template.params)} argument(s) and is used without",
                                 token.start_pos)
        return self.expand(template, (), scope)

    def string_name(self, token, scope):
        name = unescape(token.value)
        template = _lookup(scope, name)
        kind = None if template is None or template.params else self.expand(template, (), scope)
        if kind != STRING:
            raise MetricsqlError(f"`{token.value}` here must be a WITH template of a quoted string",
                                 token.start_pos)

    def duration(self, token, scope):
        if token.type == "DURATION":
            return
        if token.type == "NUMBER":
            if not duration_number(token.value):
                raise MetricsqlError(f"`{token.value}` is not a duration: write e.g. 5m or 300",
                                     token.start_pos)
            return
        kind = self.use(token, scope, "a duration")
        if kind == DURATION or (isinstance(kind, tuple) and kind[0] == "number" and duration_number(kind[1])):
            return
        raise MetricsqlError(f"the WITH template `{token.value}` is used as a duration but is none",
                             token.start_pos)

    def rollup(self, node, scope):
        for part in node.children:
            if part.data == "window":
                for tok in part.children:
                    if tok.type in ("DURATION", "NUMBER", "IDENT"):
                        self.duration(tok, scope)
            elif part.data == "offset":
                self.duration(part.children[-1], scope)
            else:  # at
                self.single(part.children[-1], scope)

    def str_chain(self, node, scope):
        for tok in node.children:
            if tok.type == "STRING":
                _unquote(tok)
            elif tok.type == "IDENT":
                self.string_name(tok, scope)

    def modifiers(self, op, mod, scope):
        for part in mod.children:
            if isinstance(part, Token):  # bool
                if op.type not in _COMPARISONS:
                    raise MetricsqlError(f"`bool` is for comparisons, not `{op.value}`", part.start_pos)
                continue
            join = next((k for k in part.children if isinstance(k, Tree) and k.data == "join"), None)
            if join is not None:
                if op.type in _SET_OPERATORS:
                    raise MetricsqlError(f"`{join.children[0].value}` cannot modify `{op.value}`",
                                         join.children[0].start_pos)
                for k in join.children:
                    if isinstance(k, Tree) and k.data == "prefix":
                        self.str_chain(k.children[1], scope)
            for k in part.children:
                if isinstance(k, Tree) and k.data in ("ident_list", "join"):
                    self.label_list(k, scope)

    def label_list(self, node, scope):
        """Labels in by/on/group_left lists: a template parameter there must be given
        metric names, which take its place."""
        if node.data == "join":
            node = next((k for k in node.children if isinstance(k, Tree) and k.data == "ident_list"), None)
            if node is None:
                return
        for name, offset in _labels(node):
            template = _lookup(scope, name)
            if template is not None and template.param and not all(_bare_name(e) for e in _union(template.body)):
                raise MetricsqlError(f"the label `{name}` is a template parameter given something other than "
                                     "metric names", offset)

    def metric_name(self, token, scope):
        name = unescape(token.value)
        template = _lookup(scope, name)
        if template is None or template.params:
            return ("metric", name, 1)
        return self.expand(template, (), scope)

    def selector(self, node, scope):
        kids = node.children
        name_token = kids[0] if kids[0].type == "IDENT" else None
        filters = next((k for k in kids if isinstance(k, Tree)), None)
        groups = 0 if filters is None else self.filters(filters, scope, name_token)
        if name_token is None:
            return ("metric", "", max(groups, 1) if groups else 0)
        name = unescape(name_token.value)
        template = _lookup(scope, name)
        if template is None or template.params:
            return ("metric", name, max(groups, 1))
        kind = self.expand(template, (), scope)
        base = kind[1] if isinstance(kind, tuple) and kind[0] == "rollup" else kind
        if not (isinstance(base, tuple) and base[0] == "metric"):
            if filters is None:
                return kind
            raise MetricsqlError(f"the WITH template `{name}` is not a selector, so `{name}{{...}}` cannot "
                                 "add filters to it", name_token.start_pos)
        if base[2] > 1 and groups > 1:
            raise MetricsqlError(f"`{name}` holds `or` filters: `{name}{{...}}` cannot add more `or`",
                                 name_token.start_pos)
        return kind

    def filters(self, node, scope, name_token):
        kids = node.children
        for i, k in enumerate(kids[:-1]):
            if isinstance(k, Tree) and isinstance(k.children[-1], Token) and k.children[-1].type == "COMMA":
                raise MetricsqlError("`or` cannot follow `,` inside `{...}`", kids[i + 1].start_pos)
        groups = [k for k in kids if isinstance(k, Tree)]
        for group in groups:
            names = [] if name_token is None else [(unescape(name_token.value), name_token.start_pos)]
            for f in _kids(group):
                label = f.children[0]
                if f.data == "filter_ref":
                    if label.type == "STRING":
                        names.append((label.value[1:-1], label.start_pos))
                        continue
                    kind = self.use(label, scope, "a label matcher")
                    if not (isinstance(kind, tuple) and kind[0] == "metric" and not kind[1]):
                        raise MetricsqlError(f"the WITH template `{label.value}` inside `{{...}}` must be a "
                                             "selector without a metric name, e.g. x = {job=\"a\"}",
                                             label.start_pos)
                    if kind[2] > 1:
                        raise MetricsqlError(f"the WITH template `{label.value}` inside `{{...}}` cannot hold "
                                             "`or`", label.start_pos)
                    continue
                op, chain = f.children[1], f.children[2]
                self.str_chain(chain, scope)
                text = "".join(_unquote(t) for t in chain.children if t.type == "STRING")
                plain = all(t.type != "IDENT" for t in chain.children if isinstance(t, Token))
                key = label.value[1:-1] if label.type == "STRING" else unescape(label.value)
                if op.type in ("RE", "NRE") and plain:
                    _regex(text, chain)
                elif key == "__name__" and op.type == "EQ" and plain:
                    names.append((text, label.start_pos))
            distinct = {n for n, _ in names}
            if len(distinct) > 1:
                raise MetricsqlError("the metric name is given twice: " + " and ".join(
                    f"`{n}`" for n in sorted(distinct)), names[-1][1])
        return len(groups)

    def call(self, node, scope, free_keep):
        kids = node.children
        fn = kids[0]
        raw = fn.value.lower()
        aggregation = raw in AGGREGATIONS
        name = unescape(fn.value)
        args = [k for k in kids if isinstance(k, Tree) and k.data == "expr"]
        for k in kids:
            if not isinstance(k, Tree):
                continue
            if k.data in ("grouping", "limit") and not aggregation:
                raise MetricsqlError(f"`{k.children[0].value}` follows aggregations only (sum, avg, topk...), "
                                     f"not `{fn.value}`", k.children[0].start_pos)
            if k.data == "limit" and not k.children[1].value.isdigit():
                raise MetricsqlError("`limit` takes a whole number", k.children[1].start_pos)
            if k.data == "keep" and aggregation and not free_keep:
                raise MetricsqlError(f"`keep_metric_names` cannot follow the aggregation `{fn.value}`",
                                     k.children[0].start_pos)
        if sum(1 for k in kids if isinstance(k, Tree) and k.data == "grouping") > 1:
            raise MetricsqlError(f"`{fn.value}` is grouped twice", fn.start_pos)
        for a in args:
            self.expr(a, scope)
        for k in kids:
            if isinstance(k, Tree) and k.data == "grouping":
                self.label_list(k.children[1], scope)
        template = _lookup(scope, raw if aggregation else name)
        if template is not None:
            if len(template.params) != len(args):
                if not args:
                    return ("metric", name, 1)  # VictoriaMetrics reads `f()` as the metric `f` then
                raise MetricsqlError(f"`{name}` takes {len(template.params)} argument(s), not {len(args)}",
                                     fn.start_pos)
            return self.expand(template, args, scope)
        if not aggregation and name.lower() not in KNOWN:
            raise MetricsqlError(f"unknown function `{fn.value}`", fn.start_pos)
        return OTHER


def _union(body):
    """The expressions of a `(a, b)` union, or the expression itself."""
    node = body
    while node.data == "expr" and len(node.children) == 1:
        node = node.children[0]
    if node.data == "paren":
        return [k for k in node.children if isinstance(k, Tree) and k.data == "expr"]
    return [] if node.data == "empty_paren" else [body]


def _bare_name(node) -> bool:
    while node.data == "expr" and len(node.children) == 1:
        node = node.children[0]
    return node.data == "name" or (node.data == "selector" and node.children[0].type == "IDENT"
                                   and len(node.children) == 3)


def _labels(ident_list):
    """(name, offset) of each label in a `(a, "b")` list."""
    out = []
    for tok in ident_list.children:
        if tok.type == "IDENT":
            out.append((unescape(tok.value), tok.start_pos))
        elif tok.type == "STRING":
            out.append((tok.value[1:-1], tok.start_pos))
    return out


def _is_string(node) -> bool:
    return isinstance(node, Tree) and node.data == "string"


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\",
                   '"': '"'}


def _unquote(token) -> str:
    """A quoted string's value, read as Go's strconv.Unquote (VictoriaMetrics' reader)
    does: `\\d` or a raw line break inside "..." is an error."""
    text = token.value
    quote, body = text[0], text[1:-1]
    if quote == "`":
        return body.replace("\r", "")
    if quote == "'":
        body = body.replace("\\'", "'").replace('"', '\\"')
    out, i, n = [], 0, len(body)
    while i < n:
        c = body[i]
        if c == "\n" or c == '"':
            raise MetricsqlError("a line break or a bare quote inside a quoted string", token.start_pos + i + 1)
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1] if i + 1 < n else ""
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
            i += 2
            continue
        size = {"x": 2, "u": 4, "U": 8}.get(e, 3 if e and e in "01234567" else 0)
        digits = body[i + 2:i + 2 + size] if e in "xuU" else body[i + 1:i + 1 + size]
        base = 8 if e in "01234567" else 16
        try:
            value = int(digits, base) if size and len(digits) == size else -1
        except ValueError:
            value = -1
        if value < 0 or (base == 8 and value > 255) or value > 0x10FFFF or 0xD800 <= value < 0xE000:
            raise MetricsqlError(f"`\\{e}` is not an escape sequence in a quoted string (write `\\\\{e}`)",
                                 token.start_pos + i + 1)
        out.append(chr(value))
        i += 2 + size if e in "xuU" else 1 + size
    return "".join(out)


def _regex(text: str, chain) -> None:
    """VictoriaMetrics compiles a matcher's regular expression (Go's RE2 syntax) anchored."""
    try:
        import re2
    except ImportError:  # pragma: no cover - google-re2 is a dependency
        return
    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(f"^(?:{text})$", options)
    except Exception as exc:  # noqa: BLE001 - re2.error
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise MetricsqlError(f"invalid regular expression `{text}`: {reason}", _first(chain)) from None
