"""Files that are not obslint's (a tsconfig.json, a CNI config, a Kubernetes Secret): a syntax
error in one is info, and its duplicate keys are not reported, since nothing obslint lints reads
the file. A broken file that has a dashboard's or rule file's keys stays an error."""
from __future__ import annotations

import pytest

from tests.checks.helpers import found

FOREIGN = [
    ("tsconfig.json", '{\n  "compilerOptions": {\n    // comments are fine for tsc\n    "strict": true\n  }\n}\n'),
    ("cni.json", '{\n  "name": "k8s-pod-network",\n  "plugins": [{"type": "calico", "mtu": __CNI_MTU__}]\n}\n'),
    ("_ping.json", "OK"),
    ("gardenlet.yaml", "apiVersion: v1\nkind: Gardenlet\nconfig:\n  <See the other file>\n  x: 1\n"),
]
OURS = [
    ("dashboard.json", '{"title": "API", "panels": [,]}'),
    ("rules.yaml", "groups:\n  - name: a\n    rules: [\n"),
    ("alertmanager.yml", "route:\n  receiver: x\n receivers: []\n"),
    ("resource.yaml", "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec: {groups: [}\n"),
    ("grafana-dashboard.yaml", "kind: GrafanaDashboard\nspec:\n  json: >\n   {\n  x: [\n"),
]


@pytest.mark.parametrize(("name", "text"), FOREIGN)
def test_a_broken_file_of_another_tool_is_info(lint_files, name, text):
    r = lint_files({name: text})
    [f] = found(r, "IN003")
    assert str(f.severity) == "info" and "another tool's file" in f.message


@pytest.mark.parametrize(("name", "text"), OURS)
def test_a_broken_file_with_keys_of_ours_is_an_error(lint_files, name, text):
    r = lint_files({name: text})
    [f] = found(r, "IN003")
    assert str(f.severity) == "error" and "another tool" not in f.message


def test_duplicate_keys_count_only_in_files_obslint_lints(lint_files):
    secret = "apiVersion: v1\nkind: Secret\ndata:\n  auth_type: none\n  auth_type: basic\n"
    rule_file = "groups:\n  - name: a\n    name: b\n    rules: []\n"
    r = lint_files({"secret.yaml": secret, "rules.yaml": rule_file})
    assert [(f.file, f.line) for f in found(r, "IN004")] == [("rules.yaml", 3)]
    assert "secret.yaml" in r.skipped


OTHER_GROUPS = [
    ("realm.json", '{"realm": "kafka", "groups": [{"name": "admins", "path": "/admins", "subGroups": []}]}'),
    ("scc.yaml", "kind: SecurityContextConstraints\napiVersion: security.openshift.io/v1\ngroups: [system:authenticated]\n"),
    ("_data/rules.yml", "groups:\n  - name: Basic resource monitoring\n    services:\n      - name: Prometheus\n"),
    ("catalog.yaml", "metadata: {id: x}\ngroups:\n  - id: ccc.ac\n    title: Access control\n"),
    # grafana/k8s-monitoring-helm renders an SCC with an empty `groups`; Kyverno's CLI files have `policies`
    ("scc-empty.yaml", "apiVersion: security.openshift.io/v1\nkind: SecurityContextConstraints\ngroups: []\n"
                       "allowHostPorts: false\n"),
    ("kyverno-test.yaml", "apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: t}\n"
                          "policies: [policy.yaml]\nresources: [resource.yaml]\n"),
    ("values.yaml", "apiVersion: cli.kyverno.io/v1alpha1\nkind: Values\npolicies:\n  - name: p\n"
                    "    rules: [{name: r, values: {x: 1}}]\n"),
]
RULE_FILES = [
    ("empty.yaml", "groups: []\n"),
    ("no-rules-yet.yaml", "groups:\n  - name: api\n    interval: 1m\n"),
    ("typo.yaml", "groups:\n  - name: api\n    rules: []\n  - name: db\n    rulez: []\n"),
]


@pytest.mark.parametrize(("name", "text"), OTHER_GROUPS)
def test_a_groups_list_of_another_format_is_no_rule_file(lint_files, name, text):
    r = lint_files({name: text})
    assert not r.findings and r.skipped == [name]


@pytest.mark.parametrize(("name", "text"), RULE_FILES)
def test_rule_files_are_still_rule_files(lint_files, name, text):
    r = lint_files({name: text})
    assert not r.skipped
    assert bool(found(r, "RF001")) == (name == "typo.yaml")
