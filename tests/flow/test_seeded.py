"""Seeded defects: copies of real corpus files with one defect injected each. The check must
find it at the injected line, and must say nothing of the clean original."""
from __future__ import annotations

import shutil

import pytest

from tests.checks.helpers import found
from tests.conftest import CORPUS, lint_tree

NODE = "awesome-prometheus-alerts/dist/rules/host-and-hardware/node-exporter.yml"
ETCD = "monitoring-mixins/assets/etcd/alerts.yaml"
PODS = "dotdc-grafana-dashboards-kubernetes/dashboards/k8s-views-pods.json"

# (code, corpus file, text to replace, replacement, occurrence (1-based), lines from the
# replaced text's first line to the finding, policy)
SEEDS = [
    ("PQ120", NODE, "(node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < .10)",
     "(sum by (instance) (node_memory_MemAvailable_bytes) / on (job) sum by (job) (node_memory_MemTotal_bytes) < .1)",
     1, 0, None),
    ("PQ121", NODE, "(deriv(node_vmstat_pgmajfault[5m]) > 1000)", "(count(node_vmstat_pgmajfault) < 0)", 1, 0, None),
    ("PQ122", NODE, "rate(node_network_receive_bytes_total[5m])",
     "rate(sum by (instance) (node_network_receive_bytes_total)[5m:1m])", 1, 0, None),
    ("PQ123", NODE, "min_over_time(node_memory_MemFree_bytes[1w])",
     "min_over_time(node_memory_MemFree_bytes[1w] offset -1h)", 1, 0, None),
    ("PQ124", NODE, "node_memory_MemTotal_bytes * .8", "node-memory_MemTotal_bytes * .8", 1, 0, None),
    ("PQ125", NODE, "and node_network_speed_bytes > 0", "and node_network_receive_bytes_total > 0", 1, 0, None),
    ("PQ126", NODE, "deriv(node_vmstat_pgmajfault[5m])", "deriv({__name__=~\"node_vmstat_pgmajfault{job=\\\"x\\\"}\"}[5m])",
     1, 0, None),
    ("AL020", NODE, "(deriv(node_vmstat_pgmajfault[5m]) > 1000)", "absent(node_vmstat_pgmajfault)", 1, 1, None),
    ("RF020", ETCD, None, "- name: etcd-copy\n  rules:\n  - alert: etcdInsufficientMembers\n    expr: up == 0\n"
     "    labels:\n      severity: critical\n", 0, 2, None),
    ("RF021", ETCD, "for: 3m", "for: 0s", 1, 0, None),
    ("RF022", ETCD, "- name: etcd\n", "- name: etcd\n  interval: 30m\n", 1, 1, None),
    ("PL020", ETCD, "- alert: etcdInsufficientMembers", "- alert: etcd_insufficient_members", 1, 0,
     {"rules": {"naming": {"alert": "^[a-zA-Z]+$"}}}),
    ("PL021", ETCD, "severity: critical", "severity: urgent", 1, 0,
     {"rules": {"require-labels": {"severity": "^(info|warning|critical)$"}}}),
    ("DB040", PODS, 'pod=~\\"$pod\\"', 'pod=~\\"$podd\\"', 1, 0, None),
    ("DB041", PODS, '"templating": {\n    "list": [',
     '"templating": {\n    "list": [{"name": "leftover", "type": "custom", "query": "a,b"},', 1, 1, None),
    ("DB042", PODS, '"query": "label_values(kube_node_info,cluster)"',
     '"query": "label_values(kube_node_info{,}, cluster)"', 1, 0, None),
    ("DB043", PODS, '"unit": "bytes"', '"unit": "s"', 1, 0, None),
    ("DB044", PODS, '"uid": "${datasource}"', '"uid": "P1809F7CD0C75ACF3"', 3, 0, None),
    ("DB045", PODS, '"unit": "bytes"', '"unit": "short"', 1, 0, None),
    ("DB046", PODS, '"title": "Created by"', '"title": ""', 1, 0, None),
    ("DB047", PODS, '"editable": true', '"editable": false', 1, 0, {"dashboards": {"editable": True}}),
]


def _seed(text: str, old, new: str, nth: int) -> tuple[str, int]:
    """The text with the nth occurrence of `old` replaced (or `new` appended), and the line the
    change starts on."""
    if old is None:
        body = text if text.endswith("\n") else text + "\n"
        return body + new, body.count("\n") + 1
    at = -1
    for _ in range(nth):
        at = text.index(old, at + 1)
    return text[:at] + new + text[at + len(old):], text.count("\n", 0, at) + 1


@pytest.mark.parametrize("code, rel, old, new, nth, down, policy", SEEDS, ids=[s[0] for s in SEEDS])
def test_seeded_defect_is_found_where_it_was_put(tmp_path, code, rel, old, new, nth, down, policy):
    src = CORPUS / rel
    if not src.is_file():
        pytest.skip("../shared/corpus is not present")
    clean, seeded = tmp_path / "clean", tmp_path / "seeded"
    for d in (clean, seeded):
        (d / rel).parent.mkdir(parents=True)
    shutil.copyfile(src, clean / rel)
    text = src.read_text(encoding="utf-8")
    mutated, line = _seed(text, old, new, nth)
    assert not found(lint_tree(clean, policy), code), f"the clean {rel} has {code} findings"
    (seeded / rel).write_text(mutated, encoding="utf-8")
    got = found(lint_tree(seeded, policy), code)
    assert [(f.file, f.line) for f in got] == [(rel, line + down)], [f.message for f in got]
