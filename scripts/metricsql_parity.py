#!/usr/bin/env python3
"""Compare obslint's MetricsQL reader with VictoriaMetrics' own parser tests.

Reads the tests of a VictoriaMetrics/metricsql checkout (a work tree, or a bare git
repository such as the one `fetch github:VictoriaMetrics/metricsql` leaves): the queries
its tests require Parse() to accept (TestParseSuccess's `same(...)`/`another(...)`, and
the queries of its optimizer and utils tests) or to refuse (TestParseError's `f(...)`,
TestExpandWithExprsError, TestPrettifyOkParseError), parses each with
obslint.lang.metricsql and prints where the two disagree. The queries are read from the
checkout at run time; none is kept in obslint.

    python scripts/metricsql_parity.py /work/.mirror/VictoriaMetrics+metricsql/repo
    python scripts/metricsql_parity.py --json PATH   # {"valid": n, "invalid": n, "refused_valid": [...], ...}

Exit status: 0, or 1 with --max N when more than N queries disagree; 2 when the checkout
cannot be read.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

# (file, test function, helpers whose first argument is a query, what Parse() must do)
SOURCES = (
    ("parser_test.go", "TestParseSuccess", ("same", "another"), "valid"),
    ("parser_test.go", "TestParseError", ("f",), "invalid"),
    ("optimizer_test.go", "TestPushdownBinaryOpFilters", ("f",), "valid"),
    ("optimizer_test.go", "TestGetCommonLabelFilters", ("f",), "valid"),
    ("optimizer_test.go", "TestOptimize", ("f",), "valid"),
    ("utils_test.go", "TestExpandWithExprsSuccess", ("f",), "valid"),
    ("utils_test.go", "TestExpandWithExprsError", ("f",), "invalid"),
    ("utils_test.go", "TestVisitAll", ("f",), "valid"),
    ("utils_test.go", "TestIsLikelyInvalid", ("f",), "valid"),
    ("prettifier_test.go", "TestPrettifyOkParseError", ("f",), "invalid"),
)


def read_file(path: str, name: str) -> str:
    """A file from a work tree, or from HEAD of a (bare) git repository."""
    plain = os.path.join(path, name)
    if os.path.isfile(plain):
        with open(plain, encoding="utf-8") as fh:
            return fh.read()
    done = subprocess.run(["git", "--git-dir", path, "show", f"HEAD:{name}"], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise OSError(f"no {name} in {path}: {done.stderr.strip()}")
    return done.stdout


def collect(path: str) -> dict:
    """{"valid": [...], "invalid": [...]} from every test of SOURCES, each query once."""
    cases: dict = {"valid": [], "invalid": []}
    texts: dict = {}
    for name, test, helpers, key in SOURCES:
        if name not in texts:
            texts[name] = read_file(path, name)
        if f"func {test}(" not in texts[name]:
            continue  # an older or newer checkout without this test
        for query in extract_calls(texts[name], test, helpers):
            if query not in cases[key]:
                cases[key].append(query)
    return cases


_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "'": 39, '"': 34}


def go_string(src: str, i: int) -> tuple[str, int]:
    """The value of the Go string literal at src[i] and the offset after it."""
    quote = src[i]
    end = i + 1
    if quote == "`":
        end = src.index("`", end)
        return src[i + 1:end].replace("\r", ""), end + 1
    out = bytearray()
    while src[end] != quote:
        c = src[end]
        if c != "\\":
            out += c.encode("utf-8")
            end += 1
            continue
        e = src[end + 1]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            end += 2
        elif e == "x":
            out.append(int(src[end + 2:end + 4], 16))
            end += 4
        elif e in "uU":
            size = 4 if e == "u" else 8
            out += chr(int(src[end + 2:end + 2 + size], 16)).encode("utf-8")
            end += 2 + size
        else:  # octal \NNN
            out.append(int(src[end + 1:end + 4], 8))
            end += 4
    return out.decode("utf-8", "replace"), end + 1


def _skip_space(src: str, i: int) -> int:
    while i < len(src) and src[i] in " \t\r\n":
        i += 1
    return i


def extract(src: str) -> dict:
    """parser_test.go's cases: {"valid": TestParseSuccess's, "invalid": TestParseError's}."""
    return {"valid": extract_calls(src, "TestParseSuccess", ("same", "another")),
            "invalid": extract_calls(src, "TestParseError", ("f",))}


def extract_calls(src: str, test: str, helpers: tuple) -> list:
    """The literal first arguments of `helpers` calls inside the Go function `test`."""
    found = []
    start = src.index(f"func {test}(")
    end = src.find("\nfunc ", start + 1)
    body = src[start:end if end > 0 else len(src)]
    i = 0
    while i < len(body):
        c = body[i]
        if body.startswith("//", i):
            i = body.find("\n", i)
            i = len(body) if i < 0 else i
        elif c in "\"`":
            i = go_string(body, i)[1]
        elif c.isalpha() or c == "_":
            j = i
            while j < len(body) and (body[j].isalnum() or body[j] == "_"):
                j += 1
            word, k = body[i:j], _skip_space(body, j)
            dotted = i > 0 and body[i - 1] == "."
            i = j
            if word in helpers and not dotted and k < len(body) and body[k] == "(":
                k = _skip_space(body, k + 1)
                if k < len(body) and body[k] in "\"`":
                    value, k = go_string(body, k)
                    while body[_skip_space(body, k)] == "+":  # "a" + "b"
                        value2, k = go_string(body, _skip_space(body, _skip_space(body, k) + 1))
                        value += value2
                    found.append(value)
                    i = k
        else:
            i += 1
    return found


def disagreements(cases: dict) -> dict:
    from obslint.lang import metricsql

    refused = [(e, metricsql.parse(e).error) for e in cases["valid"]]
    return {"valid": len(cases["valid"]), "invalid": len(cases["invalid"]),
            "refused_valid": [{"query": e, "error": err} for e, err in refused if err],
            "accepted_invalid": [e for e in cases["invalid"] if metricsql.parse(e).error is None]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", help="a VictoriaMetrics/metricsql checkout or bare git repository")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--max", type=int, default=None, help="exit 1 when more queries than this disagree")
    args = ap.parse_args(argv)
    try:
        cases = collect(args.path)
    except (OSError, ValueError) as exc:
        print(f"metricsql_parity: {exc}", file=sys.stderr)
        return 2
    result = disagreements(cases)
    count = len(result["refused_valid"]) + len(result["accepted_invalid"])
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"{result['valid']} valid queries, {len(result['refused_valid'])} refused by obslint; "
              f"{result['invalid']} invalid queries, {len(result['accepted_invalid'])} accepted by obslint")
        for item in result["refused_valid"]:
            print(f"  refused valid: {item['query']!r}: {item['error']}")
        for query in result["accepted_invalid"]:
            print(f"  accepted invalid: {query!r}")
    return 1 if args.max is not None and count > args.max else 0


if __name__ == "__main__":
    sys.exit(main())
