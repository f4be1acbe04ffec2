"""What obslint writes is safe to show and is always written (or says why not).

- Control characters from linted files (ESC, BEL, backspace, CR, bidi overrides) are shown as
  escapes in every text format: they never reach the terminal or the CI log viewer raw.
- Lone surrogates (`"\\ud800"` in a JSON string, also inside a ConfigMap) and file names that
  are not UTF-8 are written in every format, SARIF included, instead of a UnicodeEncodeError.
- A report that cannot be written (stdout on /dev/full, stdout closed) is one clear line on
  stderr and exit 2.

Every case is a real process under the RLIMIT_AS limit of test_adversarial, with its deadline."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from obslint.report.text import printable
from tests.conftest import REPO
from tests.robustness.test_adversarial import MEMORY_LIMIT, TIME_LIMIT, check, obslint, write

TEXT_FORMATS = ("plain", "console", "github")
ALL_FORMATS = ("plain", "console", "json", "sarif", "github", "junit")
HOSTILE_NAME = "A\x1b[31mB\x07C\x08D\rE\u202eF\x9bG"
RAW = ("\x1b", "\x07", "\x08", "\r", "\u202e", "\x9b")


def _rules(alert: str) -> str:
    return ("groups:\n  - name: g\n    rules:\n      - alert: " + json.dumps(alert) + "\n        expr: up == 0\n"
            "        labels: {t: \"" + alert.replace("\\", "").replace('"', "") + "\"}\n")


def test_printable_escapes_what_acts_on_a_terminal():
    assert printable("plain text, tabs\tstay") == "plain text, tabs\tstay"
    assert printable(HOSTILE_NAME) == "A\\x1b[31mB\\x07C\\x08D\\x0dE\\u202eF\\x9bG"
    assert printable("caf\udce9") == "caf\\xe9"  # a byte of a non-UTF-8 file name
    assert printable("\ud800") == "\\ud800"
    assert printable("line\nbreak") == "line\\x0abreak"


def test_printable_fast_path_agrees_with_the_pattern_on_every_character():
    """`str.isprintable` lets a text through unscanned: no character it passes is one the
    pattern escapes (every code point, alone and inside text)."""
    from obslint.report.text import _UNSAFE

    for c in map(chr, range(0x110000)):
        if c.isprintable():
            assert _UNSAFE.search(c) is None, hex(ord(c))
    assert printable("ok \u00e9\u4e2d") == "ok \u00e9\u4e2d"
    assert printable("ok \u2066x") == "ok \\u2066x"


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_terminal_escapes_are_shown_escaped(tmp_path, fmt):
    write(tmp_path / "esc.yaml", _rules(HOSTILE_NAME))
    args = ["--no-config", "--format", fmt, "esc.yaml"] + (["--color"] if fmt == "console" else [])
    run = check(obslint(*args, cwd=tmp_path), name="esc.yaml", codes=["AL005"])
    if fmt == "console":  # rich's own colour codes are ESC sequences; the file's must not be
        assert "\x1b[31mB" not in run.out
        assert not any(c in run.out for c in RAW[1:]), repr(run.out)
    else:
        assert not any(c in run.out for c in RAW), repr(run.out)
    assert "A\\x1b[31mB\\x07C\\x08D" in run.out  # still readable: the reader sees what is there


def test_source_line_escaped_and_caret_still_under_the_value(tmp_path):
    """Raw control characters in a YAML value (yaml_rs reads them) reach the message and the
    source line shown with the finding: both escaped, the caret still under the value."""
    write(tmp_path / "esc.yaml", "groups:\n  - name: g\n    rules:\n      - {alert: \x1b\x1bX\x07, expr: up}\n")
    run = check(obslint("--no-config", "--format", "plain", "--select", "AL005", "esc.yaml", cwd=tmp_path),
                name="esc.yaml", codes=["AL005"])
    assert not any(c in run.out for c in RAW), repr(run.out)
    lines = run.out.splitlines()
    i = next(n for n, line in enumerate(lines) if "- {alert:" in line)
    assert lines[i].endswith("- {alert: \\x1b\\x1bX\\x07, expr: up}")
    assert lines[i + 1].index("^") == lines[i].index("{alert")


def _surrogate_files(root):
    write(root / "sur.json", '{"uid": "a\\ud800", "title": "T\\udc00", "panels": [{"type": "graph", '
                             '"title": "p\\ud83d", "targets": [{"expr": "rate(x[5m]"}]}]}')
    embedded = '{"uid": "b\\\\udfff", "title": "T", "panels": [{"type": "graph", "title": "q\\\\ud800", ' \
               '"targets": [{"expr": "rate(y[5m]"}]}]}'
    write(root / "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, labels: {grafana_dashboard: '1'}}\n"
                            "data:\n  d.json: \"" + embedded.replace('"', '\\"') + "\"\n")
    name = os.fsencode(str(root)) + b"/caf\xe9.yaml"
    with open(name, "wb") as fh:
        fh.write(_rules("NonUtf8Name").encode())


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_lone_surrogates_and_non_utf8_names_in_every_format(tmp_path, fmt):
    _surrogate_files(tmp_path)
    run = obslint("--no-config", "--format", fmt, ".", cwd=tmp_path)
    if fmt == "sarif":  # its rule list names every code, IN011 too: check the results instead
        results = json.loads(run.out)["runs"][0]["results"]
        assert "IN011" not in {r["ruleId"] for r in results}
        run.out = run.out.replace("IN011", "-")
    check(run, name="sur.json", codes=["PQ001"], exit_codes=(1,))
    assert "cm.yaml" in run.out and "NonUtf8Name" in run.out
    if fmt == "json":
        data = json.loads(run.out)
        assert {f["file"] for f in data["findings"]} >= {"sur.json", "cm.yaml", "caf\udce9.yaml"}
        assert any("a\ud800" in f["message"] for f in data["findings"])  # the same value, escaped
    elif fmt == "sarif":
        data = json.loads(run.out)
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in data["runs"][0]["results"]}
        assert "caf%E9.yaml" in uris  # the file's real bytes, percent-encoded
    elif fmt == "junit":
        ET.fromstring(run.out.split("\n", 1)[1])
    else:
        assert "caf\\xe9.yaml" in run.out and "a\\ud800" in run.out


def _run_with_stdout(tmp_path, stdout_fd_setup: str) -> subprocess.CompletedProcess:
    """obslint with its stdout on /dev/full or closed (set up by the shell), RLIMIT_AS applied."""
    write(tmp_path / "r.yaml", _rules("X"))
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}

    def limit():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    cmd = f'"{sys.executable}" -m obslint --no-config r.yaml {stdout_fd_setup}'
    return subprocess.run(["sh", "-c", cmd], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True,
                          timeout=TIME_LIMIT, preexec_fn=limit)


@pytest.mark.parametrize("where", ["> /dev/full", ">&-"])
@pytest.mark.parametrize("fmt", ["plain", "sarif"])
def test_stdout_that_cannot_be_written(tmp_path, where, fmt):
    res = _run_with_stdout(tmp_path, f"--format {fmt} {where}")
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("obslint: error: cannot write the report to standard output: ")
    assert ("No space left" in line) if "full" in where else ("closed" in line)
