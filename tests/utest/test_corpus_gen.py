"""gen-tests on the corpus' rule files: per folder, how many alerts get a generated test and
how many of those pass the real `promtool test rules`. Slow (minutes): the generator simulates
every alert, promtool runs every generated file. The floors are the measured numbers of the
issue-16 branch (see the closing report); a drop is a regression, a rise should raise them."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import os

import pytest

from tests.conftest import CORPUS, need_binary, run_cli

# folder -> (alerts, at least generated, at least passing promtool)
FLOORS = {
    "awesome-prometheus-alerts": (954, 745, 740),
    "monitoring-mixins": (828, 430, 370),
    "sloth": (28, 0, 0),
    "prometheus-testdata": (27, 0, 0),
}


def passing(report: dict) -> int:
    ok = 0
    for f in report["files"]:
        path = Path(f)
        out = subprocess.run([need_binary("promtool"), "test", "rules", path.name], cwd=path.parent,
                             capture_output=True, text=True, timeout=600)
        alerts = re.findall(r"^  # (\S+): .* fires at", path.read_text(), re.M)
        if out.returncode == 0:
            ok += len(alerts)
            continue
        text = out.stdout + out.stderr
        failed = set(re.findall(r"alertname: (\S+?),", text)) if "FAILED" in text else set(alerts)
        ok += sum(1 for a in alerts if a not in failed)
    return ok


@pytest.mark.slow
@pytest.mark.parametrize("folder", sorted(FLOORS))
def test_generated_tests_pass_promtool_on_the_corpus(tmp_path, folder):
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    if not os.environ.get("OBSLINT_CORPUS_GEN"):
        pytest.skip("takes over 10 minutes (simulates every corpus alert): set OBSLINT_CORPUS_GEN=1 to run it")
    res = run_cli("gen-tests", "--no-config", CORPUS / folder, "-o", tmp_path, "--format", "json")
    assert res.code == 0, res.err
    report = json.loads(res.out)
    alerts, generated, ok = FLOORS[folder]
    assert len(report["tested"]) + len(report["skipped"]) == alerts
    assert len(report["tested"]) >= generated
    assert all(s["reason"] for s in report["skipped"])
    assert passing(report) >= ok
