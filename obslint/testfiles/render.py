"""Render the alert label and annotation templates a generated test must expect, for the
subset whose output is certain: text, `$labels.x` / `.Labels.x`, `$value` / `.Value`, the
`humanize*` functions, `printf`, `$externalLabels`, `$externalURL`, `toUpper`/`toLower`/`title`.
Anything else (if, range, query, ...) raises CannotRender."""
from __future__ import annotations

import math
import re


class CannotRender(Exception):
    pass


_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)


def render(text: str, labels: dict, value: float) -> str:
    if "{{" not in text:
        return text
    out = []
    pos = 0
    for m in _ACTION.finditer(text):
        chunk = text[pos:m.start()]
        if m.group(1):
            chunk = chunk.rstrip()
        out.append(chunk)
        out.append(_action(m.group(2).strip(), labels, value))
        pos = m.end()
        if m.group(3):
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
    out.append(text[pos:])
    return "".join(out)


_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|(\$[A-Za-z_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?|\.[A-Za-z_.]+)|'
                    r'([A-Za-z_][A-Za-z0-9_]*)|(\|)|([-+]?\d+(?:\.\d+)?))')


def _tokens(action: str) -> list:
    pos, out = 0, []
    while pos < len(action):
        m = _TOKEN.match(action, pos)
        if not m or m.end() == pos:
            if action[pos:].strip() == "":
                break
            raise CannotRender(f"template action {{{{ {action} }}}}")
        pos = m.end()
        if m.group(1) is not None:
            out.append(("str", bytes(m.group(1), "utf-8").decode("unicode_escape")))
        elif m.group(2):
            out.append(("var", m.group(2)))
        elif m.group(3):
            out.append(("fn", m.group(3)))
        elif m.group(4):
            out.append(("pipe", "|"))
        else:
            out.append(("num", float(m.group(5))))
    return out


def _operand(tok, labels: dict, value: float):
    kind, v = tok
    if kind in ("str", "num"):
        return v
    if kind != "var":
        raise CannotRender(f"`{v}`")
    if v in ("$value", ".Value"):
        return value
    if v in ("$labels", ".Labels"):
        return dict(labels)
    for prefix in ("$labels.", ".Labels."):  # a missing key of a map of strings prints ""
        if v.startswith(prefix):
            return labels.get(v[len(prefix):], "")
    if v.startswith("$externalLabels.") or v.startswith(".ExternalLabels."):
        return ""
    if v in ("$externalURL", ".ExternalURL"):
        return ""
    raise CannotRender(f"`{v}`")


def _action(action: str, labels: dict, value: float) -> str:
    if action.startswith("/*"):
        return ""
    stages: list[list] = [[]]
    for tok in _tokens(action):
        if tok[0] == "pipe":
            stages.append([])
        else:
            stages[-1].append(tok)
    result = _call(stages[0], labels, value, None, False)
    for stage in stages[1:]:
        result = _call(stage, labels, value, result, True)
    return _print(result)


def _call(stage, labels, value, piped, has_piped):
    if not stage:
        raise CannotRender("an empty pipeline")
    head = stage[0]
    if head[0] != "fn":
        if len(stage) != 1 or has_piped:
            raise CannotRender("a call of a value")
        return _operand(head, labels, value)
    args = [_operand(t, labels, value) for t in stage[1:]]
    if has_piped:
        args.append(piped)
    return _FUNCS.get(head[1], _unknown(head[1]))(*args)


def _unknown(name):
    def fail(*_a):
        raise CannotRender(f"the function `{name}`")
    return fail


def _num(x) -> float:
    if isinstance(x, (int, float)):
        return float(x)
    try:
        return float(x)
    except (TypeError, ValueError):
        raise CannotRender(f"a number from {x!r}") from None


def go_float(x: float) -> str:
    """Go's %v of a float64 (shortest digits, exponent from 1e+06 and below 1e-04)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    if x == 0:
        return "0" if math.copysign(1, x) > 0 else "-0"
    digits = repr(x)
    mant, _, exp = digits.partition("e")
    neg = mant.startswith("-")
    mant = mant.lstrip("-")
    intpart, _, frac = mant.partition(".")
    if frac == "0":
        frac = ""
    all_digits = (intpart + frac).lstrip("0")
    lead_zeros = len(intpart + frac) - len((intpart + frac).lstrip("0"))
    e10 = (len(intpart) - 1 if intpart != "0" else -lead_zeros + len(intpart) - 1) + (int(exp) if exp else 0)
    all_digits = all_digits.rstrip("0") or "0"
    if e10 < -4 or e10 >= 6:
        m = all_digits[0] + ("." + all_digits[1:] if len(all_digits) > 1 else "")
        s = f"{m}e{'+' if e10 >= 0 else '-'}{abs(e10):02d}"
    else:
        s = _plain(all_digits, e10)
    return ("-" if neg else "") + s


def _plain(d: str, e10: int) -> str:
    if e10 < 0:
        return "0." + "0" * (-e10 - 1) + d
    if len(d) <= e10 + 1:
        return d + "0" * (e10 + 1 - len(d))
    return d[:e10 + 1] + "." + d[e10 + 1:]


def _print(v) -> str:
    if v is None:
        return "<no value>"
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{v[k]}" for k in sorted(v)) + "]"
    return str(v)


def _gfmt(x: float, prec: int = 4) -> str:
    """Go's %.4g."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    s = f"{x:.{prec}g}"
    if "e" in s:
        m, e = s.split("e")
        s = f"{m}e{e[0]}{int(e[1:]):02d}"
    return s


def _humanize(v) -> str:
    x = _num(v)
    if x == 0 or math.isnan(x) or math.isinf(x):
        return _gfmt(x)
    if abs(x) >= 1:
        prefix = ""
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(x) < 1000:
                break
            prefix = p
            x /= 1000
        return f"{_gfmt(x)}{prefix}"
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(x) >= 1:
            break
        prefix = p
        x *= 1000
    return f"{_gfmt(x)}{prefix}"


def _humanize1024(v) -> str:
    x = _num(v)
    if abs(x) <= 1 or math.isnan(x) or math.isinf(x):
        return _gfmt(x)
    prefix = ""
    for p in ("ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"):
        if abs(x) < 1024:
            break
        prefix = p
        x /= 1024
    return f"{_gfmt(x)}{prefix}"


def _humanize_duration(v) -> str:
    x = _num(v)
    if math.isnan(x) or math.isinf(x):
        return _gfmt(x)
    if x == 0:
        return "0s"
    if abs(x) < 1:
        prefix = ""
        for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
            if abs(x) >= 1:
                break
            prefix = p
            x *= 1000
        return f"{_gfmt(x)}{prefix}s"
    sign = "-" if x < 0 else ""
    x = abs(x)
    seconds = int(x) % 60
    minutes = int(x) // 60 % 60
    hours = int(x) // 3600 % 24
    days = int(x) // 86400
    if days:
        return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
    if hours:
        return f"{sign}{hours}h {minutes}m {seconds}s"
    if minutes:
        return f"{sign}{minutes}m {seconds}s"
    return f"{sign}{x:.4g}s".replace("e+", "e+")


def _printf(fmt, *args) -> str:
    if not isinstance(fmt, str):
        raise CannotRender("printf without a format")
    conv = re.findall(r"%[-+ #0]*\d*(?:\.\d+)?([a-zA-Z%])", fmt)
    if any(c not in "fdsvge%" for c in conv):
        raise CannotRender(f"printf {fmt!r}")
    vals = []
    for c, a in zip([c for c in conv if c != "%"], args):
        if c in "fge":
            vals.append(_num(a))
        elif c == "d":
            if not isinstance(a, float) or a != int(a):
                raise CannotRender("printf %d of a fraction")
            vals.append(int(a))
        else:
            vals.append(_print(a) if not isinstance(a, str) else a)
    py = re.sub(r"%([-+ #0]*\d*(?:\.\d+)?)v", r"%\1s", fmt)
    try:
        return py % tuple(vals)
    except (TypeError, ValueError):
        raise CannotRender(f"printf {fmt!r}") from None


_FUNCS = {
    "humanize": _humanize,
    "humanize1024": _humanize1024,
    "humanizePercentage": lambda v: f"{_gfmt(_num(v) * 100)}%",
    "humanizeDuration": _humanize_duration,
    "printf": _printf,
    "toUpper": lambda s: str(s).upper(),
    "toLower": lambda s: str(s).lower(),
    "print": lambda *a: "".join(_print(x) for x in a),
}
