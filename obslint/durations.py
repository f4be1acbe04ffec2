"""Prometheus durations (`1h30m`, `5m`, `0`) as Prometheus parses them: no fractions, no spaces."""
from __future__ import annotations

import re
from functools import lru_cache

_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
_UNITS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)


def parse_duration(text) -> float | None:
    """Seconds, or None when Prometheus would reject the text."""
    if not isinstance(text, str):
        return None
    return _parse(text)


@lru_cache(maxsize=1024)  # rule files repeat a handful of durations (`for: 5m`) thousands of times
def _parse(text: str) -> float | None:
    if text == "0":
        return 0.0
    m = _DURATION.match(text)
    if not m or not text:
        return None
    return sum(int(g) * u for g, u in zip(m.groups(), _UNITS) if g)


def format_duration(seconds: float) -> str:
    if seconds == 0:
        return "0s"
    out = []
    ms = round(seconds * 1000)
    for unit, size in (("d", 86400000), ("h", 3600000), ("m", 60000), ("s", 1000), ("ms", 1)):
        if ms >= size:
            out.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(out)
