"""Configuration and policy: `obslint.yaml`, `.obslint.yaml` or `[tool.obslint]` in
pyproject.toml, found by walking up from the linted paths, validated by
`schemas/policy.schema.json`."""
from __future__ import annotations

import os
from pathlib import Path

from obslint.findings import Severity
from obslint.load import DEFAULT_MAX_BYTES
from obslint.record import Record

CONFIG_NAMES = ("obslint.yaml", ".obslint.yaml", "obslint.yml", ".obslint.yml")


class ConfigError(Exception):
    """A configuration problem: reported in one line, exit 2."""


_FIELDS = ("path", "root", "select", "ignore", "severity", "options", "exclude", "max_file_size", "policy",
           "ignore_lines")


class Config(Record):
    """The run's configuration. A plain class (a dataclass costs start-up time) with the
    dataclass's behaviour: keyword or positional fields, equality by value, the same repr."""

    _fields = _FIELDS

    def __init__(self, path: Path | None = None, root: Path | None = None, select: list[str] | None = None,
                 ignore: list[str] | None = None, severity: dict[str, Severity] | None = None,
                 options: dict[str, dict] | None = None, exclude: list[str] | None = None,
                 max_file_size: int = DEFAULT_MAX_BYTES, policy: dict | None = None,
                 ignore_lines: list[int] | None = None) -> None:
        self.path = path
        self.root = Path.cwd() if root is None else root
        self.select = ["ALL"] if select is None else select
        self.ignore = [] if ignore is None else ignore
        self.severity = {} if severity is None else severity
        self.options = {} if options is None else options
        self.exclude = [] if exclude is None else exclude
        self.max_file_size = max_file_size
        self.policy = {} if policy is None else policy
        # 1-based line of each policy `ignore:` entry in the config file (0: unknown).
        self.ignore_lines = [] if ignore_lines is None else ignore_lines
        self.source = None  # the config file as a Source (obslint.policyload.read), when read

    def policy_document(self):
        """The config file's Document (its data, and positions in it), read on first use when
        this Config was not loaded from its file; None without a readable config file."""
        if self.source is None and self.path is not None:
            from obslint import policyload

            try:
                self.source = policyload.read(self.path, Path(self.path).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError):
                return None
        return self.source.documents[0] if self.source is not None else None

    def replace(self, **changes) -> Config:
        """A copy with some fields changed (the run's own view: the CLI's overrides)."""
        values = {f: getattr(self, f) for f in self._fields}
        values.update(changes)
        cfg = Config(**values)
        cfg.source = self.source if cfg.path == self.path else None
        return cfg

    def rule_options(self, rule) -> dict:
        return {**self.options.get(rule.name, {}), **self.options.get(rule.code, {})}


def find_config(start: Path) -> Path | None:
    try:
        here = start.resolve()
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
        here = Path(os.path.abspath(start))
    if here.is_file() or not here.exists():
        here = here.parent
    for d in [here, *here.parents]:
        for name in CONFIG_NAMES:
            if (d / name).is_file():
                return d / name
        pyproject = d / "pyproject.toml"
        if pyproject.is_file() and "[tool.obslint" in _read(pyproject):
            return pyproject
        if (d / ".git").exists():
            break
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    from obslint import policyload

    text = _read(path)
    try:  # the guards of linted files: aliases, depth, constructors, key types (obslint.policyload)
        source = policyload.read(path, text)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    doc = source.documents[0]
    cfg = from_dict(doc.data or {}, path)
    cfg.source = source
    entries = doc.data.get("ignore") if isinstance(doc.data, dict) else None
    if isinstance(entries, list):  # where each entry is written, for SU001 on unused ones
        cfg.ignore_lines = [doc.locate(("ignore", i))[0] for i in range(len(entries))]
    return cfg


def from_dict(data, path: Path | None = None) -> Config:
    from obslint import schemas

    where = str(path) if path else "config"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the config must be a mapping")
    errs = schemas.errors("policy", data)
    if errs:
        raise ConfigError(f"{where}: {schemas.describe(errs[0])}")
    checks = data.get("checks") or {}
    cfg = Config(path=path, root=(path.parent if path else Path.cwd()))
    cfg.select = list(checks.get("select") or ["ALL"])
    cfg.ignore = list(checks.get("ignore") or [])
    cfg.options = {k: dict(v or {}) for k, v in (checks.get("options") or {}).items()}
    cfg.exclude = list(data.get("exclude") or [])
    cfg.max_file_size = int(data.get("max-file-size", DEFAULT_MAX_BYTES))
    for code, sev in (checks.get("severity") or {}).items():
        cfg.severity[code] = Severity.parse(sev)
    cfg.policy = {k: v for k, v in data.items() if k not in ("checks", "exclude", "max-file-size")}
    from obslint import registry

    for name in registry.unknown([*cfg.select, *cfg.ignore, *cfg.severity, *cfg.options]):
        raise ConfigError(f"{where}: unknown check {name!r} (see `obslint rules`)")
    for name, opts in cfg.options.items():
        for problem in registry.option_errors(name, opts):
            raise ConfigError(f"{where}: checks.options.{name}: {problem}")
    return cfg


def relative(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") and os.path.isabs(str(path)) else rel
