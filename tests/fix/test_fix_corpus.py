"""`--fix --unsafe-fixes` on a copy of all of ../shared/corpus, in one process: afterwards no
finding that had a fix is left, every rule file promtool accepted is still accepted (the
real promtool), every JSON file parses to the same data except at the paths the fixes
edited, and the text outside the edited spans is byte-identical."""
from __future__ import annotations

import difflib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from obslint.fixer import fix_of
from tests.conftest import lint_tree

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


@pytest.fixture(scope="module")
def fixed_corpus(tmp_path_factory):
    if not CORPUS.is_dir():
        pytest.skip(f"the corpus is not here ({CORPUS}); it lives outside the repository")
    root = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(CORPUS, root, symlinks=True)
    result = lint_tree(root, fix="unsafe")
    assert result.fixes is not None and result.fixes.fixed > 100, "the corpus has hundreds of fixable findings"
    return root, result


def _edits(ff) -> list:
    return sorted((e.start, e.end, e.replacement) for f in ff.fixed for e in f.autofix.edits)


def test_no_fixable_finding_is_left(fixed_corpus):
    root, result = fixed_corpus
    dropped = {(f.file, f.code, f.line) for f, _why in result.fixes.dropped}
    sources = {s.display: s for s in result.project.sources}
    left = []
    for f in result.findings:  # the report after fixing: the files linted again
        fix = fix_of(f, sources)
        if fix is not None and not fix.empty and (f.file, f.code, f.line) not in dropped:
            left.append((f.file, f.line, f.code, f.message))
    assert not left, left[:10]


def test_text_outside_the_edits_is_unchanged(fixed_corpus):
    root, result = fixed_corpus
    for ff in result.fixes.files:
        new = (root / ff.display).read_text(encoding="utf-8-sig")
        assert new == ff.new
        edits = _edits(ff)
        assert len(new) == len(ff.old) + sum(len(r) - (b - a) for a, b, r in edits)
        # Every line that changed holds an edit (an independent check of the span arithmetic).
        starts = [0] + [i + 1 for i, c in enumerate(ff.old) if c == "\n"]
        matcher = difflib.SequenceMatcher(None, ff.old.split("\n"), new.split("\n"), autojunk=False)
        for op, i1, i2, _j1, _j2 in matcher.get_opcodes():
            if op == "equal":
                continue
            # (a line inserted by an edit may show up next to the line the edit is on)
            lo = starts[max(0, i1 - 1)] if i1 - 1 < len(starts) else len(ff.old)
            hi = starts[i2 + 1] if i2 + 1 < len(starts) else len(ff.old) + 1
            assert any(a < hi and (b > lo or a == b >= lo) for a, b, _r in edits), (ff.display, op, i1, i2)


def _diff_paths(a, b, path=()):
    if type(a) is not type(b):
        yield path
    elif isinstance(a, dict):
        for k in set(a) | set(b):
            if k not in a or k not in b:
                yield path + (k,)
            else:
                yield from _diff_paths(a[k], b[k], path + (k,))
    elif isinstance(a, list):
        if len(a) != len(b):
            yield path
        else:
            for i, (x, y) in enumerate(zip(a, b)):
                yield from _diff_paths(x, y, path + (i,))
    elif a != b:
        yield path


def test_json_files_hold_the_same_data_except_at_edited_paths(fixed_corpus):
    root, result = fixed_corpus
    checked = 0
    for ff in result.fixes.files:
        if ff.source.format != "json":
            continue
        old, new = json.loads(ff.old), json.loads(ff.new)
        owned = [tuple(p) for f in ff.fixed for p, _v in f.autofix.expect]
        for path in _diff_paths(old, new):
            assert any(path[:len(p)] == p or p[:len(path)] == path for p in owned) or owned == [()], (ff.display, path)
        checked += 1
    assert checked


def test_rule_files_promtool_accepted_are_still_accepted(fixed_corpus, tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed")
    root, result = fixed_corpus
    changed = [ff for ff in result.fixes.files if any(
        f.doc is not None and f.doc.kind == "prometheus-rules" and not f.doc.base for f in ff.fixed)]
    assert changed, "the corpus fixes touch rule files"
    for ff in changed:
        before = tmp_path / "before.yaml"
        before.write_text(ff.old_text(), encoding="utf-8")
        ok_before = subprocess.run([promtool, "check", "rules", str(before)], capture_output=True).returncode == 0
        if not ok_before:
            continue
        after = subprocess.run([promtool, "check", "rules", str(root / ff.display)], capture_output=True, text=True)
        assert after.returncode == 0, (ff.display, after.stdout[-500:], after.stderr[-500:])


def test_files_without_fixes_are_byte_identical(fixed_corpus):
    import filecmp

    root, result = fixed_corpus
    changed = {str(ff.display) for ff in result.fixes.files}
    assert changed
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if path.is_file() and not path.is_symlink() and str(rel) not in changed:
            assert filecmp.cmp(path, CORPUS / rel, shallow=False), rel
