"""A dashboard JSON file that a jsonnet file imports is an input of a mixin's build (grafana/loki's
loki-mixin adds every variable in jsonnet): its undefined variables are info, with the importer
named; without an importer near it they stay errors."""
from __future__ import annotations

import pytest

from tests.checks.helpers import dashboard, found, panel

RAW = dashboard(panels=[panel(1, "Requests", 'sum(rate(http_requests_total{cluster="$cluster"}[5m]))',
                              datasource={"type": "prometheus", "uid": "$datasource"})])


@pytest.mark.parametrize("importer_at,text", [
    ("dashboards/api.libsonnet", "local raw = (import './api.json');\nraw { templating+: {} }\n"),
    ("dashboards/api.libsonnet", "local raw = import \"api.json\";\nraw\n"),
    ("mixin.libsonnet", "{ grafanaDashboards+:: { 'api.json': (import 'dashboards/api.json') } }\n"),
    ("dash.jsonnet", "std.parseJson(importstr 'dashboards/api.json')\n"),
])
def test_undefined_variables_of_an_imported_file_are_info(lint_files, importer_at, text):
    r = lint_files({"dashboards/api.json": RAW, importer_at: text})
    fs = found(r, "DB040")
    assert len(fs) == 2 and all(f.severity.name == "INFO" for f in fs)
    name = importer_at.rsplit("/", 1)[-1]
    assert all(name in f.message and "imports this file" in f.message for f in fs)


@pytest.mark.parametrize("importer_at,text", [
    ("dashboards/other.libsonnet", "local raw = (import './other.json');\n"),  # another file
    ("dashboards/api.libsonnet", "// a note: import './api.json' is how this used to work\n{}\n"),  # mentioned, not imported
    ("a/b/c/deep.libsonnet", "(import '../../../dashboards/api.json')\n"),  # not near the dashboard
    ("build/dash.jsonnet", "(import '../dashboards/api.json')\n"),  # a sibling directory is not looked in
    ("dashboards/api.txt", "(import './api.json')\n"),  # not jsonnet
])
def test_without_an_importer_near_them_they_stay_errors(lint_files, importer_at, text):
    r = lint_files({"dashboards/api.json": RAW, importer_at: text})
    fs = found(r, "DB040")
    assert len(fs) == 2 and {f.severity.name for f in fs} == {"ERROR"}, [(f.severity, f.message) for f in fs]


MIXIN_INPUT = dashboard(uid="jenkins", title="Jenkins", panels=[])
RENDERED = dashboard(uid="jenkins", title="Jenkins (rendered)", panels=[])  # not identical: DB004 skips exact copies


@pytest.mark.parametrize("files,reported", [
    # a mixin's input beside its rendered copy below it: only the copy is provisioned
    ({"mixin/dashboard.json": MIXIN_INPUT, "mixin/dashboards_out/jenkins.json": RENDERED,
      "mixin/mixin.libsonnet": "{ grafanaDashboards+:: { 'jenkins.json': (import 'dashboard.json') } }\n"}, set()),
    # the same files without the importer: one provider reads both, Grafana refuses one
    ({"mixin/dashboard.json": MIXIN_INPUT, "mixin/dashboards_out/jenkins.json": RENDERED},
     {"mixin/dashboard.json", "mixin/dashboards_out/jenkins.json"}),
    # an importer of another file does not excuse this one
    ({"mixin/dashboard.json": MIXIN_INPUT, "mixin/dashboards_out/jenkins.json": RENDERED,
      "mixin/mixin.libsonnet": "(import 'other.json')\n"},
     {"mixin/dashboard.json", "mixin/dashboards_out/jenkins.json"}),
])
def test_a_mixin_input_does_not_clash_with_its_rendered_copy(lint_files, files, reported):
    r = lint_files(files)
    assert {f.file[f.file.index("mixin/"):] for f in found(r, "DB004")} == reported
