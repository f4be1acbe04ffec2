"""Human output: grouped by file, the source line with a caret, the fix and the exact text
that silences each finding. Colour through rich on a terminal, plain text otherwise.

Options (`opts`): `color`, `quiet` (one line per finding, nothing else), `quiet_context`
(no source lines), `statistics` (a count per code after the summary), `config` (for the
paths in policy `ignore:` hints)."""
from __future__ import annotations

from obslint.engine import Result
from obslint.findings import Severity
from obslint.report.text import printable
from obslint.suppress import flow_yaml, hint

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TextIO

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def config_root(opts: dict) -> str | None:
    config = opts.get("config")
    return str(config.root) if config is not None and getattr(config, "path", None) else None


def suppression_text(f, source_format: str | None, root: str | None) -> str:
    """The exact text that silences f, and where it goes."""
    h = hint(f, source_format, root)
    if h["comment"]:
        where = "at the end of this line or alone on the line above it"
        if f.scope is not None:
            where += ", or above its rule/panel"
        return f"{h['comment']}  ({where})"
    return f"add to the `ignore:` list of obslint.yaml: - {flow_yaml(h['ignore'])}"


def statistics(result: Result) -> list[tuple[int, str, str, str]]:
    """(count, code, severity, name) per code, most frequent first."""
    from obslint import registry

    rules = registry.load_all()
    counts: dict[str, int] = {}
    sev: dict[str, str] = {}
    for f in result.findings:
        counts[f.code] = counts.get(f.code, 0) + 1
        sev.setdefault(f.code, str(f.severity))
    return [(n, code, sev[code], rules[code].name if code in rules else "")
            for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def report(result: Result, out: TextIO, opts: dict) -> None:
    if opts.get("quiet"):
        name = {s: str(s) for s in Severity}
        out.writelines(f"{printable(f.file)}:{f.line}:{f.col}: {name[f.severity]} {f.code} {printable(f.message)}\n"
                       for f in result.findings)
        if opts.get("statistics"):
            _statistics(None, out, result)
        return
    color = opts.get("color", False)
    root = config_root(opts)
    sources = {s.display: s for s in (result.project.sources if result.project else [])}
    console = None
    if color:
        from rich.console import Console

        console = Console(file=out, highlight=False, soft_wrap=True, force_terminal=True)
    current = None
    for f in result.findings:
        if f.file != current:
            current = f.file
            file = printable(f.file)
            _emit(console, out, "", "")
            _emit(console, out, file, f"[bold underline]{_esc(console, file)}[/]")
        message = printable(f.message)
        plain = f"  {file}:{f.line}:{f.col}: {f.severity} {f.code} {message}"
        rich_head = (f"  [dim]{f.line}:{f.col}[/] [{_STYLE[f.severity]}]{f.severity}[/] "
                     f"[bold]{f.code}[/] {_esc(console, message)}")
        _emit(console, out, plain, rich_head)
        src = sources.get(f.file)
        text = src.line_text(f.line) if src and f.line else ""  # (a cached file keeps its shown lines)
        if text and not opts.get("quiet_context"):
            shown = text.replace("\t", " ")
            if len(shown) > 160:
                start = max(0, f.col - 60)
                before, shown = shown[start:f.col - 1], ("..." if start else "") + \
                    printable(shown[start:start + 150]) + ("..." if start + 150 < len(shown) else "")
                caret_col = len(printable(before)) + 1 + (3 if start else 0)
            else:
                caret_col = len(printable(shown[:f.col - 1])) + 1 if f.col > 1 else f.col
                shown = printable(shown)
            gutter = f"{f.line:>6} | "
            _emit(console, out, f"{gutter}{shown}", f"[dim]{gutter}[/]{_esc(console, shown)}")
            pad = " " * max(0, caret_col - 1)
            _emit(console, out, f"{' ' * 6} | {pad}^", f"[dim]{' ' * 6} | [/][{_STYLE[f.severity]}]{pad}^[/]")
        if f.fix:
            fix = printable(f.fix)
            _emit(console, out, f"         fix: {fix}", f"         [green]fix:[/] {_esc(console, fix)}")
        sup = printable(suppression_text(f, src.format if src is not None else None, root))
        _emit(console, out, f"         suppress: {sup}", f"         [dim]suppress: {_esc(console, sup)}[/]")
    summary = _summary(result)
    if result.findings:
        _emit(console, out, "", "")
    _emit(console, out, summary, f"[bold]{_esc(console, summary)}[/]" if result.findings else summary)
    if opts.get("statistics"):
        _statistics(console, out, result)


def _statistics(console, out: TextIO, result: Result) -> None:
    for n, code, sev, name in statistics(result):
        line = f"{n:>6}  {code:<7} {sev:<8} {name}"
        _emit(console, out, line, _esc(console, line))


def _summary(result: Result) -> str:
    e, w, i = (result.count(s) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO))
    parts = [f"{e} error{'s' if e != 1 else ''}", f"{w} warning{'s' if w != 1 else ''}", f"{i} info"]
    extra = f", {result.suppressed} suppressed" if result.suppressed else ""
    return (f"Checked {result.files} file{'s' if result.files != 1 else ''} in {result.elapsed:.2f}s: "
            f"{', '.join(parts)}{extra}")


def _esc(console, text: str) -> str:
    if console is None:
        return text
    from rich.markup import escape

    return escape(text)


def _emit(console, out: TextIO, plain: str, rich_text: str) -> None:
    if console is not None:
        console.print(rich_text)
    else:
        out.write(plain + "\n")
