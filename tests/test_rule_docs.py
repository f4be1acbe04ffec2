"""Every rule documents a bad and a good example; the bad one must produce the rule's code
and the good one must not. This is each rule's passing and failing test at minimum.
An example that includes an `obslint.yaml` is linted with that file as its policy."""
from __future__ import annotations

import pytest

from obslint import registry
from obslint.docs import examples
from tests.conftest import lint_tree, write_tree

RULES = list(registry.load_all().values())
# Rules whose conditions cannot be written as a small text file (the loader emits them for
# unreadable, huge or non-UTF-8 input); each has dedicated tests elsewhere.
NO_FILE_EXAMPLE = {"IN001", "IN002", "IN005", "IN006", "IN008", "IN010", "IN011", "SU001"}
# Codes of `obslint probe`, which need a live Prometheus (tests/e2e covers them).
NO_FILE_EXAMPLE |= {"PR001", "PR002", "PR003", "PR004"}
CASES = [(r, kind, files) for r in RULES for kind, files in examples(r)]


def test_every_rule_has_docs_and_examples():
    for rule in RULES:
        assert rule.summary and rule.name and rule.__doc__, rule.code
        if rule.code in NO_FILE_EXAMPLE:
            continue
        kinds = {k for k, _f in examples(rule)}
        assert "bad" in kinds, f"{rule.code} documents no Bad example"
        if rule.code != "IN009":
            assert "good" in kinds, f"{rule.code} documents no Good example"


@pytest.mark.parametrize("rule,kind,files", CASES, ids=[f"{r.code}-{k}-{i}" for i, (r, k, _f) in enumerate(CASES)])
def test_documented_example(tmp_path, rule, kind, files):
    write_tree(tmp_path, files)
    policy = None
    if "obslint.yaml" in files:
        import yaml

        policy = yaml.safe_load(files["obslint.yaml"]) or {}
        (tmp_path / "obslint.yaml").unlink()
    result = lint_tree(tmp_path, policy)
    found = [f.code for f in result.findings]
    if kind == "bad":
        assert rule.code in found, f"{rule.code} bad example gave {found}"
    else:
        assert rule.code not in found, f"{rule.code} good example gave {[(f.code, f.message) for f in result.findings]}"
