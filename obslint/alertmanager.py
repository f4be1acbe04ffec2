"""Alertmanager configuration files: recognising them, checking them as Alertmanager's loader does
(`amtool check-config`), and following an alert's labels through the route tree.

The facts come from Alertmanager's `config` package (config.go, notifiers.go, the notifier
packages): unknown fields are refused (strict YAML), the root route needs a receiver and no
matchers, receivers and time intervals are referenced by unique names, durations are Prometheus
durations, each integration needs its address or key (inline, from a file, or from `global`).
Where versions differ the newest accepted form is accepted: a finding means every recent
Alertmanager refuses the file.
"""
from __future__ import annotations

import re

from obslint.durations import parse_duration

TOP_KEYS = {"global", "route", "inhibit_rules", "receivers", "templates", "mute_time_intervals",
            "time_intervals", "tracing", "event_recorder"}
ROUTE_KEYS = {"receiver", "group_by", "match", "match_re", "matchers", "mute_time_intervals",
              "active_time_intervals", "continue", "routes", "group_wait", "group_interval", "repeat_interval",
              "labels"}
INHIBIT_KEYS = {"name", "source_match", "source_match_re", "source_matchers", "target_match", "target_match_re",
                "target_matchers", "equal"}
TIME_INTERVAL_KEYS = {"name", "time_intervals"}
WEBHOOK_KEYS = {"send_resolved", "http_config", "url", "url_file", "max_alerts", "timeout", "payload"}
GLOBAL_KEYS = {
    "resolve_timeout", "http_config", "jira_api_url", "smtp_from", "smtp_hello", "smtp_smarthost",
    "smtp_auth_username", "smtp_auth_password", "smtp_auth_password_file", "smtp_auth_secret",
    "smtp_auth_secret_file", "smtp_auth_identity", "smtp_require_tls", "smtp_tls_config", "smtp_force_implicit_tls",
    "slack_api_url", "slack_api_url_file", "slack_app_token", "slack_app_token_file", "slack_app_url",
    "pagerduty_url", "opsgenie_api_url", "opsgenie_api_key", "opsgenie_api_key_file", "wechat_api_url",
    "wechat_api_secret", "wechat_api_secret_file", "wechat_api_corp_id", "victorops_api_url", "victorops_api_key",
    "victorops_api_key_file", "telegram_api_url", "telegram_bot_token", "telegram_bot_token_file", "webex_api_url",
    "rocketchat_api_url", "rocketchat_token", "rocketchat_token_file", "rocketchat_token_id",
    "rocketchat_token_id_file", "mattermost_webhook_url", "mattermost_webhook_url_file",
}
GLOBAL_URLS = ("jira_api_url", "slack_api_url", "slack_app_url", "pagerduty_url", "opsgenie_api_url", "wechat_api_url",
               "victorops_api_url", "telegram_api_url", "webex_api_url", "rocketchat_api_url", "mattermost_webhook_url")
INTEGRATIONS = ("discord_configs", "email_configs", "incidentio_configs", "pagerduty_configs", "slack_configs",
                "webhook_configs", "opsgenie_configs", "wechat_configs", "pushover_configs", "victorops_configs",
                "sns_configs", "telegram_configs", "webex_configs", "msteams_configs", "msteamsv2_configs",
                "jira_configs", "rocketchat_configs", "mattermost_configs")
RECEIVER_KEYS = {"name", "labels", *INTEGRATIONS}
DURATION_KEYS = ("group_wait", "group_interval", "repeat_interval")
LEGACY_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_MATCHER = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[^\s=!~"]+)\s*(=~|!~|!=|=)\s*(.*?)\s*$', re.S)


def is_config(obj) -> bool:
    """An Alertmanager configuration: a `route` next to `receivers` (or `global`/`inhibit_rules`), or
    receivers with integrations (`webhook_configs`, ...) and no route; and nothing of the other
    formats (Grafana provisioning has `apiVersion`, Kubernetes objects `kind`), and at most a few
    keys that are not Alertmanager's."""
    if not isinstance(obj, dict) or any(k in obj for k in ("apiVersion", "kind", "groups", "scrape_configs")):
        return False
    # A Helm chart's values.yaml may have `route:` (an OpenShift route) and `global:` among dozens
    # of its own keys: a configuration's keys are mostly Alertmanager's (a typo or two aside).
    if len(obj) - len(TOP_KEYS.intersection(obj)) > max(2, len(TOP_KEYS.intersection(obj))):
        return False
    if "route" in obj:
        return any(k in obj for k in ("receivers", "global", "inhibit_rules", "templates"))
    receivers = obj.get("receivers")
    return isinstance(receivers, list) and any(
        isinstance(r, dict) and "name" in r and any(k in r for k in INTEGRATIONS) for r in receivers)


class Problem:
    """One reason Alertmanager refuses the file: code, path inside the document, message, fix."""
    __slots__ = ("code", "path", "message", "fix", "at_key")

    def __init__(self, code: str, path: tuple, message: str, fix: str | None = None, at_key: bool = True) -> None:
        self.code, self.path, self.message, self.fix, self.at_key = code, path, message, fix, at_key


# --------------------------------------------------------------------------------------------------
# Matchers
# --------------------------------------------------------------------------------------------------
def _split_outside_quotes(text: str) -> list[str]:
    parts, cur, quoted, escaped = [], [], False, False
    for ch in text:
        if escaped:
            cur.append(ch)
            escaped = False
        elif ch == "\\":
            cur.append(ch)
            escaped = True
        elif ch == '"':
            cur.append(ch)
            quoted = not quoted
        elif ch == "," and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        body = text[1:-1]
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)
    return text


def parse_matchers(text: str) -> list[tuple[str, str, str]]:
    """`name op value` matchers of one `matchers:` entry (also `{a="b", c=~"d"}`); ValueError when
    Alertmanager's parsers cannot read it."""
    s = text.strip()
    if s.startswith("{") and s.endswith("}"):
        s = s[1:-1]
    out = []
    for part in _split_outside_quotes(s):
        if not part.strip():
            continue
        m = _MATCHER.match(part)
        if not m:
            raise ValueError(f"bad matcher format: {part.strip()!r}")
        name, op, value = m.groups()
        out.append((_unquote(name), op, _unquote(value)))
    return out


def route_matchers(route: dict) -> list[tuple[str, str, str]]:
    """Every matcher of a route (`match`, `match_re`, `matchers`); unparsable entries are left out
    (AM003 reports them)."""
    out = []
    for k, v in (route.get("match") or {}).items() if isinstance(route.get("match"), dict) else ():
        out.append((str(k), "=", str(v)))
    for k, v in (route.get("match_re") or {}).items() if isinstance(route.get("match_re"), dict) else ():
        out.append((str(k), "=~", str(v)))
    for entry in route.get("matchers") or [] if isinstance(route.get("matchers"), list) else ():
        try:
            out.extend(parse_matchers(str(entry)))
        except ValueError:
            continue
    return out


def matcher_result(op: str, pattern: str, value: str) -> bool | None:
    """Whether `value` satisfies the matcher; None when the regex cannot be judged here."""
    if op in ("=", "!="):
        return (value == pattern) == (op == "=")
    try:
        hit = re.fullmatch(pattern, value) is not None
    except re.error:
        return None
    return hit == (op == "=~")


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------
def _unknown(keys, allowed, path, where) -> list[Problem]:
    return [Problem("AM001", path + (k,), f"unknown field `{k}` in {where}; Alertmanager refuses the file",
                    fix="allowed: " + ", ".join(sorted(allowed))) for k in keys if k not in allowed]


def _url_problem(url: str) -> str | None:
    """Why Alertmanager's URL type refuses `url` (it wants http or https and a host), or None."""
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):(?://([^/?#]*))?", url)
    if not m or m.group(1).lower() not in ("http", "https"):
        return f"`{url}` is not an http(s) URL (unsupported scheme)"
    if not m.group(2):
        return f"`{url}` has no host"
    return None


def _has(d: dict, *keys) -> bool:
    return any(d.get(k) not in (None, "", []) for k in keys)


def _both_set(cfg: dict, path: tuple, code: str = "AM003") -> list[Problem]:
    """`x` and `x_file` both set: every Alertmanager that knows `x_file` refuses that."""
    return [Problem(code, path + (k,), f"at most one of `{k[:-5]}` and `{k}` may be set", fix="drop one of them")
            for k in cfg if isinstance(k, str) and k.endswith("_file") and _has(cfg, k) and _has(cfg, k[:-5])]


def validate(data: dict) -> list[Problem]:
    """What `amtool check-config` refuses, as problems with their places."""
    out: list[Problem] = []
    out += _unknown(data, TOP_KEYS, (), "the configuration")
    glob = data.get("global") if isinstance(data.get("global"), dict) else {}
    if "global" in data and not isinstance(data["global"], (dict, type(None))):
        out.append(Problem("AM001", ("global",), "`global` must be a mapping"))
    out += _unknown(glob, GLOBAL_KEYS, ("global",), "`global`")
    if "resolve_timeout" in glob and parse_duration(str(glob["resolve_timeout"])) is None:
        out.append(Problem("AM003", ("global", "resolve_timeout"), f"`resolve_timeout: {glob['resolve_timeout']}` is "
                           "not a duration", fix="use a Prometheus duration such as 5m", at_key=False))
    smarthost = glob.get("smtp_smarthost")
    if isinstance(smarthost, str) and smarthost and not re.search(r":\d*$", smarthost):
        out.append(Problem("AM003", ("global", "smtp_smarthost"), f"`smtp_smarthost: {smarthost}` has no port",
                           fix="write host:port, e.g. smtp.example.org:587", at_key=False))
    out += _both_set(glob, ("global",))
    for key in GLOBAL_URLS:
        if key in glob and glob[key] is not None:
            problem = _url_problem(str(glob[key]))
            if problem:
                out.append(Problem("AM003", ("global", key), f"`{key}`: {problem}",
                                   fix="an http(s) URL with a host, or drop the key", at_key=False))
    names = _receivers(data, glob, out)
    intervals = _time_intervals(data, out)
    _inhibit_rules(data, out)
    route = data.get("route")
    if route is None:
        out.append(Problem("AM002", (), "no `route`: Alertmanager needs a root route", fix="add `route: {receiver: ...}`"))
        return out
    if not isinstance(route, dict):
        out.append(Problem("AM001", ("route",), "`route` must be a mapping"))
        return out
    if not route.get("receiver"):
        out.append(Problem("AM002", ("route",), "the root route has no `receiver`: it must name the default receiver",
                           fix="add `receiver: <name>` to the root route"))
    for key in ("match", "match_re", "matchers"):
        if route.get(key):
            out.append(Problem("AM002", ("route", key), "the root route must not have matchers (every alert enters it)",
                               fix="move the matchers into a child route under `routes:`"))
    for key in ("mute_time_intervals", "active_time_intervals"):
        if route.get(key):
            out.append(Problem("AM002", ("route", key), f"the root route must not have `{key}`",
                               fix="set it on a child route"))
    _route(route, ("route",), names, intervals, out)
    return out


def _receivers(data: dict, glob: dict, out: list[Problem]) -> set[str] | None:
    receivers = data.get("receivers")
    if receivers is None:
        return set()
    if not isinstance(receivers, list):
        out.append(Problem("AM001", ("receivers",), "`receivers` must be a list"))
        return None
    names: set[str] = set()
    for i, rcv in enumerate(receivers):
        path = ("receivers", i)
        if not isinstance(rcv, dict):
            out.append(Problem("AM001", path, "a receiver must be a mapping with a `name`", at_key=False))
            continue
        out.extend(_unknown(rcv, RECEIVER_KEYS, path, f"receiver `{rcv.get('name')}`"))
        name = rcv.get("name")
        if not name:
            out.append(Problem("AM002", path, "receiver without `name`", fix="add `name:`", at_key=False))
        elif name in names:
            out.append(Problem("AM002", path + ("name",), f"receiver name `{name}` is not unique",
                               fix="rename one of them", at_key=False))
        else:
            names.add(str(name))
        for kind in INTEGRATIONS:
            configs = rcv.get(kind)
            if configs is None:
                continue
            if not isinstance(configs, list):
                out.append(Problem("AM001", path + (kind,), f"`{kind}` must be a list of mappings"))
                continue
            for j, cfg in enumerate(configs):
                _integration(kind, cfg, glob, path + (kind, j), out)
    return names


def _integration(kind: str, cfg, glob: dict, path: tuple, out: list[Problem]) -> None:
    short = kind[: -len("_configs")]
    if cfg is None and kind not in ("slack_configs", "opsgenie_configs", "wechat_configs", "rocketchat_configs"):
        out.append(Problem("AM004", path, f"empty entry in `{kind}`: missing {short} config", at_key=False))
        return
    cfg = cfg if isinstance(cfg, dict) else {}

    def need(ok: bool, message: str, fix: str) -> None:
        if not ok:
            out.append(Problem("AM004", path, f"{short} config: {message}", fix=fix, at_key=False))

    def one_of(a: str, b: str) -> None:
        need(_has(cfg, a, b), f"one of `{a}` or `{b}` must be set", f"set `{a}` (or `{b}`)")
        need(not (_has(cfg, a) and _has(cfg, b)), f"at most one of `{a}` and `{b}` may be set", f"drop `{b}`")

    if kind not in ("webhook_configs", "discord_configs", "msteams_configs", "msteamsv2_configs"):
        out.extend(_both_set(cfg, path, "AM004"))
    if kind == "webhook_configs":
        out.extend(_unknown(cfg, WEBHOOK_KEYS, path, "a webhook config"))
        one_of("url", "url_file")
        url = cfg.get("url")
        problem = _url_problem(url) if isinstance(url, str) and url and "{{" not in url else None
        if problem:
            out.append(Problem("AM003", path + ("url",), f"webhook URL: {problem}",
                               fix="use http://host:port/path or https://...", at_key=False))
    elif kind == "email_configs":
        need(_has(cfg, "to"), "missing `to` address", "add `to: someone@example.org`")
        need(_has(cfg, "smarthost") or _has(glob, "smtp_smarthost"), "no SMTP smarthost (here or `global.smtp_smarthost`)",
             "set `smarthost: host:port` or `global.smtp_smarthost`")
        need(_has(cfg, "from") or _has(glob, "smtp_from"), "no from address (here or `global.smtp_from`)",
             "set `from:` or `global.smtp_from`")
    elif kind == "slack_configs":
        need(_has(cfg, "api_url", "api_url_file", "app_token", "app_token_file")
             or _has(glob, "slack_api_url", "slack_api_url_file", "slack_app_token", "slack_app_token_file"),
             "no Slack API URL nor app token (here or in `global`)", "set `api_url` or `global.slack_api_url`")
    elif kind == "pagerduty_configs":
        need(_has(cfg, "routing_key", "routing_key_file", "service_key", "service_key_file"),
             "missing service or routing key", "set `routing_key` (Events API v2) or `service_key`")
    elif kind == "opsgenie_configs":
        need(_has(cfg, "api_key", "api_key_file") or _has(glob, "opsgenie_api_key", "opsgenie_api_key_file"),
             "no OpsGenie API key (here or `global.opsgenie_api_key`)", "set `api_key`")
    elif kind == "victorops_configs":
        need(_has(cfg, "routing_key"), "missing `routing_key`", "set `routing_key`")
        need(_has(cfg, "api_key", "api_key_file") or _has(glob, "victorops_api_key", "victorops_api_key_file"),
             "no VictorOps API key (here or `global.victorops_api_key`)", "set `api_key`")
    elif kind == "telegram_configs":
        need(_has(cfg, "bot_token", "bot_token_file") or _has(glob, "telegram_bot_token", "telegram_bot_token_file"),
             "missing `bot_token` or `bot_token_file`", "set `bot_token`")
        need(_has(cfg, "chat_id", "chat_id_file"), "missing `chat_id`", "set `chat_id`")
    elif kind in ("discord_configs", "msteams_configs", "msteamsv2_configs"):
        one_of("webhook_url", "webhook_url_file")
    elif kind == "pushover_configs":
        need(_has(cfg, "user_key", "user_key_file"), "missing `user_key`", "set `user_key`")
        need(_has(cfg, "token", "token_file"), "missing `token`", "set `token`")
    elif kind == "sns_configs":
        need(_has(cfg, "target_arn", "topic_arn", "phone_number"),
             "needs one of `target_arn`, `topic_arn` or `phone_number`", "set `topic_arn`")
    elif kind == "webex_configs":
        need(_has(cfg, "room_id"), "missing `room_id`", "set `room_id`")
    elif kind == "mattermost_configs":
        need(_has(cfg, "webhook_url", "webhook_url_file") or _has(glob, "mattermost_webhook_url", "mattermost_webhook_url_file"),
             "missing `webhook_url` or `webhook_url_file` (here or in `global`)", "set `webhook_url`")
    elif kind == "rocketchat_configs":
        need(_has(cfg, "token_id", "token_id_file") or _has(glob, "rocketchat_token_id", "rocketchat_token_id_file"),
             "no Rocketchat token id (here or `global.rocketchat_token_id`)", "set `token_id`")
        need(_has(cfg, "token", "token_file") or _has(glob, "rocketchat_token", "rocketchat_token_file"),
             "no Rocketchat token (here or `global.rocketchat_token`)", "set `token`")
    elif kind == "wechat_configs":
        need(_has(cfg, "api_secret", "api_secret_file") or _has(glob, "wechat_api_secret", "wechat_api_secret_file"),
             "no API secret (here or `global.wechat_api_secret`)", "set `api_secret`")
        need(_has(cfg, "corp_id") or _has(glob, "wechat_api_corp_id"), "no corp id (here or `global.wechat_api_corp_id`)",
             "set `corp_id`")


def _time_intervals(data: dict, out: list[Problem]) -> set[str] | None:
    names: set[str] = set()
    for key in ("mute_time_intervals", "time_intervals"):
        entries = data.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            out.append(Problem("AM001", (key,), f"`{key}` must be a list"))
            return None
        for i, ti in enumerate(entries):
            if not isinstance(ti, dict):
                out.append(Problem("AM001", (key, i), "a time interval must be a mapping", at_key=False))
                continue
            out.extend(_unknown(ti, TIME_INTERVAL_KEYS, (key, i), "a time interval"))
            name = ti.get("name")
            if not name:
                out.append(Problem("AM002", (key, i), "time interval without `name`", at_key=False))
            elif name in names:
                out.append(Problem("AM002", (key, i, "name"), f"time interval `{name}` is not unique", at_key=False))
            else:
                names.add(str(name))
    return names


def _inhibit_rules(data: dict, out: list[Problem]) -> None:
    rules = data.get("inhibit_rules")
    if rules is None:
        return
    if not isinstance(rules, list):
        out.append(Problem("AM001", ("inhibit_rules",), "`inhibit_rules` must be a list"))
        return
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            out.append(Problem("AM001", ("inhibit_rules", i), "an inhibit rule must be a mapping", at_key=False))
            continue
        out.extend(_unknown(rule, INHIBIT_KEYS, ("inhibit_rules", i), "an inhibit rule"))
        for key in ("source_matchers", "target_matchers"):
            _check_matchers(rule.get(key), ("inhibit_rules", i, key), out)
        for key in ("source_match_re", "target_match_re"):
            _check_regexps(rule, key, ("inhibit_rules", i), out)


def _check_regexps(owner: dict, key: str, path: tuple, out: list[Problem]) -> None:
    """`match_re`-style mappings: a label with no regex at all (`label:` left empty) is refused."""
    value = owner.get(key)
    if isinstance(value, dict):
        for label, regex in value.items():
            if regex is None:
                out.append(Problem("AM003", path + (key, label), f"`{label}` has no regular expression in `{key}`",
                                   fix=f"write `{label}: <regex>`, or drop it"))


def _check_matchers(entries, path: tuple, out: list[Problem]) -> None:
    if entries is None:
        return
    if not isinstance(entries, list):
        out.append(Problem("AM001", path, "matchers must be a list of strings such as 'severity=\"critical\"'"))
        return
    for j, entry in enumerate(entries):
        try:
            parse_matchers(str(entry))
        except ValueError as exc:
            out.append(Problem("AM003", path + (j,), f"{exc}", fix='write label="value" (=, !=, =~, !~)', at_key=False))


def _route(route: dict, path: tuple, receivers: set[str] | None, intervals: set[str] | None,
           out: list[Problem]) -> None:
    out.extend(_unknown(route, ROUTE_KEYS, path, "a route"))
    recv = route.get("receiver")
    if recv and receivers is not None and recv not in receivers:
        out.append(Problem("AM002", path + ("receiver",), f"undefined receiver `{recv}` used in route",
                           fix="define it under `receivers:` or fix the name", at_key=False))
    for key in DURATION_KEYS:
        if key in route:
            seconds = parse_duration(str(route[key]))
            if seconds is None:
                out.append(Problem("AM003", path + (key,), f"`{key}: {route[key]}` is not a duration",
                                   fix="use a Prometheus duration such as 5m", at_key=False))
            elif seconds == 0 and key != "group_wait":
                out.append(Problem("AM003", path + (key,), f"`{key}` cannot be zero", fix="use e.g. 5m", at_key=False))
    group_by = route.get("group_by")
    if group_by is not None and not isinstance(group_by, list):
        out.append(Problem("AM001", path + ("group_by",), "`group_by` must be a list of label names"))
    elif group_by:
        labels = [str(g) for g in group_by]
        if "..." in labels and len(labels) > 1:
            out.append(Problem("AM003", path + ("group_by",), "`group_by` cannot mix `...` (all labels) with other labels",
                               fix="keep `...` alone, or list the labels"))
        seen: set[str] = set()
        for label in labels:
            if label in seen:
                out.append(Problem("AM003", path + ("group_by",), f"duplicated label `{label}` in `group_by`",
                                   fix="list each label once"))
            seen.add(label)
    match = route.get("match")
    if isinstance(match, dict):
        for k in match:
            if not LEGACY_LABEL.match(str(k)):
                out.append(Problem("AM003", path + ("match", k), f"invalid label name `{k}` in `match`"))
    elif match is not None:
        out.append(Problem("AM001", path + ("match",), "`match` must be a mapping of label: value"))
    _check_matchers(route.get("matchers"), path + ("matchers",), out)
    _check_regexps(route, "match_re", path, out)
    if "continue" in route and not isinstance(route["continue"], bool):
        out.append(Problem("AM001", path + ("continue",), "`continue` must be true or false", at_key=False))
    for key in ("mute_time_intervals", "active_time_intervals"):
        for name in route.get(key) or [] if isinstance(route.get(key), list) else ():
            if intervals is not None and name not in intervals:
                out.append(Problem("AM002", path + (key,), f"undefined time interval `{name}` used in route",
                                   fix="define it under `time_intervals:`"))
    children = route.get("routes")
    if children is None:
        return
    if not isinstance(children, list):
        out.append(Problem("AM001", path + ("routes",), "`routes` must be a list of routes"))
        return
    for i, child in enumerate(children):
        if isinstance(child, dict):
            _route(child, path + ("routes", i), receivers, intervals, out)
        else:
            out.append(Problem("AM001", path + ("routes", i), "a route must be a mapping", at_key=False))


# --------------------------------------------------------------------------------------------------
# Routing an alert
# --------------------------------------------------------------------------------------------------
def integrations(data: dict) -> dict[str, int]:
    """receiver name -> number of integrations (webhook, email, ...) it has."""
    out: dict[str, int] = {}
    for rcv in data.get("receivers") or []:
        if isinstance(rcv, dict) and rcv.get("name"):
            out[str(rcv["name"])] = sum(len(rcv[k]) for k in INTEGRATIONS if isinstance(rcv.get(k), list))
    return out


def route_alert(route: dict, label_value) -> tuple[list[tuple[tuple, str]], bool]:
    """The routes (path, receiver) an alert reaches, as Alertmanager's dispatcher walks the tree, and
    whether that is certain. `label_value(name)` gives the alert's value of a label ("" when it
    surely has none) or None when it cannot be known statically."""

    def matches(node: dict) -> bool | None:
        result: bool | None = True
        for name, op, pattern in route_matchers(node):
            value = label_value(name)
            hit = None if value is None else matcher_result(op, pattern, value)
            if hit is False:
                return False
            if hit is None:
                result = None
        return result

    def walk(node: dict, path: tuple, inherited: str, root: bool) -> tuple[list, bool]:
        receiver = str(node.get("receiver") or inherited)
        status = True if root else matches(node)
        if status is False:
            return [], False
        uncertain = status is None
        reached: list = []
        for i, child in enumerate(node.get("routes") or []):
            if not isinstance(child, dict):
                continue
            got, unsure = walk(child, path + ("routes", i), receiver, False)
            uncertain |= unsure
            reached += got
            if got and not child.get("continue"):
                break
        return (reached or [(path, receiver)]), uncertain

    return walk(route, ("route",), "", True)
