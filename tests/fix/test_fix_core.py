"""The fix core: edits applied in one pass, overlaps dropped, JSON string offsets exact."""
import json

from obslint.fixes import Edit, Fix, apply_fixes, json_string_offsets


def test_edits_apply_and_overlaps_drop_the_later_fix():
    text = 'sum(rate(x{job=~"api"}[$__interval]))'
    assert text[23:34] == "$__interval"
    a = Fix([Edit(14, 16, "=")], title="plain matcher")
    b = Fix([Edit(15, 16, "")], title="overlaps a")
    c = Fix([Edit(23, 34, "$__rate_interval")], title="rate interval")
    new, applied, dropped = apply_fixes(text, [a, b, c])
    assert new == 'sum(rate(x{job="api"}[$__rate_interval]))'
    assert applied == [a, c] and dropped == [b]
    assert apply_fixes(new, [])[0] == new


def test_json_string_offsets_map_decoded_spans_to_raw_spans():
    raw = '{"expr": "a\\"b\\u00e9 $__interval"}'
    start = raw.index('"', 8)
    value = json.loads(raw)["expr"]
    marks = json_string_offsets(raw, start)
    a = value.index("$__interval")
    b = a + len("$__interval")
    assert raw[marks[a]:marks[b]] == "$__interval"
    new = raw[:marks[a]] + "$__rate_interval" + raw[marks[b]:]
    assert json.loads(new)["expr"] == value.replace("$__interval", "$__rate_interval")
    assert json_string_offsets(raw, 0) is None


def test_a_fix_pickles_with_its_edits_made():
    import pickle

    from obslint.fixspan import MISSING, Pieces

    made = []
    fix = Fix(lambda: (made.append(1) or [Edit(1, 2, "x")], [(("a",), MISSING), (("b",), Pieces([(0, 1, "y")]))]),
              "unsafe", "t")
    back = pickle.loads(pickle.dumps(fix))
    assert back.edits == [Edit(1, 2, "x")] and back.applicability == "unsafe" and back.title == "t"
    assert back.expect[0][1] is MISSING and back.expect[1][1] == [(0, 1, "y")]
    assert made == [1]
