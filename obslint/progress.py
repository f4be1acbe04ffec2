"""A progress bar for long runs on a terminal: shown only once a run has taken about a second
(short runs, pre-commit on a small repository, never see it or pay for importing rich)."""
from __future__ import annotations

import sys
import time

DELAY = 1.0  # seconds before the bar appears


class Bar:
    """Called as bar(done, total, what) by the engine; `close()` removes it."""

    def __init__(self, stream=None, delay: float = DELAY) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.start = time.perf_counter()
        self._progress = None
        self._task = None
        self._last = 0.0

    def __call__(self, done: int, total: int, what: str = "checking") -> None:
        now = time.perf_counter()
        if self._progress is None:
            if now - self.start < self.delay:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                                      MofNCompleteColumn(), TimeElapsedColumn(),
                                      console=Console(file=self.stream), transient=True)
            self._progress.start()
            self._task = self._progress.add_task(what, total=total)
        elif now - self._last < 0.1 and done < total:
            return  # a tenth of a second between redraws is plenty
        self._last = now
        self._progress.update(self._task, completed=done, total=total, description=what)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
