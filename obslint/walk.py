"""`os.walk` without recursion: Python before 3.12 walks a tree recursively, so a directory
nested 1,000 levels deep ends in RecursionError. Same contract as `os.walk(top, onerror=...)`
top-down: (dirpath, dirnames, filenames), `dirnames` may be pruned in place, symbolic links to
directories are listed in `dirnames` but not entered."""
from __future__ import annotations

import os


def walk(top, onerror=None):
    stack = [os.fspath(top)]
    while stack:
        path = stack.pop()
        dirs, files, links = [], [], set()
        try:
            with os.scandir(path) as it:
                for entry in it:
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    (dirs if is_dir else files).append(entry.name)
                    if is_dir and entry.is_symlink():
                        links.add(entry.name)
        except OSError as exc:
            if onerror is not None:
                onerror(exc)
            continue
        yield path, dirs, files
        stack.extend(os.path.join(path, d) for d in reversed(dirs) if d not in links)
