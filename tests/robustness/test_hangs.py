"""Inputs that used to take minutes or gigabytes: DB007 on 40,000 panels (quadratic), the
per-file time budget inside a long check, and a one-line dashboard with 220,000 duplicate
panel ids (220,000 findings through every reporter)."""
from __future__ import annotations

import json
import random
import time

import pytest

from obslint import timebox
from obslint.checks.dashboards import _first_overlaps_pairwise, first_overlaps
from tests.conftest import CORPUS
from tests.robustness.test_adversarial import MEMORY_LIMIT, TIME_LIMIT, check, obslint, write


def pairwise(rects):
    """DB007 as it was (every later rectangle that starts above a's bottom), the reference."""
    out = []
    for i, a in enumerate(rects):
        for j in range(i + 1, len(rects)):
            b = rects[j]
            if b[1] >= a[1] + a[3]:
                break
            if a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]:
                out.append((i, j))
                break
    return out


def _sweep(rects):
    """The tree sweep whatever the size (first_overlaps answers small layouts pairwise)."""
    padded = rects + [(10**12 + k, 10**12 + k, 1, 1) for k in range(101 - len(rects))] if len(rects) <= 100 else rects
    return [(i, j) for i, j in first_overlaps(padded) if i < len(rects) and j < len(rects)]


def _random_layout(rng: random.Random, n: int) -> list:
    if rng.random() < 0.6:  # Grafana's grid: integer columns 0-23
        rects = [(rng.randint(0, 23), rng.randint(0, 40), rng.randint(1, 24), rng.randint(1, 12)) for _ in range(n)]
    else:  # odd values the schema allows: fractions, negatives, huge widths
        rects = [(rng.choice([0, 0.5, 3, 11.75, -4, 1e9]), rng.uniform(0, 30), rng.choice([0.25, 1, 6, 24, 1e9]),
                  rng.choice([0.5, 1, 4, 8])) for _ in range(n)]
    return sorted(rects, key=lambda r: (r[1], r[0]))


def test_sweep_agrees_with_pairwise_on_random_layouts():
    rng = random.Random(20)
    for _ in range(1500):
        rects = _random_layout(rng, rng.randint(0, 140))
        want = pairwise(rects)
        assert _first_overlaps_pairwise(rects) == want
        assert _sweep(rects) == want, rects
        assert first_overlaps(rects) == want


def _corpus_layers():
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    for path in sorted(CORPUS.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if not isinstance(data, dict):
            continue
        layers = {}
        stack = [(data.get("panels"), ())]
        while stack:
            panels, layer = stack.pop()
            if not isinstance(panels, list):
                continue
            for k, p in enumerate(panels):
                if not isinstance(p, dict):
                    continue
                g = p.get("gridPos")
                if isinstance(g, dict) and all(isinstance(g.get(c, 0), (int, float)) and not isinstance(g.get(c, 0), bool)
                                               for c in "xywh") and g.get("w", 0) > 0 and g.get("h", 0) > 0:
                    layers.setdefault(layer, []).append(tuple(g.get(c, 0) for c in "xywh"))
                stack.append((p.get("panels"), layer + (k,)))
        for rects in layers.values():
            yield path, sorted(rects, key=lambda r: (r[1], r[0]))


def test_sweep_agrees_with_pairwise_on_corpus_dashboards():
    layers = overlapping = 0
    for path, rects in _corpus_layers():
        want = pairwise(rects)
        assert _sweep(rects) == want, path
        layers += 1
        overlapping += bool(want)
    assert layers > 300, layers
    assert overlapping > 0  # the corpus has real overlaps: the comparison is not vacuous


def test_forty_thousand_panels_in_one_row(tmp_path):
    panels = [{"id": i, "type": "text", "title": f"p{i}", "gridPos": {"x": i % 24, "y": 0, "w": 1, "h": 1}}
              for i in range(40_000)]
    write(tmp_path / "grid.json", json.dumps({"uid": "g", "title": "G", "schemaVersion": 39, "panels": panels}))
    run = check(obslint("--no-config", "-q", "--select", "DB007", "--max-file-size", "10000000", "grid.json",
                        cwd=tmp_path), name="grid.json", codes=["DB007"], exit_codes=(0, 1))
    assert "39,876 more DB007 findings" in run.out  # 39,976 overlaps: the first 100 listed


def test_distinct_columns_are_not_quadratic():
    rects = [(i, 0, 1, 1) for i in range(40_000)]  # no overlap, all in one row: the pairwise worst case
    start = time.monotonic()
    assert first_overlaps(rects) == []
    assert time.monotonic() - start < 5


def test_time_budget_stops_a_long_check_from_inside(monkeypatch):
    monkeypatch.setattr(timebox, "deadline", time.perf_counter() - 1)  # the budget is already spent
    with pytest.raises(timebox.Exceeded):
        first_overlaps([(i, 0, 1, 1) for i in range(5_000)])


def test_time_budget_is_reported_when_a_check_runs_over(tmp_path):
    panels = [{"id": i, "type": "text", "title": f"p{i}", "gridPos": {"x": i, "y": 0, "w": 1, "h": 1}}
              for i in range(60_000)]
    write(tmp_path / "grid.json", json.dumps({"uid": "g", "title": "G", "schemaVersion": 39, "panels": panels}))
    run = obslint("--no-config", "-q", "--select", "DB007,IN010", "--max-file-size", "10000000", "grid.json",
                  cwd=tmp_path, env={"OBSLINT_TIME_BUDGET": "0.05"})
    check(run, name="grid.json", codes=["IN010"], exit_codes=(1,))
    assert run.seconds < 5


@pytest.mark.parametrize("fmt", ["plain", "json", "sarif", "github", "junit"])
def test_two_hundred_twenty_thousand_duplicate_panel_ids(tmp_path, fmt):
    """A 5 MB one-line dashboard: the findings of one code are bounded (first 100 and a count),
    every format stays small and fast."""
    text = json.dumps({"uid": "d", "title": "D", "schemaVersion": 39,
                       "panels": [{"id": 1, "type": "text"}] * 220_000}, separators=(",", ":"))
    assert len(text) > 5_000_000
    write(tmp_path / "dups.json", text)
    run = obslint("--no-config", "--format", fmt, "--max-file-size", "10000000", "dups.json", cwd=tmp_path,
                  timeout=20)
    assert run.code == 0 and "Traceback" not in run.err, run.err[-2000:]  # warnings
    assert "219,899 more DB006 findings in this document are not listed" in run.out
    assert len(run.out) < 2_000_000
    assert run.peak_rss < MEMORY_LIMIT and run.seconds < 2 * TIME_LIMIT, (run.peak_rss / 2**20, run.seconds)
