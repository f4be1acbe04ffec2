"""The JSON loader's duplicate keys and depth walk, and the JSON locator.

A text without duplicate keys gets a locator that stops at a key's first occurrence;
these tests make sure every duplicate is still found and placed, that the level-wise
depth walk agrees with the plain one, and that the locator's resumable cursors and line
counting give the positions of the full index.
"""
from __future__ import annotations

import json
import random

import pytest

from obslint.load import MAX_DEPTH, _duplicate_keys_hook, _json_nests_deeper, _nests_deeper
from obslint.load.jsonpos import JsonIndex, JsonLocator
from obslint.load.text import LineIndex


def where(result, code):
    return [(f.file, f.line, f.col) for f in result.findings if f.code == code]


DUPLICATES = {
    # name: (text, positions of IN004)
    "space-before-colon": ('{"title": "x",\n "uid" : "a",\n "uid" : "b"}', [(3, 2)]),
    "one-spaced-one-not": ('{"uid" : "a", "uid": "b"}', [(1, 15)]),
    "newline-tab-cr-before-colon": ('{"uid"\n:"a", "uid"\t\r :"b"}', [(2, 7)]),
    "escaped-quote-in-key": ('{"a\\"b": 1, "a\\"b": 2}', [(1, 13)]),
    "escaped-quote-colon-in-key": ('{"a\\":": 1, "a\\":": 2}', [(1, 13)]),
    "u-escape-vs-plain": ('{"uid": "a", "\\u0075id": "b"}', [(1, 14)]),
    "plain-vs-u-escape": ('{"\\u0075\\u0069\\u0064": "a", "uid": "b"}', [(1, 29)]),
    "escaped-slash": ('{"a/b": 1, "a\\/b": 2}', [(1, 12)]),
    "empty-key": ('{"": 1, "" : 2}', [(1, 9)]),
    # Colons and escaped quotes inside strings, around a real repeat.
    "beside-escaped-quote-colons": ('{"expr": "x{a=\\"b\\":1}", "uid": "a", "uid": "b"}', [(1, 38)]),
    "beside-string-colons": ('{"url": "http://x:80", "uid": 1, "uid": 2}', [(1, 34)]),
    "nested-spaced": ('{"panels": [{"id" :1, "id" :2}], "x": {"y": {"z": 1, "z" : 2}}}', [(1, 23), (1, 54)]),
}


@pytest.mark.parametrize("name", sorted(DUPLICATES))
def test_every_duplicate_key_is_reported(tmp_path, name):
    # read as the loader reads any JSON file (a file none of whose documents obslint lints is
    # then skipped whole, its IN004 too: see tests/core/test_foreign_files.py)
    from obslint.load import read_source

    text, positions = DUPLICATES[name]
    (tmp_path / "d.json").write_text(text, encoding="utf-8")
    _source, findings = read_source(tmp_path / "d.json", "d.json", "json", 10_000_000)
    assert [(f.file, f.line, f.col) for f in findings if f.code == "IN004"] == \
        [("d.json", line, col) for line, col in positions]


def test_duplicate_keys_of_a_dashboard_are_reported(lint_files):
    r = lint_files({"d.json": '{"title": "x", "panels": [],\n "uid" : "a",\n "uid" : "b"}'})
    assert where(r, "IN004") == [("d.json", 3, 2)]


CLEAN = {
    "plain": '{"title": "x", "panels": [{"id": 1}, {"id": 2}]}',
    "string-colons": '{"title": "a:b", "links": [{"url": "http://x:9090/graph"}], "expr": "rate(x[5m:1m])"}',
    "escaped-quote-colons": '{"expr": "up{job=\\"a\\":\\"b\\"}", "title": "x"}',
    "spaced-colons": '{"title" : "x", "panels" : [{"id" : 1}, {"id" : 2}]}',
    "spaced-and-string-colons": '{"title" : "a:b", "panels" : []}',
    "same-key-different-objects": '{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}',
    "similar-escapes": '{"a": 1, "\\u0062": 2, "a\\/": 3, "a\\\\": 4}',
}


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_no_duplicate_key_no_finding(lint_files, name):
    r = lint_files({"d.json": CLEAN[name]})
    assert where(r, "IN004") == []
    assert not [f for f in r.findings if f.code.startswith("IN")]


def _nest(depth: int, leaf: str = "[]") -> str:
    """A JSON text whose deepest container is at `depth` (the root is depth 1)."""
    return "[" * (depth - 1) + leaf + "]" * (depth - 1)


@pytest.mark.parametrize("text,deeper", [
    (_nest(MAX_DEPTH), False),
    (_nest(MAX_DEPTH + 1), True),
    (_nest(MAX_DEPTH, "{}"), False),
    (_nest(MAX_DEPTH + 1, "{}"), True),
    (_nest(MAX_DEPTH + 1, '{"a": 1}'), True),
    (_nest(MAX_DEPTH, '{"a": 1}'), False),
    ('{"a":' * (MAX_DEPTH - 1) + "{}" + "}" * (MAX_DEPTH - 1), False),
    ('{"a":' * MAX_DEPTH + "{}" + "}" * MAX_DEPTH, True),
    ('[1, "x", ' + _nest(MAX_DEPTH) + ', {"b": [[]]}]', True),
    ("1", False), ('"s"', False), ("[]", False), ("{}", False),
])
def test_depth_walk_matches_the_plain_walk(text, deeper, monkeypatch):
    data = json.loads(text)
    assert _nests_deeper(data, MAX_DEPTH) is deeper
    assert _json_nests_deeper(data, MAX_DEPTH) is deeper
    # Referents that are not exactly the values: the level is walked in Python instead.
    monkeypatch.setattr("gc.get_referents", lambda *objs: [])
    assert _json_nests_deeper(data, MAX_DEPTH) is deeper


@pytest.mark.parametrize("depth,code", [(MAX_DEPTH, None), (MAX_DEPTH + 1, "IN009")])
def test_depth_limit_on_empty_leaves(lint_files, depth, code):
    r = lint_files({"d.json": _nest(depth, "{}")})
    assert [f.code for f in r.findings if f.code == "IN009"] == ([code] if code else [])


# Raw key spellings: several decode to the same name ("a", "a/", "a\"").
_RAW_KEYS = ['"a"', '"\\u0061"', '"b"', '"a/"', '"a\\/"', '"a\\""', '"a\\u0022"', '"k:"', '"k\\":"', '""',
             '"\\\\"', '"x y"']
_SCALARS = ["1", "-2.5e3", "true", "false", "null", '"s"', '"http://h:1/p"', '"a\\":b"', '"\\" :"', '"[5m:1m]"',
            '"{}[]:,"', '"\\u0041:"', '"\\\\"']
_WS = ["", "", "", " ", "\n  ", "\t", "\r\n", " \n"]


def _gen(rng: random.Random, depth: int = 0) -> str:
    ws = lambda: rng.choice(_WS)  # noqa: E731
    r = rng.random()
    if depth > 5 or r < 0.3:
        return rng.choice(_SCALARS)
    if r < 0.7:
        keys = rng.sample(_RAW_KEYS, rng.randint(0, 5))
        if keys and rng.random() < 0.2:
            keys.insert(rng.randrange(len(keys) + 1), rng.choice(keys))  # an exact repeat
        members = [f"{ws()}{k}{ws()}:{ws()}{_gen(rng, depth + 1)}{ws()}" for k in keys]
        return "{" + ",".join(members) + ws() + "}"
    items = [f"{ws()}{_gen(rng, depth + 1)}{ws()}" for _ in range(rng.randint(0, 4))]
    return "[" + ",".join(items) + ws() + "]"


def _samples(n: int, seed: int):
    rng = random.Random(seed)
    for _ in range(n):
        text = _gen(rng)
        hook, repeated = _duplicate_keys_hook()
        data = json.loads(text, object_pairs_hook=hook)
        yield rng, text, data, bool(repeated)


def test_random_texts_cover_both_cases():
    repeated = [r for _rng, _text, _data, r in _samples(2000, 7)]
    assert sum(repeated) > 200 and len(repeated) - sum(repeated) > 200


def test_depth_walk_on_random_data():
    for _rng, _text, data, _repeated in _samples(2000, 8):
        for limit in (1, 2, 3, 5):
            assert _json_nests_deeper(data, limit) is _nests_deeper(data, limit)


def test_loader_reports_what_the_full_index_finds(tmp_path):
    from obslint.load import read_source

    path = tmp_path / "d.json"
    for _rng, text, _data, repeated in _samples(600, 11):
        path.write_text(text, encoding="utf-8")
        source, findings = read_source(path, "d.json", "json")
        expected = [source.lines.position(offset) for _path, offset in JsonIndex(text).duplicates]
        assert [(f.line, f.col) for f in findings if f.code == "IN004"] == expected, text
        assert bool(expected) == repeated
        assert source.documents and source.documents[0].data == json.loads(text)
        assert source.json_locator().unique_keys is not repeated


def _paths(index: JsonIndex, rng: random.Random) -> list[tuple]:
    """Every node's path, and paths that do not exist or step the wrong way."""
    paths = list(index.values) + list(index.keys)
    for p in list(paths):
        paths += [p + ("missing",), p + (0,), p + (7,), p + (-1,), p + ("a", 0)]
    rng.shuffle(paths)
    return paths + paths[: len(paths) // 2]  # asked again, after the cursors moved on


def _data_paths(node, path=()):
    yield path, node
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for step, child in items:
        yield from _data_paths(child, path + (step,))


def test_locator_agrees_with_the_full_index():
    decode = json.JSONDecoder().raw_decode
    for rng, text, data, repeated in _samples(1500, 3):
        index = JsonIndex(text)
        exact, hinted = JsonLocator(text), JsonLocator(text, unique_keys=not repeated)
        lines = LineIndex(text)
        if repeated:
            # The index also keeps the nodes under an overridden duplicate: check that the
            # offset of every node the data kept decodes to that node (the last duplicate).
            for path, node in _data_paths(data):
                assert decode(text, exact.offset(path))[0] == node, (text, path)
                assert decode(text, hinted.offset(path))[0] == node, (text, path)
            continue
        for path in _paths(index, rng):
            at_key = rng.random() < 0.5
            want = index.offset(path, at_key)
            assert exact.offset(path, at_key) == want, (text, path, at_key)
            assert hinted.offset(path, at_key) == want, (text, path, at_key)
            assert hinted.position(path, at_key) == lines.position(want)


def test_locator_takes_the_last_duplicate():
    text = '{"a": {"x": 1}, "b": 2, "a": {"x": 3}, "\\u0061": [0, {"x": 4}]}'
    loc = JsonLocator(text)
    assert loc.offset(("a",)) == text.index("[0")
    assert loc.offset(("a",), at_key=True) == text.index('"\\u0061"')
    assert loc.offset(("a", 1, "x")) == text.index("4")
    assert loc.offset(("b",)) == text.index("2")


def test_locator_resumes_across_lookups_in_any_order():
    panels = [{"id": i, "targets": [{"expr": f"up{i}"}, {"expr": f"x{i}"}]} for i in range(60)]
    text = json.dumps({"title": "t", "panels": panels, "uid": "u"}, indent=2)
    index = JsonIndex(text)
    order = [("panels", i, "targets", j, "expr") for i in range(60) for j in range(2)]
    random.Random(5).shuffle(order)
    for unique in (False, True):
        loc = JsonLocator(text, unique_keys=unique)
        for path in order + [("uid",), ("title",), ("panels", 60), ("panels", 59, "nope")]:
            assert loc.offset(path) == index.offset(path)
        # A bool is not an index (the full index would take True for 1).
        fresh = JsonLocator(text, unique_keys=unique)
        assert fresh.offset(("panels", True, "id")) == fresh.offset(("panels",), at_key=True)


def test_line_col_matches_the_line_index_in_any_order():
    rng = random.Random(2)
    text = "".join(rng.choice(["a", "b", " ", "\n", "\n\n", "\r\n"]) for _ in range(5000))
    lines = LineIndex(text)
    loc = JsonLocator(text)
    offsets = [rng.randrange(len(text) + 1) for _ in range(400)] + [0, len(text)] + \
        [i for i, c in enumerate(text) if c == "\n"][:50]
    rng.shuffle(offsets)
    for offset in offsets:
        assert loc.line_col(offset) == lines.position(offset)
    # Past jsonpos._MARKS lookups the locator switches to a full line index.
    for offset in [rng.randrange(len(text) + 1) for _ in range(2500)]:
        assert loc.line_col(offset) == lines.position(offset)


def test_locator_on_malformed_text_does_not_raise():
    for text in ['{"a": [1, 2', '{"a" 1}', '{"a": "unterminated', '[1 2 3]', '{"a": 1,, "b": 2}', "", "  ",
                 '{"a": {"b": }', "[" * 5000]:
        loc = JsonLocator(text)
        for path in [("a",), ("a", 1), ("b",), (0,), (2,), ("a", "b", "c")]:
            assert 0 <= loc.offset(path) <= len(text)
            loc.position(path, at_key=True)


@pytest.mark.parametrize("text", [
    "a: &x {b: [1, {c: 2}]}\nd: *x\ne: [*x, *x]\n",       # one subtree behind several aliases
    "1: {2: [3, {4: 5}]}\n2.5: [null, {x: [[[]]]}]\n",     # keys that are not strings
    "groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n    labels: {a: b}\n",
    "[" * 40 + "]" * 40, "- " * 60 + "x\n", "plain\n", "",
])
def test_depth_walk_on_yaml_data(text):
    """The level walk stands in for the plain walk on YAML too: aliases, odd keys, both loaders."""
    import yaml
    import yaml_rs

    for data in (yaml.load(text, Loader=yaml.CSafeLoader), yaml_rs.loads(text)):
        for limit in (1, 2, 3, 4, 30, MAX_DEPTH):
            assert _json_nests_deeper(data, limit) is _nests_deeper(data, limit), (text, limit)
