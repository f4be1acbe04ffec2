"""The label-flow analysis: what an expression's result series can carry."""
from __future__ import annotations

import pytest

from obslint import labelflow
from obslint.engine import Context, load_project
from obslint.config import Config
from tests.checks.helpers import record, rules
from tests.conftest import write_tree


def describe(expr: str) -> str:
    return labelflow.flow(expr).describe()


@pytest.mark.parametrize("expr, want", [
    ("up", "any labels"),
    ("sum(rate(x[5m]))", "no labels"),
    ("sum by (job, instance) (rate(x[5m]))", "only `instance`, `job`"),
    ("sum without (instance) (up)", "any labels but `instance`"),
    ("count_values(\"version\", build_info) by (job)", "only `job`, `version`"),
    ('label_replace(sum by (a) (x), "b", "$1", "a", "(.*)")', "only `a`, `b`"),
    ('absent(up{job="api", instance=~"a.*"})', "only `job`"),
    ("sum by (job) (x) / on (job) group_left (team) team_info", "only `job`, `team`"),
    ("sum by (job) (x) * on (job) group_left (team) sum by (job, team) (team_info)", "only `job`, `team`"),
    ("sum by (job) (x) * on (job) group_left (owner) sum by (job, team) (team_info)", "only `job`"),
    ("a > on (job) b", "only `job`"),
    ("sum by (a) (x) or sum by (b) (y)", "only `a`, `b`"),
    ("sum by (a) (x) or up", "any labels"),
    ("histogram_quantile(0.9, sum by (le, job) (rate(x_bucket[5m])))", "only `job`"),
    ("topk(3, sum by (job) (x))", "only `job`"),
    ("vector(1)", "no labels"),
    ("sum by ($group) (x)", "any labels"),
])
def test_flow_of_expressions(expr, want):
    assert describe(expr) == want


def test_unknown_selectors_never_claim_a_label_absent():
    f = labelflow.flow("rate(http_requests_total[5m]) / 2")
    assert not f.exact and f.may_have("anything")
    assert not f.may_have("__name__")  # arithmetic drops the metric name
    assert labelflow.flow("up > 1").may_have("__name__")  # a filter keeps it


def test_selector_matchers_make_labels_sure():
    f = labelflow.flow('rate(x{job="api", pod=~"p.*", zone=""}[5m])')
    assert f.sure == frozenset({"job"})
    assert not f.may_have("zone")


def _analyzer(tmp_path, files):
    write_tree(tmp_path, files)
    project, _findings, _files = load_project([tmp_path], Config())
    return labelflow.analyzer(Context(Config(), project))


def test_recording_rules_are_followed_across_files(tmp_path):
    an = _analyzer(tmp_path, {
        "a/records.yaml": rules(record("service:errors:rate5m", "sum by (service) (rate(errors_total[5m]))")),
        "b/more.yaml": "groups:\n  - name: m\n    rules:\n      - record: team:errors:rate5m\n"
                       "        expr: sum by (service) (service:errors:rate5m)\n        labels: {tier: web}\n",
    })
    assert an.of_expr("service:errors:rate5m > 1").describe() == "only `service`"
    assert an.of_expr("team:errors:rate5m").describe() == "only `service`, `tier`"
    assert an.of_expr("team:errors:rate5m").sure >= {"tier", "__name__"}


def test_recording_rule_series_from_elsewhere_stay_open(tmp_path):
    an = _analyzer(tmp_path, {"r.yaml": rules(
        record("job:x:rate5m", "sum by (job) (rate(x[5m]))"),
        record("loop:a", "sum by (job) (loop:b)"), record("loop:b", "sum by (job, pod) (loop:a)"))})
    # a matcher on a label the rule never produces: the series come from another server too
    assert not an.of_expr('job:x:rate5m{region="eu"}').exact
    assert an.of_expr('job:x:rate5m{job="a"}').describe() == "only `job`"
    assert an.of_expr("loop:a").describe() == "only `job`"  # a cycle ends, nothing invented


def test_matches_lists_each_vector_match_with_both_sides():
    an = labelflow.Analyzer()
    found = an.matches("sum by (a) (x) / sum by (b) (y) > 1")
    assert [(m.op, m.left.describe(), m.right.describe()) for m in found] == [("/", "only `a`", "only `b`")]
    assert an.matches("x > 1") == []


def test_explain_prints_labels_and_matches(tmp_path):
    write_tree(tmp_path, {"r.yaml": rules(record("service:req:rate5m", "sum by (service) (rate(req_total[5m]))"))})
    text = labelflow.explain("sum by (pod) (rate(err_total[5m])) / on (pod) service:req:rate5m", [tmp_path])
    assert text.splitlines()[1:] == [
        "  result carries only `pod`",
        "  `/` with on (pod): left only `pod`, right only `service`",
        "  followed recording rules: service:req:rate5m"]
    import json

    data = json.loads(labelflow.explain('up{job="api"}', as_json=True))
    assert data["labels"] == {"exact": False, "not": [], "always": ["__name__", "job"]}
    assert "does not parse" in labelflow.explain("sum(")


def test_al006_follows_recording_rules_across_files(lint_files):
    from tests.checks.helpers import alert, found

    r = lint_files({
        "records.yaml": rules(record("service:errors:rate5m", "sum by (service) (rate(errors_total[5m]))")),
        "alerts/a.yaml": rules(
            alert("Errors", "service:errors:rate5m > 1",
                  annotations={"summary": "{{ $labels.pod }} of {{ $labels.service }} fails", "description": "d"}),
            alert("Hpa", "(a - b) * on (hpa, namespace) (c == 1) == 0",
                  annotations={"summary": "{{ $labels.instance }}", "description": "d"}),
            alert("Fine", "service:errors:rate5m > 1",
                  annotations={"summary": "{{ $labels.service }}", "description": "d"}))})
    got = found(r, "AL006")
    assert [(f.context["alert"], f.message.split("result ")[1]) for f in got] == [
        ("Errors", "keeps only `service`"), ("Hpa", "keeps only `hpa`, `namespace`")]


def test_cli_explain_query_follows_the_given_rules(tmp_path, cli):
    write_tree(tmp_path, {"r.yaml": rules(record("service:req:rate5m", "sum by (service) (rate(req_total[5m]))"))})
    run = cli("explain", "--query", "service:req:rate5m > 1", "--rules", str(tmp_path))
    assert run.code == 0 and "result carries only `service`\n  followed recording rules: service:req:rate5m" in run.out
    import json

    run = cli("explain", "--query", "sum by (job) (x)", "--format", "json")
    assert json.loads(run.out)["labels"] == {"exact": True, "labels": ["job"], "always": []}
    assert cli("explain").code == 2


# --- the shortcut: `may_close` says when no walk is needed -------------------------------------

_OPEN_SHAPES = ["up", "rate(x[5m])", "rate(x[5m]) > 0.5", "a / b", "a and b", "a unless b", "a or b", "-x",
                "x offset 5m", "rate(x[5m:1m])", "sort(x)", "abs(x) > bool 1", "x{job=\"a\"} * 2",
                "delta(x[5m]) + deriv(y[5m])", "(a + b) / c", "predict_linear(x[1h], 3600) < 0"]
_CLOSING_SHAPES = ["sum(x)", "count_values(\"v\", x)", "absent(x)", "vector(1)", "time() - x", "scalar(x) * y",
                   "label_replace(x, \"a\", \"$1\", \"b\", \"(.*)\")", "histogram_quantile(0.9, x)", "hour()",
                   "a * on (job) b", "a / ignoring (x) b", "x{a=\"\"}"]


def _flow_open(expr: str) -> bool:
    result = labelflow.Analyzer().of_expr(expr)
    return result is None or (result.only is None and result.minus <= {labelflow.NAME})


@pytest.mark.parametrize("expr", _OPEN_SHAPES)
def test_may_close_is_false_for_pass_through_expressions(expr):
    from obslint import promql

    assert not labelflow.may_close(promql.parse(expr), None) and _flow_open(expr)


@pytest.mark.parametrize("expr", _CLOSING_SHAPES)
def test_may_close_is_true_when_labels_may_be_lost(expr):
    from obslint import promql

    assert labelflow.may_close(promql.parse(expr), None)


def test_may_close_never_hides_a_closed_flow_on_the_corpus():
    """The shortcut (AL006 and PQ120 skip the walk when `may_close` is False) against the walk
    itself on every corpus expression: a False must always mean an open flow."""
    from obslint import promql
    from tests.conftest import corpus_expressions

    exprs = sorted(set(corpus_expressions()))
    skipped = [e for e in exprs if not labelflow.may_close(promql.parse(e), None)]
    assert len(skipped) > 1000  # the shortcut is taken often enough to pay
    wrong = [e for e in skipped if not _flow_open(e)]
    assert not wrong, wrong[:5]


FEDERATED = "sum by (namespace) (kube_pod_container_status_restarts_total)"
ALERT_ON_IT = ("Restarts", "seed:restarts:max_by_namespace > 5")
SEED_ANNOTATION = {"summary": "{{ $labels.namespace }} in seed {{ $labels.seed }}", "description": "d"}


@pytest.mark.parametrize(("records_at", "alerts_at", "reported"), [
    ("rules/records.yaml", "rules/alerts.yaml", True),                      # one directory
    ("rules/recording/r.yaml", "rules/alerting/a.yaml", True),              # siblings
    ("rules/r.yaml", "rules/team/a.yaml", True),                            # one level below
    # gardener: the seeds' cache Prometheus records it; the garden Prometheus federates it with `seed`
    ("prometheus/cache/assets/rules/r.yaml", "prometheus/garden/assets/rules/a.yaml", False),
])
def test_a_recording_rule_far_away_is_another_prometheus(lint_files, records_at, alerts_at, reported):
    from tests.checks.helpers import alert, found

    r = lint_files({records_at: rules(record("seed:restarts:max_by_namespace", FEDERATED)),
                    alerts_at: rules(alert(*ALERT_ON_IT, annotations=SEED_ANNOTATION))})
    assert bool(found(r, "AL006")) == reported
