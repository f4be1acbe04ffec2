"""RF020-RF022, PL020-PL021: rule sets as a whole."""
from __future__ import annotations

from tests.checks.helpers import alert, found, record


def _two_groups(first: str, second: str, extra: str = "") -> str:
    return f"groups:\n  - name: a\n    rules:\n{first}  - name: b\n{extra}    rules:\n{second}"


def test_rf020_same_rule_in_two_groups_of_a_file(lint_files):
    r = lint_files({
        "r.yaml": _two_groups(alert("ApiDown", "up == 0", labels={"severity": "page"}) + record("a:b", "sum(x)"),
                              alert("ApiDown", "up == 0", labels={"severity": "page"}) +
                              alert("ApiDown", "up == 0", labels={"severity": "ticket"}) + record("a:b", "sum(y)")),
        "other.yaml": _two_groups(alert("ApiDown", "up == 0"), record("c:d", "x"))})
    got = found(r, "RF020")
    assert [(f.file, f.line) for f in got] == [("r.yaml", 16), ("r.yaml", 32)]
    assert got[0].message == ("alert `ApiDown` is also defined, with the same labels, in group `a` of this file: "
                              "both are evaluated")
    assert not found(r, "RF008")


def test_rf020_group_labels_distinguish(lint_files):
    r = lint_files({"r.yaml": _two_groups(record("a:b", "sum(x)"), record("a:b", "sum(x)"),
                                          extra="    labels: {tier: web}\n")})
    assert not found(r, "RF020")


def test_rf021_for_zero_is_redundant(lint_files):
    r = lint_files({"r.yaml": _two_groups(alert("A", "up == 0", for_="0m") + alert("B", "up == 0", for_="0"),
                                          alert("C", "up == 0", for_="5m") + alert("D", "up == 0", for_=None))})
    got = found(r, "RF021")
    assert [f.context["alert"] for f in got] == ["A", "B"]
    assert all(f.severity.name == "INFO" for f in got)


def test_rf022_group_interval_far_above_scrape(lint_files):
    r = lint_files({"r.yaml": _two_groups(alert("A", "up == 0"), alert("B", "up == 0"),
                                          extra="    interval: 15m\n"),
                    "slow-records.yaml": "groups:\n  - name: r\n    interval: 30m\n    rules:\n"
                                         + record("a:b:28d", "avg_over_time(x[28d])")})
    got = found(r, "RF022")
    assert [(f.file, f.line) for f in got] == [("r.yaml", 11)]
    assert "every 15m, 60x the scrape interval (15s" in got[0].message
    assert not found(lint_files({"r.yaml": _two_groups(alert("A", "up == 0"), alert("B", "up == 0"),
                                                       extra="    interval: 15m\n")},
                                config={"scrape-interval": "1m"}), "RF022")


def test_pl020_naming_policy(lint_files):
    files = {"r.yaml": _two_groups(alert("api_down", "up == 0") + alert("ApiDown", "up == 0"),
                                   record("job_requests", "sum(x)") + alert("AVeryLongAlertNameIndeed", "up == 0"))}
    assert not found(lint_files(files), "PL020")
    r = lint_files(files, config={"rules": {"naming": {"alert": "^[A-Z][A-Za-z0-9]*$", "record": "^[a-z_]+:[a-z_:]+$",
                                                       "max-length": 20}}})
    got = found(r, "PL020")
    assert [f.message for f in got] == [
        "alert name `api_down` does not match the policy's `rules.naming.alert` (`^[A-Z][A-Za-z0-9]*$`)",
        "record name `job_requests` does not match the policy's `rules.naming.record` (`^[a-z_]+:[a-z_:]+$`)",
        "alert name `AVeryLongAlertNameIndeed` is 24 characters long, more than the policy's "
        "`rules.naming.max-length` (20)"]


def test_pl021_required_labels_and_annotations(lint_files):
    files = {"r.yaml": _two_groups(
        alert("A", "up == 0", labels={"team": "api"}, annotations={"runbook_url": "https://x/a"}),
        alert("B", "up == 0", labels={"team": "API"}, annotations={"summary": "s"}))}
    assert not found(lint_files(files), "PL021")
    r = lint_files(files, config={"rules": {"require-labels": {"team": "^[a-z]+$"},
                                            "require-annotations": {"runbook_url": "^https://"}}})
    got = found(r, "PL021")
    assert sorted(f.message for f in got) == [
        "alert `B` has no annotation `runbook_url`, which the policy's `rules.require-annotations` requires",
        "alert `B`: label `team: API` does not match the policy's `^[a-z]+$`"]
