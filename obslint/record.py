"""A plain value class: what a dataclass gives (named fields, equality by value, an
informative repr, unhashable), without importing `dataclasses` at start-up."""
from __future__ import annotations


class Record:
    """Subclasses name their fields in `_fields` (for slotted classes, also their `__slots__`)."""

    __slots__ = ()
    _fields: tuple = ()

    def _values(self) -> tuple:
        return tuple(getattr(self, f) for f in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()  # type: ignore[attr-defined]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields) + ")"
