"""PQ003: PromQL that Prometheus accepts only with a feature flag (or from 3.14 on, for
duration expressions) is a warning naming the flag, not a PQ001 error; `promql.features`
lists the flags a team's servers run with. Syntax errors near such constructs stay errors."""
from __future__ import annotations

import pytest

from obslint.lang import promfeatures
from tests.checks.helpers import dashboard, found, panel, record, rules

FLAGGED = [  # (query, flag, where the finding points)
    ("rate(up[1m * 2])", promfeatures.DURATION_EXPR, "1m *"),
    ("rate(up[5m:step()])", promfeatures.DURATION_EXPR, "step"),
    ("max_over_time(up[min_of(5m, step() * 4)])", promfeatures.DURATION_EXPR, "min_of"),
    ("up offset (1h + 5m)", promfeatures.DURATION_EXPR, "(1h"),
    ("rate(up[1m] anchored)", promfeatures.EXTENDED_RANGE, "anchored"),
    ("increase(up[5m] smoothed)", promfeatures.EXTENDED_RANGE, "smoothed"),
    ('sort_by_label(up, "instance")', promfeatures.EXPERIMENTAL_FUNCTIONS, "sort_by_label"),
    ("limitk(2, up)", promfeatures.EXPERIMENTAL_FUNCTIONS, "limitk"),
    ("sum(rate(x[5m])) + fill(0) sum(rate(y[5m]))", promfeatures.FILL_MODIFIERS, "fill"),
]
BROKEN = [
    "rate(up[1m * ])",                     # not arithmetic
    "rate(up[1m + foo])",                  # a name is not a duration
    "max_over_time(up[5m]) anchored",       # anchored on a call: Prometheus refuses it
    "rate(up[5m:1m] smoothed)",             # and on a subquery
    "sum(rate(x[5m])) by (job) anchored_x",
]
PLAIN = ['rate(up{job="a[1m*2]"}[5m])', "up offset 1h", "sort(up)", 'label_replace(up, "fill", "$1", "job", "(.*)")']


@pytest.mark.parametrize(("expr", "feature", "at"), FLAGGED)
def test_flag_gated_promql_is_a_warning_that_names_the_flag(lint_files, expr, feature, at):
    r = lint_files({"rules.yaml": rules(record("job:x:rate", expr))})
    assert not found(r, "PQ001")
    [f] = found(r, "PQ003")
    assert str(f.severity) == "warning" and feature in f.message
    assert (f.line, f.col) == (5, 16 + expr.index(at))  # inside the quoted expression, at the construct


@pytest.mark.parametrize(("expr", "feature", "at"), FLAGGED)
def test_listing_the_flag_in_the_policy_silences_it(lint_files, expr, feature, at):
    r = lint_files({"rules.yaml": rules(record("job:x:rate", expr))}, config={"promql": {"features": [feature]}})
    assert not found(r, "PQ003") and not found(r, "PQ001")


@pytest.mark.parametrize("expr", BROKEN)
def test_broken_queries_near_such_syntax_stay_errors(lint_files, expr):
    r = lint_files({"rules.yaml": rules(record("job:x:rate", expr))})
    assert found(r, "PQ001") and not found(r, "PQ003")


@pytest.mark.parametrize("expr", PLAIN)
def test_plain_promql_is_not_reported(lint_files, expr):
    r = lint_files({"rules.yaml": rules(record("job:x:rate", expr))})
    assert not found(r, "PQ003") and not found(r, "PQ001")


def test_dashboard_queries_with_grafana_variables(lint_files):
    r = lint_files({"d.json": dashboard(panels=[panel(1, "P", "rate(up{job=~\"$job\"}[$__rate_interval * 2])")])})
    assert [f.code for f in r.findings if f.code.startswith("PQ00")] == ["PQ003"]


def test_metricsql_is_not_checked(lint_files):
    r = lint_files({"rules.yaml": rules(record("job:x:rate", 'sort_by_label(up, "instance")'))},
                   config={"promql": {"dialect": "metricsql"}})
    assert not found(r, "PQ003")


def test_an_unknown_feature_in_the_policy_is_refused(lint_files):
    import pytest as _pytest

    from obslint.config import ConfigError

    with _pytest.raises(ConfigError, match="promql.features"):
        lint_files({"rules.yaml": rules(record("job:x", "up"))}, config={"promql": {"features": ["duration"]}})


def test_pq003_on_the_corpus_is_pinned():
    """Only prometheus' own promtool fixture of the feature flags uses them (one rule per flag)."""
    from collections import Counter
    from pathlib import Path

    from obslint.config import Config
    from obslint.engine import lint
    from tests.conftest import CORPUS

    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    got = lint([Path(CORPUS)], Config(), select=["PQ003", "PQ001"]).findings
    pq003 = Counter(Path(f.file).name for f in got if f.code == "PQ003")
    assert pq003 == {"features.yml": 4}
    assert not [f for f in got if f.code == "PQ001" and Path(f.file).name == "features.yml"]
