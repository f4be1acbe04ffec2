"""Every suppression form silences exactly its target and nothing else."""
from __future__ import annotations

import json

import pytest

from obslint.suppress import Suppressions, comment_of
from tests.conftest import lint_tree, run_cli, write_tree

ONLY = {"checks": {"select": ["RF001", "RF007", "PQ001"]}}

RULES = """\
groups:
  - name: api
    rules:
      - alert: A
        expr: up == 0
        for: 1.5h
        foo: 1
      - alert: B
        expr: up == 0
        for: 1.5h
        bar: 2
"""
# Without suppressions: RF007 at 6 and 10, RF001 at 7 and 11.
BASELINE = [("RF007", 6), ("RF001", 7), ("RF007", 10), ("RF001", 11)]


def found(result, file=None) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in result.findings if file is None or f.file == file]


def lint_text(tmp_path, text: str, config=ONLY, name="rules.yaml", **kw):
    write_tree(tmp_path, {name: text})
    return lint_tree(tmp_path, config, **kw)


def test_baseline(tmp_path):
    r = lint_text(tmp_path, RULES)
    assert found(r) == BASELINE and r.suppressed == 0


def test_end_of_line_silences_that_line_only(tmp_path):
    text = RULES.replace("        foo: 1\n", "        foo: 1  # obslint: disable=RF001\n")
    r = lint_text(tmp_path, text)
    assert found(r) == [("RF007", 6), ("RF007", 10), ("RF001", 11)]
    assert r.suppressed == 1


def test_end_of_line_other_code_is_not_silenced(tmp_path):
    text = RULES.replace("        foo: 1\n", "        foo: 1  # obslint: disable=RF007\n")
    r = lint_text(tmp_path, text)
    assert found(r) == BASELINE and r.suppressed == 0


def test_comment_above_a_line(tmp_path):
    text = RULES.replace("        foo: 1\n", "        # obslint: disable=RF001\n        foo: 1\n")
    r = lint_text(tmp_path, text)
    assert found(r) == [("RF007", 6), ("RF007", 11), ("RF001", 12)]
    assert r.suppressed == 1


def test_comment_above_a_rule_covers_the_whole_rule_and_nothing_else(tmp_path):
    text = RULES.replace("      - alert: A\n", "      # obslint: disable=RF001,RF007\n      - alert: A\n")
    r = lint_text(tmp_path, text)
    assert found(r) == [("RF007", 11), ("RF001", 12)]  # rule B untouched
    assert r.suppressed == 2


def test_end_of_rule_line_covers_the_rule(tmp_path):
    text = RULES.replace("      - alert: B\n", "      - alert: B  # obslint: disable=RF001\n")
    r = lint_text(tmp_path, text)
    assert found(r) == [("RF007", 6), ("RF001", 7), ("RF007", 10)]


def test_comment_block_above_and_blank_line_breaks_it(tmp_path):
    block = "      # obslint: disable=RF001\n      # the field is read by our own tooling\n      - alert: A\n"
    r = lint_text(tmp_path, RULES.replace("      - alert: A\n", block))
    assert ("RF001", 9) not in found(r) and len(found(r)) == 3
    broken = "      # obslint: disable=RF001\n\n      - alert: A\n"
    r = lint_text(tmp_path, RULES.replace("      - alert: A\n", broken))
    assert [c for c, _l in found(r)] == ["RF007", "RF001", "RF007", "RF001"] and r.suppressed == 0


def test_disable_next_line(tmp_path):
    text = RULES.replace("        bar: 2\n", "        # obslint: disable-next-line=RF001\n        bar: 2\n")
    r = lint_text(tmp_path, text)
    assert found(r) == [("RF007", 6), ("RF001", 7), ("RF007", 10)]


def test_disable_next_line_at_the_end_of_a_line_skips_that_line(tmp_path):
    text = RULES.replace("        for: 1.5h\n        bar: 2\n",
                         "        for: 1.5h  # obslint: disable-next-line=RF001,RF007\n        bar: 2\n")
    r = lint_text(tmp_path, text)
    assert found(r) == [("RF007", 6), ("RF001", 7), ("RF007", 10)]


@pytest.mark.parametrize("spec", ["RF001", "rf001", "unknown-field", "RF001 -- read by our tooling",
                                  "RF001, RF003", "PQ001,RF001"])
def test_code_spellings(tmp_path, spec):
    text = RULES.replace("        foo: 1\n", f"        foo: 1  # obslint: disable={spec}\n")
    r = lint_text(tmp_path, text)
    assert found(r) == [("RF007", 6), ("RF007", 10), ("RF001", 11)]


def test_prefix_and_all(tmp_path):
    text = RULES.replace("      - alert: A\n", "      - alert: A  # obslint: disable=RF\n")
    assert found(lint_text(tmp_path, text)) == [("RF007", 10), ("RF001", 11)]
    text = RULES.replace("      - alert: B\n", "      - alert: B  # obslint: disable=ALL\n")
    assert found(lint_text(tmp_path, text)) == [("RF007", 6), ("RF001", 7)]


def test_disable_file_is_scoped_to_its_code_and_its_file(tmp_path):
    write_tree(tmp_path, {"other.yaml": RULES})
    text = "# obslint: disable-file=RF007\n" + RULES
    r = lint_text(tmp_path, text)
    assert found(r, "rules.yaml") == [("RF001", 8), ("RF001", 12)]
    assert found(r, "other.yaml") == BASELINE
    assert r.suppressed == 2


def test_not_a_comment_inside_quotes_or_block_scalars(tmp_path):
    text = RULES.replace("        foo: 1\n", "        foo: 'x # obslint: disable=RF001'\n")
    assert found(lint_text(tmp_path, text)) == BASELINE
    block = ("        bar: |\n          # obslint: disable-file=RF001\n          text\n")
    text = RULES.replace("        bar: 2\n", block)
    assert [c for c, _l in found(lint_text(tmp_path, text))] == ["RF007", "RF001", "RF007", "RF001"]


def test_misspelt_directive_does_nothing(tmp_path):
    text = RULES.replace("        foo: 1\n", "        foo: 1  # obslint: disabled=RF001\n")
    assert found(lint_text(tmp_path, text)) == BASELINE


def test_comment_position_scanner():
    assert comment_of("a: b # c") == 5
    assert comment_of("a: b#c") == -1
    assert comment_of("a: 'b # c' # d") == 11
    assert comment_of('a: "b \\" # c" # d') == 14
    assert comment_of("summary: it's down # x") == 19
    assert comment_of("# top") == 0


def test_suppressions_unit_unused():
    s = Suppressions("a: 1  # obslint: disable=RF001,RF002\n# obslint: disable-file=PQ001\n")
    assert s.unused() == [(1, "RF001"), (1, "RF002"), (2, "PQ001")]


# --- policy `ignore:` entries --------------------------------------------------------------

def dashboard(uid: str, panels: list[tuple[str, str]]) -> str:
    return json.dumps({"title": uid, "uid": uid, "schemaVersion": 39, "panels": [
        {"id": i + 1, "type": "timeseries", "title": t, "gridPos": {"x": 0, "y": i * 8, "w": 12, "h": 8},
         "targets": [{"refId": "A", "expr": e}]} for i, (t, e) in enumerate(panels)]}, indent=1)


BAD = "rate(http_requests_total[5m]"
TREE = {
    "dashboards/api.json": dashboard("api", [("Request rate", BAD), ("Errors", BAD)]),
    "dashboards/web.json": dashboard("web", [("Request rate", BAD)]),
    "dashboards/legacy/old.json": dashboard("old", [("Request rate", BAD)]),
    "rules/api.yaml": RULES,
}


def policy_run(tmp_path, entries):
    write_tree(tmp_path, TREE)
    return lint_tree(tmp_path, {**ONLY, "ignore": entries})


def keyed(result):
    return sorted((f.file, f.code, f.context.get("panel") or f.context.get("alert") or "") for f in result.findings)


ALL_FINDINGS = sorted([
    ("dashboards/api.json", "PQ001", "Request rate"), ("dashboards/api.json", "PQ001", "Errors"),
    ("dashboards/web.json", "PQ001", "Request rate"), ("dashboards/legacy/old.json", "PQ001", "Request rate"),
    ("rules/api.yaml", "RF007", "A"), ("rules/api.yaml", "RF001", "A"),
    ("rules/api.yaml", "RF007", "B"), ("rules/api.yaml", "RF001", "B"),
])


API_RATE = ("dashboards/api.json", "PQ001", "Request rate")
API_ERRORS = ("dashboards/api.json", "PQ001", "Errors")
WEB_RATE = ("dashboards/web.json", "PQ001", "Request rate")
OLD_RATE = ("dashboards/legacy/old.json", "PQ001", "Request rate")


def without(*gone):
    rest = list(ALL_FINDINGS)
    for g in gone:
        rest.remove(g)
    return rest


def test_policy_baseline(tmp_path):
    assert keyed(policy_run(tmp_path, [])) == ALL_FINDINGS


def test_policy_by_path_glob_stays_in_its_directory(tmp_path):
    r = policy_run(tmp_path, [{"path": "dashboards/*.json"}])
    assert keyed(r) == without(API_RATE, API_ERRORS, WEB_RATE)
    r = policy_run(tmp_path, [{"path": "dashboards/**/*.json", "code": "PQ001"}])
    assert all(f.file.startswith("rules/") for f in r.findings)
    r = policy_run(tmp_path, [{"path": "dashboards/legacy"}])
    assert keyed(r) == without(OLD_RATE)
    r = policy_run(tmp_path, [{"path": "old.json"}])  # no `/`: a file name at any depth
    assert keyed(r) == without(OLD_RATE)


def test_policy_by_dashboard_uid(tmp_path):
    r = policy_run(tmp_path, [{"dashboard": "api"}])
    assert keyed(r) == without(API_RATE, API_ERRORS)


def test_policy_by_panel_title(tmp_path):
    r = policy_run(tmp_path, [{"dashboard": "api", "panel": "Errors"}])
    assert keyed(r) == without(API_ERRORS)
    r = policy_run(tmp_path, [{"panel": "Request*"}])
    assert keyed(r) == without(API_RATE, WEB_RATE, OLD_RATE)


def test_policy_by_alert_name_and_code(tmp_path):
    r = policy_run(tmp_path, [{"alert": "B", "code": "RF001"}])
    assert keyed(r) == without(("rules/api.yaml", "RF001", "B"))
    r = policy_run(tmp_path, [{"code": "RF007"}])
    assert keyed(r) == without(("rules/api.yaml", "RF007", "A"), ("rules/api.yaml", "RF007", "B"))
    r = policy_run(tmp_path, [{"code": "unknown-field", "path": "rules/api.yaml"}])
    assert keyed(r) == without(("rules/api.yaml", "RF001", "A"), ("rules/api.yaml", "RF001", "B"))


def test_policy_entry_with_only_a_reason_silences_nothing(tmp_path):
    assert keyed(policy_run(tmp_path, [{"reason": "because"}])) == ALL_FINDINGS


def test_policy_globs_are_relative_to_the_config_file(tmp_path):
    """Run from the parent directory: the config in stack/ names paths relative to stack/."""
    stack = tmp_path / "stack"
    write_tree(stack, TREE)
    (stack / "obslint.yaml").write_text(
        "checks: {select: [PQ001, RF001, RF007]}\nignore:\n  - {code: PQ001, path: dashboards/web.json}\n")
    res = run_cli("stack", "--format", "json", cwd=tmp_path)
    files = {(f["file"], f["code"]) for f in json.loads(res.out)["findings"]}
    assert ("stack/dashboards/web.json", "PQ001") not in files
    assert ("stack/dashboards/api.json", "PQ001") in files


# --- unused suppressions -----------------------------------------------------------------

def test_report_unused_comment_suppressions(tmp_path):
    text = RULES.replace("        foo: 1\n", "        foo: 1  # obslint: disable=RF001,RF007\n")
    write_tree(tmp_path, {"rules.yaml": text, "obslint.yaml": "checks: {select: [RF, PQ, SU]}\n"})
    res = run_cli(".", "--report-unused-suppressions", "--format", "json", cwd=tmp_path)
    su = [(f["line"], f["message"]) for f in json.loads(res.out)["findings"] if f["code"] == "SU001"]
    assert len(su) == 1 and su[0][0] == 7 and "RF007" in su[0][1]
    # without the flag, nothing
    res = run_cli(".", "--format", "json", cwd=tmp_path)
    assert not [f for f in json.loads(res.out)["findings"] if f["code"] == "SU001"]


def test_unused_report_skips_checks_that_did_not_run(tmp_path):
    text = RULES.replace("        foo: 1\n", "        foo: 1  # obslint: disable=RF001,RF007\n")
    write_tree(tmp_path, {"rules.yaml": text})
    res = run_cli(".", "--no-config", "--select", "RF001", "--report-unused-suppressions", "--format", "json",
                  cwd=tmp_path)
    assert not [f for f in json.loads(res.out)["findings"] if f["code"] == "SU001"]
    res = run_cli(".", "--no-config", "--select", "RF001,RF007", "--ignore", "SU001",
                  "--report-unused-suppressions", "--format", "json", cwd=tmp_path)
    assert not [f for f in json.loads(res.out)["findings"] if f["code"] == "SU001"]


def test_report_unused_policy_entries(tmp_path):
    write_tree(tmp_path, TREE)
    (tmp_path / "obslint.yaml").write_text(
        "checks: {select: [PQ001, RF001, RF007, SU001]}\n"
        "ignore:\n"
        "  - {code: PQ001, dashboard: web}\n"
        "  - {code: PQ001, dashboard: nosuch}\n"
        "  - {code: DB004, dashboard: api}\n")
    res = run_cli(".", "--report-unused-suppressions", "--format", "json", cwd=tmp_path)
    su = [f for f in json.loads(res.out)["findings"] if f["code"] == "SU001"]
    assert [(f["file"], f["line"]) for f in su] == [("obslint.yaml", 4)]  # DB004 did not run: not reported
    assert "nosuch" in su[0]["message"]
