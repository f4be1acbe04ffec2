"""The v2 schema's fast explanation (jsonschema-rs errors) against the reference (jsonschema's
error objects and best_match): the same errors, paths, wording and severity, on every corpus v2
dashboard and on thousands of damaged copies of real and built ones."""
from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from obslint import fastpaths
from obslint.resources import v2schema

from tests.conftest import tree_paths

from .helpers import v2_dashboard

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


_DAMAGE = (lambda cur: 7, lambda cur: "x-y", lambda cur: [cur], lambda cur: {"a": cur}, lambda cur: None,
           lambda cur: True, lambda cur: 1.5, lambda cur: -3,
           lambda cur: "Panel" if cur != "Panel" else "QueryVariable")


def damaged(spec: dict, rng: random.Random) -> dict:
    """A copy of `spec` with one to three random edits: a key or item removed, a value replaced."""
    out = copy.deepcopy(spec)
    for _ in range(rng.choice((1, 1, 2, 3))):
        paths = [p for p, _ in tree_paths(out) if p]
        if not paths:
            break
        path = rng.choice(paths)
        parent = out
        for step in path[:-1]:
            parent = parent[step]
        if rng.random() < 0.2:
            del parent[path[-1]]
        else:
            parent[path[-1]] = rng.choice(_DAMAGE)(parent[path[-1]])
    return out


def answers(version: str, spec) -> tuple[list, bool]:
    """(the errors obslint reports, whether the fast reading settled them without jsonschema)."""
    gate = v2schema._gate(version)
    fast = gate.is_valid(spec) or all(v2schema._explain_rs(e, v2schema.schema(version), [])
                                      for e in gate.iter_errors(spec))
    return [(e.path, e.message, e.hard) for e in v2schema.errors(version, spec)], fast


def reference(version: str, spec) -> list:
    return [(e.path, e.message, e.hard) for e in v2schema.reference_errors(version, spec)]


def _campaign(specs: list[tuple[str, dict]], per_spec: int, seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    total = fast_count = 0
    for version, spec in specs:
        for _ in range(per_spec):
            bad = damaged(spec, rng)
            got, fast = answers(version, bad)
            assert got == reference(version, bad), json.dumps(bad)[:2000]
            total += 1
            fast_count += fast
    return total, fast_count


@pytest.mark.parametrize("api", ["dashboard.grafana.app/v2", "dashboard.grafana.app/v2beta1"])
def test_damaged_built_dashboards_are_explained_as_jsonschema_does(api):
    spec = v2_dashboard(api=api)["spec"]
    version = api.rsplit("/", 1)[1]
    assert answers(version, spec) == ([], True)
    total, fast = _campaign([(version, spec)], 300, seed=19)
    assert fast >= 0.9 * total  # the fast reading settles nearly all of them; the rest fall back


def test_wrong_kind_and_missing_key_read_the_same_both_ways():
    spec = v2_dashboard()["spec"]
    spec["elements"]["panel-1"]["kind"] = "Pannel"
    del spec["elements"]["panel-1"]["spec"]["data"]["spec"]["queryOptions"]
    got, fast = answers("v2", spec)
    assert fast
    assert got == reference("v2", spec)
    assert got == [(("elements", "panel-1", "kind"),
                    "`elements.panel-1` has kind \"Pannel\"; Grafana expects one of `Panel`, `LibraryPanel`", True)]


@pytest.mark.skipif(not fastpaths.ENABLED, reason="OBSLINT_NO_FAST_PATHS: jsonschema is the path under test")
def test_explaining_an_invalid_dashboard_does_not_import_jsonschema():
    spec = v2_dashboard()["spec"]
    del spec["elements"]["panel-1"]["spec"]["links"]
    code = ("import json, sys; from obslint.resources import v2schema; "
            f"errs = v2schema.errors('v2', json.loads({json.dumps(json.dumps(spec))})); "
            "print(len(errs), 'jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1", "False"]


def _corpus_specs() -> list[tuple[str, dict]]:
    import yaml

    specs = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in (".json", ".yaml", ".yml") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "dashboard.grafana.app/v2" not in text:
            continue
        try:
            docs = [json.loads(text)] if path.suffix == ".json" else list(yaml.safe_load_all(text))
        except (ValueError, yaml.YAMLError):
            continue
        for doc in docs:
            if isinstance(doc, dict) and str(doc.get("apiVersion", "")).startswith("dashboard.grafana.app/v2") \
                    and isinstance(doc.get("spec"), dict):
                specs.append((doc["apiVersion"].rsplit("/", 1)[1], doc["spec"]))
    return specs


def test_corpus_v2_dashboards_and_damaged_copies_read_the_same_both_ways():
    if not CORPUS.is_dir():
        pytest.skip("needs ../shared/corpus (its v2 dashboards)")
    specs = _corpus_specs()
    assert len(specs) >= 18
    for version, spec in specs:
        got, fast = answers(version, spec)
        assert fast and got == reference(version, spec)
    total, fast = _campaign(specs, 10, seed=7)
    assert fast >= 0.9 * total
