"""How Grafana writes a template variable in a text: `$name`, `${name}`, `${name:format}`,
`${name.field}`, `[[name]]`, `[[name:format]]`. One pattern for every reader (undefined and
unused variables, probe's interpolation, the checks that leave templated values alone);
promql.substitute tokenizes the same forms inside its PromQL tokenizer."""
from __future__ import annotations

import re

# the name is group 1 (`${...}`), 2 (`$name`) or 3 (`[[...]]`); `[[name]]` holds no bracket, so
# `x[[[interval]]]` is `x[` + `[[interval]]` + `]`
REFERENCE = re.compile(r"\$\{([^}:.\s]+)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([^\[\]:.\s]+)[^\[\]]*\]\]")
_MENTION = re.compile(r"\$(\{|[A-Za-z_])")


def mentions(text: str) -> bool:
    """Whether the text may hold a variable (`$x`, `${`, `[[`): cheap, and never misses one."""
    return "$" in text and _MENTION.search(text) is not None or "[[" in text


def name(m: "re.Match") -> str:
    return m.group(1) or m.group(2) or m.group(3)
