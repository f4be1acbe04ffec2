"""Writing files safely: a temporary file in the same directory, then a rename, so a reader
sees the old file or the new one, never half of one (reports, fixed files, the cache)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path, data: str | bytes, *, mode: int | None = None, durable: bool = True) -> None:
    """Replace `path` with `data` (text is written as UTF-8). A symlink at `path` is replaced,
    never followed. `mode`: the new file's permission bits. `durable`: fsync the file and
    then its folder, so the new content survives a crash (the cache, rebuilt when lost, skips it)."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        _sync_folder(directory)


def _sync_folder(directory: Path) -> None:
    """The rename reaches the disk with the folder's entry (best effort: not every system can)."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
