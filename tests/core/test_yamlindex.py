"""The fast YAML position outline agrees with PyYAML wherever it answers."""
from __future__ import annotations

import pytest

from obslint.load import yamlload
from obslint.load.yamlindex import YamlOutline
from tests.conftest import CORPUS, tree_paths

FILES = sorted(CORPUS.glob("**/*.y*ml"))[:400] if CORPUS.is_dir() else []

needs_corpus = pytest.mark.skipif(not FILES, reason="../shared/corpus is not present (compared with PyYAML on its files)")



@needs_corpus
def test_seeker_matches_pyyaml_on_the_corpus():
    from obslint.load.yamlseek import YamlSeeker

    checked = answered = 0
    for path in FILES:
        text = path.read_text(encoding="utf-8", errors="replace")
        if "&" in text and "*" in text:
            continue
        res = yamlload.parse_yaml(text)
        if len(res.documents) != 1 or res.documents[0] is None:
            continue
        seeker = YamlSeeker(text)
        nodes = yamlload.compose_all(text)
        for p in [p for p, _ in tree_paths(res.documents[0])][1:500]:
            for at_key in (False, True):
                checked += 1
                got = seeker.seek(p, at_key)
                if got is None:
                    continue
                answered += 1
                mark, _ = yamlload.locate(nodes[0], p, at_key)
                assert got == (mark.line + 1, mark.column + 1), (str(path), p, at_key)
        for missing in (("no-such-key",), ("groups", 10**6), ("groups", 0, "no-such-key")):
            assert seeker.seek(missing) is None, (str(path), missing)
    assert checked > 10000 and answered / checked > 0.8


def test_seeker_answers_the_same_in_any_order_of_lookups():
    """One seeker per file resumes from the path heads and lines it answered before: the
    answers must be those of a fresh seeker, whatever the order of the lookups."""
    import random

    from obslint.load.yamlseek import YamlSeeker

    groups = []
    for g in range(6):
        rules = "".join(f"      - alert: A{g}x{r}\n        expr: up == {r}\n        for: {r}m\n"
                        f"        labels:\n          severity: page\n" for r in range(7))
        groups.append(f"  - name: g{g}\n    # comment\n    rules:\n{rules}")
    text = "groups:\n" + "".join(groups)
    data = yamlload.parse_yaml(text).documents[0]
    nodes = yamlload.compose_all(text)
    paths = [p for p, _ in tree_paths(data)][1:]
    assert len(paths) > 200
    for seed in range(3):
        order = paths[:]
        random.Random(seed).shuffle(order)
        shared = YamlSeeker(text)
        for p in order:
            for at_key in (False, True):
                got = shared.seek(p, at_key)
                mark, _ = yamlload.locate(nodes[0], p, at_key)
                assert got == YamlSeeker(text).seek(p, at_key) == (mark.line + 1, mark.column + 1), (p, at_key)
    assert YamlSeeker(text).seek(("groups", 9)) is None and shared.seek(("groups", 0, "rules", 99)) is None
    # A sequence that ends, with another one at the same indentation after it: item 2 of `a`
    # does not exist, whether asked first or after the items before it.
    compact = "a:\n- 1\n- 2\nb:\n- 3\n- 4\n"
    seeker = YamlSeeker(compact)
    assert [seeker.seek(("a", i)) for i in range(3)] == [(2, 3), (3, 3), None]
    assert YamlSeeker(compact).seek(("a", 2)) is None and seeker.seek(("b", 1)) == (6, 3)


@needs_corpus
def test_outline_matches_pyyaml_on_the_corpus():
    checked = answered = 0
    for path in FILES:
        text = path.read_text(encoding="utf-8", errors="replace")
        if "&" in text and "*" in text:
            continue  # aliases: the outline points at the use, PyYAML at the anchor; both are fine
        res = yamlload.parse_yaml(text)
        outline = YamlOutline(text)
        nodes = yamlload.compose_all(text)
        for di, data in enumerate(res.documents):
            if data is None or di >= len(nodes):
                continue
            for p in [p for p, _ in tree_paths(data)][1:500]:
                for at_key in (False, True):
                    checked += 1
                    got = outline.lookup(di, p, at_key)
                    if got is None:
                        continue
                    answered += 1
                    mark, _ = yamlload.locate(nodes[di], p, at_key)
                    assert got == (mark.line + 1, mark.column + 1), (str(path), p, at_key)
    assert checked > 10000 and answered / checked > 0.9


@pytest.mark.parametrize("text,path,expected", [
    ("a:\n  b: 1\n", ("a", "b"), (2, 6)),
    ("a:\n- x\n- y\n", ("a", 1), (3, 3)),
    ("- name: a\n  rules:\n    - expr: |\n        foo:\n          bar\n      for: 5m\n", (0, "rules", 0, "for"), (6, 12)),
    ("'quoted key': 1\n\"dq\": 2\n", ("dq",), (2, 7)),
])
def test_outline_cases(text, path, expected):
    assert YamlOutline(text).lookup(0, path, False) == expected


def _agrees_with_pyyaml(text: str) -> int:
    """Every node the seeker answers for is where PyYAML puts it; returns how many it answered."""
    from obslint.load.yamlseek import YamlSeeker

    data = yamlload.parse_yaml(text).documents[0]
    nodes = yamlload.compose_all(text)
    seeker = YamlSeeker(text)
    answered = 0
    for p in [p for p, _ in tree_paths(data)][1:]:
        for at_key in (False, True):
            got = seeker.seek(p, at_key)
            if got is None:
                continue
            answered += 1
            mark, _ = yamlload.locate(nodes[0], p, at_key)
            assert got == (mark.line + 1, mark.column + 1), (p, at_key)
    return answered


@pytest.mark.parametrize("text", [
    "\n---\n# generated\ngroups:\n- name: a\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n",
    "--- # one document\ngroups:\n  - name: a\n    rules:\n      - record: r\n        expr: sum(up)\n",
    '"groups":\n- "name": "a"\n  "rules":\n  - "alert": "A"\n    "expr": |\n      up\n      -\n      1\n    "for": "5m"\n',
    "'groups':\n- 'name': 'it''s'\n  'rules':\n  - 'expr': 'up'\n    'alert': 'B'\n",
])
def test_seeker_reads_a_leading_marker_and_quoted_keys(text):
    assert _agrees_with_pyyaml(text) > 5


@pytest.mark.parametrize("text,path", [
    ("---\na: 1\n---\na: 2\n", ("a",)),  # two documents: the general locators
    ("--- {a: 1}\n", ("a",)),  # content on the marker line
    ('a: "x\n  b: 1"\n', ("a", "b")),  # a quoted scalar of two lines, not a mapping
])
def test_seeker_refuses_what_it_cannot_read(text, path):
    from obslint.load.yamlseek import YamlSeeker

    assert YamlSeeker(text).seek(path) is None


@needs_corpus
def test_seeker_matches_pyyaml_on_generated_corpus_files():
    """Generated rule files (Sloth's leading `---`, jsonnet's quoted keys) anywhere in the corpus."""
    import re

    shaped = re.compile(r"(?:[ ]*(?:#[^\n]*)?\n)*(?:---[ ]*(?:#[^\n]*)?\n|[\"'])")
    answered = files = 0
    for path in sorted(CORPUS.glob("**/*.y*ml")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if not shaped.match(text) or ("&" in text and "*" in text):
            continue
        res = yamlload.parse_yaml(text)
        if len(res.documents) != 1 or res.documents[0] is None:
            continue
        files += 1
        answered += _agrees_with_pyyaml(text)
    assert files > 10 and answered > 1000
