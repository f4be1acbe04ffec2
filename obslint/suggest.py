""""Did you mean ...?" for misspelt keys, labels and metric names, in one place."""
from __future__ import annotations


def closest(word: str, choices, cutoff: float = 0.6) -> str | None:
    """The choice `word` most likely misspells: a case-only difference first, then the
    nearest by difflib's ratio at or above `cutoff`; None when nothing is close."""
    pool = sorted(str(c) for c in choices)
    lower = {c.lower(): c for c in pool}
    if word.lower() in lower:
        return lower[word.lower()]
    import difflib  # only when a name is misspelt: ~1 ms of imports otherwise

    m = difflib.get_close_matches(word, pool, n=1, cutoff=cutoff)
    return m[0] if m else None
