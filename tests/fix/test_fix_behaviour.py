"""What a user sees of fixing: files are written only when asked, atomically with their mode
kept; a fix that would break the file is dropped and reported; scalar styles that cannot be
mapped exactly get no fix; the CLI flags, the JSON edits and the SARIF fixes."""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

from obslint import fixer
from obslint.cli import main
from obslint.fixes import Edit, Fix
from tests.conftest import lint_tree

RULES = """groups:
  - name: api  # the api group
    rules:
      - record: job:requests:rate5m
        expr: sum by (job) (rate(http_requests_total{job=~"api"}[5m]))
"""
FIXED = RULES.replace('job=~"api"', 'job="api"')


def _tree(tmp_path: Path, files: dict) -> Path:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text) if isinstance(text, bytes) else p.write_text(text, encoding="utf-8")
    return tmp_path


def _cli(tmp_path, monkeypatch, capsys, *args):
    monkeypatch.chdir(tmp_path)
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_nothing_is_written_without_a_fix_flag(tmp_path, monkeypatch, capsys):
    _tree(tmp_path, {"rules.yaml": RULES})
    before = os.stat(tmp_path / "rules.yaml")
    for args in ([], ["--format", "json"], ["--format", "sarif"], ["--unsafe-fixes"]):
        _cli(tmp_path, monkeypatch, capsys, *args, ".")
    assert (tmp_path / "rules.yaml").read_text() == RULES
    assert os.stat(tmp_path / "rules.yaml").st_mtime_ns == before.st_mtime_ns
    assert sorted(os.listdir(tmp_path)) == ["rules.yaml"]  # no temporary file left either


def test_fix_writes_keeps_mode_and_comments_and_reports_what_is_left(tmp_path, monkeypatch, capsys):
    _tree(tmp_path, {"rules.yaml": RULES})
    os.chmod(tmp_path / "rules.yaml", 0o640)
    code, out, err = _cli(tmp_path, monkeypatch, capsys, "--fix", "--format", "json", ".")
    assert (tmp_path / "rules.yaml").read_text() == FIXED
    assert stat.S_IMODE(os.stat(tmp_path / "rules.yaml").st_mode) == 0o640
    assert "Fixed 1 finding in 1 file." in err
    assert "PQ110" not in [f["code"] for f in json.loads(out)["findings"]]
    assert sorted(os.listdir(tmp_path)) == ["rules.yaml"]


def test_symlinked_file_is_fixed_where_it_points(tmp_path, monkeypatch, capsys):
    _tree(tmp_path, {"real/rules.yaml": RULES})
    (tmp_path / "rules.yaml").symlink_to(tmp_path / "real" / "rules.yaml")
    _cli(tmp_path, monkeypatch, capsys, "--fix", "rules.yaml")
    assert (tmp_path / "rules.yaml").is_symlink()
    assert (tmp_path / "real" / "rules.yaml").read_text() == FIXED


def test_diff_writes_nothing_and_exits_1_then_0_when_clean(tmp_path, monkeypatch, capsys):
    _tree(tmp_path, {"rules.yaml": RULES})
    code, out, err = _cli(tmp_path, monkeypatch, capsys, "--diff", ".")
    assert code == 1
    assert out.startswith("--- a/rules.yaml\n+++ b/rules.yaml\n")
    assert '-        expr: sum by (job) (rate(http_requests_total{job=~"api"}[5m]))' in out
    assert (tmp_path / "rules.yaml").read_text() == RULES
    (tmp_path / "rules.yaml").write_text(FIXED)
    code, out, _err = _cli(tmp_path, monkeypatch, capsys, "--diff", ".")
    assert (code, out) == (0, "")


def test_fix_only_reports_no_findings(tmp_path, monkeypatch, capsys):
    # RF021-style findings (no `for`, no annotations) stay, but --fix-only does not list them.
    _tree(tmp_path, {"rules.yaml": RULES.replace("record: job:requests:rate5m", "alert: ApiRate")})
    code, out, err = _cli(tmp_path, monkeypatch, capsys, "--fix-only", ".")
    assert code == 0 and out == ""
    assert "Fixed 1 finding" in err
    assert 'job="api"' in (tmp_path / "rules.yaml").read_text()


def test_unsafe_fixes_need_the_flag(tmp_path, monkeypatch, capsys):
    dash = '{"title": "API Overview", "schemaVersion": 39, "panels": []}\n'
    _tree(tmp_path, {"d.json": dash})
    _cli(tmp_path, monkeypatch, capsys, "--fix", ".")
    assert (tmp_path / "d.json").read_text() == dash  # DB002's uid is unsafe
    _cli(tmp_path, monkeypatch, capsys, "--fix", "--unsafe-fixes", ".")
    assert json.loads((tmp_path / "d.json").read_text())["uid"] == "api-overview"
    assert (tmp_path / "d.json").read_text().startswith('{"uid": "api-overview", "title": "API Overview"')


def test_diff_and_fix_together_is_a_usage_error(tmp_path, monkeypatch, capsys):
    _tree(tmp_path, {"rules.yaml": RULES})
    code, _out, err = _cli(tmp_path, monkeypatch, capsys, "--diff", "--fix", ".")
    assert code == 2 and "--diff" in err


def test_byte_order_mark_is_removed(tmp_path):
    dash = b'\xef\xbb\xbf{"uid": "api", "title": "API", "schemaVersion": 39, "panels": []}\n'
    _tree(tmp_path, {"d.json": dash})
    result = lint_tree(tmp_path, fix="safe")
    assert (tmp_path / "d.json").read_bytes() == dash[3:]
    assert "IN006" not in [f.code for f in result.findings]


def test_yaml_byte_order_mark_is_kept_when_fixing_something_else(tmp_path):
    _tree(tmp_path, {"rules.yaml": b"\xef\xbb\xbf" + RULES.encode()})
    lint_tree(tmp_path, fix="safe")
    assert (tmp_path / "rules.yaml").read_bytes() == b"\xef\xbb\xbf" + FIXED.encode()


def test_folded_scalars_and_anchors_get_no_fix(tmp_path):
    rules = """groups:
  - name: api
    rules:
      - record: a:rate5m
        expr: >
          sum(rate(x_total{job=~"api"}[5m]))
      - record: b:rate5m
        expr: &shared sum(rate(y_total{job=~"web"}[5m]))
      - record: c:rate5m
        expr: *shared
"""
    _tree(tmp_path, {"rules.yaml": rules})
    result = lint_tree(tmp_path, fix="unsafe")
    assert (tmp_path / "rules.yaml").read_text() == rules
    assert [f.code for f in result.findings].count("PQ110") >= 2
    assert not result.fixes.files


def test_escaped_json_and_quoted_yaml_expressions_map_exactly(tmp_path):
    dash = ('{"uid": "api", "title": "API", "schemaVersion": 39, "panels": [{"id": 1, "type": "timeseries", '
            '"title": "caf\\u00e9", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8}, "targets": [{"refId": "A", '
            '"expr": "sum(rate(x_total{path=\\"/caf\\u00e9\\", job=~\\"api\\"}[$__interval]))"}]}]}')
    rules = ("groups:\n  - name: api\n    rules:\n      - record: a:rate5m\n"
             "        expr: \"sum(rate(x_total{path=\\\"\\u00e9\\\", job=~'api'}[5m]))\"\n")
    _tree(tmp_path, {"d.json": dash, "rules.yaml": rules})
    lint_tree(tmp_path, fix="safe")
    new = json.loads((tmp_path / "d.json").read_text())["panels"][0]["targets"][0]["expr"]
    assert new == 'sum(rate(x_total{path="/café", job="api"}[$__rate_interval]))'
    assert "\\u00e9" in (tmp_path / "d.json").read_text()  # the escape is kept as written
    import yaml

    expr = yaml.safe_load((tmp_path / "rules.yaml").read_text())["groups"][0]["rules"][0]["expr"]
    assert expr == "sum(rate(x_total{path=\"é\", job='api'}[5m]))"


class _Finding:
    def __init__(self, src, fix):
        self.code, self.file, self.line, self.col, self.doc = "PQ110", src.display, 1, 1, None
        self.autofix = fix


def test_a_fix_that_breaks_the_file_is_dropped_and_reported(tmp_path, capsys):
    _tree(tmp_path, {"rules.yaml": RULES})
    result = lint_tree(tmp_path)
    src = result.project.sources[0]
    good = next(f for f in result.findings if f.code == "PQ110")
    broken = Fix([Edit(0, 7, "groups: [")], "safe", "breaks the YAML")
    result.findings = [good, _Finding(src, broken)]
    outcome = fixer.plan(result, unsafe=False)
    assert [why for _f, why in outcome.dropped] == ["it would leave the file unparseable"]
    assert outcome.files and outcome.files[0].new == FIXED  # the good fix is kept
    from obslint.report.fixes import render_fixes

    assert render_fixes(outcome, diff=True) == 1
    err = capsys.readouterr().err
    assert "fix of PQ110 at rules.yaml:1:1 not applied: it would leave the file unparseable" in err


def test_json_and_sarif_reports_carry_the_edits(tmp_path, monkeypatch, capsys):
    _tree(tmp_path, {"rules.yaml": RULES})
    _code, out, _err = _cli(tmp_path, monkeypatch, capsys, "--format", "json", ".")
    finding = next(f for f in json.loads(out)["findings"] if f["code"] == "PQ110")
    assert finding["autofix"]["applicability"] == "safe"
    [edit] = finding["autofix"]["edits"]
    assert RULES[edit["start"]:edit["end"]] == "=~" and edit["replacement"] == "="
    assert (edit["start_line"], edit["start_col"]) == (5, RULES.splitlines()[4].index("=~") + 1)
    _code, out, _err = _cli(tmp_path, monkeypatch, capsys, "--format", "sarif", ".")
    res = next(r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "PQ110")
    [change] = res["fixes"][0]["artifactChanges"]
    [rep] = change["replacements"]
    assert rep["insertedContent"]["text"] == "="
    assert rep["deletedRegion"]["startLine"] == 5 and rep["deletedRegion"]["endColumn"] - rep["deletedRegion"]["startColumn"] == 2


def test_the_module_entry_point_fixes(tmp_path):
    import subprocess

    _tree(tmp_path, {"rules.yaml": RULES})
    run = subprocess.run([sys.executable, "-m", "obslint", "--fix", "."], cwd=tmp_path, capture_output=True, text=True)
    assert (tmp_path / "rules.yaml").read_text() == FIXED, run.stderr


def test_sarif_fixes_validate_against_the_sarif_schema(tmp_path, monkeypatch, capsys):
    import jsonschema

    from tests.integrations.test_formats import SARIF_SCHEMA

    dash = (b'\xef\xbb\xbf{"uid": "api", "title": "API", "schemaVersion": "39", "panels": [{"id": 1, '
            b'"type": "timeseries", "title": "A", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8}, "targets": '
            b'[{"refId": "A", "expr": "sum(rate(x_total[$__interval]))"}]}]}')
    _tree(tmp_path, {"rules.yaml": RULES, "d.json": dash})
    _code, out, _err = _cli(tmp_path, monkeypatch, capsys, "--format", "sarif", ".")
    sarif = json.loads(out)
    validator = jsonschema.Draft7Validator(json.loads(SARIF_SCHEMA.read_text()))
    assert not [e.message for e in validator.iter_errors(sarif)]
    fixed = {r["ruleId"] for r in sarif["runs"][0]["results"] if r.get("fixes")}
    assert {"PQ110", "PQ104", "DB008", "IN006"} <= fixed


def test_dashboard_json_inside_a_configmap_is_fixed_in_place(tmp_path):
    cm = """apiVersion: v1
kind: ConfigMap
metadata:
  name: dashboards  # kept
data:
  api.json: |
    {
      "title": "API Overview",
      "schemaVersion": 39,
      "panels": [
        {"id": 1, "type": "timeseries", "title": "Rate", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 8},
         "targets": [{"refId": "A", "expr": "sum(rate(x_total{job=~\\"api\\"}[$__interval]))"}]},
        {"id": 1, "type": "timeseries", "title": "Rate2", "gridPos": {"x": 0, "y": 8, "w": 24, "h": 8}}
      ]
    }
  single.json: '{"title": "It''s", "schemaVersion": "39", "panels": []}'
  folded.json: >
    {"title": "Folded", "schemaVersion": "39", "panels": []}
"""
    _tree(tmp_path, {"cm.yaml": cm})
    lint_tree(tmp_path, fix="unsafe")
    import yaml

    new = (tmp_path / "cm.yaml").read_text()
    data = yaml.safe_load(new)["data"]
    api = json.loads(data["api.json"])
    assert api["uid"] == "api-overview" and [p["id"] for p in api["panels"]] == [1, 2]
    assert api["panels"][0]["targets"][0]["expr"] == 'sum(rate(x_total{job="api"}[$__rate_interval]))'
    assert json.loads(data["single.json"]) == {"uid": "it-s", "title": "It's", "schemaVersion": 39, "panels": []}
    assert json.loads(data["folded.json"])["schemaVersion"] == "39"  # a folded scalar is not mapped: no fix
    assert "  name: dashboards  # kept\n" in new and "  api.json: |\n    {\n" in new


def test_project_root_fixes_only_the_given_files(tmp_path, monkeypatch, capsys):
    """The pre-commit hook with `args: [--fix, "--"]`: the whole tree is read, only the
    committed files are fixed."""
    _tree(tmp_path, {"a.yaml": RULES, "b.yaml": RULES.replace("api", "web")})
    code, _out, err = _cli(tmp_path, monkeypatch, capsys, "--project-root", ".", "--fix", "--", "a.yaml")
    assert (tmp_path / "a.yaml").read_text() == FIXED
    assert (tmp_path / "b.yaml").read_text() == RULES.replace("api", "web")
    assert "Fixed 1 finding in 1 file." in err


def test_rules_and_explain_say_whether_and_how_safely_a_rule_fixes(tmp_path, monkeypatch, capsys):
    _code, out, _err = _cli(tmp_path, monkeypatch, capsys, "rules", "PQ110", "DB002", "PQ001")
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert lines["PQ110"].endswith("[fix: safe]") and lines["DB002"].endswith("[fix: unsafe]")
    assert "[fix:" not in lines["PQ001"]
    _code, out, _err = _cli(tmp_path, monkeypatch, capsys, "rules", "--format", "json", "AL003")
    assert json.loads(out)[0]["fix"] == "unsafe"
    _code, out, _err = _cli(tmp_path, monkeypatch, capsys, "explain", "RF001")
    assert "Automatic fix\n  yes, safe: `obslint --fix` applies it" in out
    _code, out, _err = _cli(tmp_path, monkeypatch, capsys, "explain", "XF001")
    assert "yes, unsafe (it changes behaviour)" in out and "--unsafe-fixes" in out


def test_derived_uids_stay_unique(tmp_path):
    """Two dashboards without a uid and with the same title get different uids; a uid taken
    by a third dashboard is not reused."""
    dash = '{"title": "API Overview", "schemaVersion": 39, "panels": []}\n'
    taken = '{"uid": "payments", "title": "Other", "schemaVersion": 39, "panels": []}\n'
    _tree(tmp_path, {"a/d.json": dash, "b/d.json": dash, "p.json": taken,
                     "c.json": '{"title": "Payments", "schemaVersion": 39, "panels": []}\n'})
    result = lint_tree(tmp_path, fix="unsafe")
    uids = [json.loads((tmp_path / n).read_text())["uid"] for n in ("a/d.json", "b/d.json", "c.json")]
    assert len(set(uids + ["payments"])) == 4, uids
    assert all(u.startswith(("api-overview-", "payments-")) for u in uids)
    assert not {"DB002", "DB004"} & {f.code for f in result.findings}
