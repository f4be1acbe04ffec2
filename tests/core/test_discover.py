"""Which files a run reads: discovery decides by the name first and builds a Path only for the
files it may lint; the result is what deciding with `file_format` on every Path gives."""
from __future__ import annotations

import os
from pathlib import Path

from obslint.discover import RULE_SUFFIXES, SKIP_DIRS, discover, sniff, sniff_rules
from obslint.load import file_format

NAMES = ["a.json", "b.JSON", "c.yaml", "d.YML", "e.yml.bak", ".json", ".yaml", "noext", "brace", "alert.rules",
         "old.rule", "udev.rules", "x.tar.json", "trailing.", "README.md", "notes.txt", "Dash.Json"]
CONTENT = {"noext": "not json\n", "brace": '{"title": "x"}\n', "alert.rules": "groups:\n  - name: g\n",
           "old.rule": "# c\ngroups: []\n", "udev.rules": 'ACTION=="add"\n'}


def _reference(root: Path) -> list[tuple[str, str]]:
    """Every file decided from its Path, as discovery did before it read names first."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            p = Path(dirpath) / name
            fmt = file_format(p)
            if fmt is None and "." not in name:
                fmt = sniff(p)
            elif fmt is None and name.lower().endswith(RULE_SUFFIXES):
                fmt = sniff_rules(p)
            if fmt:
                out.append((str(p), fmt))
    return out


def test_discovery_by_name_equals_deciding_on_each_path(tmp_path):
    for sub in ("", "team/x", "node_modules", "deep/er/est"):
        d = tmp_path / sub
        d.mkdir(parents=True, exist_ok=True)
        for name in NAMES:
            (d / name).write_text(CONTENT.get(name, "{}\n"))
    got = [(str(p), fmt) for p, fmt in discover([tmp_path])]
    assert sorted(got) == sorted(_reference(tmp_path))
    assert ("json", "yaml") == tuple(sorted({fmt for _p, fmt in got}))
    assert not any("node_modules" in p for p, _fmt in got)


def test_fast_child_paths_equal_joined_ones_and_overlapping_roots_list_each_file_once(tmp_path, monkeypatch):
    """discover builds each file's Path with pathlib's one-part shortcut and keys files by their
    directory's normalised path: the same Paths as `dir / name`, and a file reached from two
    roots (`.`, `./team`, `team/x/..`) is listed once."""
    for sub in ("team/x", "team/y z", "ünï/cøde"):
        d = tmp_path / sub
        d.mkdir(parents=True)
        for name in ("a.json", "b c.yaml", "-d.yml", "e..json", "ü.json"):
            (d / name).write_text("{}\n")
    monkeypatch.chdir(tmp_path)
    roots = [Path("."), Path("./team"), Path("team/x/.."), Path("ünï")]
    got = discover(roots)
    paths = [p for p, _fmt in got]
    assert len({os.path.normpath(str(p)) for p in paths}) == len(paths) == 15
    for p in paths:
        assert type(p) is type(Path(".")) and p == Path(os.path.dirname(str(p))) / p.name
        assert str(p) == os.path.join(os.path.dirname(str(p)), p.name) and p.is_file()
