"""The input-series notation: values and series descriptions read as promtool reads them.
Each text's verdict is compared with the real `promtool test rules` (one run for all)."""
from __future__ import annotations

import subprocess

import pytest

from obslint.testfiles.notation import NotationError, count, expand, format_series, parse_series, parse_values
from tests.conftest import need_binary

VALID = ["1+1x10", "1 2 3", "1-1x3", "_", "_x3", "stale", "1x3", "-1x3", "+1x3", "1e3", ".5", "Inf", "NaN",
         "-Inf", "0x10", "1 +1x3", "1.5x2", "0 stale", "0 _ _ _ 0", "", "  1  2  "]
INVALID = ["1+1", "1x", "Infx3", "stalex2", "1,2", "1+-1x3", "1++1x3", "a", "1x1.5", "1e", "1+1x3x", "_+1x3",
           "x3", "1..2"]


def test_expansion():
    assert expand(parse_values("1+1x3")) == [1, 2, 3, 4]
    assert expand(parse_values("5-2x2 _x2 stale")) == [5, 3, 1, None, None, "stale"]
    assert expand(parse_values("7x2")) == [7, 7, 7]
    assert expand(parse_values("{{sum:1 buckets:[1]}}+{{sum:2 buckets:[1 1]}}x2"))[2] == {"sum": 5.0,
                                                                                        "buckets": [3.0, 2.0]}


def test_huge_repetition_stays_compact():
    items = parse_values("0+1x1000000000")
    assert count(items) == 1000000001
    assert len(expand(items, limit=10)) == 10


@pytest.mark.parametrize("text", INVALID)
def test_invalid_values(text):
    with pytest.raises(NotationError):
        parse_values(text)


def test_error_offsets():
    with pytest.raises(NotationError) as e:
        parse_values("1 2 3,4")
    assert e.value.offset == 5
    with pytest.raises(NotationError) as e:
        parse_values("{{sum:1 buckets:[1 a]}}")
    assert e.value.offset == 19


def test_histograms():
    items = parse_values("{{schema:1 sum:-0.3 count:32.1 z_bucket:7.1 z_bucket_w:0.05 buckets:[5.1 10 7] offset:-3 "
                         "n_buckets:[4.1 5] n_offset:-5}} {{sum:3 count:2 buckets:[2]}}x2")
    assert count(items) == 4
    for bad in ("{{sum:x}}", "{{foo:1}}", "{{buckets:1}}", "{{sum:1", "{{sum:1}}+{{sum:1}}", "{{schema:1.5}}"):
        with pytest.raises(NotationError):
            parse_values(bad)


def test_series_descriptions():
    assert parse_series('up{job="api", instance="a:80"}') == ("up", {"job": "api", "instance": "a:80"})
    assert parse_series("up") == ("up", {})
    assert parse_series('{__name__="up", job="x",}') == ("up", {"job": "x"})
    assert parse_series("{job='a\\'b'}") == (None, {"job": "a'b"})
    assert parse_series('{"service.name"="x"}') == (None, {"service.name": "x"})
    for bad in ('up{job=~"a"}', 'up{job="a"', "up{job=a}", 'up{job!="a"}', "up x", "{", "up{,}"):
        with pytest.raises(NotationError):
            parse_series(bad)
    assert format_series("up", {"job": 'a"b'}) == 'up{job="a\\"b"}'


def _promtool_accepts(tmp_path, values: str, series: str = 'foo{a="b"}') -> bool:
    (tmp_path / "r.yml").write_text("groups: []\n")
    quoted = values.replace("'", "''")
    squoted = series.replace("'", "''")
    (tmp_path / "t.yml").write_text(f"rule_files: [r.yml]\ntests:\n  - interval: 1m\n    input_series:\n"
                                    f"      - series: '{squoted}'\n        values: '{quoted}'\n")
    out = subprocess.run([need_binary("promtool"), "test", "rules", str(tmp_path / "t.yml")], capture_output=True,
                         text=True, timeout=60)
    return out.returncode == 0


@pytest.mark.parametrize("text,ok", [(t, True) for t in VALID] + [(t, False) for t in INVALID])
def test_values_agree_with_promtool(tmp_path, text, ok):
    assert _promtool_accepts(tmp_path, text) is ok
    try:
        parse_values(text)
        ours = True
    except NotationError:
        ours = False
    assert ours is ok


@pytest.mark.parametrize("series,ok", [('up{job="a"}', True), ("up", True), ('{__name__="up"}', True),
                                       ('up{job=~"a"}', False), ('up{job="a"', False), ("up{job=a}", False),
                                       ('up{job="a",}', True), ("up{}", True)])
def test_series_agree_with_promtool(tmp_path, series, ok):
    assert _promtool_accepts(tmp_path, "1", series) is ok
    try:
        parse_series(series)
        ours = True
    except NotationError:
        ours = False
    assert ours is ok
