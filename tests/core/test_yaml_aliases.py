"""Rules copied with YAML aliases (`- *base`) share the anchor's text: a finding on the copy
would repeat the original's word for word at the same place, so it is listed once."""
from __future__ import annotations

from tests.checks.helpers import found

RULES = """\
groups:
  - name: a
    rules:
      - &base
        alert: HighLoad
        expr: rate(node_load1[5m])
        for: 5m
        annotations: {summary: load, description: load}
  - name: b
    rules:
      - <<: *base
        alert: HighLoadB
      - *base
"""


def test_a_finding_repeated_by_an_alias_is_listed_once(lint_files):
    r = lint_files({"rules.yml": RULES})
    got = [(f.line, f.col, f.message.split("`")[1]) for f in found(r, "AL001")]
    assert got == [(6, 15, "HighLoadB"), (6, 15, "HighLoad")]  # sorted by message: each alert once
