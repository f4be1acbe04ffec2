"""The one thing every check produces: a Finding, located lazily.

Checks point at a node (a path of keys and indexes into a document); the locator
turns that into line:col only for findings that are reported, so clean files never
pay for positions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


@dataclass(slots=True)
class Finding:
    code: str
    message: str
    severity: Severity
    file: str
    line: int = 0
    col: int = 0
    fix: str | None = None
    # Where in the document; resolved into line/col by the engine.
    doc: "Document | None" = field(default=None, repr=False, compare=False)
    node: Path = ()
    at_key: bool = False
    # The enclosing rule / panel / dashboard, for scoped suppressions and policy ignores.
    scope: Path | None = None
    context: dict[str, Any] = field(default_factory=dict, compare=False)
    end_line: int = 0

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.col, self.code, self.message)

    @property
    def suppression(self) -> str:
        return f"# obslint: disable={self.code}"
