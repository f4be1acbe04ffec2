"""`obslint coverage [PATHS]` and `obslint gen-tests [PATHS] -o DIR`: the alert-test commands.

Each command is an `add_arguments(parser)` / `run(args)` pair; `main(cmd, argv)` is the one
call the CLI makes."""
from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _project(args):
    """(project, context) for the paths, with the policy found as `obslint check` finds it."""
    from obslint.config import Config, find_config, load_config
    from obslint.engine import Context, load_project

    paths = args.paths or [Path(".")]
    for p in paths:
        if not p.exists():
            raise _usage(f"no such file or directory: {p}")
    if getattr(args, "no_config", False):
        config = Config()
    else:
        cfg = args.config
        if cfg is not None and not cfg.is_file():
            raise _usage(f"config file not found: {cfg}")
        config = load_config(cfg if cfg is not None else find_config(paths[0]))
    project, _findings, _files = load_project(paths, config)
    return project, Context(config, project)


def _usage(message: str) -> Exception:
    from obslint.cli import UsageError

    return UsageError(message)


def _common(p) -> None:
    p.add_argument("paths", nargs="*", type=Path, help="files or directories (default: the current directory)")
    p.add_argument("--config", type=Path, help="config/policy file (default: found upwards from the first path)")
    p.add_argument("--no-config", action="store_true", help="ignore any config file")


# --------------------------------------------------------------------------------------------------
# coverage
# --------------------------------------------------------------------------------------------------
def add_coverage_arguments(p) -> None:
    _common(p)
    p.add_argument("--format", choices=("console", "plain", "json"), default=None,
                   help="output format (default: console on a terminal, plain otherwise)")
    p.add_argument("--require", choices=("none", "firing", "both"), default="none",
                   help="exit 1 unless every alert has a firing case (firing) or a firing and a silent case (both)")


def run_coverage(args) -> int:
    from obslint import coverage

    project, ctx = _project(args)
    items = coverage.collect(project, ctx)
    tot = coverage.totals(items)
    fmt = args.format or ("console" if sys.stdout.isatty() else "plain")
    if fmt == "json":
        import json

        print(json.dumps({"alerts": [c.as_dict() for c in items], "totals": tot}, indent=2))
    elif fmt == "console":
        _rich_table(items, tot)
    else:
        width = max([len(c.name) for c in items] + [5])
        for c in items:
            print(f"{c.name:<{width}}  firing: {_mark(c.firing)}  silent: {_mark(c.silent)}  {c.file}")
        print(_totals_line(tot))
    if args.require != "none" and not all(c.covered(args.require) for c in items):
        return EXIT_FAIL
    return EXIT_OK


def _mark(cases: list) -> str:
    return f"yes ({len(cases)})" if cases else "NO     "


def _totals_line(tot: dict) -> str:
    n = tot["alerts"] or 1
    return (f"{tot['alerts']} alerts: {tot['firing']} with a firing case ({100 * tot['firing'] / n:.0f}%), "
            f"{tot['silent']} with a silent case, {tot['both']} with both, {tot['untested']} untested")


def _rich_table(items, tot) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Alert test coverage")
    for col in ("alert", "firing", "silent", "rule file"):
        table.add_column(col)
    for c in items:
        table.add_row(c.name, f"[green]{len(c.firing)}[/]" if c.firing else "[red]none[/]",
                      f"[green]{len(c.silent)}[/]" if c.silent else "[red]none[/]", c.file)
    console = Console()
    console.print(table)
    console.print(_totals_line(tot))


# --------------------------------------------------------------------------------------------------
# gen-tests
# --------------------------------------------------------------------------------------------------
def add_gen_arguments(p) -> None:
    _common(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="directory to write the test files to")
    p.add_argument("--format", choices=("plain", "json"), default="plain", help="what to print about the run")


def run_gen(args) -> int:
    from obslint import testgen

    if args.output.exists() and not args.output.is_dir():
        raise _usage(f"--output is not a directory: {args.output}")
    project, _ctx = _project(args)
    result = testgen.generate(project, str(args.output))
    if args.format == "json":
        import json

        print(json.dumps({"files": result["files"],
                          "tested": [{"file": f, "alert": a} for f, a in result["tested"]],
                          "skipped": [{"file": f, "alert": a, "reason": r} for f, a, r in result["skipped"]]},
                         indent=2))
        return EXIT_OK
    for path in result["files"]:
        print(f"wrote {path}")
    for _f, alert, reason in result["skipped"]:
        print(f"not modelled: {alert}: {reason}")
    n, s = len(result["tested"]), len(result["skipped"])
    print(f"{n} of {n + s} alerts have generated tests; run `promtool test rules {args.output}/*.test.yml`")
    return EXIT_OK


COMMANDS = {
    "gen-tests": ("Write promtool unit tests that prove each alert fires (and stays silent just inside its "
                  "threshold).", add_gen_arguments, run_gen),
    "coverage": ("Per alert, whether a promtool test expects it firing and one expects it silent.",
                 add_coverage_arguments, run_coverage),
}


def main(cmd: str, argv: list[str]) -> int:
    from obslint.cli import _Parser

    description, add_arguments, run = COMMANDS[cmd]
    p = _Parser(prog=f"obslint {cmd}", description=description)
    add_arguments(p)
    args = p.parse_args(argv)
    return run(args)
