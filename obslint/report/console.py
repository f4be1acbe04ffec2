"""Human output: grouped by file, the source line with a caret, the fix and the way to
silence it. Colour through rich on a terminal, plain text otherwise."""
from __future__ import annotations

from typing import TextIO

from obslint.engine import Result
from obslint.findings import Severity

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def report(result: Result, out: TextIO, opts: dict) -> None:
    color = opts.get("color", False)
    sources = {s.display: s for s in (result.project.sources if result.project else [])}
    lines: list[str] = []
    console = None
    if color:
        from rich.console import Console
        from rich.markup import escape

        console = Console(file=out, highlight=False, soft_wrap=True)
    current = None
    for f in result.findings:
        if f.file != current:
            current = f.file
            _emit(console, out, "", f"[bold underline]{_esc(console, f.file)}[/]" if console else f.file)
        head = f"{f.file}:{f.line}:{f.col}: {f.severity} {f.code} {f.message}"
        if console:
            head = (f"  [dim]{_esc(console, f'{f.line}:{f.col}')}[/] [{_STYLE[f.severity]}]{f.severity}[/] "
                    f"[bold]{f.code}[/] {_esc(console, f.message)}")
        _emit(console, out, "  " + head if not console else head, head)
        src = sources.get(f.file)
        text = src.line_text(f.line) if src and src.text and f.line else ""
        if text and not opts.get("quiet_context"):
            shown = text.replace("\t", " ")
            if len(shown) > 160:
                start = max(0, f.col - 60)
                shown = ("..." if start else "") + shown[start:start + 150]
                caret_col = f.col - start + (3 if start else 0)
            else:
                caret_col = f.col
            gutter = f"{f.line:>6} | "
            _emit(console, out, f"{gutter}{shown}", f"[dim]{gutter}[/]{_esc(console, shown)}")
            caret = " " * 6 + " | " + " " * max(0, caret_col - 1) + "^"
            _emit(console, out, caret, f"[dim]{' ' * 6} | [/][{_STYLE[f.severity]}]{' ' * max(0, caret_col - 1)}^[/]")
        if f.fix:
            _emit(console, out, f"         fix: {f.fix}", f"         [green]fix:[/] {_esc(console, f.fix)}")
        hint = _suppress_hint(f, src)
        _emit(console, out, f"         suppress: {hint}", f"         [dim]suppress: {_esc(console, hint)}[/]")
    summary = _summary(result)
    if result.findings:
        _emit(console, out, "", "")
    _emit(console, out, summary, summary)
    if opts.get("statistics"):
        counts: dict[str, int] = {}
        for f in result.findings:
            counts[f.code] = counts.get(f.code, 0) + 1
        for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            _emit(console, out, f"{n:>6}  {code}", f"{n:>6}  {code}")


def _suppress_hint(f, src) -> str:
    if src is not None and src.format == "yaml":
        return f"{f.suppression} (on the line or above it)"
    return f"policy `ignore: [{{code: {f.code}, path: \"{f.file}\"}}]` (JSON has no comments)"


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
