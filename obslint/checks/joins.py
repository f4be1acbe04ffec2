"""Vector matches that can never pair a series: one side provably lacks a label the match needs."""
from __future__ import annotations


from obslint import labelflow, promql
from obslint.findings import Severity
from obslint.registry import Rule

NAME = labelflow.NAME


def unmatchable(m):
    """(label, side lacking it, side having it) when the match `m` (a `labelflow.Match`)
    needs a label only one side can carry; None when a pairing is possible or unknown."""
    if m.op == "or":
        return None
    sides = (("left", m.left), ("right", m.right))
    if m.on:
        for label in m.labels:
            if label == NAME:
                continue
            have = [s for s in sides if s[1].may_have(label)]
            if len(have) == 1:
                lacking = next(s for s in sides if s is not have[0])
                return label, lacking[0], have[0][0]
        return None
    ignored = set(m.labels)
    ignored.add(NAME)
    for (name, flow), (other_name, other) in (sides, sides[::-1]):
        # A label this side may carry (closed set) or surely carries (open set) that the other
        # side provably cannot: those series never find a partner.
        candidates = flow.only if flow.only is not None else flow.sure
        if other.only is None and flow.only is not None:
            continue  # the other side may carry anything: nothing provable
        for label in sorted(candidates - ignored):
            if not other.may_have(label):
                return label, other_name, name
    return None


def _describe_match(m) -> str:
    if m.on is None:
        return "the default matching (all labels but `__name__`)"
    return f"`{'on' if m.on else 'ignoring'} ({', '.join(m.labels)})`"


class ImpossibleJoin(Rule):
    """A binary operation between two vectors pairs series whose matching labels are equal.
    When one side provably cannot carry a label the match needs (an aggregation kept only
    other labels, a recording rule never produces it) while the other side has it, no pair is
    ever found: `a / b` and `a and b` return nothing, `a unless b` never removes anything.
    Labels of raw metrics are unknown offline, so only what the expression (and the recording
    rules of the linted files) prove is reported.

    ## Bad (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRatioHigh
            expr: |
              sum by (service) (rate(http_requests_total{code=~"5.."}[5m]))
                / on (instance) sum by (instance) (rate(http_requests_total[5m])) > 0.05
            for: 5m
    ```

    ## Good (`rules.yaml`)
    ```yaml
    groups:
      - name: api
        rules:
          - alert: ApiErrorRatioHigh
            expr: |
              sum by (service) (rate(http_requests_total{code=~"5.."}[5m]))
                / on (service) sum by (service) (rate(http_requests_total[5m])) > 0.05
            for: 5m
    ```
    """

    code, name, severity = "PQ120", "impossible-join", Severity.WARNING
    summary = "vector match needs a label one side can never carry: the result is always empty"

    def check_query(self, query, ctx):
        parsed = promql.parse(query.expr)
        # Two vectors to match need two selectors (facts known without a syntax tree).
        if parsed.error or not parsed.operators or len(parsed.selectors) < 2 or not labelflow.may_close(parsed, ctx) \
                or labelflow.surely_joins(parsed, ctx):
            return None  # (a plain function: most queries leave here; the search below yields)
        return self._impossible(query, ctx)

    def _impossible(self, query, ctx):
        for m in labelflow.analyzer(ctx).matches(query.expr, labelflow.home(query.doc)):
            found = unmatchable(m)
            if found is None:
                continue
            label, lacking, having = found
            flows = {"left": m.left, "right": m.right}
            effect = {"unless": "`unless` never removes anything on their account",
                      "and": "`and` drops them"}.get(m.op, "the operation returns nothing for them")
            yield self.finding(
                query.doc, query.path,
                f"`{m.op}` matches with {_describe_match(m)}, but its {lacking}-hand side can never carry "
                f"`{label}` (it has {flows[lacking].describe()}) while the {having}-hand side can: {having}-hand "
                f"series with `{label}` set never find a partner, so {effect}",
                fix=f"keep `{label}` on the {lacking}-hand side (`by (..., {label})`), or match `on (...)` "
                    f"labels both sides carry", scope=query.scope, label=label,
                left_labels=m.left.describe(), right_labels=m.right.describe())
            return
