"""`obslint --diff` on a copy of the reference stack (infra/) with one injected defect per
fixable code: the diff, applied with `patch`, gives the same files as `obslint --fix`;
`--diff` itself writes nothing and exits 1."""
from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
G = "grafana/"
# (file under infra/, text to find, replacement) -> the code it injects.
INJECTIONS = {
    "PQ104": (G + "dashboards/auth-service.json", "[$__rate_interval]", "[$__interval]"),
    "DB008": (G + "dashboards/user-service.json", '"schemaVersion": 39,', '"schemaVersion": "39",'),
    "PL011": (G + "dashboards/assessment-service.json", '"uid": "edu-assessment-service"', '"uid": "edu-assessment-2"'),
    "DB002": (G + "dashboards/iep-service.json", '  "uid": "edu-iep-service",\n', ""),
    "DB003": (G + "dashboards/learner-service.json", '"uid": "edu-learner-service"', '"uid": "edu learner/service"'),
    "PQ110": (G + "provisioning/alerting/alert-rules.yml", 'p95_5m{service="auth-svc"}', 'p95_5m{service=~"auth-svc"}'),
    "PQ111": (G + "provisioning/alerting/alert-rules.yml", '{status=~"5.."}', '{status=~"^5..$"}'),
    "RF001": (G + "provisioning/alerting/alert-rules.yml", "        annotations:\n", "        annotation:\n"),
    "GA002": (G + "provisioning/alerting/rules.yml", "datasourceUid: prometheus", "datasourceUID: prometheus"),
    "AL002": (G + "provisioning/alerting/alert-rules.yml", 'ratio_rate5m{service="user-svc"} > 0.02',
              'ratio_rate5m{service="user-svc"} > 0.03'),
    "AL003": (G + "provisioning/alerting/alert-rules.yml",
              'ratio_rate5m{service="learner-svc"} > 0.02\n        for: 5m\n',
              'ratio_rate5m{service="learner-svc"} > 0.02\n        for: 1m\n'),
}


def _inject(root: Path) -> None:
    for code, (name, old, new) in INJECTIONS.items():
        path = root / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (code, name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    # DB020: a dashboard wrapped as the HTTP API sends it; IN006: a byte order mark.
    finops = root / G / "dashboards/finops-dashboard.json"
    finops.write_text('{"dashboard": ' + finops.read_text(encoding="utf-8").rstrip("\n") + ', "overwrite": true}\n',
                      encoding="utf-8")
    # XF001: a Grafana rule's threshold no longer that of its Prometheus twin: the payment
    # service's, and the user service's, whose twin is moved off the policy by AL002 above (both
    # end at the policy's 2% in one run).
    grafana = root / G / "provisioning/alerting/rules.yml"
    text = grafana.read_text(encoding="utf-8")
    needle = "                      - 0.02\n"
    at = [i for i in range(len(text)) if text.startswith(needle, i)]
    for i in (at[3], at[1]):  # from the end, so the earlier offsets stay right
        text = text[:i] + needle.replace("0.02", "0.05") + text[i + len(needle):]
    grafana.write_text(text, encoding="utf-8")
    pay = root / G / "dashboards/payment-service.json"
    pay.write_bytes(b"\xef\xbb\xbf" + pay.read_bytes().replace(b'"id": 2\n', b'"id": 1\n', 1))  # and DB006


def _obslint(cwd: Path, *args: str):
    return subprocess.run([sys.executable, "-m", "obslint", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def _same_trees(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b)
    out, stack = [], [(cmp, "")]
    while stack:
        c, prefix = stack.pop()
        out += [prefix + n for n in c.left_only + c.right_only + c.funny_files]
        _match, mismatch, errors = filecmp.cmpfiles(c.left, c.right, c.common_files, shallow=False)
        out += [prefix + n for n in mismatch + errors]
        stack += [(sub, prefix + name + "/") for name, sub in c.subdirs.items()]
    return out


def test_diff_applied_with_patch_equals_fix(tmp_path):
    if shutil.which("patch") is None:
        pytest.skip("patch is not installed")
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache")
    by_diff, by_fix = tmp_path / "diff" / "infra", tmp_path / "fix" / "infra"
    shutil.copytree(REPO / "infra", by_diff, ignore=ignore)
    _inject(by_diff)
    shutil.copytree(by_diff, by_fix)
    before = tmp_path / "before"
    shutil.copytree(by_diff, before)

    shown = _obslint(by_diff, "--diff", "--unsafe-fixes", ".")
    assert shown.returncode == 1, shown.stderr
    assert _same_trees(by_diff, before) == [], "--diff wrote to files"
    for code, (name, _old, _new) in INJECTIONS.items():
        assert f"+++ b/{name}" in shown.stdout, f"{code}: {name} not in the diff"
    assert "+++ b/grafana/dashboards/finops-dashboard.json" in shown.stdout
    patched = subprocess.run(["patch", "-p1", "--batch", "--no-backup-if-mismatch"], input=shown.stdout,
                             cwd=by_diff, capture_output=True, text=True)
    assert patched.returncode == 0, patched.stdout + patched.stderr

    fixed = _obslint(by_fix, "--fix", "--unsafe-fixes", ".")
    assert "Fixed" in fixed.stderr, fixed.stderr
    assert _same_trees(by_diff, by_fix) == []

    after = _obslint(by_fix, "--format", "json", ".")
    import json

    left = {f["code"] for f in json.loads(after.stdout)["findings"]}
    assert not left & (set(INJECTIONS) | {"DB020", "IN006", "DB006", "XF001"}), left
    again = _obslint(by_fix, "--diff", "--unsafe-fixes", ".")
    assert again.returncode == 0 and again.stdout == "", again.stdout
