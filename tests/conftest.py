"""Shared helpers: lint files written to a temporary tree, run the CLI in-process."""
from __future__ import annotations

import functools
import io
import os
import shutil
import sys
import textwrap
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
INFRA = REPO / "infra"


@functools.lru_cache(maxsize=None)
def corpus_expressions() -> tuple[str, ...]:
    """Every `expr` string in the corpus' JSON and YAML files (dashboards, rule files,
    Grafana alerting), in file order: real PromQL for differential tests. Skips the
    calling test when ../shared/corpus is not present."""
    import json

    import yaml

    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            expr = node.get("expr")
            if isinstance(expr, str):
                found.append(expr)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in (".json", ".yml", ".yaml") or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
            walk(json.loads(text) if path.suffix == ".json" else list(yaml.safe_load_all(text)))
        except (ValueError, UnicodeDecodeError, yaml.YAMLError):
            continue
    return tuple(found)


def need_binary(name: str) -> str:
    """Path of a real binary (promtool, prometheus); missing fails in CI and skips elsewhere."""
    path = shutil.which(name)
    if path is None:
        msg = f"`{name}` is not installed (Debian package `prometheus`; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def tree_paths(node, prefix: tuple = ()):
    """(path, node) of a parsed document and of every value inside it, depth first: the
    places the damage and locator tests reach into."""
    yield prefix, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from tree_paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from tree_paths(value, prefix + (i,))


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(textwrap.dedent(content).lstrip("\n") if content.startswith("\n") else content,
                         encoding="utf-8")
    return root


def lint_tree(root: Path, config: dict | None = None, **kw):
    """Lint a directory in-process; returns the engine Result."""
    from obslint.config import Config, from_dict
    from obslint.engine import lint

    cfg = from_dict(config) if config is not None else Config()
    old = os.getcwd()
    os.chdir(root)
    try:
        return lint([Path(".")], cfg, **kw)
    finally:
        os.chdir(old)


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


def run_cli(*args: str, cwd: Path | None = None) -> CliResult:
    from obslint.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main([str(a) for a in args])
    finally:
        os.chdir(old)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def lint_files(tmp_path):
    """lint_files({"rules.yaml": "..."}, config={...}) -> Result."""

    def run(files: dict[str, str], config: dict | None = None, **kw):
        write_tree(tmp_path, files)
        return lint_tree(tmp_path, config, **kw)

    return run


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(autouse=True)
def _no_cache_by_default(monkeypatch):
    """The `obslint` command caches results in `.obslint_cache/` of the current directory;
    tests that run it look at the files it leaves. tests/scale/ tests the cache itself."""
    monkeypatch.setenv("OBSLINT_NO_CACHE", "1")
