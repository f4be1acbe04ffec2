#!/usr/bin/env python3
"""A reproducible synthetic monorepo from ../shared/corpus, for timing obslint at scale.

Copies of the corpus dashboards (unique uid and title each) and rule files (unique group and
alert names each) in nested team folders: `teams/team-NN/svc-NN/{dashboards,rules}/`. The
same arguments always give the same bytes (no randomness, sorted inputs).

Usage: python bench/monorepo.py OUT [--dashboards 5000] [--rules 2000]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
TEAMS = 20  # team folders; each holds SERVICES service folders
SERVICES = 10


def _sources():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench import corpus_dashboards, corpus_rule_files

    dashboards = []
    for p in corpus_dashboards():
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and ("panels" in data or "rows" in data):
            dashboards.append((p, data))
    return dashboards, corpus_rule_files()


def _folder(out: Path, i: int) -> Path:
    return out / "teams" / f"team-{i % TEAMS:02d}" / f"svc-{(i // TEAMS) % SERVICES:02d}"


def _rename_rules(text: str, i: int):
    """The rule file's data with every group and alert name made unique for copy i."""
    import yaml

    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for group in (data or {}).get("groups") or []:
        if not isinstance(group, dict):
            continue
        if isinstance(group.get("name"), str):
            group["name"] = f"{group['name']}-{i}"
        for rule in group.get("rules") or []:
            if isinstance(rule, dict) and isinstance(rule.get("alert"), str):
                rule["alert"] = f"{rule['alert']}{i}"
    return data


def generate(out: Path, dashboards: int = 5000, rules: int = 2000) -> dict:
    """Write the monorepo under `out`; returns {"dashboards": [paths], "rules": [paths]}."""
    import yaml

    dash_src, rule_src = _sources()
    if not dash_src or not rule_src:
        raise SystemExit(f"no corpus files found under {CORPUS}")
    written: dict = {"dashboards": [], "rules": []}
    for i in range(dashboards):
        src, data = dash_src[i % len(dash_src)]
        copy = dict(data)
        copy["uid"] = f"mono-{i:05d}"
        copy["title"] = f"{data.get('title') or src.stem} #{i}"
        dst = _folder(out, i) / "dashboards" / f"{i:05d}-{src.stem}.json"
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(json.dumps(copy, indent=2) + "\n", encoding="utf-8")
        written["dashboards"].append(dst)
    texts = [(p, p.read_text(encoding="utf-8")) for p in rule_src]
    for i in range(rules):
        src, text = texts[i % len(texts)]
        data = _rename_rules(text, i)
        dst = _folder(out, i) / "rules" / f"{i:05d}-{src.stem}.yml"
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
        written["rules"].append(dst)
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--dashboards", type=int, default=5000)
    ap.add_argument("--rules", type=int, default=2000)
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    w = generate(args.out, args.dashboards, args.rules)
    print(f"{len(w['dashboards'])} dashboards, {len(w['rules'])} rule files under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
