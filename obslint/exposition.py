"""Prometheus exposition text (`metrics-from`), read as a stream with bounded memory.

Only what the metric catalog needs is kept: each family's name, type, help, and the label
names of its samples. Sample values are checked and dropped, so a 600 MB exposition costs
the memory of its distinct names, not of its samples. Limits (MAX_LINE, MAX_NAMES,
MAX_LABELS) bound what a hostile or endless source can make obslint hold.

A source that is not exposition text is refused with a message that says what is wrong and
where (line, byte offset), and never quotes the text: it may be a file that was never meant
to be shown (`/proc/self/environ`, a token) or a URL that answers with something else."""
from __future__ import annotations

import re

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Iterable, Iterator

MAX_LINE = 1 << 20  # bytes in one line
MAX_NAMES = 200_000  # distinct sample names in one source
MAX_LABELS = 1_000  # distinct label names of one sample name
FILE_CHUNK = 1 << 20

_NAME = r"[A-Za-z_:][A-Za-z0-9_:]*"
_STRING = r'[^"\\\n]*(?:\\.[^"\\\n]*)*'  # plain runs and escape pairs, unrolled: no backtracking
_VALUE = rf'"{_STRING}"'
_PAIR = rf"[A-Za-z_][A-Za-z0-9_]*\s*=\s*{_VALUE}"
_ANY_PAIR = rf"(?:[A-Za-z_][A-Za-z0-9_]*|{_VALUE})\s*=\s*{_VALUE}"  # label names may be quoted in braces
# Labels separated by commas (one comma per repetition, so a failing line cannot backtrack
# through the ways of splitting its spaces), an optional trailing comma.
_LABELS = rf"\{{\s*(?:{_PAIR}(?:\s*,\s*{_PAIR})*)?\s*,?\s*\}}"
_TAIL = r"\s+(\S+)(?:\s+-?\d+(?:\.\d+)?)?\s*(?:#.*)?$"  # value, timestamp, OpenMetrics exemplar
_SAMPLE = re.compile(rf"({_NAME})(?:\s*({_LABELS}))?{_TAIL}")
# A name inside the braces: Prometheus 3 quoted (UTF-8) names `{"my.metric", a="v"} 1`, and the
# `{__name__="m", a="v"} 1` form of `promtool tsdb dump`.
_BRACED = re.compile(rf'\{{\s*(?:"({_STRING})"\s*(?:,\s*|(?=\}})))?'
                     rf'((?:{_ANY_PAIR}(?:\s*,\s*{_ANY_PAIR})*)?)\s*,?\s*\}}{_TAIL}')
_NAME_LABEL = re.compile(rf'(?:^|,)\s*__name__\s*=\s*"({_STRING})"')
_LABEL_NAMES = re.compile(rf"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*{_VALUE}")
_SUFFIXES = {
    "counter": ("", "_total", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
    "info": ("", "_info"),
}
_TYPES = ("counter", "gauge", "histogram", "summary", "untyped", "unknown", "info", "stateset", "gaugehistogram")


class ExpositionError(ValueError):
    """Not exposition text, or past a limit: the message names the place, not the content."""


class Family:
    __slots__ = ("name", "type", "help", "samples")

    def __init__(self, name: str, type: str = "untyped") -> None:
        self.name, self.type, self.help = name, type, ""
        self.samples: dict[str, set] = {}


def parse(lines: Iterable[tuple[int, int, str]], where: str = "") -> list[Family]:
    """Families of (line number, byte offset, text) lines, in order of first appearance."""
    families: dict[str, Family] = {}
    owner: dict[str, Family] = {}  # sample name -> its family
    current: Family | None = None
    allowed: tuple = ()
    names = 0
    for number, offset, raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line[0] == "#":
            parts = line.split(None, 3)
            if len(parts) < 3 or parts[1] not in ("TYPE", "HELP"):
                continue  # a comment (also OpenMetrics `# EOF`)
            name = parts[2]
            if not re.fullmatch(_NAME, name):
                raise _error(where, number, offset, f"`# {parts[1]}` names an invalid metric name")
            fam = families.get(name)
            if fam is None:
                fam = families[name] = Family(name)
            if parts[1] == "TYPE":
                kind = parts[3].strip().lower() if len(parts) > 3 else ""
                if kind not in _TYPES:
                    raise _error(where, number, offset, "`# TYPE` needs one of " + ", ".join(_TYPES))
                fam.type = kind
            else:
                fam.help = parts[3] if len(parts) > 3 else ""
            current, allowed = fam, tuple(name + s for s in _SUFFIXES.get(fam.type, ("",)))
            continue
        m = _SAMPLE.match(line)
        if m is not None:
            sample, labels, value = m.group(1), m.group(2), m.group(3)
        else:
            m = _BRACED.match(line) if line[0] == "{" else None
            if m is None:
                raise _error(where, number, offset, _what_is_wrong(line))
            sample, labels, value = m.group(1), m.group(2), m.group(3)
            if sample is None:
                named = _NAME_LABEL.search(labels)
                if named is None:
                    raise _error(where, number, offset, "a sample without a metric name")
                sample = named.group(1)
            labels = labels.replace("__name__", "") if "__name__" in labels else labels
        try:
            float(value)
        except ValueError:
            raise _error(where, number, offset, "the sample value is not a number") from None
        fam = current if current is not None and sample in allowed else owner.get(sample)
        if fam is None:
            fam = families.get(sample)
            if fam is None:
                fam = families[sample] = Family(sample)
        seen = fam.samples.get(sample)
        if seen is None:
            names += 1
            if names > MAX_NAMES:
                raise _error(where, number, offset, f"more than {MAX_NAMES:,} metric names")
            seen = fam.samples[sample] = set()
            owner[sample] = fam
        if labels:
            seen.update(_LABEL_NAMES.findall(labels))
            if len(seen) > MAX_LABELS:
                raise _error(where, number, offset, f"metric has more than {MAX_LABELS:,} label names")
    return list(families.values())


def _what_is_wrong(line: str) -> str:
    if not re.match(_NAME, line) and not line.startswith("{"):
        return "a sample line must start with a metric name"
    if "{" in line and "}" not in line:
        return "the label set is not closed"
    if line.count('"') % 2:
        return "a label value is not closed"
    if re.match(rf"{_NAME}\s*(?:\{{.*\}})?\s*$", line):
        return "the sample has no value"
    return "the line is not `name{labels} value [timestamp]`"


def _error(where: str, number: int, offset: int, what: str) -> ExpositionError:
    return ExpositionError(f"{where}: line {number:,} (byte {offset:,}): not Prometheus exposition text: {what}")


def lines_of(chunks: Iterable[bytes], where: str = "") -> Iterator[tuple[int, int, str]]:
    """(line number, byte offset, text) of UTF-8 lines arriving in chunks; a line longer than
    MAX_LINE or bytes that are not UTF-8 are refused by position."""
    pending = b""
    number, offset = 0, 0
    for chunk in chunks:
        data = pending + chunk if pending else chunk
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end == -1:
                break
            number += 1
            yield number, offset, _decode(data[start:end], where, number, offset)
            offset += end + 1 - start
            start = end + 1
        pending = data[start:]
        if len(pending) > MAX_LINE:
            raise _error(where, number + 1, offset, f"a line longer than {MAX_LINE:,} bytes")
    if pending:
        yield number + 1, offset, _decode(pending, where, number + 1, offset)


def _decode(raw: bytes, where: str, number: int, offset: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _error(where, number, offset + exc.start, "invalid UTF-8") from None


def file_chunks(path, max_bytes: int) -> Iterator[bytes]:
    """A file's bytes in chunks, refused past max_bytes (a FIFO or /dev/zero cannot hold it open
    forever: the size cap ends it)."""
    with open(path, "rb") as fh:
        got = 0
        while True:
            chunk = fh.read(FILE_CHUNK)
            if not chunk:
                return
            got += len(chunk)
            if got > max_bytes:
                raise ExpositionError(f"{path}: larger than {max_bytes:,} bytes, the limit "
                                      f"(raise it with OBSLINT_FETCH_MAX_BYTES)")
            yield chunk


ACCEPT = "text/plain;version=0.0.4;q=1,*/*;q=0.1"


def read_source(where: str, root=None) -> list[Family]:
    """The families of one `metrics-from` source: an http(s) URL (obslint.netfetch: deadline,
    size cap), or a file (relative to `root`, the policy's directory, when not found as given).
    ExpositionError (one line, no content quoted) for anything unusable."""
    import os

    from obslint import netfetch

    try:
        max_bytes = netfetch.default_max_bytes()
        if re.match(r"(?i)^https?://", where):
            answer = netfetch.stream(where, headers={"Accept": ACCEPT})
            if answer.status != 200:
                answer.close()
                raise ExpositionError(f"{netfetch._show(where)}: HTTP {answer.status}; expected 200 with "
                                      f"exposition text")
            shown = netfetch._show(where)
            return parse(lines_of(answer.chunks(), shown), shown)
    except netfetch.FetchError as exc:
        raise ExpositionError(str(exc)) from None
    candidates = [where]
    if root is not None and not os.path.isabs(where):
        candidates.append(os.path.join(str(root), where))
    for path in candidates:
        try:
            st = os.stat(path)
        except OSError:
            continue
        import stat

        if stat.S_ISDIR(st.st_mode):
            raise ExpositionError(f"{where}: is a directory, not a file of exposition text")
        if not stat.S_ISREG(st.st_mode):
            raise ExpositionError(f"{where}: not a regular file (FIFO, socket or device)")
        if st.st_size > max_bytes:
            raise ExpositionError(f"{where}: {st.st_size:,} bytes, larger than the limit of {max_bytes:,} "
                                  f"(raise it with OBSLINT_FETCH_MAX_BYTES)")
        try:
            return parse(lines_of(file_chunks(path, max_bytes), where), where)
        except OSError as exc:
            raise ExpositionError(f"cannot read {where}: {exc.strerror or type(exc).__name__}") from None
    raise ExpositionError(f"no such file: {where}")
