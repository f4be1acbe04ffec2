"""Go template checks read repeated actions from a cache; the answers must be those of
lexing every action in place, also where `}}` sits inside a string or a trim marker."""
from __future__ import annotations

import random

import pytest
import yaml

from tests.conftest import CORPUS
from obslint import gotemplate


def _uncached(text: str) -> str | None:
    original = gotemplate._lex_until_close
    gotemplate._lex_until_close = gotemplate._lex_action
    try:
        return gotemplate._check(text, None)
    finally:
        gotemplate._lex_until_close = original


@pytest.mark.parametrize("text, problem", [
    ('{{ "}}" }}', None),  # the first `}}` is inside a string
    ("{{ `}}` | printf }}", None),
    ("{{ $labels.instance -}} down", None),
    ("{{ $labels.instance-}}", "unexpected '-' in action"),
    ('{{ "unterminated }}', "unterminated quoted string"),
    ("{{ $labels.a }}{{ $labels.a }}{{ nosuchfunc }}", 'function "nosuchfunc" not defined'),
    ("{{ if $labels.a }}x", "unexpected EOF: `{{ if }}` has no matching `{{ end }}`"),
])
def test_actions_end_where_go_ends_them(text, problem):
    assert gotemplate.check(text) == problem
    assert _uncached(text) == problem


def test_cached_lexing_agrees_with_lexing_in_place_on_real_and_damaged_templates():
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    templates = []
    for path in sorted(CORPUS.rglob("*.y*ml"))[:400]:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError, ValueError):
            continue
        for group in (data or {}).get("groups") or [] if isinstance(data, dict) else []:
            for rule in (group or {}).get("rules") or [] if isinstance(group, dict) else []:
                for key in ("labels", "annotations"):
                    values = rule.get(key) if isinstance(rule, dict) else None
                    if isinstance(values, dict):
                        templates += [v for v in values.values() if isinstance(v, str) and "{{" in v]
    assert len(templates) > 200
    rng = random.Random(7)
    damaged = []
    for text in templates[:300]:
        i = rng.randrange(len(text))
        damaged.append(text[:i] + rng.choice(["}}", '"', "`", "-", "{{", "'", "(", ")"]) + text[i:])
    for text in templates + damaged:
        assert gotemplate._check(text, None) == _uncached(text), text
