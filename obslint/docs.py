"""Rule documentation lives in each rule's docstring; this renders it and pulls out the
`Bad`/`Good` examples (which the test suite runs)."""
from __future__ import annotations

import inspect
import re

_EXAMPLE = re.compile(r"^## (Bad|Good) \(`([^`]+)`\)\n+```[a-z]*\n(.*?)^```", re.M | re.S)


def doc(rule) -> str:
    return inspect.cleandoc(rule.__doc__ or "")


def examples(rule) -> list[tuple[str, str, str]]:
    """(kind 'bad'/'good', file name, content) for each documented example."""
    return [(m.group(1).lower(), m.group(2), m.group(3)) for m in _EXAMPLE.finditer(doc(rule))]


def explain(rule) -> str:
    head = f"{rule.code} {rule.name} ({rule.severity})\n{rule.summary}\n"
    body = doc(rule)
    opts = ""
    if rule.options:
        opts = "\n\nDefault options:\n" + "\n".join(f"  {k}: {v!r}" for k, v in rule.options.items())
    suppress = (f"\n\nSuppress:\n  YAML: `# obslint: disable={rule.code}` on the line or the line above "
                f"(or on the rule/panel), `# obslint: disable-file={rule.code}` for the whole file\n"
                f"  config: checks: {{ignore: [{rule.code}]}}, or ignore: [{{code: {rule.code}, path: 'glob'}}]")
    return f"{head}\n{body}{opts}{suppress}"
