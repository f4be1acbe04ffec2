"""The progress bar: on a terminal, after about a second, never for machine formats (issue 19)."""
from __future__ import annotations

import io
import sys

from obslint.cli import _scale_options, build_parser
from obslint.progress import Bar


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _opts(argv, monkeypatch, tty=True):
    monkeypatch.setattr(sys, "stderr", _Tty() if tty else io.StringIO())
    return _scale_options(build_parser().parse_args(argv))


def test_bar_only_on_a_terminal_in_human_formats(monkeypatch):
    assert "progress" in _opts(["x"], monkeypatch)
    assert "progress" in _opts(["--format", "plain", "x"], monkeypatch)
    for argv in (["--format", "json", "x"], ["--format", "sarif", "x"], ["--format", "junit", "x"],
                 ["--format", "github", "x"], ["-q", "x"], ["--output", "out.txt", "x"]):
        assert "progress" not in _opts(argv, monkeypatch), argv
    assert "progress" not in _opts(["x"], monkeypatch, tty=False)


def test_bar_waits_a_second_then_draws_and_goes(monkeypatch):
    out = _Tty()
    bar = Bar(out, delay=3600)
    bar(1, 10)
    assert bar._progress is None and out.getvalue() == ""  # a short run never sees it (nor imports rich)
    bar = Bar(out, delay=0)
    bar(1, 10, "reading")
    bar(10, 10, "reading")
    assert bar._progress is not None
    bar.close()
    assert bar._progress is None


def test_cache_flags(monkeypatch):
    monkeypatch.delenv("OBSLINT_NO_CACHE", raising=False)
    assert _opts(["x"], monkeypatch)["cache"] is True
    assert _opts(["--no-cache", "x"], monkeypatch)["cache"] is False
    assert _opts(["--jobs", "3", "x"], monkeypatch)["jobs"] == 3
    monkeypatch.setenv("OBSLINT_NO_CACHE", "1")
    assert _opts(["x"], monkeypatch)["cache"] is False
