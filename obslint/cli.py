"""Command line: `obslint [check] PATHS`, `obslint rules`, `obslint explain CODE`, `obslint probe`."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from obslint import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
COMMANDS = ("check", "rules", "explain", "probe")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, exit 2
        raise UsageError(message)


def _csv(values) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out += [x.strip() for x in v.split(",") if x.strip()]
    return out


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="obslint", description="Lint Grafana dashboards, Prometheus rules and Grafana alerting "
                "provisioning. Commands: check (default), rules, explain CODE, probe.")
    p.add_argument("--version", action="version", version=f"obslint {__version__}")
    p.add_argument("paths", nargs="*", type=Path, help="files or directories (default: the current directory)")
    p.add_argument("--config", type=Path, help="config/policy file (default: obslint.yaml, .obslint.yaml or "
                   "[tool.obslint] in pyproject.toml, searched upwards)")
    p.add_argument("--no-config", action="store_true", help="ignore any config file")
    p.add_argument("--format", default=None, choices=("console", "plain", "json", "sarif", "github", "junit"),
                   help="output format (default: console on a terminal, plain otherwise)")
    p.add_argument("--output", "-o", type=Path, help="write the report to this file (atomically)")
    p.add_argument("--select", action="append", help="only these checks (codes, prefixes or names; comma-separated)")
    p.add_argument("--ignore", action="append", help="skip these checks (codes, prefixes or names)")
    p.add_argument("--fail-on", default="error", help="lowest severity that makes the exit code 1 (default: error)")
    p.add_argument("--min-severity", default="info", help="do not report findings below this severity")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    p.add_argument("--quiet", "-q", action="store_true", help="print findings only, no source context or summary")
    p.add_argument("--statistics", action="store_true", help="print the number of findings per code")
    p.add_argument("--no-color", action="store_true", help="plain text even on a terminal (also NO_COLOR)")
    p.add_argument("--color", action="store_true", help="colour even when not on a terminal")
    p.add_argument("--report-unused-suppressions", action="store_true",
                   help="report `# obslint: disable` comments that suppress nothing")
    p.add_argument("--project-root", type=Path,
                   help="lint this whole tree for cross-file checks but report only the given paths "
                        "(used by the pre-commit hook)")
    p.add_argument("--metrics-from", action="append", default=[],
                   help="read the metric catalog from Prometheus exposition text (file or http URL)")
    p.add_argument("--verbose", "-v", action="store_true", help="also list files that were skipped and why")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            cmd, rest = argv[0], argv[1:]
        else:
            cmd, rest = "check", argv
        if cmd == "rules":
            return cmd_rules(rest)
        if cmd == "explain":
            return cmd_explain(rest)
        if cmd == "probe":
            from obslint.probe import main as probe_main

            return probe_main(rest)
        return cmd_check(rest)
    except UsageError as exc:
        print(f"obslint: error: {exc} (see `obslint --help`)", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("obslint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_OK


def cmd_check(argv: list[str]) -> int:
    from obslint.config import ConfigError, find_config, load_config
    from obslint.findings import Severity

    args = build_parser().parse_args(argv)
    try:
        fail_on = Severity.parse(args.fail_on)
        min_sev = Severity.parse(args.min_severity)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    paths = args.paths or [Path(".")]
    for p in paths:
        if not os.path.lexists(p):
            raise UsageError(f"no such file or directory: {p}")
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

    from obslint.engine import lint

    report_only = None
    lint_paths = paths
    if args.project_root:
        report_only = {os.path.normpath(os.path.abspath(p)) for p in paths}
        lint_paths = [args.project_root]
    result = lint(lint_paths, config, select=_csv(args.select) or None, ignore=_csv(args.ignore),
                  report_only=report_only, report_unused=args.report_unused_suppressions)
    result.findings = [f for f in result.findings if f.severity >= min_sev]

    fmt = args.format
    color = False
    if fmt is None:
        out_is_tty = args.output is None and sys.stdout.isatty()
        color = (out_is_tty and not args.no_color and "NO_COLOR" not in os.environ) or args.color
        fmt = "console" if color else "plain"
    elif fmt == "console":
        color = not args.no_color and "NO_COLOR" not in os.environ and (sys.stdout.isatty() or args.color)
    from obslint import report

    reporter = report.get(fmt)
    opts = {"color": color and args.output is None, "quiet_context": args.quiet, "statistics": args.statistics,
            "config": config}
    if args.quiet and fmt in ("console", "plain"):
        for f in result.findings:
            print(f"{f.file}:{f.line}:{f.col}: {f.severity} {f.code} {f.message}")
    elif args.output is not None:
        from obslint.atomic import write_atomic

        import io

        buf = io.StringIO()
        reporter(result, buf, opts)
        try:
            write_atomic(args.output, buf.getvalue())
        except OSError as exc:
            print(f"obslint: error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
    else:
        reporter(result, sys.stdout, opts)
    if args.verbose:
        for path in result.skipped:
            print(f"skipped {path}: not a dashboard, rule file or alerting provisioning file", file=sys.stderr)
    if args.exit_zero:
        return EXIT_OK
    return EXIT_FINDINGS if any(f.severity >= fail_on for f in result.findings) else EXIT_OK


def cmd_rules(argv: list[str]) -> int:
    from obslint import registry

    p = _Parser(prog="obslint rules", description="List every check with its code, severity and summary.")
    p.add_argument("--format", choices=("plain", "json"), default="plain")
    args = p.parse_args(argv)
    rules = registry.load_all()
    if args.format == "json":
        import json

        print(json.dumps([{"code": c, "name": r.name, "severity": str(r.severity), "summary": r.summary}
                          for c, r in rules.items()], indent=2))
        return EXIT_OK
    for code, rule in rules.items():
        print(f"{code:<7} {str(rule.severity):<8} {rule.name:<28} {rule.summary}")
    return EXIT_OK


def cmd_explain(argv: list[str]) -> int:
    from obslint import registry
    from obslint.docs import explain

    p = _Parser(prog="obslint explain", description="Explain a check: why it matters, examples, options.")
    p.add_argument("code", help="a check code (e.g. RF001) or name (e.g. unknown-field)")
    args = p.parse_args(argv)
    rule = registry.get(args.code)
    if rule is None:
        raise UsageError(f"unknown check {args.code!r} (see `obslint rules`)")
    print(explain(rule))
    return EXIT_OK
