"""How far apart two directories are in the tree: how many levels each is below the directory
they share. Checks that pair files of one stack (a recording rule and its consumer, rule files
and their Alertmanager) use it to tell the same part of a repository from another one."""
from __future__ import annotations

import os


def depths(a: str, b: str) -> tuple[int, int] | None:
    """(levels of `a` below the common directory, levels of `b`), for absolute directories;
    None when they share none (different drives)."""
    try:
        common = os.path.commonpath([a, b])
    except ValueError:
        return None
    return _below(a, common), _below(b, common)


def within(a: str, b: str, levels: int) -> bool:
    """Both directories at most `levels` below the one they share."""
    d = depths(a, b)
    return d is not None and d[0] <= levels and d[1] <= levels


def _below(path: str, common: str) -> int:
    return 0 if path == common else os.path.relpath(path, common).count(os.sep) + 1
