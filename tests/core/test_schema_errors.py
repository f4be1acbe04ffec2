"""Schema errors read from the compiled validator (jsonschema-rs) must say exactly what
jsonschema's errors say: the same findings, at the same places, in the same order.

Broken copies of real documents (a key removed, a value of the wrong type, an unknown key,
an empty string) are checked both ways."""
from __future__ import annotations

import copy
import json
import random

import pytest
import yaml

from tests.conftest import CORPUS, REPO, tree_paths
from obslint import schemas

jsonschema = pytest.importorskip("jsonschema")
from jsonschema.exceptions import best_match  # noqa: E402


def _reference(name: str, instance) -> list:
    """What `schemas.errors` gave before the compiled validator's errors were used."""
    return schemas.reference_errors(name, instance)


def _summary(errors: list) -> list:
    return [(schemas.describe(e), tuple(e.absolute_path), e.validator) for e in errors]


def _documents() -> list[tuple[str, object]]:
    docs = []
    for path in sorted((REPO / "infra" / "grafana" / "dashboards").glob("*.json"))[:3]:
        docs.append(("dashboard", json.loads(path.read_text(encoding="utf-8"))))
    for path in sorted(CORPUS.rglob("*.json"))[:40]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and isinstance(data.get("panels"), list):
            docs.append(("dashboard", data))
    rules = REPO / "infra" / "grafana" / "provisioning" / "alerting" / "rules.yml"
    docs.append(("grafana-alerting", yaml.safe_load(rules.read_text(encoding="utf-8"))))
    docs.append(("policy", yaml.safe_load((REPO / "infra" / "obslint.yaml").read_text(encoding="utf-8"))))
    prom = REPO / "infra" / "grafana" / "provisioning" / "alerting" / "alert-rules.yml"
    docs.append(("prometheus-rules", yaml.safe_load(prom.read_text(encoding="utf-8"))))
    return docs


def _break(doc, rng: random.Random):
    doc = copy.deepcopy(doc)
    spots = [(p, n) for p, n in tree_paths(doc) if p]
    for _ in range(rng.randint(1, 3)):
        path, _node = rng.choice(spots)
        parent = doc
        key = path[-1]
        how = rng.randrange(5)
        try:
            for step in path[:-1]:  # an earlier change may have removed or replaced the way there
                parent = parent[step]
            if how == 0 and isinstance(parent, dict):
                del parent[key]
            elif how == 1:
                parent[key] = rng.choice([7, "7", True, None, [], {}, 1.5])
            elif how == 2 and isinstance(parent, dict):
                parent["unknownKey" + str(rng.randrange(3))] = 1
            elif how == 3:
                parent[key] = ""
            else:
                parent[key] = -1
        except (KeyError, IndexError, TypeError):
            continue
    return doc


def test_compiled_validator_errors_read_like_jsonschema_errors():
    rng = random.Random(20261127)
    compared = fast = 0
    for name, doc in _documents():
        gate = schemas._gate(name)
        assert gate is not None
        for _ in range(25):
            broken = _break(doc, rng)
            if gate.is_valid(broken):
                continue
            compared += 1
            from_gate = schemas._gate_errors(gate, schemas.load(name), broken)
            if from_gate is None:  # described by jsonschema itself
                continue
            fast += 1
            from_gate.sort(key=lambda e: [str(p) for p in e.absolute_path])
            assert _summary(from_gate) == _summary(_reference(name, broken))
    assert compared >= 50 and fast > compared * 0.9, (compared, fast)


def test_keywords_the_gate_cannot_describe_go_to_jsonschema():
    # `uniqueItems` is not among the simple keywords: jsonschema itself describes it.
    policy = {"metrics": [{"name": "x_total", "type": "counter", "labels": ["a", "a"]}]}
    assert schemas._gate_errors(schemas._gate("policy"), schemas.load("policy"), policy) is None
    found = schemas.errors("policy", policy)
    assert [type(e) for e in found] == [jsonschema.exceptions.ValidationError]
    assert schemas.describe(found[0]) == "`metrics[0].labels` ['a', 'a'] has non-unique elements"


def test_a_variable_with_an_empty_name_is_a_warning_not_an_error(lint_files):
    # Grafana loads the dashboard; nothing can reference the variable (cert-manager's mixin).
    dash = {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [],
            "templating": {"list": [{"name": "", "type": "query", "hide": 2, "query": "label_values(up, job)"},
                                    {"type": "query", "query": "label_values(up, pod)"}]}}
    r = lint_files({"d.json": json.dumps(dash, indent=2)})
    assert not any(f.code == "DB001" and "must not be empty" in f.message for f in r.findings)
    assert any(f.code == "DB008" and "must not be empty" in f.message and f.severity.name == "WARNING"
               for f in r.findings)
    assert any(f.code == "DB001" and "`name`" in f.message for f in r.findings)  # no name at all: still DB001


def test_a_null_grafana_accepts_is_a_key_left_out(lint_files):
    # tikv: grafanalib writes `null` for every unset field (`"span": null` beside `gridPos`)
    panel = {"id": 1, "type": "timeseries", "title": "Up", "span": None, "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8}}
    bad = dict(panel, id=2, transparent="yes", gridPos={"x": 0, "y": 8, "w": 24, "h": 8})
    r = lint_files({"d.json": json.dumps({"uid": "a", "title": "A", "schemaVersion": 39, "panels": [panel, bad]},
                                         indent=2),
                    "e.json": json.dumps({"uid": "e", "title": None, "schemaVersion": 39, "panels": []}, indent=2)})
    assert [(f.file, f.message) for f in r.findings if f.code == "DB008"] == [
        ("d.json", '`panels[1].transparent` must be true or false, not a string ("yes")')]
    assert any(f.code == "DB001" and f.file == "e.json" for f in r.findings)  # a null title is still refused


def test_a_span_beside_a_grid_position_is_never_read(lint_files):
    # kube-prometheus (schemaVersion 18): top-level panels keep `span: 24` beside their gridPos
    beside = {"id": 1, "type": "graph", "title": "A", "span": 24, "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8}}
    old = {"uid": "o", "title": "O", "schemaVersion": 14,
           "rows": [{"title": "R", "panels": [{"id": 2, "type": "graph", "title": "B", "span": 24}]}]}
    r = lint_files({"d.json": json.dumps({"uid": "d", "title": "D", "schemaVersion": 18, "panels": [beside]}),
                    "o.json": json.dumps(old)})
    assert [(f.file, "span" in f.message) for f in r.findings if f.code == "DB008"] == [("o.json", True)]
