"""Where a report may be written (`--output`, `--also-output`).

A report replaces its file atomically (obslint.atomic). It must never replace what it was
asked to read, nor something that is not a plain file: the path is refused when it is, or
resolves to, a file being linted (by name, through a symlink or as a hard link: any file
found under a linted directory counts, not only the ones named), or when it is or points to
a device, FIFO or socket (as root, `--output /dev/null` or a link to it would otherwise be
replaced by a regular file). A symlink that was itself read as a linted path is replaced, not
followed, unless another linted path reaches the same file."""
from __future__ import annotations

import os
import stat


def refusal(path, linted_paths) -> str | None:
    """Why `path` cannot take a report, or None. `linted_paths`: the files read by the run."""
    p = os.fspath(path)
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot use {p}: {exc.strerror or exc}"
    link = stat.S_ISLNK(st.st_mode)
    if link:
        try:
            st = os.stat(p)
        except OSError:
            return None  # a dangling link: replaced by the report, never followed
        what = f"it is a symlink to {os.path.realpath(p)},"
    else:
        what = "it is"
    if stat.S_ISDIR(st.st_mode):
        return f"cannot write {p}: it is a directory"
    if not stat.S_ISREG(st.st_mode):
        return f"refusing to write the report over {p}: {what} not a regular file (a device, FIFO or socket)"
    for linted in linted_paths:
        if link and os.path.normpath(str(linted)) == os.path.normpath(p):
            continue  # the link itself was read: replacing the link changes no linted file
        try:
            lst = os.stat(linted)
        except OSError:
            continue
        if (lst.st_dev, lst.st_ino) == (st.st_dev, st.st_ino):
            same = "" if os.path.normpath(str(linted)) == os.path.normpath(p) else f" ({linted})"
            return f"refusing to write the report over {p}: {what} a file being linted{same}"
    return None
