"""A finding's source line, as the console and the machine formats show it, read from the JSON
locator's and the YAML seeker's known positions instead of an index of every line: the same
text as the line numbered in the file, for every finding on the repository's and the corpus'
dashboards and rule files."""
from __future__ import annotations

import pytest

import obslint
from obslint.load.jsonpos import JsonLocator
from obslint.load.yamlseek import YamlSeeker
from tests.conftest import CORPUS, REPO


def _same_lines(paths, fmt: str = "json") -> int:
    result = obslint.lint(paths)
    sources = {s.display: s for s in result.project.sources}
    checked = 0
    for f in result.findings:
        src = sources.get(f.file)
        if src is None or src.format != fmt or not src.text or not f.line:
            continue
        lines = src.text.split("\n")
        assert src.line_text(f.line) == (lines[f.line - 1] if f.line <= len(lines) else ""), (f.file, f.line)
        checked += 1
    return checked


def test_line_start_is_known_only_for_lines_asked_before():
    text = '{\n  "a": 1,\n  "b": [\n    2\n  ]\n}\n'
    loc = JsonLocator(text)
    assert loc.line_start(2) is None  # nothing asked yet
    assert loc.position(("b", 0)) == (4, 5)
    assert loc.line_start(4) == text.index("    2")
    assert loc.line_start(1) == 0
    assert loc.line_start(3) is None


def test_finding_lines_of_the_repository_dashboards(tmp_path):
    dash = tmp_path / "d.json"
    dash.write_text('{"uid": "x", "title": "T", "schemaVersion": 39,\n "panels": [\n  {"id": 1, "type": "timeseries",'
                    ' "title": "", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},\n   "targets": [{"refId": "A",'
                    ' "expr": "rate(x[5m]"}]}\n ]\n}\n')
    assert _same_lines([dash] + sorted((REPO / "infra" / "grafana" / "dashboards").glob("*.json"))) >= 1


def test_finding_lines_of_the_corpus_dashboards():
    if not CORPUS.is_dir():
        pytest.skip("needs ../shared/corpus")
    assert _same_lines(sorted(CORPUS.glob("**/dashboards/*.json"))[:150]) > 100


def test_yaml_line_start_is_known_only_for_lines_asked_before():
    text = "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n"
    seeker = YamlSeeker(text)
    assert seeker.line_start(4) is None
    assert seeker.seek(("groups", 0, "rules", 0, "expr")) == (5, 15)
    assert seeker.line_start(5) == text.index("        expr")
    assert seeker.line_start(4) is None


def test_finding_lines_of_rule_files(tmp_path):
    rules = tmp_path / "r.yml"
    rules.write_text("groups:\n  - name: g\n    rules:\n" + "".join(
        f"      - record: job:x:sum\n        expr: sum by (job) (x{i})\n        labels: {{a: b}}\n" for i in range(3))
        + "      - alert: A\n        expr: rate(x[5m]\n", encoding="utf-8")
    assert _same_lines([rules] + sorted((REPO / "infra").rglob("*.yml")), "yaml") >= 3


def test_finding_lines_of_the_corpus_rule_files():
    if not CORPUS.is_dir():
        pytest.skip("needs ../shared/corpus")
    files = [p for p in sorted(CORPUS.rglob("*.y*ml")) if "dashboards" not in p.parts][:400]
    assert _same_lines(files, "yaml") > 200
