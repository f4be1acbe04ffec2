"""A Helm chart's values.yaml can have `route:` (an OpenShift route) and `global:` among dozens of
the chart's own keys: it is not an Alertmanager configuration, and none of its keys are errors.
A configuration with a typo in a top-level key still is one."""
from __future__ import annotations

from tests.checks.helpers import found

VALUES = """\
global:
  imageRegistry: ""
replicaCount: 1
image: {repository: quay.io/prometheus/alertmanager, tag: ""}
nameOverride: ""
fullnameOverride: ""
service: {type: ClusterIP, port: 9093}
ingress: {enabled: false}
route:
  main:
    enabled: false
    hostnames: []
resources: {}
nodeSelector: {}
"""


def test_helm_values_with_route_are_not_an_alertmanager_config(lint_files):
    r = lint_files({"charts/alertmanager/values.yaml": VALUES})
    assert not [f for f in r.findings if f.code.startswith("AM")]
    assert "charts/alertmanager/values.yaml" in r.skipped


def test_a_config_with_a_misspelt_key_is_still_checked(lint_files):
    r = lint_files({"alertmanager.yml": "route: {receiver: team}\nreceivers: [{name: team}]\ninhibit_rule: []\n"})
    [f] = found(r, "AM001")
    assert "inhibit_rule" in f.message and str(f.severity) == "error"
