"""Reporters turn a lint Result into text; `REPORTERS` maps a --format name to one."""
from __future__ import annotations

from typing import TYPE_CHECKING

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


def to_stdout(reporter: Reporter, result: Result, opts: dict) -> str | None:
    """Write a report to standard output and flush it: None, or why it could not be written
    (stdout closed, a full disk, /dev/full). A closed pipe (BrokenPipeError) is left to the
    caller: the reader has gone, which is not an error."""
    import sys

    out = sys.stdout
    if out is None:
        return "it is closed"
    try:
        reporter(result, out, opts)
        out.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        return exc.strerror or str(exc)
    except ValueError:  # I/O operation on closed file
        return "it is closed"
    return None


FORMATS = ("console", "plain", "json", "sarif", "github", "junit")
