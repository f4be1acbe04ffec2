"""Command line: `obslint [check] PATHS`, `obslint rules`, `obslint explain CODE`, `obslint probe`.

Exit status: 0 clean, 1 findings at or above `--fail-on`, 2 usage or configuration error
(one line on stderr)."""
from __future__ import annotations

import os
import sys

from obslint import __version__

TYPE_CHECKING = False  # typing is not imported at run time (start-up cost)
if TYPE_CHECKING:
    import argparse
    from pathlib import Path

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
COMMANDS = ("check", "rules", "explain", "probe", "coverage", "gen-tests")
FORMATS = ("console", "plain", "json", "sarif", "github", "junit")


class UsageError(Exception):
    pass


_PARSER_CLASS = None


def _parser_class():
    """`_Parser`, an ArgumentParser whose errors raise UsageError: argparse is imported only
    when a parser is built (the fast path for `check` needs none)."""
    global _PARSER_CLASS
    if _PARSER_CLASS is None:
        import argparse

        class _Parser(argparse.ArgumentParser):
            def error(self, message: str):  # one clear line, exit 2
                raise UsageError(message)

        _PARSER_CLASS = _Parser
    return _PARSER_CLASS


def __getattr__(name: str):
    if name == "_Parser":  # `from obslint.cli import _Parser` (obslint.probe)
        return _parser_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# What `build_parser` accepts, for the fast path below: option -> destination.
_FLAGS = {"--no-config": "no_config", "--exit-zero": "exit_zero", "--quiet": "quiet", "-q": "quiet",
          "--statistics": "statistics", "--no-color": "no_color", "--color": "color",
          "--report-unused-suppressions": "report_unused_suppressions", "--verbose": "verbose", "-v": "verbose"}
_VALUES = {"--config": "config", "--format": "format", "--output": "output", "-o": "output",
           "--also-output": "also_output", "--select": "select", "--ignore": "ignore", "--fail-on": "fail_on",
           "--min-severity": "min_severity", "--project-root": "project_root", "--metrics-from": "metrics_from",
           "--max-file-size": "max_file_size"}
_PATH_VALUES = ("config", "output", "project_root")
_APPEND_VALUES = ("also_output", "select", "ignore", "metrics_from")


class _Args:
    """The namespace `build_parser().parse_args` would return."""

    def __init__(self) -> None:
        self.paths: list = []
        self.config = self.format = self.output = self.select = self.ignore = None
        self.project_root = self.max_file_size = None
        self.no_config = self.exit_zero = self.quiet = self.statistics = False
        self.no_color = self.color = self.report_unused_suppressions = self.verbose = False
        self.also_output: list = []
        self.metrics_from: list = []
        self.fail_on = "error"
        self.min_severity = "info"


def parse_check_args(argv: list[str]):
    """The arguments of `obslint check`: by hand for the plain command lines hooks and CI run
    (options written out in full, then the paths), through argparse for anything else
    (abbreviations, `--`, `-qv`, values that start with `-`, errors, --help). argparse and
    building the parser cost more than the rest of a small run's start-up. Both give the
    same namespace (tests/test_cli_args.py)."""
    args = fast_check_args(argv)
    return args if args is not None else build_parser().parse_args(argv)


def fast_check_args(argv: list[str]):
    """The namespace for a plain command line, or None when argparse should parse it."""
    from pathlib import Path

    args = _Args()
    i, n = 0, len(argv)
    while i < n:
        arg = argv[i]
        i += 1
        if not arg.startswith("-"):
            if args.paths:
                return None  # paths, options, then paths again: argparse's error
            j = i
            while j < n and not argv[j].startswith("-"):
                j += 1
            args.paths = [Path(p) for p in argv[i - 1:j]]
            i = j
            continue
        if arg in _FLAGS:
            setattr(args, _FLAGS[arg], True)
            continue
        option, eq, value = arg.partition("=")
        if eq:
            if not option.startswith("--") or not value:
                return None
        elif i < n:
            value = argv[i]
            i += 1
        else:
            return None  # missing value: argparse's error
        dest = _VALUES.get(option)
        if dest is None or value.startswith("-"):
            return None
        if dest in _PATH_VALUES:
            setattr(args, dest, Path(value))
        elif dest in _APPEND_VALUES:
            if getattr(args, dest) is None:
                setattr(args, dest, [])
            getattr(args, dest).append(value)
        elif dest == "format":
            if value not in FORMATS:
                return None
            args.format = value
        elif dest == "max_file_size":
            try:
                args.max_file_size = int(value)
            except ValueError:
                return None
        else:
            setattr(args, dest, value)
    return args


def _csv(values) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out += [x.strip() for x in v.split(",") if x.strip()]
    return out


def build_parser() -> argparse.ArgumentParser:
    from pathlib import Path

    p = _parser_class()(prog="obslint", description="Lint Grafana dashboards, Prometheus rules and Grafana alerting "
                "provisioning. Commands: check (default), rules, explain CODE, probe.",
                epilog="Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage or configuration error.")
    p.add_argument("--version", action="version", version=f"obslint {__version__}")
    p.add_argument("paths", nargs="*", type=Path, help="files or directories (default: the current directory)")
    p.add_argument("--config", type=Path, help="config/policy file (default: obslint.yaml, .obslint.yaml or "
                   "[tool.obslint] in pyproject.toml, searched upwards)")
    p.add_argument("--no-config", action="store_true", help="ignore any config file")
    p.add_argument("--format", default=None, choices=FORMATS,
                   help="output format (default: console on a terminal, plain otherwise)")
    p.add_argument("--output", "-o", type=Path, help="write the report to this file (atomically) instead of stdout")
    p.add_argument("--also-output", action="append", default=[], metavar="FORMAT:FILE",
                   help="also write a report in FORMAT to FILE, e.g. sarif:obslint.sarif (repeatable)")
    p.add_argument("--select", action="append", help="only these checks (codes, prefixes or names; comma-separated)")
    p.add_argument("--ignore", action="append", help="skip these checks (codes, prefixes or names)")
    p.add_argument("--fail-on", default="error",
                   help="lowest severity that makes the exit status 1: error (default), warning, info or never")
    p.add_argument("--min-severity", default="info", help="do not report findings below this severity")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="console/plain: one line per finding, no source, fix or summary")
    p.add_argument("--statistics", action="store_true", help="print the number of findings per code")
    p.add_argument("--no-color", action="store_true", help="plain text even on a terminal (also NO_COLOR)")
    p.add_argument("--color", action="store_true", help="colour even when not on a terminal")
    p.add_argument("--report-unused-suppressions", action="store_true",
                   help="report `# obslint: disable` comments and policy `ignore:` entries that suppress nothing")
    p.add_argument("--project-root", type=Path,
                   help="lint this whole tree (for cross-file checks) but report only on PATHS "
                        "(the pre-commit hook runs `obslint --project-root . CHANGED_FILES`)")
    p.add_argument("--metrics-from", action="append", default=[],
                   help="read the metric catalog from Prometheus exposition text (file or http URL)")
    p.add_argument("--max-file-size", type=int, metavar="BYTES",
                   help="do not read files larger than this (default: the config's max-file-size, or 5 MiB)")
    p.add_argument("--verbose", "-v", action="store_true", help="also list files that were skipped and why")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            cmd, rest = argv[0], argv[1:]
        else:
            cmd, rest = "check", argv
        if argv == ["--version"]:  # what argparse's version action prints, without building the parser
            print(f"obslint {__version__}")
            return EXIT_OK
        if cmd == "rules":
            return cmd_rules(rest)
        if cmd == "explain":
            return cmd_explain(rest)
        if cmd == "probe":
            from obslint.probe import main as probe_main

            return probe_main(rest)
        if cmd in ("coverage", "gen-tests"):  # the alert-test commands (obslint/testcli.py)
            from obslint import testcli

            return testcli.main(cmd, rest)
        return cmd_check(rest)
    except UsageError as exc:
        print(f"obslint: error: {exc} (see `obslint --help`)", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_USAGE)
    except KeyboardInterrupt:
        print("obslint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_OK


def run() -> None:
    """The `obslint` command: `main`, then leave at once. A run leaves hundreds of thousands of
    objects behind (documents, syntax trees, findings); tearing them down one by one at exit,
    after a last full garbage collection, costs up to a fifth of the run and serves no one once
    the report is out. So the streams are flushed and the process ends without the teardown.
    The cyclic garbage collector stays off for the whole command, not only while the engine
    runs (as `lint` does for library callers): its first full pass after the run, over every
    object the run made, would cost as much as the teardown."""
    import gc

    gc.disable()
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # a closed pipe or stream (None): nothing more to say
            pass
    os._exit(code)


class ReportScope:
    """The files a `--project-root` run reports on: the given files and everything below the
    given directories. The engine asks `normalised_abs_path in scope`."""

    def __init__(self, paths) -> None:
        self.files: set[str] = set()
        self.dirs: list[str] = []
        for p in paths:
            a = _norm(p)
            if os.path.isdir(a):
                self.dirs.append(a if a.endswith(os.sep) else a + os.sep)
            else:
                self.files.add(a)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and (path in self.files or any(path.startswith(d) for d in self.dirs))

    def shows(self, display: str) -> bool:
        return _norm(display) in self


def _norm(p) -> str:
    return os.path.normpath(os.path.abspath(p))


def _under(path, root) -> bool:
    a, r = _norm(path), _norm(root)
    try:
        return os.path.commonpath([a, r]) == r
    except ValueError:
        return False


def _severity(text: str, allow_never: bool = False):
    from obslint.findings import Severity

    if allow_never and text.strip().lower() in ("never", "none"):
        return None
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise UsageError(str(exc) + (" or never" if allow_never else "")) from None


def cmd_check(argv: list[str]) -> int:
    args = parse_check_args(argv)
    from pathlib import Path

    from obslint.config import ConfigError, find_config, load_config

    fail_on = _severity(args.fail_on, allow_never=True)
    min_sev = _severity(args.min_severity)
    extra_outputs = []
    for spec in args.also_output:
        fmt, sep, file = spec.partition(":")
        if not sep or not file or fmt not in FORMATS:
            raise UsageError(f"--also-output expects FORMAT:FILE with FORMAT one of {', '.join(FORMATS)}, "
                             f"got {spec!r}")
        extra_outputs.append((fmt, Path(file)))
    paths = args.paths or [Path(".")]
    for out_path in [args.output, *(f for _fmt, f in extra_outputs)]:
        if out_path is not None:
            _check_output_path(out_path)
            from obslint.report.target import refusal

            why = refusal(out_path, [p for p in paths if os.path.isfile(p)])
            if why:  # before the run too: a device or a named file is refused at once
                raise UsageError(why)
            if any(os.path.lexists(p) and not os.path.isdir(p) and os.path.samefile(p, out_path)
                   for p in paths if os.path.lexists(out_path)):
                raise UsageError(f"refusing to write the report over {out_path}, a file being linted")
    for p in paths:
        if not os.path.lexists(p):
            raise UsageError(f"no such file or directory: {p}")
    if args.project_root is not None and not args.project_root.is_dir():
        raise UsageError(f"--project-root is not a directory: {args.project_root}")
    try:
        if args.no_config:
            from obslint.config import Config

            config = Config()
        else:
            cfg_path = args.config
            if cfg_path is not None and not cfg_path.is_file():
                raise UsageError(f"config file not found: {cfg_path}")
            if cfg_path is None:
                cfg_path = find_config(args.project_root or paths[0])
            config = load_config(cfg_path)
        if args.max_file_size is not None:
            if args.max_file_size < 1:
                raise UsageError("--max-file-size must be a positive number of bytes")
            config.max_file_size = args.max_file_size
        if args.metrics_from:
            config.policy = {**config.policy,
                             "metrics-from": list(config.policy.get("metrics-from", [])) + args.metrics_from}
    except ConfigError as exc:
        print(f"obslint: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from obslint import registry

    known = registry.load_all()
    for name in _csv(args.select) + _csv(args.ignore):
        if name.upper() != "ALL" and not any(registry.matches(c, [name]) for c in known):
            raise UsageError(f"unknown check {name!r} (see `obslint rules`)")
    _anchor_ignores(config)

    from obslint import suppress
    from obslint.engine import active_rules, lint

    select, ignore = _csv(args.select) or None, _csv(args.ignore)
    scope = None
    lint_paths = list(paths)
    if args.project_root is not None:
        # Cross-file checks see the whole tree; findings are reported for PATHS only.
        scope = ReportScope(paths)
        lint_paths = [args.project_root] + [p for p in paths if not _under(p, args.project_root)]
    active = {r.code for r in active_rules(config, select, ignore)}
    # --report-unused-suppressions turns SU001 on unless it is explicitly ignored.
    report_unused = args.report_unused_suppressions and not registry.matches("SU001", [*ignore, *config.ignore])
    try:
        with suppress.active_codes(active):
            result = lint(lint_paths, config, select=select, ignore=ignore, report_only=scope,
                          report_unused=report_unused)
    except ConfigError as exc:  # a policy value found unusable while checking (bad regex, metrics-from)
        print(f"obslint: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if report_unused:
        result.findings.extend(_unused_ignores(config, active, lint_paths))
        result.findings.sort(key=lambda f: f.sort_key())
    if scope is not None:
        result.findings = [f for f in result.findings if scope.shows(f.file)]
        result.skipped = [s for s in result.skipped if scope.shows(s)]
    result.findings = [f for f in result.findings if f.severity >= min_sev]

    fmt = args.format
    color = False
    if fmt is None:
        out_is_tty = args.output is None and sys.stdout is not None and sys.stdout.isatty()
        color = (out_is_tty and not args.no_color and "NO_COLOR" not in os.environ) or args.color
        fmt = "console" if color else "plain"
    elif fmt == "console":
        color = not args.no_color and "NO_COLOR" not in os.environ and (
            (sys.stdout is not None and sys.stdout.isatty()) or args.color)
    from obslint import report

    opts = {"color": color and args.output is None, "quiet": args.quiet, "statistics": args.statistics,
            "config": config, "report_files": scope.shows if scope is not None else None}
    jobs = [(fmt, args.output, opts)] + [(f, file, {**opts, "color": False, "quiet": False})
                                         for f, file in extra_outputs]
    from obslint.report.target import refusal

    linted = [src.path for src in (result.project.sources if result.project else [])]
    for _fmt, target, _opts in jobs:  # every file the run read is known now, not only those named
        why = refusal(target, linted) if target is not None else None
        if why:
            raise UsageError(why)
    for job_fmt, target, job_opts in jobs:
        reporter = report.get(job_fmt)
        if target is None:
            problem = report.to_stdout(reporter, result, job_opts)
            if problem:
                print(f"obslint: error: cannot write the report to standard output: {problem}", file=sys.stderr)
                return EXIT_USAGE
            continue
        import io

        buf = io.StringIO()
        reporter(result, buf, job_opts)
        try:
            _write_output(target, buf.getvalue())
        except OSError as exc:
            print(f"obslint: error: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
    if args.statistics and (fmt not in ("console", "plain") or args.output is not None):
        from obslint.report.console import statistics

        for n, code, sev, name in statistics(result):
            print(f"{n:>6}  {code:<7} {sev:<8} {name}", file=sys.stderr)
    if args.verbose:
        from obslint.report.text import printable

        reasons = getattr(result, "skip_reasons", {})
        for path in result.skipped:
            why = reasons.get(path, "not a dashboard, rule file or alerting provisioning file")
            print(f"skipped {printable(str(path))}: {printable(why)}", file=sys.stderr)
        from obslint.datasources import not_parsed_summary

        for line in not_parsed_summary(result.project):
            print(line, file=sys.stderr)
    if args.exit_zero or fail_on is None:
        return EXIT_OK
    return EXIT_FINDINGS if any(f.severity >= fail_on for f in result.findings) else EXIT_OK


def _anchor_ignores(config) -> None:
    """Make policy `ignore:` path globs relative to the config file's directory, and remember
    where each entry is written (for --report-unused-suppressions)."""
    from obslint.suppress import prepare_ignores

    entries = config.policy.get("ignore")
    if not entries:
        return
    root = str(config.root.resolve()) if config.path is not None else None
    config.policy = {**config.policy, "ignore": prepare_ignores(entries, root, _ignore_lines(config.path))}


def _ignore_lines(path: Path | None) -> list[int]:
    """1-based line of each `ignore:` entry in the config file (best effort; 0 when unknown)."""
    if path is None:
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    if path.name == "pyproject.toml":
        import re

        return [i for i, line in enumerate(text.splitlines(), 1)
                if re.match(r"\s*\[\[\s*tool\.obslint\.ignore\s*\]\]", line)]
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if getattr(key, "value", None) == "ignore" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _unused_ignores(config, active: set[str], lint_paths) -> list:
    """SU001 findings for policy `ignore:` entries that silenced nothing. Only when this run
    covered the config's whole directory (a partial run cannot tell)."""
    from obslint.config import relative
    from obslint.findings import Finding, Severity
    from obslint.suppress import IgnoreEntry, _normalise, code_matches

    entries = config.policy.get("ignore") or []
    if config.path is None or not any(_under(config.root, p) for p in lint_paths if os.path.isdir(p)):
        return []
    out = []
    for e in entries:
        if not isinstance(e, IgnoreEntry) or e.hits:
            continue
        if "code" in e:
            selectors = [_normalise(t) for t in str(e["code"]).split(",")]
            if not any(code_matches(s, a) for s in selectors for a in active):
                continue  # the checks it names did not run
        what = ", ".join(f"{k}: {e[k]}" for k in ("code", "path", "dashboard", "panel", "alert") if k in e)
        out.append(Finding(code="SU001", severity=Severity.WARNING, file=relative(config.path),
                           line=e.line or 1, col=1, message=f"policy ignore entry {{{what}}} silences nothing",
                           fix="remove the entry, or correct its path, code or names"))
    return out


def _check_output_path(path: Path) -> None:
    """Refuse an output path inside the working tree whose directory is reached through a
    symlink that leads out of the tree. (A symlink at the file itself is replaced, never
    followed: see atomic.write_atomic.)"""
    cwd = os.getcwd()
    real_cwd = os.path.realpath(cwd)
    absolute = os.path.abspath(path)
    if not (_under(absolute, cwd) or _under(absolute, real_cwd)):
        return  # an explicit path elsewhere: the user named it
    parent_real = os.path.realpath(os.path.dirname(absolute))
    if not _under(parent_real, real_cwd):
        raise UsageError(f"refusing to write {path}: its directory is a symlink to {parent_real}, "
                         f"outside the working tree")
    if os.path.isdir(absolute) and not os.path.islink(absolute):
        raise UsageError(f"cannot write {path}: it is a directory")


def _write_output(path: Path, text: str) -> None:
    from obslint.atomic import write_atomic

    write_atomic(path, text)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)  # mkstemp creates 0600; a report is an ordinary file


def cmd_rules(argv: list[str]) -> int:
    from obslint import registry

    p = _parser_class()(prog="obslint rules", description="List the checks: code, default severity, name, summary.")
    p.add_argument("selectors", nargs="*", help="only these codes, prefixes or names (e.g. PQ RF001)")
    p.add_argument("--format", choices=("plain", "json", "markdown"), default="plain")
    args = p.parse_args(argv)
    rules = registry.load_all()
    sel = _csv(args.selectors)
    for name in sel:
        if name.upper() != "ALL" and not any(registry.matches(c, [name]) for c in rules):
            raise UsageError(f"unknown check {name!r}")
    chosen = [r for c, r in rules.items() if not sel or registry.matches(c, sel)]
    if args.format == "json":
        import json

        print(json.dumps([{"code": r.code, "name": r.name, "severity": str(r.severity), "summary": r.summary,
                           "needs_policy": r.needs_policy, "options": r.options} for r in chosen],
                         indent=2, default=str))
        return EXIT_OK
    if args.format == "markdown":
        print("| code | name | severity | summary |\n|---|---|---|---|")
        for r in chosen:
            summary = r.summary.replace("|", "\\|")
            print(f"| `{r.code}` | {r.name} | {r.severity} | {summary} |")
        return EXIT_OK
    print(f"{'CODE':<7} {'SEVERITY':<8} {'NAME':<30} SUMMARY")
    for r in chosen:
        note = " (needs a policy)" if r.needs_policy else ""
        print(f"{r.code:<7} {str(r.severity):<8} {r.name:<30} {r.summary}{note}")
    return EXIT_OK


def cmd_explain(argv: list[str]) -> int:
    from obslint import registry

    p = _parser_class()(prog="obslint explain", description="Explain a check: why it matters, bad and good examples, "
                "options, how to suppress it.")
    p.add_argument("codes", nargs="*", metavar="CODE", help="a check code (e.g. RF001) or name (e.g. unknown-field)")
    p.add_argument("--query", help="a PromQL expression: show the labels its result can carry (label flow)")
    p.add_argument("--rules", nargs="*", default=[], metavar="PATH",
                   help="with --query: files or directories whose recording rules the query reads")
    p.add_argument("--format", choices=("text", "json"), default="text", help="with --query: text or json")
    args = p.parse_args(argv)
    if args.query is not None:
        from obslint import labelflow

        print(labelflow.explain(args.query, args.rules, as_json=args.format == "json"))
        return EXIT_OK
    if not args.codes:
        raise UsageError("name a check code (see `obslint rules`), or give --query EXPR")
    rules = []
    for code in args.codes:
        rule = registry.get(code)
        if rule is None:
            raise UsageError(f"unknown check {code!r} (see `obslint rules`)")
        rules.append(rule)
    print("\n\n".join(render_explain(r) for r in rules))
    return EXIT_OK


def render_explain(rule) -> str:
    """Summary, why it matters, bad and good examples, options, how to suppress."""
    import re

    from obslint.docs import doc, examples

    text = doc(rule)
    parts = re.split(r"^## +(.+)$", text, flags=re.M)
    intro, sections = parts[0].strip(), {}
    for i in range(1, len(parts), 2):
        sections.setdefault(parts[i].strip(), parts[i + 1].strip())
    out = [f"{rule.code}  {rule.name}  (default severity: {rule.severity})", rule.summary, ""]
    why = "\n\n".join(x for x in (intro, sections.pop("Why", "")) if x)
    out += ["Why it matters", _indent(why or rule.summary), ""]
    shown = set()
    for kind, files in examples(rule):
        title = "Bad" if kind == "bad" else "Good"
        names = ", ".join(files)
        out.append(f"{title} example ({names})")
        for name, content in files.items():
            if len(files) > 1:
                out.append(f"  # {name}")
            out.append(_indent(content.rstrip("\n")))
        out.append("")
    for key in list(sections):
        if key.startswith(("Bad", "Good")):
            shown.add(key)
    for key in shown:
        sections.pop(key)
    if not any(k == "bad" for k, _f in examples(rule)):
        out += ["Bad example", "  (this condition cannot be shown as a small file; see the description)", ""]
    options_doc = sections.pop("Options", "")
    out.append("Options")
    if rule.options or options_doc:
        if options_doc:
            out.append(_indent(options_doc))
        if rule.options:
            out.append("  defaults: " + ", ".join(f"{k}: {v!r}" for k, v in rule.options.items()))
            key, value = next(iter(rule.options.items()))
            out.append(f"  set in obslint.yaml:  checks: {{options: {{{rule.code}: {{{key}: ...}}}}}}")
    else:
        out.append("  none")
    out.append("")
    for key, body in sections.items():  # e.g. Fix, Notes
        out += [key, _indent(body), ""]
    out += ["How to suppress",
            f"  YAML, one place:  # obslint: disable={rule.code}   at the end of the line, or alone on the line",
            "                   above it or above the rule/panel it belongs to",
            f"  YAML, one file:   # obslint: disable-file={rule.code}",
            f"  any file (JSON):  obslint.yaml  ignore: [{{code: {rule.code}, path: \"dashboards/legacy/*.json\"}}]",
            "                   (also by dashboard: UID, panel: TITLE, alert: NAME)",
            f"  everywhere:       obslint.yaml  checks: {{ignore: [{rule.code}]}}   or   --ignore {rule.code}"]
    return "\n".join(out)


def _indent(text: str, pad: str = "  ") -> str:
    return "\n".join(pad + line if line.strip() else "" for line in text.splitlines())
