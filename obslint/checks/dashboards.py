"""Dashboard hygiene that Grafana's provisioning cares about: uids (present, well formed,
unique, pinned by the policy), unique titles per folder, unique panel ids, and a grid layout
without overlaps."""
from __future__ import annotations

import os
import re

from obslint import policy as pol
from obslint.findings import Severity
from obslint.jsonnetinputs import dashboard_importer
from obslint.registry import Rule
from obslint.versions import surely_before

UID_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _uid_index(ctx) -> dict:
    """uid -> dashboards having it (every linted file), built once per run."""
    if "db.uids" not in ctx.cache:
        idx: dict = {}
        for d in ctx.project.dashboards:
            if isinstance(d.uid, str) and d.uid:
                idx.setdefault(d.uid, []).append(d)
        ctx.cache["db.uids"] = idx
    return ctx.cache["db.uids"]


def _folder(dash) -> str:
    """The folder a dashboard lands in: the one its resource names (resources.linking), else
    its file's directory (file provisioning makes one folder of a directory)."""
    return getattr(dash.doc, "folder", None) or os.path.dirname(os.path.normpath(dash.doc.source.display))


def _provisioned_together(a, b) -> bool:
    """Whether one Grafana file provider could load both dashboards: they are in one directory,
    or one's directory is below the other's (a provider reads its path recursively). Copies in
    sibling trees (a mixin's sources and its compiled output, a Helm chart's files and the
    examples) are loaded by different Grafanas, or by none: their uids do not clash. Nor
    does a dashboard that a jsonnet file near it imports (DB004 skips it): a mixin's input,
    which only its rendered copy reaches Grafana as."""
    da = os.path.dirname(os.path.abspath(a.doc.source.display))
    db = os.path.dirname(os.path.abspath(b.doc.source.display))
    if da == db:
        return True
    short, long_ = sorted((da, db), key=len)
    return long_.startswith(short.rstrip(os.sep) + os.sep)


def _where(dash) -> str:
    line, _col = dash.doc.locate(("uid",))
    label = f" ({dash.doc.label})" if dash.doc.label else ""
    return f"{dash.doc.source.display}:{line}{label}"


class DashboardUidMissing(Rule):
    """A dashboard has no `uid`. Grafana then invents one when it provisions the file, a
    different one on every fresh install, so links, alert annotations (`__dashboardUid__`) and
    bookmarks to it break.

    ## Bad (`dashboard.json`)
    ```json
    {"title": "API", "schemaVersion": 39, "panels": []}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"uid": "api-overview", "title": "API", "schemaVersion": 39, "panels": []}
    ```
    """

    code, name, severity = "DB002", "dashboard-uid-missing", Severity.WARNING
    summary = "dashboard has no uid, so Grafana makes up a new one on each install"
    fixable = "unsafe"  # a uid derived from the title: links to the old random uid no longer work

    def check_dashboard(self, dash, ctx):
        if getattr(dash.doc, "custom_uid", None) is not None:
            return  # a GrafanaDashboard's `spec.uid`
        if "uid" not in dash.data or dash.data.get("uid") in (None, ""):
            path = ("uid",) if "uid" in dash.data else ("title",) if "title" in dash.data else ()
            autofix = None
            if isinstance(dash.title, str) and dash.title.strip() and dash.data is dash.doc.root:
                autofix = _set_uid_fix(dash, lambda: _pinned_uid(dash, ctx) or _derived_uid(dash, ctx),
                                       "unsafe", "add a uid derived from the title")
            operator = dash.doc.label == "GrafanaDashboard"
            yield self.finding(dash.doc, path, f"dashboard `{dash.title or '(untitled)'}` has no uid" + (
                               ": the Grafana operator gives it the resource's `metadata.uid`, a new one wherever the "
                               "resource is created again" if operator else ""),
                               fix="set `spec.uid` in the resource, or a `uid` in the model" if operator else
                               'add a stable `"uid": "<team>-<name>"` (letters, digits, `-`, `_`; at most 40)',
                               at_key=path == ("title",), autofix=autofix)


def uid_from_title(title: str, taken=frozenset(), where: str = "") -> str:
    """A dashboard uid made from a title, the same every time: its lower-case words joined
    by `-`, at most 40 characters; a short hash of the title is added when it is cut,
    empty, or already taken (`where`, e.g. the file's path, goes into the hash when another
    dashboard without a uid has the same title)."""
    import hashlib

    digest = hashlib.sha1((title.strip() + where).encode("utf-8")).hexdigest()[:8]
    slug = re.sub(r"[^a-z0-9]+", "-", title.strip().lower()).strip("-")
    if not slug:
        return f"dashboard-{digest}"
    if len(slug) > 40 or slug in taken or where:
        slug = f"{slug[:31].rstrip('-')}-{digest}"
    return slug


def _derived_uid(dash, ctx) -> str:
    """DB002's uid for a dashboard: from its title, made distinct from every uid in the run
    and from the uid of any other dashboard without one and with the same title."""
    title = dash.title.strip()
    twins = [d for d in ctx.project.dashboards if d is not dash and d.uid in (None, "")
             and isinstance(d.title, str) and d.title.strip() == title]
    return uid_from_title(title, _uids(ctx), f"\0{dash.doc.source.display}" if twins else "")


def _pinned_uid(dash, ctx) -> str | None:
    """The uid the policy pins for this dashboard's title (`dashboards.required`), if any."""
    for _path, e in pol.required_dashboards(ctx):
        if isinstance(e.get("title"), str) and e["title"].strip() == dash.title.strip():
            return e["uid"]
    return None


def _uids(ctx) -> set:
    return {d.uid for d in ctx.project.dashboards if isinstance(d.uid, str)}


def _set_uid_fix(dash, make_uid, applicability: str, title: str):
    """A Fix setting the dashboard's uid (the value replaced, or a `uid` member added)."""
    from obslint.fixes import Fix

    def make():
        from obslint import fixspan

        uid = make_uid()
        if uid is None:
            return None
        if "uid" in dash.data:
            return fixspan.replace_value(dash.doc, ("uid",), uid)
        return fixspan.add_member(dash.doc, (), "uid", uid)

    return Fix(make, applicability, title)


class DashboardUidFormat(Rule):
    """A dashboard uid must match `^[A-Za-z0-9_-]{1,40}$`, or Grafana refuses to provision it.
    The policy may demand more with `dashboards.uid-pattern` (a regular expression).

    ## Bad (`dashboard.json`)
    ```json
    {"uid": "api overview/prod", "title": "API", "schemaVersion": 39, "panels": []}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"uid": "api-overview-prod", "title": "API", "schemaVersion": 39, "panels": []}
    ```
    """

    code, name, severity = "DB003", "dashboard-uid-format", Severity.ERROR
    summary = "dashboard uid is not 1-40 letters, digits, `-` or `_` (or breaks the policy's uid-pattern)"
    fixable = "unsafe"  # illegal characters replaced by `-`: a new uid, links change

    def check_dashboard(self, dash, ctx):
        uid = dash.data.get("uid")
        if uid is None or uid == "":
            return
        if not isinstance(uid, str):
            yield self.finding(dash.doc, ("uid",), f"dashboard uid must be a string, not {uid!r}",
                               fix="quote the uid")
            return
        if not UID_FORMAT.match(uid) and getattr(dash.doc, "uid_from_name", False):
            from obslint.resources.dashboards import name_problem  # a resource's metadata.name

            yield from name_problem(self, dash, uid)
            return
        if not UID_FORMAT.match(uid):
            why = "longer than 40 characters" if len(uid) > 40 else "has characters other than letters, digits, `-`, `_`"
            legal = re.sub(r'[^A-Za-z0-9_-]+', '-', uid)[:40].strip('-')
            autofix = None
            if legal and dash.data is dash.doc.root:
                taken = _uids(ctx)
                autofix = _set_uid_fix(dash, lambda: legal if legal not in taken else None, "unsafe",
                                       f"use the uid `{legal}`")
            yield self.finding(dash.doc, ("uid",), f"dashboard uid `{uid}` {why}; Grafana refuses it",
                               fix=f"use e.g. `{legal or 'my-dashboard'}`", autofix=autofix)
            return
        pattern = pol.dashboards_policy(ctx).get("uid-pattern")
        if isinstance(pattern, str) and pattern:
            rx = pol.policy_regex(ctx, ("dashboards", "uid-pattern"), pattern)
            if not rx.search(uid):
                yield self.finding(dash.doc, ("uid",), f"dashboard uid `{uid}` does not match the policy's "
                                   f"uid-pattern `{pattern}`", fix="rename the uid to follow the convention")


class DashboardUidDuplicate(Rule):
    """Two dashboards that one Grafana file provider would load have the same uid (they are in
    one directory, or one is below the other's directory). Grafana's provisioning refuses the
    second one (or, with `allowUiUpdates`, one silently replaces the other). Both places are
    reported. Copies in sibling directories (`dashboards/` and `dashboards_out/`, a Helm chart's
    `files/` and `examples/`) are not: no one provider reads both. Nor is a dashboard that a
    `.jsonnet`/`.libsonnet` file in its directory or the two above imports (a mixin's
    `dashboard.json` beside its rendered `dashboards_out/` copy): only the copy reaches Grafana.
    Nor are identical copies (a rendered manifest's ConfigMap holding the chart's dashboard
    file): whichever Grafana keeps, it is the same dashboard.

    ## Bad (`a.json`, `b.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": []}
    ```
    ```json
    {"uid": "api", "title": "API (copy)", "schemaVersion": 39, "panels": []}
    ```

    ## Good (`a.json`, `b.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": []}
    ```
    ```json
    {"uid": "api-v2", "title": "API (copy)", "schemaVersion": 39, "panels": []}
    ```
    """

    code, name, severity = "DB004", "dashboard-uid-duplicate", Severity.ERROR
    summary = "the same dashboard uid is used by two dashboards"

    def check_dashboard(self, dash, ctx):
        uid = dash.uid
        if not isinstance(uid, str) or not uid:
            return
        same = _uid_index(ctx).get(uid, [])
        if len(same) < 2 or dashboard_importer(dash, ctx) is not None:
            return  # (a mixin's input: jsonnet renders it into the file Grafana loads)
        # An identical copy (kubecost's rendered manifest embeds the chart's dashboard files in
        # ConfigMaps) is the same dashboard whichever of the two Grafana loads: nothing is lost.
        others = [_where(d) for d in same if d is not dash and _provisioned_together(dash, d)
                  and dashboard_importer(d, ctx) is None and d.data != dash.data]
        if not others:
            return
        yield self.finding(dash.doc, ("uid",), f"dashboard uid `{uid}` is also used by {', '.join(others)}",
                           fix="give each dashboard its own uid (a copied dashboard keeps the original's uid)")


class DashboardTitleDuplicate(Rule):
    """Two dashboards in one folder have the same title. Grafana's file provisioning puts the
    dashboards of a directory into one folder. Before Grafana 11.3 it refuses a second
    dashboard with a title that is already there ("a dashboard with the same name in the folder
    already exists"): an error when policy `grafana: {version: ...}` says such a Grafana. From
    11.3 titles need not be unique (only uids), and the default is the newest Grafana: a
    warning, as two entries of one name in a folder cannot be told apart. Identical copies
    (two renders of one chart) are one dashboard, as for DB004.

    ## Bad (`a.json`, `b.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": []}
    ```
    ```json
    {"uid": "api-v2", "title": "API", "schemaVersion": 39, "panels": []}
    ```

    ## Good (`a.json`, `b.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": []}
    ```
    ```json
    {"uid": "api-v2", "title": "API v2", "schemaVersion": 39, "panels": []}
    ```
    """

    code, name, severity = "DB005", "dashboard-title-duplicate", Severity.WARNING
    summary = "two dashboards in one folder have the same title"

    def check_dashboard(self, dash, ctx):
        title = dash.title
        if not isinstance(title, str) or not title.strip():
            return
        if "db.titles" not in ctx.cache:
            idx: dict = {}
            for d in ctx.project.dashboards:
                if isinstance(d.title, str) and d.title.strip():
                    folder = _folder(d)
                    idx.setdefault((folder, d.title.strip()), []).append(d)
            ctx.cache["db.titles"] = idx
        folder = _folder(dash)
        same = ctx.cache["db.titles"].get((folder, title.strip()), [])
        if len(same) < 2:
            return
        others = []
        for d in same:
            if d is not dash and d.data != dash.data:  # an identical copy is one dashboard (as for DB004)
                line, _ = d.doc.locate(("title",))
                others.append(f"{d.doc.source.display}:{line}")
        if not others:
            return
        refused = surely_before(ctx.policy, 11, 3)
        effect = ("Grafana before 11.3 refuses the second one" if refused else
                  "the folder lists two dashboards of one name (Grafana before 11.3 refuses the second one)")
        yield self.finding(dash.doc, ("title",), f"dashboard title `{title}` is also used in the same folder by "
                           f"{', '.join(others)}: {effect}", fix="give each dashboard in a folder its own title",
                           severity=Severity.ERROR if refused else None)


class PanelIdDuplicate(Rule):
    """Two panels of a dashboard have the same `id`. Links to a panel (`viewPanel=`, alert
    annotations with `__panelId__`, embedded panels) then open the wrong one, and Grafana
    renumbers panels when the dashboard is saved.

    ## Bad (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}},
      {"id": 1, "type": "timeseries", "title": "Errors", "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8}}
    ]}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}},
      {"id": 2, "type": "timeseries", "title": "Errors", "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8}}
    ]}
    ```
    """

    code, name, severity = "DB006", "panel-id-duplicate", Severity.WARNING
    summary = "two panels of a dashboard have the same id"
    fixable = "safe"  # the repeated ids renumbered after the highest one

    def check_dashboard(self, dash, ctx):
        seen: dict = {}
        free = None  # the ids after the highest one, for the fixes (worked out at the first duplicate)
        for panel in dash.panels:
            pid = panel.data.get("id")
            if not isinstance(pid, int) or isinstance(pid, bool):
                continue
            if pid in seen:
                first = seen[pid]
                if free is None:
                    ids = [p.data.get("id") for p in dash.panels]
                    top = max([i for i in ids if isinstance(i, int) and not isinstance(i, bool)] + [0])
                    free = iter(range(top + 1, 1 << 62))
                new_id = next(free)
                yield self.finding(dash.doc, panel.path + ("id",),
                                   f"panel id {pid} (`{panel.title}`) is already used by panel `{first.title}`",
                                   fix="give every panel a unique id", scope=panel.path,
                                   autofix=_renumber_fix(dash.doc, panel.path + ("id",), new_id))
            else:
                seen[pid] = panel


def _renumber_fix(doc, path: tuple, new_id: int):
    from obslint.fixes import Fix
    from obslint.fixspan import replace_value

    return Fix(lambda: replace_value(doc, path, new_id), "safe", f"renumber the panel to {new_id}")


class GridOverlap(Rule):
    """Two panels' `gridPos` rectangles overlap. Grafana's grid pushes one of them down when
    the dashboard loads, so the layout differs from the file and from what the author checked.
    Panels inside a collapsed row are compared with each other only; two rows at one place
    are not reported (Grafana stacks rows in file order).

    ## Bad (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}},
      {"id": 2, "type": "timeseries", "title": "Errors", "gridPos": {"x": 6, "y": 4, "w": 12, "h": 8}}
    ]}
    ```

    ## Good (`dashboard.json`)
    ```json
    {"uid": "api", "title": "API", "schemaVersion": 39, "panels": [
      {"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}},
      {"id": 2, "type": "timeseries", "title": "Errors", "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8}}
    ]}
    ```
    """

    code, name, severity = "DB007", "grid-overlap", Severity.WARNING
    summary = "two panels' gridPos rectangles overlap"

    def check_dashboard(self, dash, ctx):
        layers: dict[tuple, list] = {}
        for panel in dash.panels:
            layer = panel.path[:-2] if len(panel.path) > 2 else ()
            if panel.path[:1] == ("rows",):
                continue
            rect = _rect(panel.data.get("gridPos"))
            if rect is not None:
                layers.setdefault(layer, []).append((rect, panel))
        for items in layers.values():
            items.sort(key=lambda it: (it[0][1], it[0][0]))
            for i, j in first_overlaps([rect for rect, _panel in items]):
                (a, pa), (b, pb) = items[i], items[j]
                if pa.data.get("type") == "row" and pb.data.get("type") == "row":
                    continue  # rows stack in file order (tikv's generator puts them all at y=0)
                yield self.finding(dash.doc, pb.path + ("gridPos",),
                                   f"panel `{pb.title or pb.type}` at {_show(b)} overlaps panel "
                                   f"`{pa.title or pa.type}` at {_show(a)}",
                                   fix="move or resize one of them (the grid is 24 columns wide)",
                                   scope=pb.path)


def first_overlaps(rects: list) -> list[tuple[int, int]]:
    """(i, j) for each rectangle i (x, y, w, h; sorted by y) that overlaps a later one: j is
    the first later rectangle that overlaps it. In O(n log n): a sweep from the last rectangle
    to the first keeps, for each column segment, the lowest index covering it (a segment tree
    over the distinct x edges); rectangle i's candidate is the lowest index over its columns,
    an overlap when that rectangle starts above i's bottom. (Pairwise, 40,000 panels in one
    row took minutes.) Calls timebox.check() so a file's time budget can stop it."""
    from obslint import timebox

    n = len(rects)
    if n <= 100:
        return _first_overlaps_pairwise(rects)  # fewer than 5,000 comparisons: faster than the tree
    edges = sorted({e for x, _y, w, _h in rects for e in (x, x + w)})
    column = {e: k for k, e in enumerate(edges)}
    tree = _MinTree(len(edges) - 1)
    ys = [r[1] for r in rects]
    out = []
    for i in range(n - 1, -1, -1):
        x, y, w, h = rects[i]
        lo, hi = column[x], column[x + w]
        j = tree.query(lo, hi)
        if j < n and ys[j] < y + h:  # sorted by y: the first overlap in x, if it starts above i's bottom
            out.append((i, j))
        tree.lower(lo, hi, i)
        if not i & 1023:
            timebox.check()
    out.reverse()
    return out


def _first_overlaps_pairwise(rects: list) -> list[tuple[int, int]]:
    """first_overlaps by comparing each rectangle with the later ones that start above its bottom."""
    out = []
    for i, (ax, ay, aw, ah) in enumerate(rects):
        bottom, right = ay + ah, ax + aw
        for j in range(i + 1, len(rects)):
            bx, by, bw, _bh = rects[j]
            if by >= bottom:
                break  # sorted by y: nothing further down can overlap a
            if ax < bx + bw and bx < right:
                out.append((i, j))
                break
    return out


class _MinTree:
    """Segments 0..size-1, each holding the lowest value written over it. Values written are
    always lower than every value before (the sweep goes down), so a write tags the covering
    nodes and lowers the minimum on the paths to the root; a read takes the minima of the
    covering nodes and the tags on the paths of its two ends (every node partly inside)."""

    def __init__(self, size: int) -> None:
        self.size = 1
        while self.size < size:
            self.size *= 2
        self.none = 1 << 62
        self.tag = [self.none] * (2 * self.size)
        self.low = [self.none] * (2 * self.size)

    def lower(self, lo: int, hi: int, value: int) -> None:
        tag, low = self.tag, self.low
        left, right = lo + self.size, hi - 1 + self.size
        a, b = left, right + 1
        while a < b:
            if a & 1:
                tag[a] = low[a] = value
                a += 1
            if b & 1:
                b -= 1
                tag[b] = low[b] = value
            a >>= 1
            b >>= 1
        while left:
            low[left] = value
            left >>= 1
        while right:
            low[right] = value
            right >>= 1

    def query(self, lo: int, hi: int) -> int:
        tag, low = self.tag, self.low
        best = self.none
        left, right = lo + self.size, hi - 1 + self.size
        a, b = left, right + 1
        while a < b:
            if a & 1:
                best = min(best, low[a])
                a += 1
            if b & 1:
                b -= 1
                best = min(best, low[b])
            a >>= 1
            b >>= 1
        while left:
            best = min(best, tag[left])
            left >>= 1
        while right:
            best = min(best, tag[right])
            right >>= 1
        return best


def _rect(g):
    if not isinstance(g, dict):
        return None
    vals = []
    for k in ("x", "y", "w", "h"):
        v = g.get(k, 0)
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            return None
        vals.append(v)
    if vals[2] <= 0 or vals[3] <= 0:
        return None
    return tuple(vals)


def _show(r) -> str:
    x, y, w, h = (int(v) if float(v).is_integer() else v for v in r)
    return f"x={x} y={y} w={w} h={h}"
