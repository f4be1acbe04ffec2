"""RF020-RF022, PL020-PL021: rule sets as a whole."""
from __future__ import annotations

import pytest

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
    assert got[0].message == ("alert `ApiDown` is also defined, with the same labels, in group `a` of this file, "
                              "and the same expression: a copy, whose series collide with the first one's")
    # `a:b` is `sum(x)` in one group and `sum(y)` in the other: both carry no labels, they collide
    assert "and another expression: their series collide" in got[1].message
    assert [f.severity.name for f in got] == ["WARNING", "WARNING"]
    assert not found(r, "RF008")


def test_rf008_one_series_split_by_a_kept_selector_is_info(lint_files):
    # kubernetes-mixin writes one record from four rules split by `code=~"2.."`..."5.."; rabbitmq's
    # operator one from `alertstate="pending"` and `alertstate="firing"`: they never collide
    split = "".join(record("code:requests:increase1h", f'sum by (code) (increase(requests_total{{code=~"{c}.."}}[1h]))')
                    for c in "2345")
    states = "".join(record("alerts:numeric", f'ALERTS{{alertstate="{s}"}} * 0 + {n}')
                     for s, n in (("pending", 1), ("firing", 2)))
    dropped = "".join(record("all:requests", f'sum(increase(requests_total{{code=~"{c}.."}}[1h]))') for c in "23")
    copy = record("job:up:sum", "sum by (job) (up)") + record("job:up:sum", "sum by  (job)  (up)")
    r = lint_files({"r.yaml": "groups:\n  - name: a\n    rules:\n" + split + states + dropped + copy})
    got = found(r, "RF008")
    assert [(f.message.split("`")[1], f.severity.name) for f in got] == (
        [("code:requests:increase1h", "INFO")] * 3 + [("alerts:numeric", "INFO"), ("all:requests", "WARNING"),
                                                     ("job:up:sum", "WARNING")])
    assert "selects other `code` values, which both results keep" in got[0].message
    assert "selects other `alertstate` values" in got[3].message
    assert "another expression" in got[4].message  # `sum(...)` drops `code`: the two collide
    assert "the same expression: a copy" in got[5].message


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


@pytest.mark.parametrize("a,b,label", [
    ('sum by (code) (x{code=~"2.."})', 'sum by (code) (x{code=~"3.."})', "code"),
    ('x{state="a"} * 0 + 1', 'x{state="b"} * 0 + 2', "state"),
    ('sum without (pod) (x{code="a"})', 'sum without (pod) (x{code="b"})', "code"),
    ('sum by (code) (x{code=~"2..|3.."})', 'sum by (code) (x{code=~"4.."})', None),  # alternation: not read
    ('sum by (code) (x{code="a"})', 'sum by (code) (x{code="a"})', None),
    ('sum without (code) (x{code="a"})', 'sum without (code) (x{code="b"})', None),  # dropped
    ('label_replace(x{code="a"}, "code", "z", "", "")', 'x{code="b"}', None),  # rewritten
    ('x{code="a"} / on (job) y{code="a"}', 'x{code="b"} / on (job) y{code="b"}', None),  # `on` drops it
    ('x{code="a"} + y', 'x{code="b"} + y', None),  # `y` does not pin it
    ('x{code=~"2.."}', 'x{code="2xx"}', None),  # might overlap
    # wikimedia operations-alerts: a negative matcher against the value it excludes
    ('sum by (cronjob) (f{cronjob!="flaky"}) > 0', 'sum by (cronjob) (f{cronjob="flaky"}) > 5', "cronjob"),
    ('x{op=~"(run|stop)_sandbox"} > 3', 'x{op!~"(run|stop)_sandbox|list"} > 1', "op"),  # excluded whole
    ('x{op=~"(run|stop)_sandbox"} > 3', 'x{op="list"} > 1', "op"),  # outside the regex
    ('x{op!~"a|b"} > 3', 'x{op="b"} > 1', "op"),
    ('x{op!="a"} > 3', 'x{op!="b"} > 1', None),  # both negative: they overlap
    ('x{op=~"a.*"} > 3', 'x{op!~"ab"} > 1', None),  # `ac` is picked by both
    ('x{op!="a"} > 3', 'x{op="b"} > 1', None),
])
def test_separating_label(a, b, label):
    from obslint import samename

    assert samename.separating_label(a, b) == label
