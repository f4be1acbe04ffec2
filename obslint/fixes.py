"""Automatic fixes (issue 17): edits in offsets of a file's text, applied without re-dumping.

A rule attaches a `Fix` to a finding (`Rule.finding(..., autofix=Fix(make, SAFE, title))`);
its edits may be a callable that computes them only when they are needed (`--fix`, `--diff`,
the JSON and SARIF reports), so an ordinary lint run never pays for them. Offsets are
character offsets in `Source.text` (the decoded text, without a byte order mark).

Here: `Edit`, `Fix`, applying a file's fixes in one pass with overlapping edits resolved
(the first fix wins, the rest are returned as dropped), and the map from an offset inside a
JSON string value to an offset in the file text. Where the spans come from: `fixspan.py`;
applying them to files: `fixer.py`.
"""
from __future__ import annotations

SAFE, UNSAFE = "safe", "unsafe"


class Edit:
    """Replace text[start:end] of the original text with `replacement`."""

    __slots__ = ("start", "end", "replacement")

    def __init__(self, start: int, end: int, replacement: str) -> None:
        if not 0 <= start <= end:
            raise ValueError(f"bad edit span {start}..{end}")
        self.start, self.end, self.replacement = start, end, replacement

    def __repr__(self) -> str:
        return f"Edit({self.start!r}, {self.end!r}, {self.replacement!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Edit) and (self.start, self.end, self.replacement) == (
            other.start, other.end, other.replacement)

    __hash__ = None  # type: ignore[assignment]


class Fix:
    """A set of edits that belong together, with how safe they are and a one-line title.

    `edits` is a list, or a callable returning one (or None: no fix after all), called once
    when the edits are first asked for. `expect` (set by the maker, optional): (path in the
    file's document `doc_index`, value) pairs the file must hold after the fix, checked by
    the fixer before anything is written. `strip_bom`: the fix removes the byte order mark."""

    __slots__ = ("_edits", "applicability", "title", "expect", "strip_bom", "doc_index")

    def __init__(self, edits, applicability: str = SAFE, title: str = "", *, strip_bom: bool = False) -> None:
        if applicability not in (SAFE, UNSAFE):
            raise ValueError(f"applicability must be safe or unsafe, not {applicability!r}")
        self._edits = edits if callable(edits) else list(edits)
        self.applicability, self.title, self.strip_bom = applicability, title, strip_bom
        self.expect: list = []
        self.doc_index = 0

    @property
    def edits(self) -> list[Edit]:
        if callable(self._edits):
            try:
                made = self._edits()
            except Exception:  # noqa: BLE001 - a fix that cannot be made is no fix, never a crash
                made = None
            if isinstance(made, tuple):  # (edits, expectations)
                made, self.expect = made[0], list(made[1])
            self._edits = list(made or [])
        return self._edits

    @property
    def empty(self) -> bool:
        return not self.edits and not self.strip_bom

    def allowed(self, unsafe: bool) -> bool:
        return self.applicability == SAFE or unsafe

    def __repr__(self) -> str:
        return f"Fix({self._edits!r}, {self.applicability!r}, {self.title!r})"

    def __getstate__(self):
        """Pickled (a finding sent between processes) with its edits made: the maker is a
        closure over the document, which stays behind."""
        return (self.edits, self.applicability, self.title, self.expect, self.strip_bom, self.doc_index)

    def __setstate__(self, state) -> None:
        self._edits, self.applicability, self.title, self.expect, self.strip_bom, self.doc_index = state


def apply_fixes(text: str, fixes: list[Fix]) -> tuple[str, list[Fix], list[Fix]]:
    """(new text, applied fixes, dropped fixes). A fix whose edits overlap an edit of an
    earlier fix (or each other) is dropped whole; insertions at the same offset overlap too."""
    taken: list[tuple[int, int]] = []
    applied, dropped, edits = [], [], []

    def clashes(e: Edit) -> bool:
        # Spans overlap, or an insertion sits at (or inside) another edit's span.
        return any((e.start < b and a < e.end) or ((e.start == e.end or a == b) and a <= e.end and e.start <= b)
                   for a, b in taken)

    for fix in fixes:
        spans = [(e.start, e.end) for e in fix.edits]
        mine = sorted(spans)
        own_overlap = any(mine[i][1] > mine[i + 1][0] for i in range(len(mine) - 1))
        if own_overlap or any(e.end > len(text) for e in fix.edits) or any(clashes(e) for e in fix.edits):
            dropped.append(fix)
            continue
        taken.extend(spans)
        edits.extend(fix.edits)
        applied.append(fix)
    out, pos = [], 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        out.append(text[pos:e.start])
        out.append(e.replacement)
        pos = e.end
    out.append(text[pos:])
    return "".join(out), applied, dropped


def json_string_offsets(text: str, start: int) -> list[int] | None:
    """For the JSON string token at text[start] (its opening quote): the file offset of each
    decoded character, plus one past the last (so a decoded span [a, b) is the raw span
    [m[a], m[b])). None when text[start] is no string. Escapes map to their whole spelling;
    a surrogate pair spelled as two escapes is one character."""
    if start >= len(text) or text[start] != '"':
        return None
    marks, i, n = [], start + 1, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            marks.append(i)
            return marks
        marks.append(i)
        if c == "\\":
            if text.startswith("u", i + 1):
                code = int(text[i + 2:i + 6], 16)
                i += 6
                if 0xD800 <= code < 0xDC00 and text.startswith("\\u", i):
                    i += 6  # a surrogate pair decodes to one character
            else:
                i += 2
        else:
            i += 1
    return None


def unique_match(word: str, choices, cutoff: float = 0.8) -> str | None:
    """The one choice `word` clearly misspells, or None: a case-only difference shared by no
    other choice, or the single nearest choice (difflib ratio at or above `cutoff`, clearly
    ahead of the next one). Stricter than suggest.closest: a fix must not guess."""
    pool = sorted({str(c) for c in choices})
    same_case = [c for c in pool if c.lower() == word.lower()]
    if same_case:
        return same_case[0] if len(same_case) == 1 else None
    import difflib

    scored = sorted(((difflib.SequenceMatcher(None, word, c).ratio(), c) for c in pool), reverse=True)
    if not scored or scored[0][0] < cutoff:
        return None
    if len(scored) > 1 and scored[1][0] > scored[0][0] - 0.1:
        return None  # two keys are about as near: ambiguous
    return scored[0][1]


def rename_fix(doc, path: tuple, choices, applicability: str = SAFE) -> Fix | None:
    """A Fix renaming the misspelt key at path (its last step) to its unique match in choices."""
    target = unique_match(str(path[-1]), choices)
    if target is None or not isinstance(path[-1], str):
        return None

    def make():
        from obslint.fixspan import rename_key

        return rename_key(doc, path, target)

    return Fix(make, applicability, f"rename `{path[-1]}` to `{target}`")
