"""Property: on generated rule files and dashboards (random defects among the fixable ones,
random formatting: JSON indentation and escapes, every YAML scalar style, comments),
fixing never leaves a file unparseable, changes nothing but what the fixes own, and
fixing a second time changes nothing."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import lint_tree

MATCHERS = ['job="api"', 'job=~"api"', 'job=~"^api-.*$"', 'job=~"^api$"', 'env!~"prod"', 'job=~"a|b"',
            'instance=~"^host-[0-9]+"', 'job=~"$job"']
RATE_WINDOWS = ["5m", "$__interval", "${__interval}", "$__rate_interval"]


@st.composite
def exprs(draw, grafana: bool):
    matcher = draw(st.sampled_from(MATCHERS))
    other = draw(st.sampled_from(MATCHERS))
    window = draw(st.sampled_from(RATE_WINDOWS if grafana else ["5m", "1m"]))
    shape = draw(st.sampled_from(["sum by (job) (rate(http_requests_total{%s, %s}[%s]))",
                                  "rate(x_total{%s}[%s]) > 0 and up{%s}",
                                  "up{%s} == 0 or absent(up{%s})"]))
    n = shape.count("%s")
    args = {3: (matcher, other, window), 2: (matcher, other)}[n] if shape.count("[%s]") or n == 2 else None
    if shape.startswith("rate("):
        args = (matcher, window, other)
    return shape % args


def yaml_scalar(draw, key_indent: str, value: str) -> str:
    style = draw(st.sampled_from(["plain", "single", "double", "literal", "folded"]))
    if style == "plain" and ": " not in value and " #" not in value and not value.startswith(("{", "'", '"')):
        return f" {value}"
    if style == "single":
        return " '" + value.replace("'", "''") + "'"
    if style == "double":
        return " " + json.dumps(value)
    if style == "literal":
        return " |\n" + "".join(f"{key_indent}  {line}\n" for line in _wrap(value)).rstrip("\n")
    if style == "folded":
        return " >\n" + "".join(f"{key_indent}  {line}\n" for line in _wrap(value)).rstrip("\n")
    return " " + json.dumps(value)


def _wrap(value: str) -> list[str]:
    words = value.split(" ")
    half = max(1, len(words) // 2)
    return [" ".join(words[:half]), " ".join(words[half:])] if len(words) > 1 else [value]


@st.composite
def rule_files(draw):
    lines = ["groups:"]
    for g in range(draw(st.integers(1, 2))):
        lines += [f"  - name: group-{g}", "    rules:"]
        for r in range(draw(st.integers(1, 3))):
            if draw(st.booleans()):
                lines.append("      # a comment that must stay")
            alert = draw(st.booleans())
            lines.append(f"      - alert: Alert{g}x{r}" if alert else f"      - record: job:rec{g}x{r}:rate5m")
            lines.append("        expr:" + yaml_scalar(draw, "        ", draw(exprs(False))))
            if alert and draw(st.booleans()):
                lines.append("        for: 5m")
            key = draw(st.sampled_from(["labels", "label", "annotations", "annotation", None]))
            if key and (alert or key.startswith("label")):
                lines += [f"        {key}:", "          team: 'api'  # owner"]
    return "\n".join(lines) + "\n"


@st.composite
def dashboards(draw):
    title = draw(st.sampled_from(["API", "Payments é", "Über / Ops", "x" * 50]))
    dash: dict = {"title": title}
    uid = draw(st.sampled_from([None, "", "api overview/prod", "api-ok"]))
    if uid is not None:
        dash["uid"] = uid
    dash["schemaVersion"] = draw(st.sampled_from([39, "39"]))
    panels = []
    for i in range(draw(st.integers(1, 3))):
        pid = draw(st.sampled_from([1, 2, i + 1]))
        panels.append({"id": pid, "type": "timeseries", "title": f"P{i} \"q\"",
                       "gridPos": {"x": 0, "y": 8 * i, "w": 24, "h": 8},
                       "targets": [{"refId": "A", "expr": draw(exprs(True))}]})
    dash["panels"] = panels
    if draw(st.booleans()):
        dash = {"dashboard": dash, "overwrite": True}
    indent = draw(st.sampled_from([None, 2, 4]))
    return json.dumps(dash, indent=indent, ensure_ascii=draw(st.booleans())) + draw(st.sampled_from(["", "\n"]))


@st.composite
def configmaps(draw):
    """A dashboard held as JSON in a ConfigMap: a literal block or a single-quoted scalar."""
    text = draw(dashboards())
    if "dashboard" in json.loads(text):  # (DB020 is fixed in dashboard files, not inside strings)
        text = json.dumps(json.loads(text)["dashboard"], indent=2)
    head = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dash  # comment\n  labels: {grafana_dashboard: '1'}\ndata:\n"
    if draw(st.booleans()) and "\n" in text.strip():
        body = "".join(f"    {line}\n" if line else "\n" for line in text.rstrip("\n").split("\n"))
        return head + "  api.json: |\n" + body
    return head + "  api.json: '" + json.dumps(json.loads(text)).replace("'", "''") + "'\n"


def _parse(name: str, text: str):
    return json.loads(text) if name.endswith(".json") else list(yaml.safe_load_all(text))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=rule_files(), dashboard=dashboards(), configmap=configmaps())
def test_fixing_is_idempotent_and_keeps_files_parseable(rules, dashboard, configmap):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = {"rules.yaml": rules, "dashboard.json": dashboard, "cm.yaml": configmap}
        for name, text in files.items():
            (root / name).write_text(text, encoding="utf-8")
        first = lint_tree(root, fix="unsafe")
        for name, old in files.items():
            new = (root / name).read_text(encoding="utf-8")
            parsed = _parse(name, new)  # never unparseable
            if name == "cm.yaml":
                json.loads(parsed[0]["data"]["api.json"])  # nor the JSON inside it
            if new == old:
                continue
            assert any(str(ff.display).endswith(name) for ff in first.fixes.files)
        second = lint_tree(root, fix="unsafe")
        assert not second.fixes.files, [(str(f.display), f.new) for f in second.fixes.files]
        assert [p for p in files if (root / p).read_text(encoding="utf-8") != files[p]] == [
            p for p in files if any(str(ff.display).endswith(p) for ff in first.fixes.files)]
