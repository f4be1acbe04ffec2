"""The per-file time budget, seen from inside a check.

The engine charges time to a file between check calls; one long call (a sweep over 40,000
panels, a pairwise comparison) would run to its end before the budget could say anything.
The engine sets `deadline` when it starts on a file; a check with a long loop calls `check()`
every thousand steps or so, which raises `Exceeded` past the deadline; the engine turns that
into the file's IN010 finding and stops checking the file."""
from __future__ import annotations

import time

deadline = float("inf")  # time.perf_counter() value at which the current file's budget is spent


class Exceeded(Exception):
    """The file being checked has used its time budget."""


def check() -> None:
    if time.perf_counter() > deadline:
        raise Exceeded()
