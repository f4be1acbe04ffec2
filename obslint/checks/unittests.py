"""UT: promtool unit-test files that `promtool test rules` would refuse to run: unknown keys,
missing rule files, input series or values it cannot read, bad durations, expressions that
do not parse."""
from __future__ import annotations

import os
import re

from obslint import classify as kinds
from obslint.durations import parse_duration
from obslint.findings import Severity
from obslint.registry import Rule

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from obslint.testfiles.model import TestFile


def _testfile(doc, ctx) -> TestFile | None:
    if doc.kind != kinds.PROMTOOL_TEST:
        return None
    key = ("ut.model", id(doc))
    if key not in ctx.cache:
        from obslint.testfiles.model import from_document

        ctx.cache[key] = from_document(doc)
    return ctx.cache[key]


class TestFileKeys(Rule):
    """A promtool test file has a key promtool does not know, or a section of the wrong type.
    promtool reads test files strictly: `alert_rule_tests` (for `alert_rule_test`) or
    `exp_label` make it stop with "field ... not found" before running any test.

    ## Why
    A misspelt key is not ignored: the whole file fails to load, and every test in it is lost.

    ## Bad (`alerts.test.yml`, `alerts.yml`)
    ```yaml
    rule_files: [alerts.yml]
    tests:
      - interval: 1m
        input_series:
          - series: 'up{job="api"}'
            values: '0x10'
        alert_rule_tests:
          - eval_time: 10m
            alertname: ApiDown
            exp_alerts: [{exp_labels: {job: api}}]
    ```
    ```yaml
    groups: [{name: api, rules: [{alert: ApiDown, expr: up == 0, for: 5m}]}]
    ```

    ## Good (`alerts.test.yml`, `alerts.yml`)
    ```yaml
    rule_files: [alerts.yml]
    tests:
      - interval: 1m
        input_series:
          - series: 'up{job="api"}'
            values: '0x10'
        alert_rule_test:
          - eval_time: 10m
            alertname: ApiDown
            exp_alerts: [{exp_labels: {job: api}}]
    ```
    ```yaml
    groups: [{name: api, rules: [{alert: ApiDown, expr: up == 0, for: 5m}]}]
    ```
    """

    code, name, severity = "UT001", "test-file-keys", Severity.ERROR
    summary = "promtool test file key unknown to promtool, or a section of the wrong type"

    def check_document(self, doc, ctx):
        tf = _testfile(doc, ctx)
        if tf is None:
            return
        from obslint.testfiles import model as m
        from obslint.suggest import closest

        def keys(data, path, allowed, what):
            if not isinstance(data, dict):
                return
            for k in data:
                if k not in allowed:
                    hint = closest(str(k), allowed, cutoff=0.6)
                    fix = f"did you mean `{hint}`?" if hint else f"the keys of {what} are: {', '.join(allowed)}"
                    yield self.finding(doc, path + (k,), f"promtool does not know the key `{k}` in {what}: "
                                       "it refuses the whole file", fix=fix, at_key=True)

        def typed(data, key, types, path, what):
            v = data.get(key) if isinstance(data, dict) else None
            if v is not None and not isinstance(v, types):
                name = "a list" if types is list else "a mapping" if types is dict else "a string"
                yield self.finding(doc, path + (key,), f"`{key}` of {what} must be {name}", fix=f"write `{key}` as {name}")

        # vmalert-tool reads the same format plus `metricsql_expr_test` and `groupname`.
        vm = m.is_vmalert_tool(tf.data)
        group_keys = m.GROUP_KEYS + (("metricsql_expr_test",) if vm else ())
        alert_keys = m.ALERT_TEST_KEYS + (("groupname",) if vm else ())
        if tf.app_interface:  # app-interface's tester removes `$schema` before it runs promtool
            yield self.finding(doc, ("$schema",), "`$schema` marks an app-interface test file: its tester removes it "
                               "and reads `rule_files` as resource paths, but promtool alone refuses the file",
                               severity=Severity.INFO, at_key=True,
                               fix="run it with app-interface's prometheus rules tester, or remove `$schema` and "
                               "point `rule_files` at plain rule files for promtool")
        yield from keys({k: v for k, v in tf.data.items() if k != "$schema"} if tf.app_interface else tf.data, (),
                        m.FILE_KEYS, "a test file")
        yield from typed(tf.data, "rule_files", list, (), "a test file")
        yield from typed(tf.data, "tests", list, (), "a test file")
        for i, g in enumerate(tf.data.get("tests") if isinstance(tf.data.get("tests"), list) else []):
            gp = ("tests", i)
            if not isinstance(g, dict):
                yield self.finding(doc, gp, "a test group must be a mapping (interval, input_series, alert_rule_test, "
                                   "promql_expr_test)", fix="write the group as a mapping")
                continue
            yield from keys(g, gp, group_keys, "a test group")
            for key in ("input_series", "alert_rule_test", "promql_expr_test"):
                yield from typed(g, key, list, gp, "a test group")
            yield from typed(g, "external_labels", dict, gp, "a test group")
            for s in _items(g, "input_series"):
                yield from keys(s[1], gp + ("input_series", s[0]), m.SERIES_KEYS, "an input series")
            for ti, t in _items(g, "alert_rule_test"):
                tp = gp + ("alert_rule_test", ti)
                yield from keys(t, tp, alert_keys, "an alert rule test")
                yield from typed(t, "exp_alerts", list, tp, "an alert rule test")
                for ai, a in _items(t, "exp_alerts"):
                    ap = tp + ("exp_alerts", ai)
                    yield from keys(a, ap, m.EXP_ALERT_KEYS, "an expected alert")
                    yield from typed(a, "exp_labels", dict, ap, "an expected alert")
                    yield from typed(a, "exp_annotations", dict, ap, "an expected alert")
            for ti, t in _items(g, "promql_expr_test"):
                tp = gp + ("promql_expr_test", ti)
                yield from keys(t, tp, m.EXPR_TEST_KEYS, "a PromQL expression test")
                yield from typed(t, "exp_samples", list, tp, "a PromQL expression test")
                for si, s in _items(t, "exp_samples"):
                    yield from keys(s, tp + ("exp_samples", si), m.SAMPLE_KEYS, "an expected sample")


def _items(data, key):
    v = data.get(key) if isinstance(data, dict) else None
    for i, x in enumerate(v if isinstance(v, list) else []):
        if isinstance(x, dict):
            yield i, x


class TestRuleFiles(Rule):
    """A `rule_files` entry of a promtool test file names no file, or a file that holds no
    Prometheus rule groups (a PrometheusRule resource, a dashboard, a policy). Paths are
    relative to the test file. A test file with `$schema` is Red Hat app-interface's: its
    tester reads absolute paths from the resources root (a folder above the test file, or its
    `resources` folder) and takes PrometheusRule resources' rules, so obslint does too.

    ## Why
    promtool stops with "cannot load rule file": none of the file's tests run.

    ## Bad (`tests/alerts.test.yml`, `rules/alerts.yml`)
    ```yaml
    rule_files: [alerts.yml]
    tests: []
    ```
    ```yaml
    groups: [{name: api, rules: [{alert: ApiDown, expr: up == 0, for: 5m}]}]
    ```

    ## Good (`tests/alerts.test.yml`, `rules/alerts.yml`)
    ```yaml
    rule_files: [../rules/alerts.yml]
    tests: []
    ```
    ```yaml
    groups: [{name: api, rules: [{alert: ApiDown, expr: up == 0, for: 5m}]}]
    ```
    """

    code, name, severity = "UT002", "test-rule-files", Severity.ERROR
    summary = "rule_files entry of a promtool test names no rule file"

    def check_document(self, doc, ctx):
        tf = _testfile(doc, ctx)
        if tf is None:
            return
        from obslint.testfiles.ruleset import ruleset

        rs = ruleset(tf, ctx)
        for path, name in rs.missing:
            if not isinstance(name, str) or not name.strip():
                yield self.finding(doc, path, "a rule_files entry must be a file path", fix="give the path of a rule file")
                continue
            listed = _gitignored(os.path.join(tf.directory, name))
            if listed is not None:  # a build output not built yet (a mixin's `make`), not a wrong path
                yield self.finding(doc, path, f"rule file `{name}` does not exist yet: `{_shown(listed)}` lists it, so "
                                   "a build step writes it before the tests run", severity=Severity.INFO,
                                   fix="build it (e.g. `make`) and lint again to check this test against it")
                continue
            driver = _driver(doc.source.path)
            if driver is not None:  # a Go test (gardener) writes the rule file, runs promtool, removes it
                yield self.finding(doc, path, f"rule file `{name}` does not exist in the tree: `{_shown(driver)}` runs "
                                   "promtool on this test file, and can write or substitute the rule file first",
                                   severity=Severity.INFO,
                                   fix="lint the rule file the program writes, or check that it does write it")
                continue
            yield self.finding(doc, path, f"rule file `{name}` does not exist (paths are relative to the test file, "
                               f"{_shown(tf.directory)})", fix="correct the path; promtool stops on a missing rule file")
        for path, f, kind in rs.not_rules:
            wrapper = _driver(doc.source.path, "po-test") if kind == "resource" else None
            if wrapper is not None:
                yield self.finding(doc, path, f"`{_shown(f)}` is a PrometheusRule resource, which promtool refuses, "
                                   f"but `{_shown(wrapper)}` runs po-test, which reads resources",
                                   severity=Severity.INFO, fix="run these tests with po-test, not promtool")
                continue
            what = ("a PrometheusRule resource: promtool reads plain rule files (`groups:` at the top)"
                    if kind == "resource" else "not a Prometheus rule file (no `groups:`)")
            yield self.finding(doc, path, f"`{_shown(f)}` is {what}",
                               fix="point rule_files at the rule file itself (extract `spec` of a resource)")
        for path, f in rs.broken:
            yield self.finding(doc, path, f"rule file `{_shown(f)}` cannot be read as YAML: promtool stops on it",
                               fix="fix the rule file (`obslint` on it shows where)")


def _gitignored(path: str) -> str | None:
    """The `.gitignore` that lists this (missing) file, looked for in its directory and each
    parent up to the repository's root (the directory with `.git`); None if none does."""
    path = os.path.abspath(path)
    here = os.path.dirname(path)
    while True:
        listed = os.path.join(here, ".gitignore")
        if os.path.isfile(listed):
            try:
                with open(listed, encoding="utf-8", errors="replace") as fh:
                    lines = fh.read(1_000_000).splitlines()
            except OSError:
                lines = []
            if lines:
                import pathspec

                if pathspec.PathSpec.from_lines("gitignore", lines).match_file(os.path.relpath(path, here)):
                    return listed
        parent = os.path.dirname(here)
        if parent == here or os.path.exists(os.path.join(here, ".git")):
            return None
        here = parent


# Programs that may drive promtool on a test file, writing its rule files first (gardener's Go
# tests render PrometheusRule objects into testdata/ and remove them afterwards), and the
# folders beside the tree's directories where such scripts live (hack/test-rules.sh).
_DRIVER_SUFFIXES = (".go", ".py", ".sh", ".mk", ".rs", ".java", ".ts", ".js")
_DRIVER_NAMES = ("Makefile", "makefile", "GNUmakefile", "Justfile", "justfile", "Taskfile.yml")
_SCRIPT_DIRS = ("hack", "scripts", "script", "tools", "ci", "build", "bin")


# Programs that run rule tests: promtool, and po-test (loveholidays/po-test), a wrapper that
# reads PrometheusRule resources too.
_TEST_RUNNERS = ("promtool", "po-test")
_GLOB = re.compile(r"[\w./${}-]*\*[\w.*-]*")


def _driver(test_path, runner: str | None = None) -> str | None:
    """A program that runs promtool on this test file: a source file in the test file's
    directory or one of the three above it (not past the repository's root), or in their
    hack/, scripts/... folders, that names the test file, runs a test runner on a glob that
    matches it (`for f in *.test.yaml; do po-test $f`), or on the test file's folder (`for t
    in ./test/rules/*.yaml`, as openshift/cluster-monitoring-operator does, rewriting
    `rule_files` to the rules it builds). With `runner`, only a program that names that
    runner. None if there is none."""
    import fnmatch

    test_path = os.path.abspath(str(test_path))
    name = os.path.basename(test_path)
    test_dir = os.path.dirname(test_path)
    here = test_dir
    for _ in range(4):
        folder = os.path.relpath(test_dir, here).replace(os.sep, "/")
        folder = None if folder == "." else folder + "/"
        for path, text in _programs(here):
            if runner is not None and runner not in text:
                continue
            runs = any(t in text for t in _TEST_RUNNERS)
            if name in text or runs and (folder is not None and folder in text or folder is None and any(
                    fnmatch.fnmatchcase(name, g.rsplit("/", 1)[-1]) for g in _GLOB.findall(text))):
                return path
        parent = os.path.dirname(here)
        if parent == here or os.path.exists(os.path.join(here, ".git")):
            break
        here = parent
    return None


def _programs(directory: str):
    """(path, text) of the program files in a directory and its script folders."""
    for d in (directory, *(os.path.join(directory, s) for s in _SCRIPT_DIRS)):
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            if not (e.name.endswith(_DRIVER_SUFFIXES) or e.name in _DRIVER_NAMES):
                continue
            try:
                if not e.is_file() or e.stat().st_size > 2_000_000:
                    continue
                with open(e.path, encoding="utf-8", errors="replace") as fh:
                    yield e.path, fh.read()
            except OSError:
                continue


def _shown(path: str) -> str:

    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("../../") else path


class TestSeriesValues(Rule):
    """The `values` of an input series are not promtool's expanding notation: items separated by
    spaces, each `N`, `NxK` (N, K+1 times), `N+MxK` / `N-MxK` (K+1 values from N, growing by M),
    `_` / `_xK` (missing samples), `stale`, or a native histogram `{{schema:0 sum:5 count:4
    buckets:[1 2 1]}}` (also `{{...}}xK` and `{{...}}+{{...}}xK`).

    ## Why
    promtool refuses the whole test file on the first value it cannot read.

    ## Bad (`alerts.test.yml`)
    ```yaml
    rule_files: []
    tests:
      - interval: 1m
        input_series:
          - series: 'up{job="api"}'
            values: '1, 1, 0+0x10'
    ```

    ## Good (`alerts.test.yml`)
    ```yaml
    rule_files: []
    tests:
      - interval: 1m
        input_series:
          - series: 'up{job="api"}'
            values: '1 1 0+0x10'
    ```
    """

    code, name, severity = "UT003", "test-series-values", Severity.ERROR
    summary = "input_series values that promtool cannot read"

    def check_document(self, doc, ctx):
        tf = _testfile(doc, ctx)
        if tf is None:
            return
        from obslint.testfiles import place_in_string
        from obslint.testfiles.notation import NotationError, parse_values

        for g in tf.groups:
            for s in g.input_series:
                v = s.values
                if v is None:
                    continue
                if not isinstance(v, str):
                    yield self.finding(doc, s.path + ("values",), "`values` must be a string such as '0+1x10'",
                                       fix="quote the values")
                    continue
                try:
                    parse_values(v)
                except NotationError as exc:
                    f = self.finding(doc, s.path + ("values",), f"invalid input series values: {exc.message} "
                                     f"(at column {exc.offset + 1} of {v!r})",
                                     fix="write values as `1 2 3`, `0+10x20`, `5x10`, `_x3` or `stale`")
                    yield place_in_string(f, v, exc.offset)


class TestSeriesSelector(Rule):
    """An input series (or an expected sample's `labels`) is not a series description:
    a metric name and/or `{label="value", ...}` with `=` only and quoted values.

    ## Why
    promtool refuses the whole test file; matchers such as `=~` select series, they cannot
    describe one.

    ## Bad (`alerts.test.yml`)
    ```yaml
    rule_files: []
    tests:
      - interval: 1m
        input_series:
          - series: 'http_requests_total{status=~"5.."}'
            values: '0+1x10'
    ```

    ## Good (`alerts.test.yml`)
    ```yaml
    rule_files: []
    tests:
      - interval: 1m
        input_series:
          - series: 'http_requests_total{status="500"}'
            values: '0+1x10'
    ```
    """

    code, name, severity = "UT004", "test-series-selector", Severity.ERROR
    summary = "input series or expected labels that are not a series description"

    def check_document(self, doc, ctx):
        tf = _testfile(doc, ctx)
        if tf is None:
            return
        from obslint.testfiles import place_in_string
        from obslint.testfiles.notation import NotationError, parse_series

        def one(text, path, what, required):
            if text is None:
                if required:
                    yield self.finding(doc, path[:-1], f"{what} has no `series`", fix="add `series: 'metric{label=\"v\"}'`")
                return
            if not isinstance(text, str):
                text = str(text)
            try:
                parse_series(text)
            except NotationError as exc:
                f = self.finding(doc, path, f"invalid {what}: {exc.message} (at column {exc.offset + 1} of {text!r})",
                                 fix='describe one series: metric{label="value", ...}')
                yield place_in_string(f, text, exc.offset)

        for g in tf.groups:
            for s in g.input_series:
                yield from one(s.series, s.path + ("series",), "input series", True)
            for t in g.expr_tests:
                for path, sample in t.exp_samples:
                    if sample.get("labels") not in (None, ""):
                        yield from one(sample["labels"], path + ("labels",), "expected sample labels", False)


class TestDurations(Rule):
    """`evaluation_interval`, a group's `interval` or a test's `eval_time` is not a Prometheus
    duration (`30s`, `5m`, `1h30m`, `0`): no fractions, no bare numbers other than 0.

    ## Why
    promtool refuses the file ("not a valid duration string").

    ## Bad (`alerts.test.yml`)
    ```yaml
    rule_files: []
    evaluation_interval: 1m
    tests:
      - interval: 60
        input_series:
          - series: up
            values: '1x10'
        promql_expr_test:
          - expr: up
            eval_time: 1.5m
            exp_samples: [{labels: up, value: 1}]
    ```

    ## Good (`alerts.test.yml`)
    ```yaml
    rule_files: []
    evaluation_interval: 1m
    tests:
      - interval: 1m
        input_series:
          - series: up
            values: '1x10'
        promql_expr_test:
          - expr: up
            eval_time: 90s
            exp_samples: [{labels: up, value: 1}]
    ```
    """

    code, name, severity = "UT005", "test-durations", Severity.ERROR
    summary = "eval_time / interval that is not a Prometheus duration"

    def check_document(self, doc, ctx):
        tf = _testfile(doc, ctx)
        if tf is None:
            return

        def bad(value, path, what):
            if value is None:
                return
            if isinstance(value, bool) or parse_duration(str(value)) is None:
                yield self.finding(doc, path, f"{what} {value!r} is not a duration (e.g. 30s, 5m, 1h30m)",
                                   fix="write a whole number with a unit: ms, s, m, h, d, w, y")

        yield from bad(tf.evaluation_interval, ("evaluation_interval",), "evaluation_interval")
        for g in tf.groups:
            yield from bad(g.interval, g.path + ("interval",), "interval")
            for t in g.alert_tests:
                yield from bad(t.eval_time, t.path + ("eval_time",), "eval_time")
            for t in g.expr_tests:
                yield from bad(t.eval_time, t.path + ("eval_time",), "eval_time")


class TestExprSyntax(Rule):
    """The `expr` of a `promql_expr_test` does not parse as PromQL.

    ## Why
    promtool reports the test as failed with the parse error; the test checks nothing.

    ## Bad (`alerts.test.yml`)
    ```yaml
    rule_files: []
    tests:
      - input_series:
          - series: up
            values: '1x10'
        promql_expr_test:
          - expr: sum(up
            eval_time: 5m
            exp_samples: [{value: 1}]
    ```

    ## Good (`alerts.test.yml`)
    ```yaml
    rule_files: []
    tests:
      - input_series:
          - series: up
            values: '1x10'
        promql_expr_test:
          - expr: sum(up)
            eval_time: 5m
            exp_samples: [{value: 1}]
    ```
    """

    code, name, severity = "UT008", "test-expr-syntax", Severity.ERROR
    summary = "promql_expr_test expression that does not parse"

    def check_document(self, doc, ctx):
        tf = _testfile(doc, ctx)
        if tf is None:
            return
        from obslint import promql

        for _g, t in tf.expr_tests():
            if t.expr is None or not t.expr.strip():
                yield self.finding(doc, t.path, "a promql_expr_test needs an `expr`", fix="add the expression to test")
                continue
            parsed = promql.parse(t.expr)
            if parsed.error:
                yield self.finding(doc, t.path + ("expr",), f"invalid PromQL: {parsed.error}",
                                   fix="correct the expression")
