"""A document whose data is a view built from a resource: a classic dashboard shaped from a
Grafana 12 resource, or an alerting provisioning file shaped from an operator CR.

Checks see the view (so every dashboard and alerting check applies unchanged); positions are
translated back to the place in the file that holds the value."""
from __future__ import annotations

from obslint.document import Document


class ViewDocument(Document):
    """`paths` maps a path in the view (a prefix) to the path of the same value in the
    source document; the longest known prefix wins, the rest of the path is kept."""

    def __init__(self, source, index, data, paths: dict, *, kind=None, parent=None, parent_path=(),
                 text=None, label="", folder=None) -> None:
        super().__init__(source, index, data, kind=kind, parent=parent, parent_path=parent_path,
                         text=text, label=label)
        self.paths = paths
        self.folder = folder  # a Grafana folder key for DB005, or None: the file's directory

    def real_path(self, path: tuple) -> tuple:
        paths = self.paths
        for n in range(len(path), -1, -1):
            head = paths.get(path[:n])
            if head is not None:
                return head + tuple(path[n:])
        return tuple(path)

    def locate(self, path: tuple, at_key: bool = False) -> tuple[int, int]:
        return Document.locate(self, self.real_path(tuple(path)), at_key)


def embedded(doc: Document, path: tuple, value: str, data, label: str) -> Document:
    """A document for JSON held in a YAML string (ConfigMap data, operator `spec.json`)."""
    return Document(doc.source, doc.index, data, parent=doc, parent_path=path, text=value, label=label)
