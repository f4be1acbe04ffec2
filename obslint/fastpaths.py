"""One switch for every fast path: `OBSLINT_NO_FAST_PATHS=1` turns them all off, so the exact
paths they stand in for can be tested on their own (CI runs the check-level tests once that
way). A fast path must give the same answers as the exact one; with the switch set, obslint is
slower, never different.

The fast paths: promqlfast's common shapes and regex-free parsing, the C-level scans of
Grafana variable substitution, the engine's skip of a repeated clean query, the YAML reader's
yaml_rs path and line locators (PyYAML's nodes instead), the JSON locator's unique-key stop,
and the schema checks' pre-screens, the nesting check's level walk on YAML. Read once, at import."""
from __future__ import annotations

import os

ENABLED = os.environ.get("OBSLINT_NO_FAST_PATHS", "") not in ("1", "true", "yes")
