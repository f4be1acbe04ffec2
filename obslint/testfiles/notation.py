"""promtool's notation for input series: a series selector (`metric{label="value"}`) and its
values in the expanding notation (`1+1x10`, `5x3`, `_`, `_x3`, `stale`, native histograms
`{{schema:0 sum:5 count:4 buckets:[1 2 1]}}` and their `x`/`+`/`-` forms).

The grammar is the one of the PromQL parser's series descriptions: items separated by white
space; `a` one value; `axN` a repeated N+1 times; `a+bxN` / `a-bxN` N+1 values starting at a,
growing by b; `_` one missing sample; `_xN` N missing samples; `stale` a staleness marker; a
histogram `{{...}}` once, `{{...}}xN` N+1 times, `{{a}}+{{b}}xN` / `{{a}}-{{b}}xN` growing by b.
Numbers are decimal (no hexadecimal: `0x1` would read as 0 repeated), with an optional sign,
fraction and exponent, or `Inf`/`NaN`.

Parsing keeps items compact (`0+1x1000000` is one item), so a hostile file costs nothing;
`expand` produces values up to a limit.
"""
from __future__ import annotations

import math
import re

STALE = "stale"
OMITTED = None

_DIGITS = r"\d+(?:_\d+)*"  # `1_000` (Prometheus 3)
_UNSIGNED = rf"(?:(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?|[iI][nN][fF]|[nN][aA][nN])"
_NUMBER = re.compile(rf"[+-]?{_UNSIGNED}")
_INCREMENT = re.compile(rf"[+-]{_UNSIGNED}")
_UINT = re.compile(r"\d+")
_SPACE = " \t\r\n"
_HIST_INT = ("schema", "offset", "n_offset")
_HIST_NUM = ("sum", "count", "z_bucket", "z_bucket_w")
_HIST_LIST = ("buckets", "n_buckets", "custom_values")
_HIST_HINTS = ("unknown", "reset", "not_reset", "gauge")


class NotationError(ValueError):
    """A value text promtool would refuse; `offset` is where in the text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class Item:
    """One item of a values text: `kind` is `number`, `omitted`, `stale` or `histogram`;
    `start`/`step` the first value and the increment (histograms: dicts), `repeat` the N of
    `xN` (None when absent), `span` its place in the text."""

    __slots__ = ("kind", "start", "step", "repeat", "span")

    def __init__(self, kind: str, start=None, step=None, repeat: int | None = None, span: tuple = (0, 0)) -> None:
        self.kind, self.start, self.step, self.repeat, self.span = kind, start, step, repeat, span

    def __repr__(self) -> str:
        return f"Item({self.kind!r}, start={self.start!r}, step={self.step!r}, repeat={self.repeat!r})"

    @property
    def count(self) -> int:
        """How many samples the item stands for."""
        if self.repeat is None:
            return 1
        return self.repeat if self.kind == "omitted" else self.repeat + 1


def _number(text: str) -> float:
    low = text.lower().lstrip("+").replace("_", "")
    if low in ("inf", "-inf", "nan", "-nan"):
        return float(low)
    return float(low)


def parse_values(text: str) -> list[Item]:
    """The items of a values text, or NotationError at the first problem."""
    if not isinstance(text, str):
        raise NotationError("values must be a string", 0)
    items: list[Item] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in _SPACE:
            i += 1
            continue
        item, i = _item(text, i)
        if i < n and text[i] not in _SPACE:
            raise NotationError(f"unexpected {text[i]!r} after a value (separate values by spaces)", i)
        items.append(item)
    return items


def _repeat(text: str, i: int, required: bool) -> tuple[int | None, int]:
    if i < len(text) and text[i] == "x":
        m = _UINT.match(text, i + 1)
        if not m:
            raise NotationError("`x` must be followed by a whole number of repetitions", i + 1)
        return int(m.group()), m.end()
    if required:
        raise NotationError("an increasing series needs `xN` (e.g. `1+1x10`)", i)
    return None, i


def _item(text: str, i: int) -> tuple[Item, int]:
    start = i
    if text.startswith("{{", i):
        first, i = _histogram(text, i)
        if i < len(text) and text[i] in "+-":
            sign = text[i]
            if not text.startswith("{{", i + 1):
                raise NotationError("a histogram series grows by another histogram: `{{...}}+{{...}}xN`", i + 1)
            step, i = _histogram(text, i + 1)
            repeat, i = _repeat(text, i, True)
            if sign == "-":
                step = {k: (-v if isinstance(v, float) else [-x for x in v] if isinstance(v, list) else v)
                        for k, v in step.items()}
            return Item("histogram", first, step, repeat, (start, i)), i
        repeat, i = _repeat(text, i, False)
        return Item("histogram", first, None, repeat, (start, i)), i
    if text[i] == "_":
        repeat, i = _repeat(text, i + 1, False)
        return Item("omitted", repeat=repeat, span=(start, i)), i
    if text.startswith("stale", i) and (i + 5 == len(text) or not text[i + 5].isalnum()):
        return Item("stale", span=(start, i + 5)), i + 5
    m = _NUMBER.match(text, i)
    if not m:
        word = re.match(r"\S+", text[i:]).group()
        raise NotationError(f"expected a number, `_` or `stale`, got {word!r}", i)
    value, i = _number(m.group()), m.end()
    if i < len(text) and text[i] in "+-":
        if m.group()[-1:].isalpha():
            raise NotationError("Inf and NaN cannot start an increasing series", i)
        m2 = _INCREMENT.match(text, i)
        if not m2 or m2.group()[1:2].isalpha():
            raise NotationError("expected the increment after the sign (e.g. `1+1x10`)", i)
        step, i = _number(m2.group()), m2.end()
        repeat, i = _repeat(text, i, True)
        return Item("number", value, step, repeat, (start, i)), i
    if m.group()[-1:].isalpha() and i < len(text) and text[i] == "x":
        raise NotationError("Inf and NaN cannot be repeated with `x`; write them out", i)
    repeat, i = _repeat(text, i, False)
    return Item("number", value, None, repeat, (start, i)), i


def _histogram(text: str, i: int) -> tuple[dict, int]:
    end = text.find("}}", i + 2)
    if end < 0:
        raise NotationError("histogram `{{` without its closing `}}`", i)
    body, base = text[i + 2:end], i + 2
    out: dict = {}
    j = 0
    while j < len(body):
        if body[j] in _SPACE:
            j += 1
            continue
        m = re.match(r"([A-Za-z_]+):", body[j:])
        if not m:
            raise NotationError("expected `key:value` in a histogram (schema, sum, count, buckets, ...)", base + j)
        key = m.group(1).lower()
        j += m.end()
        if key in _HIST_LIST:
            if not body.startswith("[", j):
                raise NotationError(f"histogram `{key}` takes a list: `{key}:[1 2 3]`", base + j)
            close = body.find("]", j)
            if close < 0:
                raise NotationError(f"histogram `{key}` list without `]`", base + j)
            values = []
            for w in re.finditer(r"\S+", body[j + 1:close]):
                if not _NUMBER.fullmatch(w.group()):
                    raise NotationError(f"invalid number {w.group()!r} in histogram `{key}`", base + j + 1 + w.start())
                values.append(_number(w.group()))
            out[key] = values
            j = close + 1
        else:
            m = re.match(r"\S+", body[j:])
            word = m.group() if m else ""
            if key in _HIST_INT:
                if not re.fullmatch(r"[+-]?\d+", word):
                    raise NotationError(f"histogram `{key}` must be an integer, got {word!r}", base + j)
                out[key] = int(word)
            elif key in _HIST_NUM:
                if not _NUMBER.fullmatch(word):
                    raise NotationError(f"histogram `{key}` must be a number, got {word!r}", base + j)
                out[key] = _number(word)
            elif key == "counter_reset_hint":
                if word.lower() not in _HIST_HINTS:
                    raise NotationError(f"counter_reset_hint must be one of {', '.join(_HIST_HINTS)}", base + j)
                out[key] = word.lower()
            else:
                raise NotationError(f"unknown histogram key {key!r} (schema, sum, count, z_bucket, z_bucket_w, "
                                    f"buckets, offset, n_buckets, n_offset, custom_values, counter_reset_hint)",
                                    base + j - len(key) - 1)
            j += len(word)
    return out, end + 2


def count(items: list[Item]) -> int:
    return sum(it.count for it in items)


def expand(items: list[Item], limit: int = 100_000) -> list:
    """Sample values (floats, OMITTED, STALE or histogram dicts), at most `limit` of them."""
    out: list = []
    for it in items:
        for k in range(it.count):
            if len(out) >= limit:
                return out
            if it.kind == "omitted":
                out.append(OMITTED)
            elif it.kind == "stale":
                out.append(STALE)
            elif it.kind == "number":
                out.append(it.start if it.step is None else it.start + k * it.step)
            else:
                out.append(it.start if it.step is None else _hist_add(it.start, it.step, k))
    return out


def _hist_add(a: dict, b: dict, k: int) -> dict:
    out = dict(a)
    for key, v in b.items():
        if isinstance(v, float):
            out[key] = out.get(key, 0.0) + k * v
        elif isinstance(v, list):
            base = list(out.get(key, []))
            base += [0.0] * (len(v) - len(base))
            out[key] = [x + k * (v[i] if i < len(v) else 0.0) for i, x in enumerate(base)]
    return out


def format_number(x: float) -> str:
    """A number as a values text writes it: `3`, `0.25`, `1e+21`, `Inf`."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


# --------------------------------------------------------------------------------------------------
# Series selectors: `metric{label="value", ...}` (only `=`, as in a metric's description)
# --------------------------------------------------------------------------------------------------
_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`[^`]*`')
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"',
            "'": "'"}


def _unquote(s: str) -> str:
    if s[0] == "`":
        return s[1:-1]
    body = s[1:-1]
    if "\\" not in body:
        return body

    def one(m):
        e = m.group(1)
        if e in _ESCAPES:
            return _ESCAPES[e]
        if e[0] in "xuU":
            return chr(int(e[1:], 16))
        return chr(int(e, 8))

    return re.sub(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)", one, body)


def parse_series(text: str) -> tuple[str | None, dict]:
    """(metric name or None, labels) of an input series text, or NotationError. Label values
    are unquoted; `__name__` set in the braces counts as the name."""
    if not isinstance(text, str):
        raise NotationError("series must be a string", 0)
    i, n = 0, len(text)
    while i < n and text[i] in _SPACE:
        i += 1
    name = None
    labels: dict = {}
    m = _NAME.match(text, i)
    if m:
        name, i = m.group(), m.end()
    if i < n and text[i] == "{":
        i += 1
        while True:
            while i < n and text[i] in _SPACE:
                i += 1
            if i < n and text[i] == "}":
                i += 1
                break
            sm = _STRING.match(text, i)
            lm = _LABEL.match(text, i)
            if sm:  # a quoted name (UTF-8 names, Prometheus 3)
                key, i = _unquote(sm.group()), sm.end()
            elif lm:
                key, i = lm.group(), lm.end()
            else:
                raise NotationError("expected a label name or `}`", i)
            while i < n and text[i] in _SPACE:
                i += 1
            if i < n and text[i] == "=" and not text.startswith("=~", i):
                i += 1
                while i < n and text[i] in _SPACE:
                    i += 1
                vm = _STRING.match(text, i)
                if not vm:
                    raise NotationError(f"label {key!r} needs a quoted value", i)
                value, i = _unquote(vm.group()), vm.end()
            elif sm:
                key, value = "__name__", key
            else:
                op = text[i:i + 2] if i < n else "end of text"
                raise NotationError(f"input series give label values with `=` only (got {op!r} after {key!r})", i)
            labels.setdefault(key, value)
            while i < n and text[i] in _SPACE:
                i += 1
            if i < n and text[i] == ",":
                i += 1
                continue
            if i < n and text[i] == "}":
                i += 1
                break
            raise NotationError("expected `,` or `}` in the label set", i)
    elif name is None:
        raise NotationError("expected a metric name or `{`", i)
    while i < n and text[i] in _SPACE:
        i += 1
    if i < n:
        raise NotationError(f"unexpected {text[i:i + 10]!r} after the series", i)
    if "__name__" in labels:  # the name before the braces wins, as in promtool
        inner = labels.pop("__name__")
        name = inner if name is None else name
    return name, labels


def format_series(name: str | None, labels: dict) -> str:
    """A series text, labels in the given order, values quoted the way promtool reads them."""
    import json

    inner = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in labels.items())
    return f"{name or ''}{{{inner}}}" if inner or not name else name
