"""Mutation tests of the reference stack: a copy of infra/ (files and policy) with one defect
injected at a time must yield exactly the expected findings (code, file, line), no more.

Expected lines are computed from the mutated text (the line of a marker snippet), so the suite
follows edits of the infra files; a mutation whose anchor text is gone fails loudly.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import INFRA

DASH = "grafana/dashboards"
PROM = "grafana/provisioning/alerting/alert-rules.yml"
GRAF = "grafana/provisioning/alerting/rules.yml"
# The stack's promtool tests: a mutation of an alert they test makes them stale (UT0xx).
UTEST = "grafana/tests/alert-rules.test.yml"


def _all_lines(t, rel: str, snippet: str) -> list[int]:
    return [i + 1 for i, ln in enumerate(t.text(rel).splitlines()) if snippet in ln]
POLICY = "obslint.yaml"


def _lint(root: Path):
    import os

    from obslint.config import load_config
    from obslint.engine import lint

    cfg = load_config(root / POLICY)
    old = os.getcwd()
    os.chdir(root)
    try:
        return lint([Path(".")], cfg)
    finally:
        os.chdir(old)


def _key(f) -> tuple:
    return (f.code, str(Path(f.file).as_posix()).removeprefix("./"), f.line)


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Path:
    if not (INFRA / POLICY).is_file():
        pytest.skip("infra/obslint.yaml is not there")
    root = tmp_path_factory.mktemp("infra-pristine")
    shutil.copytree(INFRA, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


@pytest.fixture
def copy(stack, tmp_path) -> Path:
    root = tmp_path / "infra"
    shutil.copytree(stack, root)
    return root


class Tree:
    def __init__(self, root: Path) -> None:
        self.root = root

    def text(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def replace(self, rel: str, old: str, new: str, count: int = 1, after: str | None = None) -> None:
        """Replace `old` (the first `count` times after the first `after`) and insist it was there."""
        text = self.text(rel)
        start = 0
        if after is not None:
            start = text.index(after)
        head, tail = text[:start], text[start:]
        assert old in tail, f"{rel}: `{old}` not found{' after ' + after if after else ''}"
        tail = tail.replace(old, new, count)
        (self.root / rel).write_text(head + tail, encoding="utf-8")

    def remove_block(self, rel: str, first: str, until: str) -> None:
        """Remove from the line holding `first` up to (not including) the next line holding `until`."""
        lines = self.text(rel).splitlines(keepends=True)
        i = next(n for n, ln in enumerate(lines) if first in ln)
        j = next(n for n in range(i + 1, len(lines)) if until in lines[n])
        del lines[i:j]
        (self.root / rel).write_text("".join(lines), encoding="utf-8")

    def line(self, rel: str, snippet: str, after: str | None = None, nth: int = 1) -> int:
        """1-based line of the nth occurrence of snippet (after the first `after`)."""
        text = self.text(rel)
        start = text.index(after) if after is not None else 0
        pos = start - 1
        for _ in range(nth):
            pos = text.index(snippet, pos + 1)
        return text.count("\n", 0, pos) + 1

    def panel_line(self, rel: str, title: str, key: str) -> int:
        """Line of `"key"` inside the panel titled `title` (found by indentation, not by obslint)."""
        text = self.text(rel)
        lines = text.splitlines()
        t = next(i for i, ln in enumerate(lines) if ln.strip().startswith(f'"title": {json.dumps(title)}'))
        indent = len(lines[t]) - len(lines[t].lstrip()) - 2
        start = next(i for i in range(t, -1, -1) if lines[i] == " " * indent + "{")
        end = next(i for i in range(t, len(lines)) if lines[i].rstrip(",") == " " * indent + "}")
        return next(i for i in range(start, end) if lines[i].strip().startswith(f'"{key}"')
                    and len(lines[i]) - len(lines[i].lstrip()) == indent + 2 or
                    lines[i].strip().startswith(f'"{key}"') and key == "thresholds") + 1

    def edit_json(self, rel: str, fn) -> None:
        data = json.loads(self.text(rel))
        fn(data)
        (self.root / rel).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def test_pristine_stack_is_clean(stack):
    result = _lint(stack)
    assert [(f.code, f.file, f.line, f.message) for f in result.findings] == []
    assert result.files >= 10


def _expr_line(t: Tree, rel: str, alert: str) -> int:
    return t.line(rel, "expr:", after=f"alert: {alert}")


# Each mutation: (id, function(tree) -> set of expected (code, file, line)).
def m_unknown_metric(t: Tree):
    t.replace(PROM, "sum by (service) (rate(http_requests_total[5m]))\n", "sum by (service) (rate(http_request_total[5m]))\n")
    return {("PL001", PROM, t.line(PROM, "expr:", after="record: service:http_requests:rate5m"))}


def m_unknown_metric_in_panel(t: Tree):
    rel = f"{DASH}/payment-service.json"
    t.replace(rel, "rate(payment_processing_fees_dollars_total{", "rate(payment_processing_fee_dollars_total{")
    line = t.line(rel, "payment_processing_fee_dollars_total")
    # The required "Processing Fees" panel no longer reads its metric either.
    return {("PL001", rel, line), ("PL012", rel, t.line(rel, '"panels"'))}


def m_unknown_label(t: Tree):
    rel = f"{DASH}/user-service.json"
    t.replace(rel, '\\"$service\\", status=~\\"5..\\"', '\\"$service\\", code=~\\"5..\\"')
    return {("PL002", rel, t.line(rel, "code=~"))}


def m_threshold_2_to_5_percent(t: Tree):
    t.replace(PROM, "> 0.02", "> 0.05", after="alert: AuthService5xxErrorRateHigh")
    return {("AL002", PROM, _expr_line(t, PROM, "AuthService5xxErrorRateHigh"))}


def m_latency_threshold_in_ms_units(t: Tree):
    # 1000 ms in the policy is 1 s: an alert at 1.5 (s) is a drift.
    t.replace(PROM, "} > 1\n", "} > 1.5\n", after="alert: PaymentServiceP95LatencyHigh")
    return {("AL002", PROM, _expr_line(t, PROM, "PaymentServiceP95LatencyHigh"))}


def m_comparison_flipped(t: Tree):
    t.replace(PROM, "< 0.85", "> 0.85", after="alert: IEPComplianceScoreLow")
    return {("AL002", PROM, _expr_line(t, PROM, "IEPComplianceScoreLow"))}


def m_for_removed(t: Tree):
    t.replace(PROM, "        for: 5m\n", "", after="alert: UserServiceP95LatencyHigh")
    return {("AL003", PROM, t.line(PROM, "- alert: UserServiceP95LatencyHigh"))}


def m_for_shortened(t: Tree):
    t.replace(PROM, "for: 5m", "for: 1m", after="alert: IEPAIGenerationLatencyHigh")
    return {("AL003", PROM, t.line(PROM, "for: 1m"))}


def m_duplicate_uid(t: Tree):
    src = f"{DASH}/auth-service.json"
    dst = f"{DASH}/auth-service-v2.json"
    shutil.copy(t.root / src, t.root / dst)
    t.replace(dst, '"title": "Auth Service"', '"title": "Auth Service v2"')
    return {("DB004", src, t.line(src, '"uid": "edu-auth-service"')),
            ("DB004", dst, t.line(dst, '"uid": "edu-auth-service"'))}


def m_duplicate_title(t: Tree):
    src = f"{DASH}/auth-service.json"
    dst = f"{DASH}/auth-service-copy.json"
    shutil.copy(t.root / src, t.root / dst)
    t.replace(dst, '"uid": "edu-auth-service"', '"uid": "edu-auth-service-copy"')
    return {("DB005", src, t.line(src, '"title": "Auth Service"')),
            ("DB005", dst, t.line(dst, '"title": "Auth Service"'))}


def m_uid_changed(t: Tree):
    rel = f"{DASH}/learner-service.json"
    t.replace(rel, '"uid": "edu-learner-service"', '"uid": "edu-learner"')
    return {("PL011", rel, t.line(rel, '"uid": "edu-learner"'))}


def m_uid_format(t: Tree):
    rel = f"{DASH}/iep-service.json"
    t.replace(rel, '"uid": "edu-iep-service"', '"uid": "edu iep/service"')
    # Not Grafana's format, and no longer the uid the policy pins for "IEP Service".
    line = t.line(rel, '"uid": "edu iep/service"')
    return {("DB003", rel, line), ("PL011", rel, line)}


def m_dashboard_removed(t: Tree):
    (t.root / DASH / "finops-dashboard.json").unlink()
    # Only the FinOps dashboard showed the token counter the cost-spike alerts watch, and the
    # monthly budgets the four budget-forecast alerts compare with.
    watched = ("InferenceCostSpikePlaceholder", "ServiceBudgetForecastAbove80Percent", "ServiceBudgetForecastExceeded",
               "PlatformBudgetForecastAbove80Percent", "PlatformBudgetForecastExceeded")
    return {("PL010", POLICY, t.line(POLICY, "uid: edu-finops"))} | {
        ("XF002", PROM, _expr_line(t, PROM, name)) for name in watched} | {
        ("XF002", GRAF, t.line(GRAF, "expr:", after=f"title: {name}")) for name in watched}


def m_le_dropped_in_recording_rule(t: Tree):
    t.replace(PROM, "sum by (service, le) (rate(http_request_duration_seconds_bucket[5m]))",
              "sum by (service) (rate(http_request_duration_seconds_bucket[5m]))")
    return {("PQ101", PROM, t.line(PROM, "expr:", after="record: service:http_request_duration_seconds:p95_5m"))}


def m_le_dropped_in_panel(t: Tree):
    rel = f"{DASH}/iep-service.json"
    t.replace(rel, "histogram_quantile(0.95, sum by (le) (rate(ai_inference_duration_seconds_bucket",
              "histogram_quantile(0.95, sum(rate(ai_inference_duration_seconds_bucket")
    return {("PQ101", rel, t.line(rel, "histogram_quantile(0.95, sum(rate(ai_inference"))}


def m_histogram_quantile_on_count(t: Tree):
    rel = f"{DASH}/user-service.json"
    t.replace(rel, "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket",
              "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_count")
    return {("PQ102", rel, t.line(rel, "http_request_duration_seconds_count"))}


def m_rate_on_gauge(t: Tree):
    rel = f"{DASH}/auth-service.json"
    t.replace(rel, 'sum(service_memory_bytes{service=\\"$service\\"})',
              'sum(rate(service_memory_bytes{service=\\"$service\\"}[$__rate_interval]))')
    return {("PL003", rel, t.line(rel, "rate(service_memory_bytes"))}


def m_counter_without_rate(t: Tree):
    rel = f"{DASH}/assessment-service.json"
    t.replace(rel, "sum by (type) (rate(assessment_completed_total{service=\\\"$service\\\"}[$__rate_interval])) * 60",
              "sum by (type) (assessment_completed_total{service=\\\"$service\\\"})")
    # The required "Assessment Completions" panel no longer uses `rate` either.
    return {("PL004", rel, t.line(rel, "sum by (type) (assessment_completed_total")),
            ("PL012", rel, t.line(rel, '"panels"'))}


def m_rate_window_too_short(t: Tree):
    t.replace(PROM, "sum by (service) (rate(ai_tokens_total[5m]))", "sum by (service) (rate(ai_tokens_total[20s]))")
    return {("PQ103", PROM, t.line(PROM, "expr:", after="record: service:ai_token_cost_dollars_per_hour:rate5m"))}


def m_interval_instead_of_rate_interval(t: Tree):
    rel = f"{DASH}/finops-dashboard.json"
    t.replace(rel, "sum(rate(infrastructure_cost_total[$__rate_interval])) * 3600",
              "sum(rate(infrastructure_cost_total[$__interval])) * 3600")
    return {("PQ104", rel, t.line(rel, "[$__interval]"))}


def m_required_panel_removed(t: Tree):
    rel = f"{DASH}/learner-service.json"

    def drop(d):
        d["panels"] = [p for p in d["panels"] if p.get("title") != "AI Inference Throughput"]

    t.edit_json(rel, drop)
    return {("PL012", rel, t.line(rel, '"panels"'))}


def m_required_panel_query_changed(t: Tree):
    # The title is still there, but the latency panel no longer uses histogram_quantile.
    rel = f"{DASH}/payment-service.json"

    def change(d):
        for p in d["panels"]:
            if p.get("title") == "Latency P50 / P95 / P99":
                for tg in p["targets"]:
                    tg["expr"] = 'sum(rate(http_request_duration_seconds_sum{service="$service"}[$__rate_interval])) / ' \
                                 'sum(rate(http_request_duration_seconds_count{service="$service"}[$__rate_interval]))'

    t.edit_json(rel, change)
    return {("PL012", rel, t.line(rel, '"panels"'))}


def m_variable_removed(t: Tree):
    rel = f"{DASH}/user-service.json"

    def drop(d):
        d["templating"]["list"] = [v for v in d["templating"]["list"] if v.get("name") != "datasource"]
        # Panels fall back to the default datasource when the variable is gone.
        for p in d["panels"]:
            p.pop("datasource", None)
            for tg in p.get("targets", []):
                tg.pop("datasource", None)

    t.edit_json(rel, drop)
    return {("PL013", rel, t.line(rel, '"templating"'))}


def m_panel_threshold_line_moved(t: Tree):
    rel = f"{DASH}/payment-service.json"

    def change(d):
        for p in d["panels"]:
            if p.get("title") == "Transaction Failure Rate":
                p["fieldConfig"]["defaults"]["thresholds"]["steps"][-1]["value"] = 0.1

    t.edit_json(rel, change)
    return {("XF003", rel, t.panel_line(rel, "Transaction Failure Rate", "thresholds"))}


def m_required_alert_removed(t: Tree):
    t.remove_block(PROM, "- alert: IEPComplianceScoreLow", "# FinOps")
    # The alert's promtool tests now name an alert no rule file defines.
    stale = {("UT006", UTEST, n) for n in _all_lines(t, UTEST, "alertname: IEPComplianceScoreLow")}
    return {("PL014", PROM, t.line(PROM, "- name: edu-business"))} | stale


def m_required_grafana_alert_removed(t: Tree):
    t.remove_block(GRAF, "- uid: edu-iep-ai-generation-latency", "- orgId: 1")
    return {("PL014", GRAF, t.line(GRAF, "name: \"AI latency\""))}


def m_label_aggregated_away(t: Tree):
    t.replace(PROM, "min by (service) (iep_compliance_score_ratio", "min(iep_compliance_score_ratio")
    return {("AL006", PROM, t.line(PROM, "description:", after="alert: IEPComplianceScoreLow"))}


def m_label_not_kept_in_grafana_rule(t: Tree):
    t.replace(GRAF, "sum by (service, operation, le) (rate(ai_inference_duration_seconds_bucket{service=\"learner-svc\"",
              "sum by (le) (rate(ai_inference_duration_seconds_bucket{service=\"learner-svc\"")
    return {("AL006", GRAF, t.line(GRAF, "description:", after="title: LearnerServiceAIInferenceLatencyHigh"))}


def m_grafana_threshold_disagrees(t: Tree):
    t.replace(GRAF, "- 0.05", "- 0.5", after="title: PaymentTransactionFailureRateHigh")
    return {("XF001", GRAF, t.line(GRAF, "- 0.5", after="title: PaymentTransactionFailureRateHigh"))}


def m_grafana_for_disagrees(t: Tree):
    t.replace(GRAF, "for: 5m", "for: 10m", after="title: AuthServiceP95LatencyHigh")
    return {("XF001", GRAF, t.line(GRAF, "for: 10m"))}


def m_grafana_metric_disagrees(t: Tree):
    t.replace(GRAF, "rate(ai_tokens_total[5m] offset 1h)", "rate(ai_inference_requests_total[5m] offset 1h)",
              after="title: InferenceCostSpikePlaceholder")
    return {("XF001", GRAF, t.line(GRAF, "expr:", after="title: InferenceCostSpikePlaceholder"))}


def m_severity_not_allowed(t: Tree):
    t.replace(PROM, "severity: info", "severity: page", after="alert: InferenceCostSpikePlaceholder")
    # Its promtool test still expects `severity: info`.
    return {("AL004", PROM, t.line(PROM, "severity: page")),
            ("UT010", UTEST, t.line(UTEST, "severity: info", after="alertname: InferenceCostSpikePlaceholder"))}


def m_runbook_missing(t: Tree):
    t.remove_block(PROM, "runbook_url: https://runbooks.example.edu/observability/AuthServiceP95LatencyHigh",
                   "- alert: UserServiceP95LatencyHigh")
    # Its promtool test still expects the annotation.
    return {("AL005", PROM, t.line(PROM, "annotations:", after="alert: AuthServiceP95LatencyHigh")),
            ("UT009", UTEST, t.line(UTEST, "runbook_url: https://runbooks.example.edu/observability/"
                                           "AuthServiceP95LatencyHigh"))}


def m_value_in_label(t: Tree):
    t.replace(PROM, "team: identity", 'team: identity\n          ratio: "{{ $value }}"', after="alert: UserService5xxErrorRateHigh")
    return {("AL007", PROM, t.line(PROM, "ratio:"))}


def m_grafana_values_unknown_ref(t: Tree):
    # (`$value | humanizePercentage` is right from Grafana 12 for a one-datasource rule: see AL008.)
    t.replace(GRAF, "{{ humanizePercentage $values.B.Value }}", "{{ humanizePercentage $values.Z.Value }}",
              after="title: UserService5xxErrorRateHigh")
    return {("AL008", GRAF, t.line(GRAF, "description:", after="title: UserService5xxErrorRateHigh"))}


def m_alert_metric_changed(t: Tree):
    t.replace(PROM, "min by (service) (iep_compliance_score_ratio{service=\"iep-svc\"}) < 0.85",
              "min by (service) (service_memory_bytes{service=\"iep-svc\"}) < 0.85")
    line = _expr_line(t, PROM, "IEPComplianceScoreLow")
    # Also no longer the Grafana twin's metric; the policy names the metric, so AL009 reports the
    # Prometheus side and XF001 stays quiet.
    return {("AL009", PROM, line)}


def m_alert_without_comparison(t: Tree):
    t.replace(PROM, "service:http_request_errors:ratio_rate5m{service=\"learner-svc\"} > 0.02",
              "sum by (service) (rate(http_requests_total{service=\"learner-svc\", status=~\"5..\"}[5m]))")
    line = _expr_line(t, PROM, "LearnerService5xxErrorRateHigh")
    # Always fires, and no longer compares with the policy's 2%.
    return {("AL001", PROM, line), ("AL002", PROM, line)}


def m_team_label_changed(t: Tree):
    t.replace(PROM, "team: payments", "team: billing", after="alert: PaymentTransactionFailureRateHigh")
    # Its promtool test still expects `team: payments`.
    return {("AL010", PROM, t.line(PROM, "team: billing")),
            ("UT010", UTEST, t.line(UTEST, "team: payments", after="alertname: PaymentTransactionFailureRateHigh"))}


def m_regex_on_static_string(t: Tree):
    t.replace(PROM, 'payment_transactions_total{status="failed"}', 'payment_transactions_total{status=~"failed"}')
    return {("PQ110", PROM, t.line(PROM, "expr:", after="record: service:payment_transactions_failed:ratio_rate5m"))}


def m_topk_in_alert(t: Tree):
    t.replace(PROM, "service:ai_token_cost_dollars_per_hour:rate5m\n            / (",
              "topk(3, service:ai_token_cost_dollars_per_hour:rate5m)\n            / (")
    return {("PQ112", PROM, _expr_line(t, PROM, "InferenceCostSpikePlaceholder"))}


def m_division_inside_sum(t: Tree):
    rel = f"{DASH}/finops-dashboard.json"
    old = ("sum by (service) (rate(infrastructure_cost_total[$__rate_interval])) / "
           "sum by (service) (rate(http_requests_total[$__rate_interval]))")
    new = ("sum by (service) (rate(infrastructure_cost_total[$__rate_interval]) / "
           "on (service) group_left sum by (service) (rate(http_requests_total[$__rate_interval])))")
    t.replace(rel, old, new)
    return {("PQ113", rel, t.line(rel, "group_left sum by"))}


def m_duplicate_panel_id(t: Tree):
    rel = f"{DASH}/iep-service.json"

    def change(d):
        d["panels"][-1]["id"] = d["panels"][-2]["id"]

    t.edit_json(rel, change)
    last = json.loads(t.text(rel))["panels"][-1]["title"]
    return {("DB006", rel, t.panel_line(rel, last, "id"))}


def m_overlapping_panels(t: Tree):
    rel = f"{DASH}/auth-service.json"

    def change(d):
        for p in d["panels"]:
            if p.get("title") == "Memory Usage":
                p["gridPos"]["x"] = 3

    t.edit_json(rel, change)
    return {("DB007", rel, t.panel_line(rel, "Memory Usage", "gridPos"))}


MUTATIONS = [v for k, v in sorted(globals().items()) if k.startswith("m_") and callable(v)]


@pytest.mark.parametrize("mutate", MUTATIONS, ids=[m.__name__[2:] for m in MUTATIONS])
def test_mutation_yields_exactly_the_expected_findings(copy, mutate):
    tree = Tree(copy)
    expected = mutate(tree)
    result = _lint(copy)
    got = {_key(f) for f in result.findings}
    detail = "\n".join(f"  {f.file}:{f.line}: {f.code} {f.message}" for f in result.findings)
    assert got == expected, f"expected {sorted(expected)}, got:\n{detail}"


def test_required_mutations_are_covered():
    """The defects the acceptance criteria name each have a mutation."""
    names = {m.__name__ for m in MUTATIONS}
    for required in ("m_unknown_metric", "m_threshold_2_to_5_percent", "m_for_removed", "m_duplicate_uid",
                     "m_le_dropped_in_recording_rule", "m_rate_on_gauge", "m_required_panel_removed",
                     "m_required_alert_removed", "m_label_aggregated_away", "m_grafana_threshold_disagrees"):
        assert required in names
