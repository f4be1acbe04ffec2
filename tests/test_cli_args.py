"""The hand-written fast path for `obslint check` arguments gives argparse's namespace, and
leaves to argparse every command line it is not sure of (errors included)."""
from __future__ import annotations

import itertools
import random

import pytest

from obslint import cli

TOKENS = [
    "a.yml", "dir/", "", "x y.json", "-", "-1", "--", "-h", "--help", "--version",
    "--no-config", "--exit-zero", "-q", "--quiet", "-v", "--verbose", "-qv", "--statistics", "--no-color", "--color",
    "--report-unused-suppressions", "--no-conf", "--quiet=1",
    "--config", "--config=c.yaml", "--config=", "c.yaml",
    "--format", "--format=json", "--format=bogus", "json", "sarif", "plain", "bogus",
    "--output", "-o", "-oout.json", "-o=out.json", "--output=out.json", "out.json",
    "--also-output", "--also-output=sarif:o.sarif", "sarif:o.sarif",
    "--select", "--select=PQ,RF", "PQ", "--ignore", "--ignore=AL001", "AL001", "--ignore=-x",
    "--fail-on", "--fail-on=warning", "warning", "never", "--min-severity", "--min-severity=error",
    "--project-root", "--project-root=.", ".",
    "--metrics-from", "--metrics-from=m.txt", "m.txt", "http://h/metrics",
    "--max-file-size", "--max-file-size=100", "100", " 7", "1e3", "-5",
    "--fail", "--sel", "-x",
]


def _argparse(argv):
    try:
        return "ok", vars(cli.build_parser().parse_args(argv))
    except cli.UsageError as exc:
        return "error", str(exc)
    except SystemExit as exc:
        return "exit", exc.code


def _fast(argv):
    args = cli.fast_check_args(argv)
    return None if args is None else vars(args)


def _same(argv):
    fast = _fast(argv)
    if fast is None:
        return  # argparse parses it, as before
    kind, expected = _argparse(argv)
    assert kind == "ok", (argv, kind, expected)
    assert fast == expected, argv


@pytest.mark.parametrize("argv", [
    [], ["a.yml"], ["--no-config", "-q", "a.yml"], ["a.yml", "b.yml", "--no-config"],
    ["--project-root", ".", "a.yml", "b.yml"], ["--format", "json", "--output", "o.json", "."],
    ["--format=sarif", "--also-output", "json:o.json", "--also-output=junit:j.xml", "dir/"],
    ["--select", "PQ,RF", "--select=AL", "--ignore", "AL001", "-v", "--statistics", "a.yml"],
    ["--fail-on", "never", "--min-severity", "warning", "--max-file-size", "100", "a.yml"],
    ["--metrics-from", "m.txt", "--metrics-from=http://h/m", "--config", "c.yaml", "--exit-zero"],
    ["a.yml", "--no-config", "b.yml"], ["--no-config", "--", "a.yml"], ["-qv", "a.yml"], ["--quiet=1"],
    ["--format", "bogus"], ["--max-file-size", "x"], ["--max-file-size", "-5"], ["--config"], ["--no-conf"],
    ["--version"], ["--help"], ["-o", "-"], ["-"], ["", "a.yml"],
])
def test_fast_path_matches_argparse(argv):
    _same(argv)


def test_fast_path_takes_the_usual_command_lines():
    for argv in (["--no-config", "-q", "a.yml"], ["--project-root", ".", "a.yml", "b.yml"],
                 ["--format", "json", "-o", "out.json", "dir"], []):
        assert cli.fast_check_args(argv) is not None, argv


def test_fast_path_random_command_lines():
    rng = random.Random(7)
    for n in range(1, 5):
        for argv in itertools.islice(itertools.product(TOKENS, repeat=n), 0, None, max(1, len(TOKENS) ** n // 3000)):
            _same(list(argv))
    for _ in range(3000):
        _same([rng.choice(TOKENS) for _ in range(rng.randint(0, 8))])
