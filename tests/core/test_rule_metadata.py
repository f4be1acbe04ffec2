"""Rule metadata is declarative: option schemas reject unknown or mistyped options (exit 2,
one line), `applies_to` limits `check_document`, and every code has one row in the table."""
from __future__ import annotations

import pytest

from obslint import registry
from obslint.config import ConfigError, from_dict
from tests.conftest import write_tree

RULES = "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up == 0\n"


def test_unknown_option_is_a_config_error_with_a_suggestion():
    with pytest.raises(ConfigError, match="unknown option `requird`.*did you mean `required`"):
        from_dict({"checks": {"options": {"AL005": {"requird": ["summary"]}}}})


def test_mistyped_option_is_a_config_error():
    with pytest.raises(ConfigError, match="not of type"):
        from_dict({"checks": {"options": {"alert-annotations": {"required": "summary"}}}})


def test_valid_options_pass():
    cfg = from_dict({"checks": {"options": {"AL005": {"required": ["summary"]}}}})
    assert cfg.options == {"AL005": {"required": ["summary"]}}


def test_cli_exits_2_on_an_unknown_option(tmp_path, cli):
    write_tree(tmp_path, {"obslint.yaml": "checks:\n  options:\n    AL005: {requird: [x]}\n", "r.yaml": RULES})
    res = cli("r.yaml", cwd=tmp_path)
    assert res.code == 2 and len(res.err.strip().splitlines()) == 1 and "requird" in res.err


def test_code_table_has_every_input_and_suppression_code():
    codes = {row["code"] for row in registry.table()}
    assert {f"IN0{n:02d}" for n in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11)} | {"SU001"} <= codes


def test_applies_to_names_document_kinds():
    rf001 = registry.get("RF001")
    assert rf001.applies_to == ("prometheus-rules",)
    assert registry.get("GA001").applies_to == ("grafana-alerting",)
