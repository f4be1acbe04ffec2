"""Mutations of real files for fuzzing, and the oracle every mutated file must satisfy.

Shared by the hypothesis test (tests/robustness/test_fuzz.py) and the on-demand campaign
(scripts/fuzz.py). A case is (corpus file, random generator): the generator picks one to
four mutations (byte flips, truncation, inserted tokens, line edits, key deletions, type
swaps, PromQL edits, splices from another file) so a seed reproduces a case exactly.
"""
from __future__ import annotations

import copy
import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
INFRA = Path(__file__).resolve().parents[2] / "infra"
SUFFIXES = (".json", ".yaml", ".yml")


def corpus_files(max_bytes: int = 2_000_000) -> list[Path]:
    """Every JSON/YAML file of the corpus and of infra/ (plus suffix-less dashboards), sorted."""
    files = []
    for root in (CORPUS, INFRA):
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                p = Path(dirpath) / name
                if p.suffix.lower() in SUFFIXES or ("." not in name and _looks_like_json(p)):
                    try:
                        if p.stat().st_size <= max_bytes:
                            files.append(p)
                    except OSError:
                        pass
    return sorted(files)


def _looks_like_json(p: Path) -> bool:
    try:
        with open(p, "rb") as fh:
            return fh.read(64).lstrip().startswith(b"{")
    except OSError:
        return False


# --- mutations on bytes ---------------------------------------------------------------

TOKENS = [b"{", b"}", b"[", b"]", b'"', b"'", b":", b": ", b",", b"\n", b"\r\n", b"\r", b"\t", b"  ", b"- ",
          b"&a ", b"*a", b"<<: *a", b"---\n", b"...\n", b"%YAML 1.2\n", b"!!binary ", b"!!python/object ", b"? ",
          b"|", b">-", b"#", b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xe9", b"\xc3\x28", b"\xe2\x80\xa8",
          b"\xc2\x85", b"\\u0000", b"\\ud800", b"null", b"true", b"1e999", b"-0", b"NaN", b"9" * 30,
          b"$__rate_interval", b"${var}", b"[[var]]", b"$__interval", b"(", b")", b"by (", b" or ", b"[5m]",
          b"{job=~\"", b"# obslint: disable=ALL", b"# obslint: disable-file=PQ001", b"expr: ", b"- record: x\n",
          b"- alert: A\n", b'"expr": "', b'"panels": [', b'"targets": [{"expr": "up"}]', b"\\", b"\\\\", b"`"]


def flip_bytes(rng: random.Random, raw: bytes) -> bytes:
    if not raw:
        return bytes([rng.randrange(256)])
    b = bytearray(raw)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(b))
        b[i] = rng.choice((b[i] ^ (1 << rng.randrange(8)), rng.randrange(256), rng.choice(b"{}[]\":,\n\t -")))
    return bytes(b)


def truncate(rng: random.Random, raw: bytes) -> bytes:
    return raw[: rng.randrange(len(raw) + 1)]


def insert_token(rng: random.Random, raw: bytes) -> bytes:
    out = raw
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(out) + 1)
        out = out[:i] + rng.choice(TOKENS) * rng.choice((1, 1, 1, 2, 5)) + out[i:]
    return out


def delete_span(rng: random.Random, raw: bytes) -> bytes:
    if not raw:
        return raw
    i = rng.randrange(len(raw))
    return raw[:i] + raw[i + rng.randint(1, 64):]


def edit_lines(rng: random.Random, raw: bytes) -> bytes:
    lines = raw.split(b"\n")
    for _ in range(rng.randint(1, 3)):
        if not lines:
            break
        i = rng.randrange(len(lines))
        op = rng.randrange(6)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])  # a duplicate line: duplicate keys
        elif op == 2:
            lines[i] = b" " * rng.choice((1, 2, 4)) + lines[i]
        elif op == 3:
            lines[i] = lines[i].lstrip(b" ")
        elif op == 4:
            lines[i] = lines[i].replace(b"  ", b"\t", 1)
        else:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def splice(rng: random.Random, raw: bytes, other: bytes) -> bytes:
    if not other:
        return raw
    a = rng.randrange(len(other))
    piece = other[a:a + rng.randint(1, 400)]
    i = rng.randrange(len(raw) + 1)
    return raw[:i] + piece + raw[i:]


# --- mutations on the data tree ---------------------------------------------------------

PROMQL_EDITS = ["(", ")", "[5m]", "[$__rate_interval]", "${job}", "$__interval", "[[x]]", " by (job)", " without (",
                " or ", " and on(job) ", " > 0", " == bool 1", "{", "}", '{job="a"}', "=~", '"', "'", "`", "#", "\n",
                " offset 5m", " @ end()", "[5m:1m]", "rate(", "histogram_quantile(0.9, ", "sum(", "abs(" * 50,
                "-", "+", "/", "^", "1e308", "0x", "__name__", "\\", "$", "ø", "\u2028"]


def edit_promql(rng: random.Random, expr: str) -> str:
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(expr) + 1)
        op = rng.randrange(3)
        if op == 0:
            expr = expr[:i] + rng.choice(PROMQL_EDITS) + expr[i:]
        elif op == 1:
            expr = expr[:i] + expr[i + rng.randint(1, 8):]
        else:
            expr = expr[:i] + rng.choice(PROMQL_EDITS) + expr[i + rng.randint(1, 4):]
    return expr


SWAPS = [None, True, 0, -1, 1.5, 10 ** 20, float("inf"), "", "x", "5m", "1.5h", [], {}, [None], {"": None},
         ["a", 1], {"expr": "up"}, "$datasource", {"type": "prometheus", "uid": "${ds}"}]


def _swap(rng: random.Random):
    """A fresh copy of a replacement value (a shared one would carry mutations into later cases)."""
    return copy.deepcopy(rng.choice(SWAPS))


def _walk(root, limit: int = 100_000):
    """(path, node) pairs, iteratively and at most `limit` (aliases can make a tree huge)."""
    stack = [((), root)]
    count = 0
    while stack and count < limit:
        path, node = stack.pop()
        count += 1
        yield path, node
        if isinstance(node, dict):
            stack.extend((path + (k,), v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((path + (i,), v) for i, v in reversed(list(enumerate(node))))


def _parent(root, path):
    node = root
    for step in path[:-1]:
        node = node[step]
    return node


def mutate_tree(rng: random.Random, data):
    """Delete keys, swap types, rename keys, edit PromQL strings, in place (returns the root)."""
    nodes = list(_walk(data))
    for _ in range(rng.randint(1, 4)):
        path, node = rng.choice(nodes)
        op = rng.randrange(5)
        exprs = [(p, n) for p, n in nodes if p and p[-1] in ("expr", "query") and isinstance(n, str)]
        if op == 0 and exprs:
            p, n = rng.choice(exprs)
            try:
                _parent(data, p)[p[-1]] = edit_promql(rng, n)
            except (KeyError, IndexError, TypeError):
                pass
            continue
        if not path:
            continue
        try:
            parent = _parent(data, path)
            if op == 1:
                if isinstance(parent, dict):
                    parent.pop(path[-1], None)
                elif isinstance(parent, list) and path[-1] < len(parent):
                    del parent[path[-1]]
            elif op == 2:
                parent[path[-1]] = _swap(rng)
            elif op == 3 and isinstance(parent, dict) and isinstance(path[-1], str):
                value = parent.pop(path[-1])
                parent[rng.choice((path[-1].upper(), path[-1] + "s", path[-1][:-1], "datasourceUID", "for", "expr"))] = value
            else:
                parent[path[-1]] = _swap(rng) if isinstance(node, str) else str(node)
        except (KeyError, IndexError, TypeError):
            pass
        nodes = list(_walk(data))
    return data


def _load(raw: bytes, fmt: str):
    """The documents of a text, or ValueError. Deep texts are refused up front (measured
    iteratively) so that whether loading works never depends on the current stack depth:
    the same seed must always take the same path."""
    import yaml

    from obslint.load import _json_deep_offset
    from obslint.load.yamlload import depth_problem

    text = raw.decode("utf-8")
    if fmt == "json":
        if _json_deep_offset(text, 100):
            raise ValueError("too deep to mutate as a tree")
        return [json.loads(text)]
    if depth_problem(text) is not None:
        raise ValueError("too deep to mutate as a tree")
    return list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


def _dump(rng: random.Random, docs: list, fmt: str) -> bytes:
    import yaml

    if fmt == "json":
        return json.dumps(docs[0], indent=rng.choice((None, 2, 4)), ensure_ascii=rng.random() < 0.5).encode("utf-8")
    style = rng.choice((None, False, True))
    return yaml.safe_dump_all(docs, default_flow_style=style, allow_unicode=True, sort_keys=False).encode("utf-8")


def structural(rng: random.Random, raw: bytes, fmt: str) -> bytes:
    try:
        docs = _load(raw, fmt)
    except Exception:  # noqa: BLE001 - already broken text: mutate the bytes instead
        return insert_token(rng, raw)
    try:
        docs = [mutate_tree(rng, d) for d in docs]
        return _dump(rng, docs, fmt)
    except Exception:  # noqa: BLE001 - e.g. a value yaml cannot dump, or data too deep to walk
        return raw


def repeat_span(rng: random.Random, raw: bytes) -> bytes:
    """Repeat a piece many times: deeper nesting, many anchors, many duplicate keys, long lines."""
    if not raw:
        return raw
    i = rng.randrange(len(raw))
    piece = raw[i:i + rng.randint(1, 80)]
    return raw[:i] + piece * rng.choice((2, 10, 100, 1000)) + raw[i:]


BYTE_MUTATIONS = (flip_bytes, truncate, insert_token, delete_span, edit_lines, repeat_span)


@dataclass
class Case:
    source: Path
    name: str  # the file name the mutated bytes are linted under
    data: bytes
    steps: list = field(default_factory=list)


def make_case(rng: random.Random, files: list[Path]) -> Case:
    src = rng.choice(files)
    raw = src.read_bytes()
    fmt = "json" if src.suffix.lower() == ".json" or src.suffix == "" else "yaml"
    steps = []
    for _ in range(rng.randint(1, 4)):
        r = rng.random()
        if r < 0.45:
            raw = structural(rng, raw, fmt)
            steps.append("structural")
        elif r < 0.55:
            raw = splice(rng, raw, rng.choice(files).read_bytes())
            steps.append("splice")
        else:
            m = rng.choice(BYTE_MUTATIONS)
            raw = m(rng, raw)
            steps.append(m.__name__)
    suffix = src.suffix if src.suffix else ""
    if rng.random() < 0.05:  # the same bytes under the other format's name
        suffix = {".json": ".yaml", ".yaml": ".json", ".yml": ".json", "": ".yaml"}[suffix]
    return Case(src, "case" + suffix, raw, steps)


# --- the oracle ---------------------------------------------------------------------------


class Escape(AssertionError):
    """The linter broke a promise on this input."""


def line_count(data: bytes) -> int:
    return data.count(b"\n") + 1


def lint_case(case: Case, workdir: Path, config=None) -> list[tuple]:
    """Lint the case's bytes as workdir/case.name in-process; returns comparable findings.
    Raises Escape when an exception escapes or a finding is out of the file."""
    from obslint.config import Config
    from obslint.engine import lint

    for old in workdir.iterdir():
        if old.is_file():
            old.unlink()
    target = workdir / case.name
    target.write_bytes(case.data)
    old_cwd = os.getcwd()
    os.chdir(workdir)
    try:
        try:
            result = lint([Path(case.name)], config or Config())
        except Exception as exc:  # noqa: BLE001 - this is what the oracle looks for
            raise Escape(f"exception escaped: {type(exc).__name__}: {exc}") from exc
    finally:
        os.chdir(old_cwd)
    sizes = {case.name: line_count(case.data)}
    policy = getattr(config, "path", None)
    if policy is not None:  # policy checks report on the policy file itself
        sizes[str(policy)] = sizes[os.path.relpath(policy, workdir)] = line_count(Path(policy).read_bytes())
    out = []
    for f in result.findings:
        if f.code == "IN011":
            raise Escape(f"a check failed: {f.message}")
        lines = sizes.get(f.file)
        if lines is None:
            raise Escape(f"finding for another file: {f.file!r} ({f.code} {f.message})")
        if not (1 <= f.line <= lines) or f.col < 1:
            raise Escape(f"position {f.line}:{f.col} outside the {lines} lines of {f.file} ({f.code} {f.message})")
        out.append((f.file, f.code, f.line, f.col, str(f.severity), f.message))
    return out


def check_case(case: Case, workdir: Path, config=None) -> list[tuple]:
    """The full oracle: no escape, positions in the file, the same output twice."""
    first = lint_case(case, workdir, config)
    second = lint_case(case, workdir, config)
    if first != second:
        diff = sorted(set(first) ^ set(second))[:3]
        raise Escape(f"output differs between two runs on the same input: {diff}")
    return first
