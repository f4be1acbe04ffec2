"""Rule documentation lives in each rule's docstring; this renders it and pulls out the
`Bad`/`Good` examples (which the test suite runs).

An example section names its files, then gives one fenced block per file, in order:

    ## Bad (`obslint.yaml`, `rules.yaml`)
    ```yaml
    ...policy...
    ```
    ```yaml
    ...rules...
    ```
"""
from __future__ import annotations

import inspect
import re

_SECTION = re.compile(r"^## (Bad|Good) \(((?:`[^`]+`(?:,\s*)?)+)\)\n(.*?)(?=^## |\Z)", re.M | re.S)
_BLOCK = re.compile(r"^```[a-z]*\n(.*?)^```", re.M | re.S)


def doc(rule) -> str:
    return inspect.cleandoc(rule.__doc__ or "")


def examples(rule) -> list[tuple[str, dict[str, str]]]:
    """(kind 'bad'/'good', {file name: content}) for each documented example."""
    out = []
    for m in _SECTION.finditer(doc(rule)):
        names = re.findall(r"`([^`]+)`", m.group(2))
        blocks = _BLOCK.findall(m.group(3))
        out.append((m.group(1).lower(), dict(zip(names, blocks))))
    return out
