#!/usr/bin/env python3
"""Compare obslint's findings field by field between two code versions (a refactoring check).

    scripts/compare_findings.py --base REF [--] ARGS...

runs `obslint ARGS --format json --exit-zero` once with the code at git REF (checked out with
`git worktree` into a temporary directory) and once with the working tree, then prints every
finding that differs in any field (code, severity, file, line, column, message, fix, context,
suppression hint) plus differences in the skipped files and the counts. Exit 0 when the two
agree, 1 otherwise.

`--snapshot FILE` writes a snapshot (findings as code/file/line/column/severity plus hashes of
the texts, so no linted file's text is copied) and `--against FILE` compares with one.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _hash(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def run_json(code_dir: str, args: list[str], cwd: str | None = None) -> dict:
    """obslint's JSON report for ARGS, run from the sources in `code_dir`."""
    # no cache: both sides must compute their findings (before the cache was keyed on the code
    # too, a base and a working tree of one version shared it and "agreed" without running)
    env = {**os.environ, "PYTHONPATH": code_dir, "OBSLINT_NO_CACHE": "1"}
    # -P: the current directory is not put first on sys.path, or a run from the repository's
    # root would import the working tree's obslint whatever PYTHONPATH says
    proc = subprocess.run([sys.executable, "-P", "-m", "obslint", *args, "--format", "json", "--exit-zero"],
                          capture_output=True, text=True, env=env, cwd=cwd or os.getcwd())
    if proc.returncode != 0:
        raise SystemExit(f"obslint from {code_dir} exited {proc.returncode}: {proc.stderr.strip()[:500]}")
    return json.loads(proc.stdout)


def rows(report: dict) -> list[tuple]:
    """One comparable tuple per finding: positions in clear, texts as hashes."""
    return sorted((f["code"], f["file"], f["line"], f["column"], f["severity"], _hash(f["message"]),
                   _hash(f.get("fix")), _hash(f.get("context")), _hash(f.get("suppression")))
                  for f in report["findings"])


def snapshot(report: dict) -> dict:
    return {"findings": [list(r) for r in rows(report)], "skipped": sorted(report["skipped"]),
            "files": report["summary"]["files"], "suppressed": report["summary"]["suppressed"]}


def compare(old: dict, new: dict) -> list[str]:
    """Human-readable differences between two snapshots (empty when they agree)."""
    out = []
    for key in ("files", "suppressed"):
        if old[key] != new[key]:
            out.append(f"{key}: {old[key]} -> {new[key]}")
    a, b = Counter(map(tuple, old["findings"])), Counter(map(tuple, new["findings"]))
    for r in sorted((a - b).elements()):
        out.append(f"- {r[0]} {r[1]}:{r[2]}:{r[3]} {r[4]} message#{r[5]} fix#{r[6]} context#{r[7]} hint#{r[8]}")
    for r in sorted((b - a).elements()):
        out.append(f"+ {r[0]} {r[1]}:{r[2]}:{r[3]} {r[4]} message#{r[5]} fix#{r[6]} context#{r[7]} hint#{r[8]}")
    for s in sorted(set(old["skipped"]) ^ set(new["skipped"])):
        out.append(f"{'-' if s in old['skipped'] else '+'} skipped {s}")
    return out


def base_snapshot(ref: str, args: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="obslint-base-") as tmp:
        tree = os.path.join(tmp, "tree")
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", "-q", tree, ref], check=True)
        try:
            return snapshot(run_json(tree, args))
        finally:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree], check=False)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", help="git ref to compare the working tree with")
    p.add_argument("--against", help="a snapshot file to compare with")
    p.add_argument("--snapshot", help="write the working tree's snapshot to this file")
    p.add_argument("args", nargs=argparse.REMAINDER, help="obslint arguments (after --)")
    ns = p.parse_args(argv)
    args = ns.args[1:] if ns.args[:1] == ["--"] else ns.args
    new = snapshot(run_json(ROOT, args))
    if ns.snapshot:
        with open(ns.snapshot, "w", encoding="utf-8") as fh:
            json.dump(new, fh)
    old = None
    if ns.against:
        with open(ns.against, encoding="utf-8") as fh:
            old = json.load(fh)
    elif ns.base:
        old = base_snapshot(ns.base, args)
    if old is None:
        return 0
    diff = compare(old, new)
    for line in diff:
        print(line)
    print(f"{len(old['findings'])} findings before, {len(new['findings'])} after, {len(diff)} differences",
          file=sys.stderr)
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
