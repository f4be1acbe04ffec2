"""Every fixable rule's Bad example, fixed (`lint(fix="unsafe")`), becomes its Good example
(the same data) or an equivalent one (the code is gone and the file still parses), and a
second fixing run changes nothing."""
from __future__ import annotations

import json

import pytest
import yaml

from obslint import registry
from obslint.docs import examples
from tests.conftest import lint_tree, write_tree

FIXABLE = [r for r in registry.load_all().values() if r.fixable]
# Good examples that differ from the fixed Bad one in a value the fix cannot know (the uid
# a person would choose, a `for` longer than the policy's minimum); for these the fixed file
# must be free of the code and parse.
EQUIVALENT_ONLY = {"DB002", "DB003", "AL003"}
# Fixable rules whose condition is not a small text example (tested in test_fix_rules.py).
NO_EXAMPLE = {"IN006"}


def _load(name: str, text: str):
    return json.loads(text) if name.endswith(".json") else list(yaml.safe_load_all(text))


def _bad_and_good(rule):
    found = dict(examples(rule))
    return found.get("bad"), found.get("good")


def test_every_fixable_rule_is_listed_and_documented():
    assert {r.code for r in FIXABLE} >= {"PQ104", "PQ110", "PQ111", "RF001", "GA002", "DB002", "DB003",
                                        "DB006", "DB020", "IN006", "DB008", "PL011", "AL002", "AL003", "XF001"}
    for rule in FIXABLE:
        assert rule.fixable in ("safe", "unsafe"), rule.code
        row = next(r for r in registry.table() if r["code"] == rule.code)
        assert row["fix"] == rule.fixable


@pytest.mark.parametrize("rule", [r for r in FIXABLE if r.code not in NO_EXAMPLE], ids=lambda r: r.code)
def test_bad_example_is_fixed_into_the_good_one(tmp_path, rule):
    bad, good = _bad_and_good(rule)
    assert bad and good, f"{rule.code} needs a Bad and a Good example"
    write_tree(tmp_path, bad)
    policy = None
    if "obslint.yaml" in bad:
        policy = yaml.safe_load(bad["obslint.yaml"]) or {}
        (tmp_path / "obslint.yaml").unlink()
    result = lint_tree(tmp_path, policy, fix="unsafe", select=[rule.code])
    assert result.fixes is not None and result.fixes.fixed >= 1, f"{rule.code}: nothing fixed"
    assert rule.code not in [f.code for f in result.findings], f"{rule.code} is still reported after --fix"
    for name, content in good.items():
        if name == "obslint.yaml" or name not in bad:
            continue
        fixed = (tmp_path / name).read_text(encoding="utf-8")
        if rule.code not in EQUIVALENT_ONLY:
            assert _load(name, fixed) == _load(name, content), f"{rule.code}: {name} is not the Good example"
        else:
            _load(name, fixed)
    again = lint_tree(tmp_path, policy, fix="unsafe", select=[rule.code])
    assert again.fixes.fixed == 0 and not again.fixes.files, f"{rule.code}: fixing twice changed something"
