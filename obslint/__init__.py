"""obslint: a linter for observability-as-code (Grafana dashboards, Prometheus rules, Grafana alerting).

The Python API is one call, what the `obslint` command runs:

    import obslint
    from obslint.config import load_config, find_config

    result = obslint.lint(["dashboards/"], load_config(find_config(Path("."))), select=["PQ"])
    for f in result.findings:
        print(f.file, f.line, f.col, f.code, f.severity, f.message)

`lint(paths, config=None, *, select, ignore, project_root, report_unused, min_severity,
metrics_from, max_file_size) -> Result` (see `obslint.engine.lint`); it raises
`obslint.config.ConfigError` for an unknown check or an unusable policy value.
"""

__version__ = "0.1.0"


def lint(paths, config=None, **options):
    """Lint files and directories; returns an `obslint.engine.Result` (findings, files,
    skipped, suppressed, ...). Options as `obslint.engine.lint`."""
    from obslint.engine import lint as run

    return run(list(paths), config, **options)
