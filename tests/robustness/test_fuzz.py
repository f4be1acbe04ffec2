"""Property-based fuzzing: real corpus files, mutated (byte flips, truncation, inserted tokens,
line edits, key deletions, type swaps, PromQL edits, splices), must lint with no exception
escaping, every finding inside its file, and the same output twice.

CI runs OBSLINT_FUZZ_EXAMPLES (default 150) hypothesis examples. The long campaign runs on
demand: `OBSLINT_FUZZ_CASES=100000 pytest tests/robustness/test_fuzz.py -m slow` (or directly
`python scripts/fuzz.py --cases 100000`, see docs/development.md).
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO
from tests.robustness.mutations import Escape, Case, check_case, corpus_files, lint_case, make_case

FILES = corpus_files()
EXAMPLES = int(os.environ.get("OBSLINT_FUZZ_EXAMPLES", "150"))

pytestmark = pytest.mark.skipif(not FILES, reason="the corpus (../shared/corpus) is not available")


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="obslint-fuzz-") as tmp:
        yield Path(tmp)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(st.randoms(use_true_random=False))
def test_mutated_corpus_files_lint_cleanly(workdir, rng):
    case = make_case(rng, FILES)
    check_case(case, workdir)  # raises Escape with the broken promise


@settings(max_examples=max(20, EXAMPLES // 5), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=4096), st.sampled_from(["case.json", "case.yaml", "case"]))
def test_arbitrary_bytes_lint_cleanly(workdir, data, name):
    check_case(Case(Path("random"), name, data), workdir)


def test_the_oracle_rejects_what_it_must(workdir, monkeypatch):
    """A finding outside the file, or an exception, is caught (so passing means something)."""
    from obslint import engine
    from obslint.findings import Finding, Severity

    case = Case(Path("x"), "case.yaml", b"groups: []\n")
    assert lint_case(case, workdir) == []
    real_lint = engine.lint

    def off_the_end(*args, **kw):
        result = real_lint(*args, **kw)
        result.findings.append(Finding(code="IN003", message="x", severity=Severity.ERROR, file="case.yaml", line=3))
        return result

    monkeypatch.setattr(engine, "lint", off_the_end)
    with pytest.raises(Escape, match="outside"):
        lint_case(case, workdir)

    def raising(*args, **kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "lint", raising)
    with pytest.raises(Escape, match="RuntimeError"):
        lint_case(case, workdir)


def test_mutations_are_reproducible_and_varied():
    cases = [make_case(random.Random(seed), FILES) for seed in range(200)]
    again = [make_case(random.Random(seed), FILES) for seed in range(200)]
    assert [c.data for c in cases] == [c.data for c in again]
    steps = {s for c in cases for s in c.steps}
    assert {"structural", "splice", "flip_bytes", "truncate", "insert_token", "edit_lines"} <= steps
    assert len({c.source for c in cases}) > min(100, len(FILES) // 3)  # many different files


CAMPAIGN = int(os.environ.get("OBSLINT_FUZZ_CASES", "0"))


@pytest.mark.slow
@pytest.mark.skipif(not CAMPAIGN, reason="on demand: set OBSLINT_FUZZ_CASES (e.g. 100000) to run the campaign")
def test_fuzz_campaign():
    """The long campaign, in worker processes (a native crash is caught and named by its seed)."""
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "fuzz.py"), "--cases", str(CAMPAIGN)],
                          cwd=REPO, capture_output=True, text=True)
    print(proc.stdout[-5000:])
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    assert f"fuzz: {CAMPAIGN:,} cases run" in proc.stdout
