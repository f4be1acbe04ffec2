"""Small builders for check tests: dashboards, panels, rule files and Grafana alerting files."""
from __future__ import annotations

import json


def panel(pid: int, title: str, expr: str | list[str] | None = None, *, x: int = 0, y: int = 0, w: int = 12,
          h: int = 8, ptype: str = "timeseries", unit: str | None = None, steps: list | None = None, **extra) -> dict:
    p = {"id": pid, "type": ptype, "title": title, "gridPos": {"x": x, "y": y, "w": w, "h": h}}
    if expr is not None:
        exprs = [expr] if isinstance(expr, str) else expr
        p["targets"] = [{"refId": chr(65 + i), "expr": e} for i, e in enumerate(exprs)]
    if unit is not None or steps is not None:
        defaults: dict = {}
        if unit is not None:
            defaults["unit"] = unit
        if steps is not None:
            defaults["thresholds"] = {"mode": "absolute",
                                      "steps": [{"color": "green", "value": None}] +
                                               [{"color": "red", "value": v} for v in steps]}
        p["fieldConfig"] = {"defaults": defaults}
    p.update(extra)
    return p


def dashboard(uid: str | None = "api", title: str = "API", panels: list | None = None, variables: list | None = None,
              **extra) -> str:
    d: dict = {"title": title, "schemaVersion": 39, "panels": panels or []}
    if uid is not None:
        d["uid"] = uid
    if variables is not None:
        d["templating"] = {"list": [{"name": v, "type": "query", "query": "label_values(up, job)"} for v in variables]}
    d.update(extra)
    return json.dumps(d, indent=2)


def rules(*rules_yaml: str, group: str = "g") -> str:
    body = "".join(rules_yaml)
    return f"groups:\n  - name: {group}\n    rules:\n{body}"


def alert(name: str, expr: str, *, for_: str | None = "5m", labels: dict | None = None,
          annotations: dict | None = None) -> str:
    out = f"      - alert: {name}\n        expr: {json.dumps(expr)}\n"
    if for_ is not None:
        out += f"        for: {for_}\n"
    if labels:
        out += "        labels:\n" + "".join(f"          {k}: {json.dumps(v)}\n" for k, v in labels.items())
    if annotations is None:
        annotations = {"summary": f"{name} fired", "description": f"{name} fired."}
    if annotations:
        out += "        annotations:\n" + "".join(f"          {k}: {json.dumps(v)}\n" for k, v in annotations.items())
    return out


def record(name: str, expr: str) -> str:
    return f"      - record: {name}\n        expr: {json.dumps(expr)}\n"


def grafana_rule(title: str, expr: str, *, op: str = "gt", threshold: float = 1, for_: str | None = "5m",
                 labels: dict | None = None, annotations: dict | None = None, uid: str | None = None) -> dict:
    r = {
        "uid": uid or title.lower()[:40],
        "title": title,
        "condition": "C",
        "data": [
            {"refId": "A", "relativeTimeRange": {"from": 600, "to": 0}, "datasourceUid": "prometheus",
             "model": {"expr": expr, "refId": "A", "instant": True}},
            {"refId": "B", "datasourceUid": "__expr__",
             "model": {"type": "reduce", "expression": "A", "reducer": "last", "refId": "B"}},
            {"refId": "C", "datasourceUid": "__expr__",
             "model": {"type": "threshold", "expression": "B", "refId": "C",
                       "conditions": [{"evaluator": {"type": op, "params": [threshold]}}]}},
        ],
        "noDataState": "OK",
        "execErrState": "Error",
    }
    if for_ is not None:
        r["for"] = for_
    r["labels"] = labels or {}
    r["annotations"] = annotations if annotations is not None else {"summary": f"{title} fired",
                                                                  "description": f"{title} fired."}
    return r


def grafana_file(*rules: dict, folder: str = "API") -> str:
    import yaml

    doc = {"apiVersion": 1, "groups": [{"orgId": 1, "name": "g", "folder": folder, "interval": "1m",
                                        "rules": list(rules)}]}
    return yaml.safe_dump(doc, sort_keys=False)


def found(result, code: str) -> list:
    return [f for f in result.findings if f.code == code]
