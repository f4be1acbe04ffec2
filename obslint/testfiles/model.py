"""A promtool unit-test file (`promtool test rules FILE`) as a tree of small views.

Every view keeps the `path` of its node inside the document (for findings) and the raw
data; values that do not have the expected type stay raw (the checks report them), so
building the model never fails.

    rule_files: [alerts.yml]          # relative to the test file; globs allowed
    evaluation_interval: 1m
    group_eval_order: [g1, g2]
    tests:
      - interval: 1m
        name: optional
        external_labels: {...}
        input_series:
          - series: 'metric{label="v"}'
            values: '1+1x10 _ stale'
        alert_rule_test:
          - eval_time: 10m
            alertname: Name
            exp_alerts:
              - exp_labels: {...}
                exp_annotations: {...}
        promql_expr_test:
          - expr: ...
            eval_time: 5m
            exp_samples:
              - labels: 'metric{...}'
                value: 1
"""
from __future__ import annotations

import glob
import os

from obslint.durations import parse_duration

# The keys promtool reads (Prometheus 3 included); any other key makes promtool refuse the file.
FILE_KEYS = ("rule_files", "evaluation_interval", "group_eval_order", "tests", "fuzzy_compare")
GROUP_KEYS = ("interval", "input_series", "alert_rule_test", "promql_expr_test", "external_labels", "external_url",
              "name", "start_timestamp")
SERIES_KEYS = ("series", "values")
ALERT_TEST_KEYS = ("eval_time", "alertname", "exp_alerts")
EXP_ALERT_KEYS = ("exp_labels", "exp_annotations")
EXPR_TEST_KEYS = ("expr", "eval_time", "exp_samples")
SAMPLE_KEYS = ("labels", "value", "histogram")

DEFAULT_INTERVAL = 60.0  # promtool's default for evaluation_interval and a group's interval


def is_vmalert_tool(data) -> bool:
    """A vmalert-tool test file (same layout, plus `metricsql_expr_test` and `groupname`)."""
    for g in _list(data, "tests"):
        if isinstance(g, dict):
            if "metricsql_expr_test" in g:
                return True
            if any(isinstance(t, dict) and "groupname" in t for t in _list(g, "alert_rule_test")):
                return True
    return False


def _list(data, key) -> list:
    v = data.get(key) if isinstance(data, dict) else None
    return v if isinstance(v, list) else []


def _mapping(v) -> dict:
    return {str(k): "" if x is None else str(x) for k, x in v.items()} if isinstance(v, dict) else {}


class InputSeries:
    __slots__ = ("path", "data", "series", "values")

    def __init__(self, path: tuple, data: dict) -> None:
        self.path, self.data = path, data
        self.series = data.get("series")
        v = data.get("values")
        self.values = v if not isinstance(v, (int, float)) or isinstance(v, bool) else str(v)


class ExpAlert:
    __slots__ = ("path", "data", "labels", "annotations")

    def __init__(self, path: tuple, data: dict) -> None:
        self.path, self.data = path, data
        self.labels = _mapping(data.get("exp_labels"))
        self.annotations = _mapping(data.get("exp_annotations"))


class AlertTest:
    __slots__ = ("path", "data", "alertname", "eval_time", "exp_alerts")

    def __init__(self, path: tuple, data: dict) -> None:
        self.path, self.data = path, data
        self.alertname = data.get("alertname")
        self.eval_time = data.get("eval_time")
        self.exp_alerts = [ExpAlert(path + ("exp_alerts", i), a) for i, a in enumerate(_list(data, "exp_alerts"))
                           if isinstance(a, dict)]

    @property
    def expects_firing(self) -> bool:
        return bool(self.exp_alerts) or bool(_list(self.data, "exp_alerts"))


class ExprTest:
    __slots__ = ("path", "data", "expr", "eval_time", "exp_samples")

    def __init__(self, path: tuple, data: dict) -> None:
        self.path, self.data = path, data
        expr = data.get("expr")
        self.expr = expr if isinstance(expr, str) else None if expr is None else str(expr)
        self.eval_time = data.get("eval_time")
        self.exp_samples = [(path + ("exp_samples", i), s) for i, s in enumerate(_list(data, "exp_samples"))
                            if isinstance(s, dict)]


class TestGroup:
    __slots__ = ("path", "data", "interval", "input_series", "alert_tests", "expr_tests")

    def __init__(self, path: tuple, data: dict) -> None:
        self.path, self.data = path, data
        self.interval = data.get("interval")
        self.input_series = [InputSeries(path + ("input_series", i), s)
                             for i, s in enumerate(_list(data, "input_series")) if isinstance(s, dict)]
        self.alert_tests = [AlertTest(path + ("alert_rule_test", i), t)
                            for i, t in enumerate(_list(data, "alert_rule_test")) if isinstance(t, dict)]
        self.expr_tests = [ExprTest(path + ("promql_expr_test", i), t)
                           for i, t in enumerate(_list(data, "promql_expr_test")) if isinstance(t, dict)]

    def interval_seconds(self, default: float) -> float | None:
        if self.interval is None:
            return default
        return parse_duration(str(self.interval))


class TestFile:
    """The test file of one document; `directory` is where its rule_files are resolved from."""

    __slots__ = ("doc", "data", "directory", "rule_files", "evaluation_interval", "groups")

    def __init__(self, doc, data: dict, directory: str) -> None:
        self.doc, self.data, self.directory = doc, data, directory
        rf = data.get("rule_files")
        self.rule_files = [(("rule_files", i), f) for i, f in enumerate(rf if isinstance(rf, list) else [])]
        self.evaluation_interval = data.get("evaluation_interval")
        self.groups = [TestGroup(("tests", i), g) for i, g in enumerate(_list(data, "tests")) if isinstance(g, dict)]

    def evaluation_seconds(self) -> float | None:
        if self.evaluation_interval is None:
            return DEFAULT_INTERVAL
        return parse_duration(str(self.evaluation_interval))

    @property
    def app_interface(self) -> bool:
        """A test file of Red Hat's app-interface (qontract): `$schema` names its resource schema.
        Its tester removes `$schema`, reads `rule_files` as resource paths (absolute, from the
        resources root) and takes the rules of PrometheusRule resources; promtool alone does not."""
        return "$schema" in self.data

    def resolve(self, name) -> list[str]:
        """The files a `rule_files` entry names (a path or a glob, relative to the test file; in
        an app-interface file, an absolute path missing from the disk is looked for below each
        folder above the test file and its `resources` folder: the resources root)."""
        if not isinstance(name, str) or not name.strip():
            return []
        path = name if os.path.isabs(name) else os.path.join(self.directory, name)
        found = _files(path)
        if not found and self.app_interface and os.path.isabs(name):
            here, rel = self.directory, name.lstrip("/\\")
            while not found:
                found = _files(os.path.join(here, rel)) or _files(os.path.join(here, "resources", rel))
                parent = os.path.dirname(here)
                if parent == here:
                    break
                here = parent
        return found

    def alert_tests(self):
        for g in self.groups:
            for t in g.alert_tests:
                yield g, t

    def expr_tests(self):
        for g in self.groups:
            for t in g.expr_tests:
                yield g, t


def _files(path: str) -> list[str]:
    if glob.has_magic(path):
        return sorted(p for p in glob.glob(path) if os.path.isfile(p))
    return [path] if os.path.isfile(path) else []


def from_document(doc) -> TestFile | None:
    data = doc.root
    if not isinstance(data, dict):
        return None
    path = getattr(doc.source, "path", None)
    directory = os.path.dirname(os.path.abspath(str(path))) if path is not None else os.getcwd()
    return TestFile(doc, data, directory)
