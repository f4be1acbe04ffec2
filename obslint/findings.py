"""The one thing every check produces: a Finding, located lazily.

Checks point at a node (a path of keys and indexes into a document); the locator
turns that into line:col only for findings that are reported, so clean files never
pay for positions.
"""
from __future__ import annotations

from enum import IntEnum
from operator import attrgetter

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from obslint.document import Document


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or info)") from None

    def __str__(self) -> str:
        return self.name.lower()


Path = tuple  # keys (str) and indexes (int) from the document root


class Finding:
    """One problem: `code`, `message`, `severity`, `file`, `line`, `col`, `fix` (advice for a
    person), `autofix` (a fixes.Fix: edits obslint can apply); `doc`, `node`
    and `at_key` say where in the document (resolved into line/col by the engine), `scope` is
    the enclosing rule / panel / dashboard (for scoped suppressions and policy ignores).

    A plain class (not a dataclass: that costs start-up time) that behaves like the dataclass
    it was: equality over every field but `doc`, `context` and `autofix`, unhashable, the same repr."""

    __slots__ = ("code", "message", "severity", "file", "line", "col", "fix", "doc", "node", "at_key", "scope",
                 "context", "autofix")

    def __init__(self, code: str, message: str, severity: Severity, file: str, line: int = 0, col: int = 0,
                 fix: str | None = None, doc: Document | None = None, node: Path = (), at_key: bool = False,
                 scope: Path | None = None, context: dict[str, Any] | None = None,
                 autofix: Any = None) -> None:
        self.code = code
        self.message = message
        self.severity = severity
        self.file = file
        self.line = line
        self.col = col
        self.fix = fix
        self.doc = doc
        self.node = node
        self.at_key = at_key
        self.scope = scope
        self.context = {} if context is None else context
        self.autofix = autofix  # a fixes.Fix (edits made lazily), or None

    def _key(self) -> tuple:
        return (self.code, self.message, self.severity, self.file, self.line, self.col, self.fix, self.node,
                self.at_key, self.scope)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._key() == other._key()  # type: ignore[attr-defined]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        return (f"Finding(code={self.code!r}, message={self.message!r}, severity={self.severity!r}, "
                f"file={self.file!r}, line={self.line!r}, col={self.col!r}, fix={self.fix!r}, node={self.node!r}, "
                f"at_key={self.at_key!r}, scope={self.scope!r}, context={self.context!r})")


    @property
    def suppression(self) -> str:
        return f"# obslint: disable={self.code}"


# The order findings are reported in: by file, position, code, message (built in C: a warm run
# sorts tens of thousands of findings)
sort_key = attrgetter("file", "line", "col", "code", "message")
