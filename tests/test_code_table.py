"""One code table: docs/rules.md, the README's family table and SARIF's rule tags are made
from the rules and `registry.FAMILIES`; this keeps the files current."""
from __future__ import annotations

from obslint import registry
from tests.conftest import REPO


def test_docs_rules_md_is_the_generated_code_table():
    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == registry.rules_document(), \
        "regenerate: python -c \"from obslint import registry; open('docs/rules.md','w').write(registry.rules_document())\""


def test_readme_family_table_is_the_registry_one():
    assert registry.families_table() in (REPO / "README.md").read_text(encoding="utf-8")


def test_every_code_has_a_family():
    assert sorted({row["code"][:2] for row in registry.table()} - set(registry.FAMILIES)) == []


def test_rules_markdown_lists_every_rule_once(cli):
    res = cli("rules", "--format", "markdown")
    codes = [line.split("`")[1] for line in res.out.splitlines() if line.startswith("| `")]
    assert codes == [row["code"] for row in registry.table()]
