"""Problems found while reading a resource (a gzipJson that does not decode, a dashboard
source obslint cannot read), kept on the document until the rule that owns the code
reports them: classification never makes findings itself."""
from __future__ import annotations


class Note:
    __slots__ = ("code", "path", "message", "fix", "at_key")

    def __init__(self, code: str, path: tuple, message: str, fix: str | None = None, at_key: bool = False) -> None:
        self.code, self.path, self.message, self.fix, self.at_key = code, path, message, fix, at_key

    def __repr__(self) -> str:
        return f"Note({self.code}, {self.path!r}, {self.message!r})"


def add(doc, code: str, path: tuple, message: str, fix: str | None = None, at_key: bool = False) -> None:
    notes = getattr(doc, "resource_notes", None)
    if notes is None:
        notes = doc.resource_notes = []
    notes.append(Note(code, path, message, fix, at_key))


def of(doc, code: str) -> list:
    return [n for n in getattr(doc, "resource_notes", ()) if n.code == code]
