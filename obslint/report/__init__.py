"""Reporters turn a lint Result into text; `REPORTERS` maps a --format name to one."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    from typing import Callable, TextIO

    from obslint.engine import Result

    Reporter = Callable[[Result, TextIO, dict], None]


def get(name: str) -> Reporter:
    import importlib

    module = {"console": "console", "plain": "console", "json": "jsonfmt", "sarif": "sarif",
              "github": "github", "junit": "junit"}.get(name)
    if module is None:
        raise KeyError(name)
    mod = importlib.import_module(f"obslint.report.{module}")
    return mod.report


FORMATS = ("console", "plain", "json", "sarif", "github", "junit")
