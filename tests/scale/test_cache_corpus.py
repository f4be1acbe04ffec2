"""Cold and warm runs equal on the real corpus and on a generated monorepo (issue 19), through
an edit of a dashboard, of a rule file and of a core file, a rename and a deletion."""
from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS, REPO
from tests.scale.helpers import lint_both, touch_later

pytestmark = pytest.mark.slow


def _needs_corpus():
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")


def _edit_dashboard(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    panels = [p for p in data.get("panels") or [] if isinstance(p, dict)]
    (panels[0] if panels else data)["description"] = "edited by the cache test"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    touch_later(path)


def _edit_rules(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    new = re.sub(r"(>\s*)(\d+)", lambda m: f"{m.group(1)}{int(m.group(2)) + 1}", text, count=1)
    path.write_text(new, encoding="utf-8")
    touch_later(path)
    return new != text


def _walk(tree: Path, cache: Path, dashboard: Path, rules: Path, core: Path | None) -> list[str]:
    modes = []

    def step():
        cached, _cold = lint_both([tree.name], cache)
        modes.append(cached.cache_mode)

    step()
    step()
    _edit_dashboard(dashboard)
    step()
    assert _edit_rules(rules)
    step()
    if core is not None:
        core.write_text(core.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        touch_later(core)
        step()
    dashboard.rename(dashboard.with_name("renamed-" + dashboard.name))
    step()
    rules.unlink()
    step()
    return modes


def test_corpus_cold_equals_warm(tmp_path, monkeypatch):
    _needs_corpus()
    tree = tmp_path / "corpus"
    shutil.copytree(CORPUS, tree)
    monkeypatch.chdir(tmp_path)
    dashboard = sorted((tree / "rfmoz-grafana-dashboards").rglob("*.json"))[0]
    rules = next(p for p in sorted((tree / "awesome-prometheus-alerts").rglob("*.yml"))
                 if re.search(r">\s*\d", p.read_text(encoding="utf-8")))
    core = sorted((tree / "grafana-alerting").rglob("*.y*ml"))[0]
    modes = _walk(tree, tmp_path / "cache", dashboard, rules, core)
    assert modes[:2] == ["cold", "reuse"]


def test_monorepo_cold_equals_warm(tmp_path, monkeypatch):
    _needs_corpus()
    sys.path.insert(0, str(REPO / "bench"))
    from monorepo import generate

    written = generate(tmp_path / "mono", dashboards=60, rules=30)
    monkeypatch.chdir(tmp_path)
    modes = _walk(tmp_path / "mono", tmp_path / "cache", written["dashboards"][5], written["rules"][3], None)
    assert modes[:4] == ["cold", "reuse", "incremental", "incremental"]
