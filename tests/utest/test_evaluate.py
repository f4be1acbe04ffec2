"""The evaluator behind gen-tests computes what promtool computes: its values, written as
`promql_expr_test` expectations, pass the real `promtool test rules`; the template renderer
prints numbers as Go does."""
from __future__ import annotations

import subprocess

import pytest

from obslint.testfiles import evaluate as ev
from obslint.testfiles.render import CannotRender, go_float, render
from tests.conftest import need_binary

SERIES = [  # (labels, values text, values)
    ({"__name__": "req_total", "job": "a", "code": "200"}, "0+7x30", [7.0 * i for i in range(31)]),
    ({"__name__": "req_total", "job": "a", "code": "500"}, "0+0.3x30", None),
    ({"__name__": "temp", "job": "a"}, "3x30", [3.0] * 31),
    ({"__name__": "lat_bucket", "job": "a", "le": "0.5"}, "0+1x30", [1.0 * i for i in range(31)]),
    ({"__name__": "lat_bucket", "job": "a", "le": "1"}, "0+3x30", [3.0 * i for i in range(31)]),
    ({"__name__": "lat_bucket", "job": "a", "le": "+Inf"}, "0+4x30", [4.0 * i for i in range(31)]),
]
EXPRS = [
    'sum by (job) (rate(req_total{code="500"}[5m])) / sum by (job) (rate(req_total[5m]))',
    "increase(req_total[10m])",
    "irate(req_total[5m]) * 100",
    "avg_over_time(temp[5m]) - 1",
    "max by (job) (delta(temp[15m]))",
    "histogram_quantile(0.9, sum by (le) (rate(lat_bucket[5m])))",
    'rate(req_total{code="500"}[5m]) / on(job) group_left rate(req_total{code="200"}[5m])',
    "sum(req_total) > 30 and on() vector(1)",
]


def _store():
    store = ev.Store(60.0)
    for labels, _text, values in SERIES:
        if values is None:
            values, v = [0.0], 0.0
            for _ in range(30):
                v += 0.3
                values.append(v)
        store.add(labels, values)
    return store


@pytest.mark.parametrize("t", [300.0, 900.0])
def test_values_match_promtool(tmp_path, t):
    e = ev.Evaluator(_store(), {}, 60.0)
    lines = ["rule_files: []", "tests:", "  - interval: 1m", "    input_series:"]
    for labels, text, _v in SERIES:
        name = labels["__name__"]
        rest = ", ".join(f'{k}="{v}"' for k, v in labels.items() if k != "__name__")
        lines += [f"      - series: '{name}{{{rest}}}'", f"        values: '{text}'"]
    lines.append("    promql_expr_test:")
    for expr in EXPRS:
        result = e.vector(ev.parse(expr), t)
        assert result, expr
        lines += [f"      - expr: '{expr}'", f"        eval_time: {int(t)}s", "        exp_samples:"]
        for labels, value in result:
            inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
            lines += [f"          - labels: '{{{inner}}}'", f"            value: {go_float(value)}"]
    (tmp_path / "t.yml").write_text("\n".join(lines) + "\n")
    out = subprocess.run([need_binary("promtool"), "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_unsupported_parts_are_refused():
    e = ev.Evaluator(_store(), {}, 60.0)
    for expr in ("max_over_time(temp[5m:1m])", "predict_linear(temp[5m], 60)", "temp @ 100"):
        with pytest.raises(ev.Unsupported):
            e.vector(ev.parse(expr), 300.0)


def test_go_float_formatting():
    assert [go_float(x) for x in (0.03, 1e6, 123456.0, 1.5e-5, 0.0001, 2.0, float("inf"), 1e21, 1e20)] == [
        "0.03", "1e+06", "123456", "1.5e-05", "0.0001", "2", "+Inf", "1e+21", "1e+20"]


def test_render_subset():
    labels = {"__name__": "up", "instance": "a:80", "job": "api"}
    assert render("{{ $labels.instance }} is {{ $value | humanizePercentage }}", labels, 0.0312) == "a:80 is 3.12%"
    assert render("{{ $value | humanize }} {{ $value | humanizeDuration }}", labels, 1234.5) == "1.234k 20m 34s"
    assert render('{{ printf "%.2f" $value }} {{ $labels.missing }}|', labels, 2.0 / 3) == "0.67 |"
    assert render("LABELS = {{ $labels }}", {"b": "2", "a": "1"}, 0) == "LABELS = map[a:1 b:2]"
    with pytest.raises(CannotRender):
        render('{{ if gt $value 1.0 }}high{{ end }}', labels, 2)
    with pytest.raises(CannotRender):
        render('{{ query "up" | first | value }}', labels, 2)
