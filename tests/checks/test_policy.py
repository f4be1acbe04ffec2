"""The policy: units, the catalog sources (policy, exposition text from files and URLs,
recording rules), schema errors, and findings located in the policy file."""
from __future__ import annotations

import http.server
import importlib.util
import sys
import threading
from pathlib import Path

import pytest
import yaml

from obslint import metriccatalog, thresholds
from tests.checks.helpers import alert, dashboard, found, panel, record, rules
from tests.conftest import INFRA, REPO, lint_tree, write_tree

EXPOSITION = """\
# HELP http_requests_total Requests handled.
# TYPE http_requests_total counter
http_requests_total{service="a",status="200"} 3
# HELP latency_seconds Latency.
# TYPE latency_seconds histogram
latency_seconds_bucket{service="a",le="0.1"} 1
latency_seconds_bucket{service="a",le="+Inf"} 1
latency_seconds_sum{service="a"} 0.05
latency_seconds_count{service="a"} 1
# TYPE pool_size gauge
pool_size{service="a"} 10
# TYPE rpc_seconds summary
rpc_seconds{quantile="0.5"} 0.1
rpc_seconds_sum 1
rpc_seconds_count 10
"""


@pytest.mark.parametrize("text,value", [("2%", 0.02), ("1000ms", 1.0), ("1s", 1.0), ("5 s", 5.0), ("0.85", 0.85),
                                        (3, 3.0), (0.5, 0.5), ("85%", 0.85), ("2m", 120.0), ("512MiB", 512 * 2 ** 20),
                                        ("1KB", 1000.0), ("2x", 2.0), ("1.5e3ms", 1.5), ("-1", -1.0)])
def test_parse_threshold(text, value):
    assert thresholds.parse_threshold(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["2 %%", "abc", True, None, "5M", "1 parsec", ""])
def test_parse_threshold_rejects(text):
    with pytest.raises(ValueError):
        thresholds.parse_threshold(text)


def _families(parsed):
    return {i.name: (i.type, i.labels) for i, _s in parsed}


def test_exposition_parsers_agree(monkeypatch):
    with_client = _families(metriccatalog.parse_exposition(EXPOSITION, "x"))
    import builtins

    real_import = builtins.__import__

    def no_client(name, *a, **kw):
        if name.startswith("prometheus_client"):
            raise ImportError(name)
        return real_import(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_client)
    small = _families(metriccatalog.parse_exposition(EXPOSITION, "x"))
    assert with_client == small == {
        "http_requests_total": ("counter", frozenset({"service", "status"})),
        "latency_seconds": ("histogram", frozenset({"service"})),
        "pool_size": ("gauge", frozenset({"service"})),
        "rpc_seconds": ("summary", frozenset()),
    }


def test_catalog_roles():
    cat = metriccatalog.Catalog()
    for info, samples in metriccatalog.parse_exposition(EXPOSITION):
        cat.add(info, samples)
    assert cat.lookup("http_requests_total").is_counter
    assert cat.lookup("latency_seconds_bucket").role == "bucket"
    assert cat.lookup("latency_seconds_count").is_counter
    assert cat.lookup("latency_seconds").role == "native-histogram"
    assert cat.lookup("pool_size").is_gauge
    assert cat.lookup("rpc_seconds").role == "quantile"
    assert cat.lookup("up").is_gauge and cat.lookup("nope") is None
    assert cat.labels("latency_seconds_bucket") >= {"le", "service", "job", "instance"}
    assert "le" not in cat.labels("latency_seconds_sum")
    assert cat.suggest("latency_second_bucket") == "latency_seconds_bucket"


def test_metrics_from_file_relative_to_the_policy(tmp_path, cli):
    write_tree(tmp_path, {
        "obslint.yaml": "metrics-from: [metrics/sample.prom]\n",
        "metrics/sample.prom": EXPOSITION,
        "alerting/r.yaml": rules(record("a:b:c", "sum(rate(http_request_total[5m]))"),
                              record("a:b:d", "sum(rate(pool_size[5m]))")),
    })
    res = cli("alerting", "-q", cwd=tmp_path)
    assert res.code == 1
    assert "PL001 metric `http_request_total` is not in the metric catalog; did you mean `http_requests_total`?" in res.out
    assert "PL003 `rate` on `pool_size`, which is a gauge" in res.out


def test_metrics_from_command_line_url(tmp_path, cli):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = EXPOSITION.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        write_tree(tmp_path, {"r.yaml": rules(record("a:b:c", "sum(rate(latency_seconds_count[5m]))"),
                                             record("a:b:d", "sum(rate(latency_second_count[5m]))"))})
        url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
        res = cli("r.yaml", "-q", "--no-config", "--metrics-from", url, cwd=tmp_path)
    finally:
        server.shutdown()
    assert res.code == 1
    assert "did you mean `latency_seconds_count`?" in res.out
    assert res.out.count("PL001") == 1


def test_metrics_from_missing_file_is_a_config_error(tmp_path, cli):
    write_tree(tmp_path, {"r.yaml": rules(record("a:b:c", "up"))})
    res = cli("r.yaml", "--no-config", "--metrics-from", "nope.prom", cwd=tmp_path)
    assert res.code == 2
    assert "metrics-from: no such file: nope.prom" in res.err
    res = cli("r.yaml", "--no-config", "--metrics-from", "http://127.0.0.1:9/metrics", cwd=tmp_path)
    assert res.code == 2 and "cannot fetch" in res.err


@pytest.mark.parametrize("policy,message", [
    ("metrics: [{name: x, type: countr}]", "`metrics[0].type`"),
    ("alerts:\n  required: [{name: A, threshold: '2 %%'}]", "`alerts.required[0].threshold`"),
    ("alerts:\n  required: [{name: A, for: 5 minutes}]", "`alerts.required[0].for`"),
    ("dashboards:\n  required: [{uid: a, panels: [{titel: x}]}]", "unknown key `titel`"),
    ("dashboards:\n  required: [{title: x}]", "missing the required key `uid`"),
    ("metrics: {x: {typ: gauge}}", "unknown key `typ`"),
])
def test_bad_policy_is_one_clear_error(tmp_path, cli, policy, message):
    write_tree(tmp_path, {"obslint.yaml": policy + "\n", "r.yaml": rules(record("a:b:c", "up"))})
    res = cli("r.yaml", cwd=tmp_path)
    assert res.code == 2, res.out
    assert message in res.err and res.err.count("\n") == 1


def test_bad_uid_pattern_is_a_config_error(tmp_path, cli):
    write_tree(tmp_path, {"obslint.yaml": "dashboards:\n  uid-pattern: '(unclosed'\n", "d.json": dashboard()})
    res = cli("d.json", cwd=tmp_path)
    assert res.code == 2
    assert "`dashboards.uid-pattern` is not a valid regular expression" in res.err


def test_policy_findings_point_into_the_policy_file(tmp_path, cli):
    write_tree(tmp_path, {"obslint.yaml": "dashboards:\n  required:\n    - uid: api\n    - uid: missing\n",
                          "d.json": dashboard(uid="api")})
    res = cli("d.json", "-q", cwd=tmp_path)
    assert res.code == 1
    assert "obslint.yaml:4:12: error PL010 required dashboard `missing` is not in the linted files" in res.out


def test_policy_in_pyproject(tmp_path, cli):
    write_tree(tmp_path, {"pyproject.toml": '[project]\nname = "x"\n\n[tool.obslint.dashboards]\n'
                                            'required = [{uid = "api"}, {uid = "gone"}]\n',
                          "d.json": dashboard(uid="api")})
    res = cli("d.json", "-q", cwd=tmp_path)
    assert res.code == 1
    assert "pyproject.toml:5:" in res.out and "PL010 required dashboard `gone`" in res.out


def test_units_in_policy_thresholds(lint_files):
    cfg = {"alerts": {"required": [{"name": "Latency", "comparison": ">", "threshold": "1000ms"},
                                   {"name": "Errors", "comparison": ">", "threshold": "2%"},
                                   {"name": "Score", "comparison": "<", "threshold": "85%"}]}}
    r = lint_files({"r.yaml": rules(alert("Latency", "job:latency_seconds:p95 > 1"),
                                    alert("Errors", "job:errors:ratio > 0.02"),
                                    alert("Score", "0.85 > job:score"))}, config=cfg)
    assert not found(r, "AL002")


def _mock_server_module():
    path = INFRA / "grafana" / "mock-health-server.py"
    if not path.is_file():
        pytest.skip("infra/grafana/mock-health-server.py is not there")
    pytest.importorskip("prometheus_client")
    spec = importlib.util.spec_from_file_location("mock_health_server_for_obslint", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_infra_policy_catalog_matches_the_mock_services():
    """The stack's catalog (infra/obslint.yaml) is what the mock services expose: same names,
    types and labels."""
    from prometheus_client import generate_latest

    mod = _mock_server_module()
    text = generate_latest(mod.Metrics().registry).decode()
    exposed = {i.name: (i.type, i.labels) for i, _s in metriccatalog.parse_exposition(text)}
    policy = yaml.safe_load((INFRA / "obslint.yaml").read_text())
    declared = {m["name"]: (m["type"], frozenset(m["labels"])) for m in policy["metrics"]}
    assert exposed == declared


def test_infra_passes_with_the_catalog_read_from_the_mock_services(tmp_path):
    """`metrics-from` exposition text instead of `metrics:` gives the same verdict on infra/."""
    from prometheus_client import generate_latest

    mod = _mock_server_module()
    (tmp_path / "metrics.prom").write_text(generate_latest(mod.Metrics().registry).decode())
    policy = yaml.safe_load((INFRA / "obslint.yaml").read_text())
    del policy["metrics"]
    policy["metrics-from"] = [str(tmp_path / "metrics.prom")]
    result = lint_tree(INFRA, policy)
    assert [(f.code, f.file, f.line, f.message) for f in result.findings] == []


def test_infra_passes_from_the_command_line(cli):
    res = cli("infra/", "-q", cwd=REPO)
    assert res.code == 0, res.out + res.err
    assert res.out.strip() == ""
