"""Delivering alert notifications (email, webhook): the worker's notify step.

Each pending notifications row is claimed with a conditional UPDATE before anything is sent, so two
workers never send the same one. A failure is recorded (attempts, last error) and retried with
exponential backoff: 1, 2, 4, 8 ... minutes, MAX_ATTEMPTS in all.
"""

from __future__ import annotations

import logging

from app import alert_rules as rules
from app import emails, mail, webhooks
from app.graphs import Series, render_graph, svg_to_png
from app.interactors.alerts import rule_of
from app.interactors.reading import stat_buckets
from app.storage import accounts as acq
from app.storage import alerts as q
from app.timeframes import parse_timeframe

log = logging.getLogger("eyrie.notify")
MAX_ATTEMPTS = 8
LEASE = 300  # seconds a claim holds: longer than any one send (SMTP 10 s, webhook 5 s)
# The graph in an alert mail: some context around the alert's window.
GRAPH_TIMEFRAME = {"5m": "1h1m", "1h": "1d10m", "3h": "1d10m", "1d": "1w1h", "1w": "1M6h", "1M": "3M1d",
                   "1y": "1y1w"}
SUBJECT = {"triggered": "ALERT", "ok": "OK", "reminder": "Still alerting"}


def backoff(attempts: int) -> int:
    """Seconds to wait after the attempts-th failed attempt."""
    return 60 * 2 ** (attempts - 1)


def graph_png(stat: dict, series: list[Series], tz: str, step: int, *, width: int = 560, height: int = 200) -> bytes:
    svg = render_graph(series, width=width, height=height, theme="light", tz=tz, step=step)
    return svg_to_png(svg, scale=2.0)  # 2x: sharp on high-density screens


def _stat_url(config, stat_id: int) -> str:
    return f"{config.mail_base_url}/stats/{stat_id}"


def _previous_figure(tx, alert: dict, at: int):
    """A delta alert's other value: its window's figure `time_delta` before the event."""
    from app.interactors.alerts import _window_totals

    rule = rule_of(alert)
    if rule.kind != "delta":
        return None
    total, n = _window_totals(tx, alert["stat_id"], rule, at, rules.WINDOWS[rule.time_delta])
    return rules.figure(alert["stat_kind"], total, n)


def _load(tx, notification_id: int, now: int) -> dict | None:
    n = q.notification(tx, notification_id)
    if n is None:
        return None
    alert = q.alert_any_account(tx, n["alert_id"])
    if alert is None:
        return None
    account = acq.account_by_id(tx, alert["account_id"])
    out = {"n": n, "alert": alert, "account": account, "buckets": None}
    if n["channel"] == "email":
        tf = parse_timeframe(GRAPH_TIMEFRAME[alert["time_window"]])
        stat = {"id": alert["stat_id"], "kind": alert["stat_kind"]}
        out["buckets"] = stat_buckets(tx, stat, tf, now, account["timezone"])
        out["step"] = tf.interval.seconds
        out["previous"] = _previous_figure(tx, alert, int(n["event_at"]))
    return out


def _payload(config, d: dict) -> dict:
    alert, n = d["alert"], d["n"]
    state = rules.OK if n["event_kind"] == rules.OK else rules.TRIGGERED
    from app.interactors.alerts import public_alert

    return {
        "alert": {**public_alert(alert), "description": rule_of(alert).describe(alert["stat_kind"],
                                                                                          alert["stat_unit"] or "")},
        "stat": {"id": str(alert["stat_id"]), "name": alert["stat_name"], "url": _stat_url(config, alert["stat_id"])},
        "value": n["event_value"],
        "state": state,
        "event": n["event_kind"],
        "message": n["event_message"],
        "time": int(n["event_at"]),
    }


def _email(config, d: dict) -> mail.Mail:
    alert, n, account = d["alert"], d["n"], d["account"]
    kind, unit = alert["stat_kind"], alert["stat_unit"] or ""
    rule = rule_of(alert)
    subject = f"[Eyrie] {SUBJECT[n['event_kind']]}: {alert['stat_name']}: {rule.describe(kind, unit)}"
    series = [Series(alert["stat_name"], [(b.time, b.value(kind)) for b in d["buckets"]], kind=kind, unit=unit)]
    m = emails.render("alert", n["target"], subject[:200], alert=alert, event=n,
                      description=rule.describe(kind, unit), value=_fmt(n["event_value"], unit),
                      facts=_facts(rule, kind, unit, n["event_value"], d.get("previous")),
                      link=_stat_url(config, alert["stat_id"]), alerts_link=f"{config.mail_base_url}/alerts",
                      when=localtime(n["event_at"], account["timezone"]))
    m.images.append(("graph", graph_png(alert, series, account["timezone"], d["step"])))
    return m


def _facts(rule, kind: str, unit: str, value, previous) -> list[tuple[str, str]]:
    """The mail's table: the rule's threshold (or percentage) and the values it compared, with units."""
    what = "Sum" if kind == "counter" else "Average"
    if rule.kind == "value":
        return [("Threshold", f"{rule.operator} {_fmt(rule.threshold, unit)}"),
                (f"{what} over the last {rules.WINDOW_LABELS[rule.time_window]}", _fmt(value, unit))]
    if rule.kind == "delta":
        change = "–"
        if value is not None and previous is not None:
            pct = rules.change_pct(float(value), float(previous))
            change = f"{pct:+.1f}%" if abs(pct) != float("inf") else "from zero"
        return [("Rule", f"a change of {rules._num(rule.percentage)}% ({rule.operator})"),
                ("Change", change),
                ("Now", _fmt(value, unit)),
                (rules.AGO[rule.time_delta].capitalize(), _fmt(previous, unit))]
    return [("Data points in the window", _fmt(value))]


def localtime(ts: int, tz: str) -> str:
    from datetime import UTC, datetime

    from app.rollups import zone

    return datetime.fromtimestamp(int(ts), UTC).astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M %Z")


def _fmt(v, unit: str = "") -> str:
    from app.numbers import fmt as fmt_number

    return "no data" if v is None else fmt_number(float(v), unit)


def send(config, d: dict) -> None:
    """Send one notification; raise on failure."""
    if d["n"]["channel"] == "email":
        mail.send(config, _email(config, d))
    else:
        webhooks.post(d["n"]["target"], _payload(config, d), d["alert"]["webhook_secret"],
                      allow_private=config.webhook_allow_private)


def shown_error(channel: str, exc: Exception) -> str:
    """The error kept on the notification and shown to the alert's owner. A webhook's is one of a few
    generic ones (app/webhooks.py): never the raw exception, which would tell what answers where."""
    if channel == "webhook":
        return str(exc) if isinstance(exc, webhooks.WebhookError) else webhooks.CONNECTION_FAILED
    return str(exc) or type(exc).__name__


def deliver_one(db, config, notification_id: int, worker: str, now: int) -> str | None:
    """Claim, send and record one notification: "sent", "retry", "failed", or None (not ours)."""
    if not db.run(lambda tx: q.claim_notification(tx, notification_id, worker, now, now + LEASE)):
        return None
    data = db.read(lambda tx: _load(tx, notification_id, now))
    if data is None:
        return None
    attempts = int(data["n"]["attempts"]) + 1
    try:
        send(config, data)
    except Exception as exc:  # any failure is recorded and retried; the worker keeps going
        error = shown_error(data["n"]["channel"], exc)
        log.warning("notification %s (%s) failed, attempt %s: %s: %s", notification_id, data["n"]["channel"],
                    attempts, type(exc).__name__, exc)
        status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
        db.run(lambda tx: q.finish_notification(tx, notification_id, worker, status=status, attempts=attempts,
                                                error=error, next_attempt_at=now + backoff(attempts), sent_at=None))
        return "failed" if status == "failed" else "retry"
    db.run(lambda tx: q.finish_notification(tx, notification_id, worker, status="sent", attempts=attempts, error="",
                                            next_attempt_at=now, sent_at=now))
    return "sent"


def deliver_due(db, config, now: int, worker: str, limit: int = 100) -> dict:
    """Send every notification that is due. A worker job step."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for notification_id in db.read(lambda tx: q.due_notification_ids(tx, now, limit)):
        outcome = deliver_one(db, config, notification_id, worker, now)
        if outcome:
            counts[outcome] += 1
    return counts
