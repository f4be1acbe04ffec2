"""The speed-ups of the issue-15 checks give the answers of the plain code they stand in for,
on every expression of the corpus (and on hand-picked edge cases where the corpus has none)."""
from __future__ import annotations

import pytest

from tests.conftest import corpus_expressions


@pytest.mark.parametrize("text", [
    "a-b", "a1-b", "a-1", "1-a", "a -b", "a- b", "x{l=\"a-b\"}", "ab12-c", "_-_", ":-:", "a_9_-z", "9-9", "-a",
    "rate(x[5m])-y", "a1b2c3-d4", "a-b-c",
])
def test_dash_in_name_equals_the_dashed_regex(text):
    from obslint.checks import names

    assert bool(names._DASH_IN_NAME.search(text)) == bool(names._DASHED.search(text))


def test_dash_in_name_equals_the_dashed_regex_on_the_corpus():
    from obslint.checks import names

    wrong = [e for e in set(corpus_expressions())
             if bool(names._DASH_IN_NAME.search(e)) != bool(names._DASHED.search(e))]
    assert not wrong, wrong[:3]
