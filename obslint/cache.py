"""The on-disk cache of warm runs (`.obslint_cache/` at the project root).

Per run configuration (obslint version, policy, active rules and their options, working
directory, limits): `run-<key>.idx`, `.run` and `.files`, marshal blobs (see `Store` and
obslint.incremental). marshal is
the cheapest standard-library format to load, and everything stored is plain data. A blob
that does not load, is of another version or key, or has the wrong shape is ignored (the run
is cold and rewrites it); writes go to a temporary file and are renamed into place, so
concurrent runs never see half a file and the last writer wins. An unwritable directory only
costs the next run its warmth."""
from __future__ import annotations

import json
import marshal
import os

FORMAT = 9
DIRNAME = ".obslint_cache"


def _blake2b(data: bytes):
    import hashlib  # here, not at import: a run without the cache hashes nothing (its import costs ~2 ms)

    return hashlib.blake2b(data, digest_size=16)


def content_hash(data: bytes) -> bytes:
    return _blake2b(data).digest()


def stat_sig(st) -> tuple:
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def run_key(config, rules, extra: tuple = ()) -> str:
    """Everything besides the files that decides a run's findings."""
    from obslint import __version__

    pol = json.dumps(config.policy, sort_keys=True, default=repr)
    stamps = []
    for p in config.policy.get("metrics-from") or () if isinstance(config.policy, dict) else ():
        try:
            st = os.stat(p if os.path.isabs(str(p)) else os.path.join(str(config.root), str(p)))
            stamps.append((str(p), st.st_mtime_ns, st.st_size))
        except (OSError, TypeError, ValueError):
            stamps.append((str(p), None))
    parts = [FORMAT, __version__, code_stamp(), pol, repr(stamps), repr(config.exclude), str(config.max_file_size),
             os.getcwd(), os.environ.get("OBSLINT_TIME_BUDGET", ""), os.environ.get("OBSLINT_MAX_PER_CODE", ""),
             repr(extra)]
    for r in rules:
        parts.append(f"{r.code}:{json.dumps(r.opts, sort_keys=True, default=repr)}:{r.severity}")
    return _blake2b("\0".join(map(str, parts)).encode("utf-8", "replace")).hexdigest()


def code_stamp() -> str:
    """obslint's own files, code and schemas (name, size, modification time): a checkout or a
    reinstall of other code under the same version number (a pre-commit `rev` between releases,
    an editable install after `git pull`) must not be served the findings of the code it
    replaced. ~1 ms."""
    from obslint import schemas

    parts = []
    stack = [os.path.dirname(os.path.abspath(__file__)), str(schemas.schema_dir())]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    stack.append(entry.path)
            elif entry.name.endswith((".py", ".json")):
                try:
                    st = entry.stat()
                except OSError:
                    continue
                parts.append(f"{entry.path}:{st.st_size}:{st.st_mtime_ns}")
    return _blake2b("\n".join(parts).encode("utf-8", "replace")).hexdigest()


def default_dir(config) -> str:
    """The project root's `.obslint_cache`: the config file's directory, else the working one."""
    root = str(config.root) if getattr(config, "path", None) is not None else os.getcwd()
    return os.path.join(root, DIRNAME)


class Store:
    """Per run configuration, files loaded only as far as a run needs them: the index
    (`.idx`: every file's stat signature and hash, the run digests, the token of each part),
    the last run's findings (`.run`, for a run where nothing changed), the per-file entries
    (`.files`) and the entries written since (`.delta`, so a warm run with a few changed files
    does not rewrite them all). A part counts only with the token the index names: parts of
    two concurrent writers are never mixed."""

    def __init__(self, directory: str, key: str) -> None:
        self.directory = directory
        self.key = key
        self.base = os.path.join(directory, f"run-{key[:20]}")
        self.path = self.base + ".idx"
        self.tokens: dict = {}

    def _load(self, part: str, token=None):
        try:
            with open(f"{self.base}.{part}", "rb") as fh:
                blob = marshal.loads(fh.read())  # (marshal.load reads a file object item by item: 5x slower)
        except Exception:  # noqa: BLE001 - missing, truncated, foreign: a cold run
            return None
        if not isinstance(blob, dict) or blob.get("format") != FORMAT or blob.get("key") != self.key:
            return None
        if token is not None and blob.get("token") != token:
            return None
        return blob

    def load(self) -> dict | None:
        """The index, or None."""
        blob = self._load("idx")
        if blob is None or not isinstance(blob.get("stat"), dict) or not isinstance(blob.get("tokens"), dict):
            self.tokens = {}
            return None
        self.tokens = blob["tokens"]
        return blob

    def part(self, name: str):
        """A part written with the loaded index, or None."""
        token = self.tokens.get(name)
        if token is None:
            return None
        blob = self._load(name, token)
        return None if blob is None else blob.get("data")

    def save(self, index: dict, parts: dict, keep=(), optional: dict | None = None) -> bool:
        """Write `parts` (name -> data) and then the index; `keep`: parts left as they are
        (the loaded index's tokens for them stay); `optional` (part -> index flag): a part
        marshal cannot encode is left out and its flag in the index set to False."""
        tokens = {name: self.tokens[name] for name in keep if name in self.tokens}
        encoded = {}
        try:
            for name, data in parts.items():
                token = os.urandom(8).hex()
                try:
                    encoded[name] = marshal.dumps({"format": FORMAT, "key": self.key, "token": token, "data": data})
                except (ValueError, TypeError):
                    if not optional or name not in optional:
                        raise
                    index = {**index, optional[name]: False}
                    continue
                tokens[name] = token
            encoded["idx"] = marshal.dumps({**index, "format": FORMAT, "key": self.key, "tokens": tokens})
        except (ValueError, TypeError):
            return False
        try:
            os.makedirs(self.directory, exist_ok=True)
            ignore = os.path.join(self.directory, ".gitignore")
            if not os.path.exists(ignore):
                _write(ignore, b"# written by obslint: the cache is not for version control\n*\n")
            for name, data in encoded.items():  # the index last: it names the tokens of the others
                if name != "idx":
                    _write(f"{self.base}.{name}", data)
            _write(self.path, encoded["idx"])
            self.tokens = tokens
            return True
        except OSError:
            return False

    def save_index(self, index: dict) -> bool:
        """Rewrite the index alone (its parts unchanged)."""
        return self.save(index, {}, keep=tuple(self.tokens))


def _write(path: str, data: bytes) -> None:
    from obslint.atomic import write_atomic  # not on the path of a run that writes nothing

    write_atomic(path, data, durable=False)  # a lost cache is rebuilt: no fsync
