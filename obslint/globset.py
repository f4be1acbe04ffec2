"""The one glob dialect of obslint: gitignore-style patterns (pathspec's `gitignore`), for
config `exclude:` and policy `ignore: path:` alike. `*` and `?` stay within one path segment,
`**` crosses directories, a pattern without a `/` (but a trailing one) matches at any depth,
a pattern ending in `/` only directories, and a directory matches everything below it.

Many patterns are matched at once without trying each on every path: 200,000 generated
excludes with pathspec's own matcher take over 15 s to compile and seconds per file, and RE2
cannot hold them in one set. A GlobSet translates each pattern with pathspec and files it
under the literal text its regex starts with (at the start of the path, or of any segment for
patterns that match at any depth), so a path is compared only with the patterns that could
match it, each compiled once on first use, with RE2 when it is installed (linear time). Lists
with a negation (`!pattern`, where order matters) are matched by pathspec itself."""
from __future__ import annotations

import posixpath
import re

_WILD = re.compile(r"[*?\[\\!]")  # where a pattern's literal head ends
_SMALL = 32  # below this many patterns, pathspec's own matcher is as fast


def clean(pattern) -> str:
    """A pattern as written in the config, in pathspec's terms (`/` separators, no `./`)."""
    p = str(pattern).replace("\\", "/").strip()
    while p.startswith("./"):
        p = p[2:]
    return p


class GlobSet:
    """`globs(path)` (or `globs(path, is_dir=True)`): whether any pattern matches a relative
    path. False for an empty set (`bool(globs)` says whether there are patterns)."""

    def __init__(self, patterns) -> None:
        lines = list(dict.fromkeys(p for p in map(clean, patterns) if p))
        self.spec = None
        self.anchored: dict[str, list] = {}  # literal head -> patterns matched from the path's start
        self.floating: dict[str, list] = {}  # literal head -> patterns matched from any segment
        self.longest = 0
        self.count = 0
        if not lines:
            return
        if len(lines) <= _SMALL or any(p.startswith("!") for p in lines):
            import pathspec  # only when there are patterns (start-up cost)

            self.spec = pathspec.PathSpec.from_lines("gitignore", lines)
            self.count = len(lines)
            return
        for line in lines:  # filed by the literal text they must start with; translated on first use
            rest = line[1:] if line.startswith("/") else line
            floating = rest.startswith("**/") or "/" not in rest.rstrip("/")
            if rest.startswith("**/"):
                rest = rest[3:]
            head = rest[:m.start()] if (m := _WILD.search(rest)) else rest.rstrip("/")
            (self.floating if floating else self.anchored).setdefault(head, []).append([line, None])
            self.longest = max(self.longest, len(head))
            self.count += 1

    def __bool__(self) -> bool:
        return bool(self.count)

    def __call__(self, rel: str, is_dir: bool = False) -> bool:
        path = posixpath.normpath(clean(rel))
        if is_dir:
            path += "/"
        if self.spec is not None:
            return self.spec.match_file(path)
        if self.anchored and self._any(self.anchored, path, 0):
            return True
        if self.floating:
            start = 0
            while True:
                if self._any(self.floating, path, start):
                    return True
                start = path.find("/", start) + 1
                if start <= 0 or start >= len(path):
                    return False
        return False

    def _any(self, table: dict, path: str, start: int) -> bool:
        for k in range(min(self.longest, len(path) - start) + 1):
            group = table.get(path[start:start + k])
            if group:
                for entry in group:
                    if entry[1] is None:
                        entry[1] = _compile(entry[0])
                    if entry[1] is not False and entry[1].search(path):  # as pathspec does
                        return True
        return False


def _compile(line: str):
    """The matcher of one gitignore pattern (False for a line that matches nothing)."""
    import pathspec

    from obslint import saferegex

    regex = pathspec.util.lookup_pattern("gitignore")(line).regex
    if regex is None:
        return False
    try:  # RE2: linear time whatever the pattern
        return saferegex.compile(regex.pattern)
    except saferegex.PatternError:  # a construct RE2 lacks: pathspec's own compiled pattern
        return regex
