"""Many `exclude` globs matched at once.

`discover.excluded` tries each pattern three ways (the path, the path as inside a directory
pattern, the base name) with fnmatch, whose cache holds 32,768 compiled patterns: 200,000
generated excludes were recompiled for every file (over a minute), and one alternation of them
all takes as long to compile. A GlobSet keeps the meaning and indexes the patterns instead:
patterns without wildcards are set lookups (the path, its base name, any parent directory);
the others are filed under the literal text before their first wildcard (or, when there is
none, after their last), so a path is compared only with the patterns that could match it,
each compiled once on first use."""
from __future__ import annotations

import fnmatch
import os
import re

_WILD = re.compile(r"[*?\[]")


class _Index:
    """Glob patterns for one kind of text, filed by literal prefix (or suffix)."""

    def __init__(self) -> None:
        self.by_prefix: dict[str, list[str]] = {}
        self.by_suffix: dict[str, list[str]] = {}
        self.compiled: dict[str, re.Pattern] = {}

    def add(self, pattern: str) -> None:
        first = _WILD.search(pattern).start()
        if first or "[" in pattern:
            self.by_prefix.setdefault(pattern[:first], []).append(pattern)
        else:
            last = max(pattern.rfind("*"), pattern.rfind("?"))
            self.by_suffix.setdefault(pattern[last + 1:], []).append(pattern)

    def __bool__(self) -> bool:
        return bool(self.by_prefix or self.by_suffix)

    def match(self, text: str) -> bool:
        for table, part in ((self.by_prefix, lambda k: text[:k]), (self.by_suffix, lambda k: text[len(text) - k:])):
            if not table:
                continue
            for k in range(len(text) + 1):
                group = table.get(part(k))
                if group and any(self._rx(p).match(text) for p in group):
                    return True
        return False

    def _rx(self, pattern: str) -> re.Pattern:
        rx = self.compiled.get(pattern)
        if rx is None:
            rx = self.compiled[pattern] = re.compile(fnmatch.translate(pattern))
        return rx


class GlobSet:
    def __init__(self, patterns) -> None:
        self.literal: set[str] = set()  # equal to the path or its base name
        self.dirs: set[str] = set()  # the path is inside it
        self.whole = _Index()  # globs applied to the path
        self.base = _Index()  # globs applied to the base name
        for p in dict.fromkeys(str(p) for p in patterns):
            p = os.path.normcase(p)
            if not _WILD.search(p):
                self.literal.add(p)
                self.dirs.add(p.rstrip("/"))
                continue
            self.whole.add(p)
            self.whole.add(p.rstrip("/") + "/*")
            self.base.add(p)

    def __bool__(self) -> bool:
        return bool(self.literal or self.dirs or self.whole)

    def __call__(self, rel: str) -> bool:
        """discover.excluded(rel, patterns)."""
        rel = os.path.normcase(rel)
        name = os.path.basename(rel)
        if self.literal and (rel in self.literal or name in self.literal):
            return True
        dirs = self.dirs
        if dirs:
            i = rel.find("/")
            while i != -1:  # `dir` (or `dir/`) excludes everything under it, as `dir/*` would
                if rel[:i] in dirs:
                    return True
                i = rel.find("/", i + 1)
        return self.whole.match(rel) or self.base.match(name)
