"""OBSLINT_NO_FAST_PATHS=1 turns every fast path off; the exact paths must then give the same
findings, field by field (only slower)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DASHBOARD = {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
    {"id": 1, "type": "timeseries", "title": "Errors", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
     "targets": [{"refId": "A", "expr": 'sum by (job) (rate(http_requests_total{job=~"$job", code=~"5.."}[$__rate_interval]))'},
                 {"refId": "B", "expr": 'sum(rate(http_requests_total{job=~"api"}[5m])) / sum(http_requests_total)'},
                 {"refId": "C", "expr": 'histogram_quantile(0.9, sum by (job) (rate(x_bucket{job=~"$job"}[5m])))'}]},
    {"id": 2, "type": "timeseries", "title": "Errors", "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8},
     "targets": [{"refId": "A", "expr": 'sum by (job) (rate(http_requests_total{job=~"$job", code=~"5.."}[$__rate_interval]))'}]},
]}
RULES = """\
groups:
  - name: api
    rules:
      - alert: ApiDown
        expr: absent(up{job=~"api|web"})
        annotations: {summary: "{{ $labels.instance }} down"}
      - alert: ApiErrors
        expr: sum(rate(http_requests_total{code=~"5.."}[5m])) by (job)
        labels: {severity: page}
"""


def _findings(paths, env_extra: dict) -> list:
    env = {k: v for k, v in os.environ.items() if k != "OBSLINT_NO_FAST_PATHS"}
    env.update({"PYTHONPATH": str(ROOT), **env_extra})
    proc = subprocess.run([sys.executable, "-m", "obslint", *map(str, paths), "--no-config", "--format", "json",
                           "--exit-zero"], capture_output=True, text=True, env=env, check=True)
    return json.loads(proc.stdout)["findings"]


def test_the_exact_paths_give_the_same_findings(tmp_path):
    (tmp_path / "dash.json").write_text(json.dumps(DASHBOARD, indent=2))
    (tmp_path / "rules.yml").write_text(RULES)
    paths = [tmp_path, ROOT / "infra" / "grafana"]
    fast = _findings(paths, {})
    exact = _findings(paths, {"OBSLINT_NO_FAST_PATHS": "1"})
    assert fast == exact
    assert {f["code"] for f in fast} >= {"AL001", "AL006"}  # the fixture exercises the alert checks
