"""Alerts: create, list, delete (UI and StatHat's /x/TOKEN/alerts API), and the worker's check step.

A check that changes an alert's state writes an alert_events row and one notifications row per
channel in the same transaction; the notify step sends them. Ingest never sends anything.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlparse

from app import alert_rules as rules
from app import webhooks
from app.errors import Invalid, NotFound, Unavailable
from app.interactors.stats import parse_stat_id
from app.params import is_int
from app.storage import accounts as acq
from app.storage import alerts as q
from app.storage import points as pq
from app.storage import stats as sq

log = logging.getLogger("eyrie.alerts")
CHECK_EVERY = 60
MAX_WEBHOOK_URL = 1000


def rule_of(alert: dict) -> rules.Rule:
    return rules.Rule(alert["kind"], alert["time_window"], alert["operator"], alert["threshold"],
                      alert["percentage"], alert["time_delta"])


def check_webhook_url(raw, *, allow_private: bool = False) -> str:
    """An http(s) URL whose host resolves to public addresses only (unless allow_private); the
    worker checks the address again at each send (app/webhooks.py)."""
    url = (raw or "").strip() if isinstance(raw, str) else ""
    if not url:
        return ""
    try:
        parsed = urlparse(url)
        port_ok = parsed.port is None or parsed.port > 0
    except ValueError:   # a port that is not a number, or out of range
        port_ok = False
    if (not port_ok or parsed.scheme not in ("http", "https") or not parsed.hostname
            or len(url) > MAX_WEBHOOK_URL):
        raise Invalid("the webhook URL must be an http:// or https:// address", field="webhook_url")
    try:
        webhooks.check_destination(url, allow_private=allow_private)
    except webhooks.PrivateAddress:
        # One message whether the name does not resolve or resolves inside: no map of the network.
        raise Invalid("the webhook URL must point at a public internet address", field="webhook_url") from None
    return url


# -- create, read, delete -----------------------------------------------------------------------


def create_alert(db, account_id: int, stat_id: int, params: dict, now: int, *, email_default: bool = True,
                 allow_private: bool = False) -> dict:
    """params: kind, time_window, operator, threshold | percentage + time_delta, and optionally
    reminder_hours, email ("on"/"1"), webhook_url. Raises NotFound for a stat that is not the
    account's (before validating anything), Invalid naming the first bad field; stores nothing then.
    allow_private: webhooks may point at private networks (EYRIE_WEBHOOK_ALLOW_PRIVATE)."""
    get = params.get
    if db.read(lambda tx: _live_stat(tx, account_id, stat_id)) is None:
        raise NotFound("no such stat")
    rule = rules.parse_rule(get("kind"), get("time_window"), get("operator"), get("threshold"), get("percentage"),
                            get("time_delta"))
    reminder_hours = rules.parse_reminder_hours(get("reminder_hours"))
    email = _flag(get("email"), email_default)
    webhook_url = check_webhook_url(get("webhook_url"), allow_private=allow_private)
    secret = secrets.token_hex(16)

    def tx_fn(tx):
        if _live_stat(tx, account_id, stat_id) is None:
            raise NotFound("no such stat")
        alert_id = q.insert_alert(tx, account_id, stat_id, rule, reminder_hours=reminder_hours, email=email,
                                  webhook_url=webhook_url, webhook_secret=secret, now=now)
        return q.alert_by_id(tx, account_id, alert_id)

    return db.run(tx_fn)


def update_alert(db, account_id: int, alert_id: int, params: dict, now: int) -> dict:
    """Change an alert's rule and channels (its signing secret stays). Invalid names the first bad
    field and changes nothing; another account's alert is NotFound."""
    get = params.get
    if db.read(lambda tx: q.alert_by_id(tx, account_id, alert_id)) is None:
        raise NotFound("no such alert")
    rule = rules.parse_rule(get("kind"), get("time_window"), get("operator"), get("threshold"), get("percentage"),
                            get("time_delta"))
    reminder_hours = rules.parse_reminder_hours(get("reminder_hours"))
    email = _flag(get("email"), True)
    webhook_url = check_webhook_url(get("webhook_url"))

    def tx_fn(tx):
        if not q.update_alert(tx, account_id, alert_id, rule, reminder_hours=reminder_hours, email=email,
                              webhook_url=webhook_url, now=now):
            raise NotFound("no such alert")
        return q.alert_by_id(tx, account_id, alert_id)

    return db.run(tx_fn)


def pause_alert(db, account_id: int, alert_id: int, paused: bool, now: int) -> dict:
    def tx_fn(tx):
        if not q.set_paused(tx, account_id, alert_id, paused, now):
            raise NotFound("no such alert")
        return q.alert_by_id(tx, account_id, alert_id)

    return db.run(tx_fn)


def alert_form(db, account_id: int, alert_id: int) -> dict:
    """One alert and what its edit form needs."""
    def tx_fn(tx):
        alert = q.alert_by_id(tx, account_id, alert_id)
        if alert is None or alert["stat_deleted_at"] is not None:
            raise NotFound("no such alert")
        return _view(alert)

    return {"alert": db.read(tx_fn), **_form_choices()}


def _form_choices() -> dict:
    return {"windows": list(rules.WINDOWS), "window_labels": rules.WINDOW_LABELS, "kinds": rules.KINDS,
            "operators": rules.OPERATORS}


def _flag(raw, default: bool) -> bool:
    if raw is None:
        return default
    return str(raw).strip().lower() in ("1", "on", "true", "yes")


def _live_stat(tx, account_id: int, stat_id: int) -> dict | None:
    stat = sq.stat_by_id(tx, account_id, stat_id)
    return stat if stat is not None and stat["deleted_at"] is None else None


def delete_alert(db, account_id: int, alert_id: int) -> int:
    """Delete one of the account's alerts (and its history); returns its stat's id."""
    def tx_fn(tx):
        alert = q.alert_by_id(tx, account_id, alert_id)
        if alert is None:
            raise NotFound("no such alert")
        q.delete_alert(tx, account_id, alert_id)
        return alert["stat_id"]

    return db.run(tx_fn)


def alert_marks(db, account_id: int, stat_id: int, start: int, end: int) -> list[tuple[int, str]]:
    """When the stat's alerts changed state in [start, end): [(ts, "triggered" | "ok")], oldest first.
    For the stat page, to mark the graph."""
    rows = db.read(lambda tx: q.events(tx, account_id, stat_id=stat_id, start=start, end=end,
                                       kinds=(rules.TRIGGERED, rules.OK), limit=1000))
    return [(int(r["created_at"]), r["kind"]) for r in reversed(rows)]


def graph_marks(db, account_id: int, stat: dict, start: int, end: int) -> list[tuple[int, str, str]]:
    """alert_marks with a label each, for the graph's hover: which alert, and the value that tripped it
    ("Triggered: average over the last 5 minutes is greater than 100 (was 123 ms)")."""
    from app.numbers import fmt

    def tx_fn(tx):
        alerts = {a["id"]: a for a in q.list_alerts(tx, account_id, stat_id=stat["id"])}
        rows = q.events(tx, account_id, stat_id=stat["id"], start=start, end=end,
                        kinds=(rules.TRIGGERED, rules.OK), limit=1000)
        return alerts, rows

    alerts, rows = db.read(tx_fn)
    out = []
    for r in reversed(rows):
        a = alerts.get(r["alert_id"])
        rule = rule_of(a).describe(stat["kind"]) if a else "a deleted alert"
        unit = "" if a and a["kind"] == "data" else stat.get("unit") or ""   # "no data" alerts count points
        was = "" if r["value"] is None else f" (was {fmt(r['value'], unit)})"
        head = "Triggered" if r["kind"] == rules.TRIGGERED else "Back to OK"
        out.append((int(r["created_at"]), r["kind"], f"{head}: {rule}{was}"))
    return out


# -- views for the web UI ------------------------------------------------------------------------


def _view(alert: dict, problem: dict | None = None) -> dict:
    rule = rule_of(alert)
    if problem and problem["channel"] == "webhook" and not problem["last_error"].startswith("could not deliver"):
        # Kept before errors were generic: never show what answered where (app/webhooks.py).
        problem = {**problem, "last_error": webhooks.CONNECTION_FAILED}
    unit = alert.get("stat_unit") or ""
    return {**alert, "description": rule.describe(alert["stat_kind"], unit), "problem": problem,
            "email": bool(alert["email"]), "paused": bool(alert.get("paused")), "unit": unit,
            "checked": alert["last_checked_at"] is not None}


def alerts_page(db, account_id: int) -> dict:
    """Every alert of the account with its state and delivery problems, and recent history."""
    def tx_fn(tx):
        problems = q.delivery_problems(tx, account_id)
        alerts = [_view(a, problems.get(a["id"])) for a in q.list_alerts(tx, account_id)]
        stats = [{"id": s["id"], "name": s["name"], "kind": s["kind"], "unit": s["unit"] or ""}
                 for s in sq.list_stats(tx, account_id, limit=1000)]
        return {"alerts": alerts, "events": q.events(tx, account_id, limit=50), "stats": stats}

    view = db.read(tx_fn)
    view.update(_form_choices())
    return view


def stat_panel(db, account_id: int, stat_id: int) -> dict:
    """One stat's alerts, their history and what its add-alert form needs."""
    def tx_fn(tx):
        stat = _live_stat(tx, account_id, stat_id)
        if stat is None:
            raise NotFound("no such stat")
        problems = q.delivery_problems(tx, account_id)
        alerts = [_view(a, problems.get(a["id"])) for a in q.list_alerts(tx, account_id, stat_id)]
        return {"stat": stat, "alerts": alerts, "events": q.events(tx, account_id, stat_id=stat_id, limit=20)}

    view = db.read(tx_fn)
    view.update(_form_choices())
    return view


# -- StatHat's alerts API (/x/TOKEN/alerts) --------------------------------------------------------


def _token_account(tx, token: str) -> dict:
    account = acq.account_by_token(tx, token or "")
    if account is None:
        raise NotFound("invalid access token")
    return account


def public_alert(alert: dict) -> dict:
    """StatHat's shape: string ids; operator and threshold for value alerts; operator, percentage and
    time_delta for delta alerts; nothing more for data alerts."""
    out = {"id": str(alert["id"]), "stat_id": str(alert["stat_id"]), "stat_name": alert["stat_name"],
           "kind": alert["kind"], "time_window": alert["time_window"]}
    if alert["kind"] == "value":
        out.update(operator=alert["operator"], threshold=_plain(alert["threshold"]))
    elif alert["kind"] == "delta":
        out.update(operator=alert["operator"], percentage=_plain(alert["percentage"]),
                   time_delta=alert["time_delta"])
    return out


def _plain(v):
    v = float(v)
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def _parse_alert_id(raw) -> int:
    if not is_int(raw, 1, 2**62):
        raise NotFound("no such alert")
    return int(str(raw).strip())


def api_list(db, token: str) -> list[dict]:
    def tx_fn(tx):
        return q.list_alerts(tx, _token_account(tx, token)["id"])

    return [public_alert(a) for a in db.read(tx_fn)]


def api_get(db, token: str, raw_id) -> dict:
    alert_id = _parse_alert_id(raw_id)

    def tx_fn(tx):
        alert = q.alert_by_id(tx, _token_account(tx, token)["id"], alert_id)
        if alert is None or alert["stat_deleted_at"] is not None:
            raise NotFound("no such alert")
        return alert

    return public_alert(db.read(tx_fn))


def api_create(db, token: str, params: dict, now: int, *, allow_private: bool = False) -> dict:
    account = db.read(lambda tx: _token_account(tx, token))
    raw = params.get("stat_id")
    if raw is None or str(raw).strip() == "":
        raise Invalid("stat_id is required", field="stat_id")
    stat_id = parse_stat_id(str(raw).strip())
    return public_alert(create_alert(db, account["id"], stat_id, params, now, allow_private=allow_private))


def api_delete(db, token: str, raw_id) -> dict:
    alert_id = _parse_alert_id(raw_id)
    account = db.read(lambda tx: _token_account(tx, token))
    delete_alert(db, account["id"], alert_id)
    return {"msg": "alert deleted."}


# -- the worker's check step --------------------------------------------------------------------


def _window_totals(tx, stat_id: int, rule: rules.Rule, now: int, offset: int = 0) -> tuple[float, int]:
    start, end = rules.window(rule, now, offset)
    rows = pq.read_rollups(tx, stat_id, rule.resolution, start, end)
    return sum(float(r[1]) for r in rows), sum(int(r[2]) for r in rows)


def _enqueue(tx, alert: dict, event_id: int, now: int) -> None:
    if alert["email"]:
        account = acq.account_by_id(tx, alert["account_id"])
        q.insert_notification(tx, event_id, alert["id"], "email", account["email"], now)
    if alert["webhook_url"]:
        q.insert_notification(tx, event_id, alert["id"], "webhook", alert["webhook_url"], now)


def _fmt(v, unit: str = "") -> str:
    from app.numbers import fmt as fmt_number

    return "no data" if v is None else fmt_number(float(v), unit)


def _now_text(rule: rules.Rule, stat_kind: str, unit: str, value, previous) -> str:
    """What the check saw, with units: "now 300 ms"; a delta alert both values and the change."""
    if rule.kind == "data":
        return f"now {_fmt(value)} data points"
    if rule.kind != "delta" or previous is None:
        return f"now {_fmt(value, unit)}"
    before = rules.figure(stat_kind, *previous)
    if value is None or before is None:
        return f"now {_fmt(value, unit)}"
    pct = rules.change_pct(float(value), float(before))
    change = "from zero" if abs(pct) == float("inf") else f"{pct:+.1f}%"
    return f"now {_fmt(value, unit)}, {_fmt(before, unit)} {rules.AGO[rule.time_delta]}: {change}"


def check_one(tx, alert_id: int, now: int) -> str | None:
    """Check one alert if this worker wins its round. Returns "triggered", "ok", "reminder",
    "checked", or None when another worker has it (or it is gone)."""
    if not q.claim_check(tx, alert_id, now, now + CHECK_EVERY):
        return None
    alert = q.alert_any_account(tx, alert_id)
    if alert is None or alert["stat_deleted_at"] is not None:
        return None
    rule = rule_of(alert)
    current = _window_totals(tx, alert["stat_id"], rule, now)
    previous = None
    if rule.kind == "delta":
        previous = _window_totals(tx, alert["stat_id"], rule, now, rules.WINDOWS[rule.time_delta])
    ev = rules.evaluate(rule, alert["stat_kind"], current, previous)
    q.record_check(tx, alert_id, ev.value, now)
    unit = alert["stat_unit"] or ""
    description = rule.describe(alert["stat_kind"], unit)
    now_text = _now_text(rule, alert["stat_kind"], unit, ev.value, previous)
    new = rules.next_state(alert["state"], ev.firing)
    if new is not None:
        if not q.change_state(tx, alert_id, alert["state"], new, now):
            return None
        if new == rules.TRIGGERED:
            message = f"{description} ({now_text})"
        else:
            message = f"back to normal: {description} no longer holds ({now_text})"
        _enqueue(tx, alert, q.insert_event(tx, alert, new, ev.value, message, now), now)
        return new
    if rules.reminder_due(alert["state"], alert["reminder_hours"], alert["last_notified_at"], now):
        if q.claim_reminder(tx, alert_id, alert["last_notified_at"], now):
            message = f"still triggered: {description} ({now_text})"
            _enqueue(tx, alert, q.insert_event(tx, alert, "reminder", ev.value, message, now), now)
            return "reminder"
    return "checked"


def check_due(db, now: int, limit: int = 500) -> dict:
    """One round of alert checks: every alert whose next_check_at has come. A worker job step."""
    counts = {"checked": 0, "triggered": 0, "ok": 0, "reminder": 0}
    for alert_id in db.read(lambda tx: q.due_alert_ids(tx, now, limit)):
        try:
            outcome = db.run(lambda tx, i=alert_id: check_one(tx, i, now))
        except Unavailable:
            raise  # the database is gone: the whole round waits for the next tick
        except Exception:  # one broken alert must not stop the others; its claim rolled back
            log.exception("checking alert %s failed", alert_id)
            continue
        if outcome is None:
            continue
        counts["checked"] += 1
        if outcome in counts and outcome != "checked":
            counts[outcome] += 1
    return counts
