"""The policy file is read once, as a Source: its findings are placed by the same per-format
locator as linted files (YAML: fast path, then PyYAML's nodes; pyproject.toml: its own)."""
from __future__ import annotations

import textwrap

from obslint.config import Config, load_config
from obslint.engine import lint

POLICY = textwrap.dedent("""\
    # team policy
    alerts:
      required:
        - name: ApiDown
          severity: critical
        - {name: ApiSlow, severity: warning}
    ignore:
      - code: AL005
        path: "*.yml"
      -   code: AL004
    """)

RULES = textwrap.dedent("""\
    groups:
      - name: api
        rules:
          - alert: ApiDown
            expr: up{job="api"} == 0
            for: 5m
            labels: {severity: critical}
    """)


def test_yaml_policy_is_a_source_with_exact_positions(tmp_path):
    (tmp_path / "obslint.yaml").write_text(POLICY)
    cfg = load_config(tmp_path / "obslint.yaml")
    assert cfg.source is not None and cfg.source.format == "yaml"
    doc = cfg.policy_document()
    assert doc.data["alerts"]["required"][1]["name"] == "ApiSlow"
    assert doc.locate(("alerts", "required", 0, "name")) == (4, 13)  # the value
    assert doc.locate(("alerts", "required", 1, "name")) == (6, 14)  # in a flow mapping
    assert cfg.ignore_lines == [8, 10]


def test_missing_required_alert_points_at_its_policy_entry(tmp_path):
    (tmp_path / "obslint.yaml").write_text(POLICY)
    (tmp_path / "rules.yml").write_text(RULES.replace("ApiDown", "Other"))
    result = lint([tmp_path], load_config(tmp_path / "obslint.yaml"), select=["PL014"])
    slow = [f for f in result.findings if "ApiSlow" in f.message]
    assert [(f.file.endswith("obslint.yaml"), f.line, f.col) for f in slow] == [(True, 6, 14)]


def test_config_without_its_source_reads_the_file_on_first_use(tmp_path):
    (tmp_path / "obslint.yaml").write_text(POLICY)
    cfg = Config(path=tmp_path / "obslint.yaml", root=tmp_path)
    assert cfg.policy_document().locate(("alerts", "required", 0, "severity")) == (5, 17)
    assert Config().policy_document() is None


def test_pyproject_policy_lines(tmp_path):
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""\
        [project]
        name = "x"

        [tool.obslint.alerts]
        min-for = "5m"

        [[tool.obslint.ignore]]
        code = "AL005"

        [[tool.obslint.ignore]]
        code = "AL004"
        """))
    cfg = load_config(tmp_path / "pyproject.toml")
    assert cfg.source.format == "toml"
    assert cfg.ignore_lines == [7, 10]
    assert cfg.policy_document().locate(("alerts", "min-for")) == (5, 1)
