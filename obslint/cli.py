"""Command line: `obslint [check] PATHS`, `obslint rules`, `obslint explain CODE`, `obslint probe`.

The CLI parses arguments (argparse), calls `obslint.lint` and renders the Result; everything a
run decides lives in the engine. Exit status: 0 clean, 1 findings at or above `--fail-on`,
2 usage or configuration error (one line on stderr)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from obslint import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
COMMANDS = ("check", "rules", "explain", "probe", "coverage", "gen-tests")
FORMATS = ("console", "plain", "json", "sarif", "github", "junit")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors raise UsageError (one clear line, exit 2)."""

    def error(self, message: str):
        raise UsageError(message)


def _csv(values) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out += [x.strip() for x in v.split(",") if x.strip()]
    return out


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="obslint", description="Lint Grafana dashboards, Prometheus rules and Grafana alerting "
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
    # issue 19: cache and worker processes (obslint.cache, obslint.incremental, obslint.parallel)
    p.add_argument("--no-cache", action="store_true",
                   help="neither read nor write the cache of unchanged files' results (.obslint_cache/)")
    p.add_argument("--cache-dir", type=Path, metavar="DIR",
                   help="keep the cache here (default: .obslint_cache/ beside the config file, else in the "
                        "current directory)")
    p.add_argument("--jobs", "-j", type=int, metavar="N",
                   help="worker processes for files not in the cache (default: the usable cores; small runs "
                        "stay in one process)")
    fixing = p.add_argument_group("fixing (obslint writes to files only with --fix or --fix-only)")
    fixing.add_argument("--fix", action="store_true", help="apply the safe fixes of the findings, then report what is left")
    fixing.add_argument("--unsafe-fixes", action="store_true",
                        help="with --fix, --fix-only or --diff: also the fixes that change behaviour")
    fixing.add_argument("--diff", action="store_true",
                        help="print the fixes as a unified diff and write nothing (exit 1 if anything would change)")
    fixing.add_argument("--fix-only", action="store_true", help="apply the fixes without reporting the other findings")
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
    except MemoryError:  # an input too big for the memory obslint may use: one line, no traceback
        print("obslint: error: out of memory (the input is too large for the memory available to obslint)",
              file=sys.stderr)
        return EXIT_USAGE
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


def _severity(text: str, allow_never: bool = False):
    from obslint.findings import Severity

    if allow_never and text.strip().lower() in ("never", "none"):
        return None
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise UsageError(str(exc) + (" or never" if allow_never else "")) from None


def load_run_config(args, paths):
    """The Config a command line asks for: none, `--config`, or the one found upwards."""
    from obslint.config import Config, find_config, load_config

    if args.no_config:
        return Config()
    cfg_path = args.config
    if cfg_path is not None and not cfg_path.is_file():
        raise UsageError(f"config file not found: {cfg_path}")
    if cfg_path is None:
        cfg_path = find_config(args.project_root or paths[0])
    return load_config(cfg_path)


def cmd_check(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from obslint.config import ConfigError

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
    if args.max_file_size is not None and args.max_file_size < 1:
        raise UsageError("--max-file-size must be a positive number of bytes")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    from obslint import lint

    fixing = args.fix or args.fix_only or args.diff
    if args.diff and (args.fix or args.fix_only):
        raise UsageError("--diff writes nothing; it cannot be combined with --fix or --fix-only")
    try:
        config = load_run_config(args, paths)
        result = lint(paths, config, select=_csv(args.select), ignore=_csv(args.ignore),
                      project_root=args.project_root, report_unused=args.report_unused_suppressions,
                      min_severity=min_sev, metrics_from=args.metrics_from, max_file_size=args.max_file_size,
                      fix=("unsafe" if args.unsafe_fixes else "safe") if fixing else None, write=not args.diff,
                      **_scale_options(args))
    except ConfigError as exc:  # also a policy value found unusable while checking (bad regex, metrics-from)
        print(f"obslint: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if fixing:
        from obslint.report.fixes import render_fixes

        done = render_fixes(result.fixes, diff=args.diff, fix_only=args.fix_only)
        if done is not None:  # --diff, --fix-only: nothing else is reported
            return done
    return render(result, args, config, fmt=args.format, extra_outputs=extra_outputs, fail_on=fail_on)


def _scale_options(args) -> dict:
    """Cache, worker processes and the progress bar (on a terminal, human formats only)."""
    opts = {"cache": not args.no_cache and "OBSLINT_NO_CACHE" not in os.environ, "cache_dir": args.cache_dir,
            "jobs": args.jobs}
    human = args.format in (None, "console", "plain") and not args.quiet
    if human and args.output is None and sys.stderr is not None and sys.stderr.isatty():
        from obslint.progress import Bar

        opts["progress"] = Bar()
    return opts


def render(result, args, config, fmt, extra_outputs, fail_on) -> int:
    """Write the report(s), then the exit status."""
    color = False
    if fmt is None:
        out_is_tty = args.output is None and sys.stdout is not None and sys.stdout.isatty()
        color = (out_is_tty and not args.no_color and "NO_COLOR" not in os.environ) or args.color
        fmt = "console" if color else "plain"
    elif fmt == "console":
        color = not args.no_color and "NO_COLOR" not in os.environ and (
            (sys.stdout is not None and sys.stdout.isatty()) or args.color)
    from obslint import report

    scope = None
    if args.project_root is not None:
        from obslint.engine import ReportScope

        scope = ReportScope(args.paths or [Path(".")])
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


def _check_output_path(path: Path) -> None:
    """Refuse an output path inside the working tree whose directory is reached through a
    symlink that leads out of the tree. (A symlink at the file itself is replaced, never
    followed: see atomic.write_atomic.)"""
    from obslint.engine import under

    cwd = os.getcwd()
    real_cwd = os.path.realpath(cwd)
    absolute = os.path.abspath(path)
    if not (under(absolute, cwd) or under(absolute, real_cwd)):
        return  # an explicit path elsewhere: the user named it
    parent_real = os.path.realpath(os.path.dirname(absolute))
    if not under(parent_real, real_cwd):
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

    p = _Parser(prog="obslint rules", description="List the checks: code, default severity, name, summary.")
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

        wanted = {r.code for r in chosen}
        print(json.dumps([row for row in registry.table() if row["code"] in wanted], indent=2, default=str))
        return EXIT_OK
    if args.format == "markdown":
        print(registry.markdown_table(chosen))
        return EXIT_OK
    print(f"{'CODE':<7} {'SEVERITY':<8} {'NAME':<30} SUMMARY")
    for r in chosen:
        note = " (needs a policy)" if r.needs_policy else ""
        fix = f" [fix: {r.fixable}]" if r.fixable else ""
        print(f"{r.code:<7} {str(r.severity):<8} {r.name:<30} {r.summary}{note}{fix}")
    return EXIT_OK


def cmd_explain(argv: list[str]) -> int:
    from obslint import registry

    p = _Parser(prog="obslint explain", description="Explain a check: why it matters, bad and good examples, "
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
    out += ["Automatic fix", _indent(_fix_line(rule)), ""]
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
    from obslint.suppress import ways

    out.append("How to suppress")
    out += [f"  {scope}: {how.replace('`', '')}" for scope, how in ways(rule.code)]
    return "\n".join(out)


def _fix_line(rule) -> str:
    if rule.fixable == "safe":
        return "yes, safe: `obslint --fix` applies it (`--diff` shows it first)"
    if rule.fixable == "unsafe":
        return ("yes, unsafe (it changes behaviour): applied only with `obslint --fix --unsafe-fixes` "
                "(`--diff --unsafe-fixes` shows it first)")
    return "none: the finding's advice says what to change"


def _indent(text: str, pad: str = "  ") -> str:
    return "\n".join(pad + line if line.strip() else "" for line in text.splitlines())
