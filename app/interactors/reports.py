"""Daily and weekly report mail, unsubscribe links, and StatHat's "a new stat was created" mail.

Reports go out at a local hour in the account's timezone. A report due on local day D covers the
previous local day (D-1), or for weekly reports (sent on Mondays) the previous Monday-to-Sunday week,
and compares it with the period before.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from app import emails, mail
from app.chart_rules import bucket_points
from app.errors import Invalid, NotFound, Unavailable
from app.graphs import Series
from app.interactors.graphs import first_data
from app.interactors.notify import backoff, graph_png
from app.numbers import change as change_text
from app.numbers import fmt as fmt_number
from app.numbers import tone
from app.params import is_int, parse_int
from app.rollups import DAY, HOUR, zone
from app.series import bucketize
from app.storage import accounts as acq
from app.storage import points as pq
from app.storage import reports as q
from app.storage import stats as sq
from app.timeframes import Span, advance, align

log = logging.getLogger("eyrie.reports")
PERIODS = ("daily", "weekly")
SPAN = {"daily": Span(1, "d"), "weekly": Span(1, "w")}
MAX_STATS = 20          # per report: each carries a rendered graph
NEW_STATS_NAMED = 20    # per "new stats" mail; the rest are counted
MAX_ATTEMPTS = 3        # then the report for that period is given up (and the error shown in settings)
LEASE = 600
DEFAULT_HOUR = 8


# -- schedules ---------------------------------------------------------------------------------


def next_due(after: int, period: str, hour: int, tz: str) -> int:
    """The first time strictly after `after` that is `hour`:00 local (on a Monday for weekly)."""
    z = zone(tz)
    day = datetime.fromtimestamp(after, UTC).astimezone(z).date()
    for i in range(0, 9):
        d = day + timedelta(days=i)
        if period == "weekly" and d.weekday() != 0:
            continue
        t = int(datetime(d.year, d.month, d.day, hour, tzinfo=z).timestamp())
        if t > after:
            return t
    raise AssertionError("unreachable: a matching day is always within 8 days")


def covered_period(due_at: int, period: str, tz: str) -> tuple[int, int, int]:
    """(previous start, start, end): the local day (or week) before the report's due time, and the one before."""
    end = align(due_at, SPAN[period], tz)
    start = advance(end, SPAN[period], tz, -1)
    return advance(start, SPAN[period], tz, -1), start, end


def _parse_hour(raw) -> int:
    return parse_int(raw, field="hour", lo=0, hi=23, label="the hour")


def _saved_choice(tx, account_id: int) -> tuple[dict, dict, list[int]]:
    """The account, its saved schedules and the stats they report on (the same for daily and weekly)."""
    account = acq.account_by_id(tx, account_id)
    if account is None:
        raise NotFound("no such account")
    found = q.schedules(tx, account_id)
    return account, found, next((found[p]["stat_ids"] for p in PERIODS if p in found), [])


def settings_view(db, account_id: int) -> dict:
    def tx_fn(tx):
        account, found, chosen = _saved_choice(tx, account_id)
        hour = next((found[p]["hour"] for p in PERIODS if p in found), DEFAULT_HOUR)
        stats = [{"id": s["id"], "name": s["name"], "kind": s["kind"], "chosen": s["id"] in chosen}
                 for s in sq.list_stats(tx, account_id, limit=1000)]
        return {"daily": bool(found.get("daily", {}).get("enabled")),
                "weekly": bool(found.get("weekly", {}).get("enabled")),
                "hour": hour, "timezone": account["timezone"], "stats": stats,
                "schedules": {p: _schedule_view(found[p]) for p in found}}

    return db.read(tx_fn)


def _schedule_view(s: dict) -> dict:
    return {"enabled": s["enabled"], "due_at": s["due_at"], "last_sent_at": s["last_sent_at"],
            "last_error": s["last_error"], "attempts": s["attempts"]}


def save_settings(db, account_id: int, *, daily: bool, weekly: bool, hour, stat_ids: list, now: int) -> None:
    """Turn daily and weekly reports on or off, at a local hour, for some stats (none chosen = all,
    up to MAX_STATS). Stat ids that are not the account's live stats raise NotFound."""
    hour = _parse_hour(hour)
    if not all(is_int(i, 1, 2**62) for i in stat_ids if str(i).strip()):
        raise Invalid("pick stats from the list", field="stats")
    ids = sorted({int(str(i)) for i in stat_ids if str(i).strip()})

    def tx_fn(tx):
        account = acq.account_by_id(tx, account_id)
        for stat_id in ids:
            stat = sq.stat_by_id(tx, account_id, stat_id)
            if stat is None or stat["deleted_at"] is not None:
                raise NotFound("no such stat")
        for period, enabled in (("daily", daily), ("weekly", weekly)):
            q.save_schedule(tx, account_id, period, enabled=enabled, hour=hour, stat_ids=ids,
                            due_at=next_due(now, period, hour, account["timezone"]))

    db.run(tx_fn)


# -- unsubscribe and delete links (no login: the signed token is the authorization) -------------


def _serializer(secret: str, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=f"eyrie-{purpose}")


def unsubscribe_token(secret: str, account_id: int) -> str:
    return _serializer(secret, "reports-unsubscribe").dumps({"a": account_id})


def unsubscribe(db, secret: str, token: str) -> dict:
    """Turn off every report of the account the token was made for."""
    try:
        data = _serializer(secret, "reports-unsubscribe").loads(token)
        account_id = int(data["a"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise NotFound("this unsubscribe link is not valid") from None

    def tx_fn(tx):
        account = acq.account_by_id(tx, account_id)
        if account is None:
            raise NotFound("this unsubscribe link is not valid")
        q.disable_all(tx, account_id)
        return {"email": account["email"]}

    return db.run(tx_fn)


def delete_stat_token(secret: str, account_id: int, stat_id: int) -> str:
    return _serializer(secret, "new-stat-delete").dumps({"a": account_id, "s": stat_id})


def _stat_from_token(tx, secret: str, token: str) -> dict:
    try:
        data = _serializer(secret, "new-stat-delete").loads(token)
        account_id, stat_id = int(data["a"]), int(data["s"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise NotFound("this link is not valid") from None
    stat = sq.stat_by_id(tx, account_id, stat_id)
    if stat is None:
        raise NotFound("this stat does not exist any more")
    return stat


def stat_for_delete_link(db, secret: str, token: str) -> dict:
    stat = db.read(lambda tx: _stat_from_token(tx, secret, token))
    return {"id": stat["id"], "name": stat["name"], "deleted": stat["deleted_at"] is not None}


def delete_stat_by_link(db, secret: str, token: str, now: int) -> dict:
    """Move the stat to the trash (restorable for 48 hours, like any deleted stat)."""
    def tx_fn(tx):
        stat = _stat_from_token(tx, secret, token)
        if stat["deleted_at"] is None:
            sq.update_stat(tx, stat["account_id"], stat["id"], deleted_at=now)
        return {"id": stat["id"], "name": stat["name"], "deleted": True}

    return db.run(tx_fn)


# -- the report itself -------------------------------------------------------------------------


def _figure(kind: str, rows: list[tuple]) -> float | None:
    total = sum(float(r[1]) for r in rows)
    n = sum(int(r[2]) for r in rows)
    if kind == "counter":
        return total
    return total / n if n else None


def change_pct(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous) * 100.0


def _stat_report(tx, stat: dict, prev_start: int, start: int, end: int, period: str) -> dict:
    kind = stat["kind"]
    days = pq.read_rollups(tx, stat["id"], DAY, prev_start, end)
    current = _figure(kind, [r for r in days if r[0] >= start])
    previous = _figure(kind, [r for r in days if r[0] < start])
    step = HOUR if period == "daily" else 6 * HOUR
    starts = list(range(start, end, step))
    ends = starts[1:] + [end]
    hours = pq.read_rollups(tx, stat["id"], HOUR, prev_start, end)
    now_b = bucketize([r for r in hours if r[0] >= start], starts, ends)
    shift = start - prev_start
    prev_b = bucketize([(r[0] + shift, *r[1:]) for r in hours if r[0] < start], starts, ends)
    # No data is not zero: a counter's line starts at its first point, in the previous period too.
    since = first_data(tx, stat) if kind == "counter" else None
    series = [Series(stat["name"], bucket_points(now_b, kind, since), kind=kind, unit=stat["unit"] or ""),
              Series("previous " + ("day" if period == "daily" else "week"),
                     bucket_points(prev_b, kind, None if since is None else since + shift), kind=kind,
                     unit=stat["unit"] or "", dashed=True)]
    change = change_pct(current, previous)
    return {"id": stat["id"], "name": stat["name"], "kind": kind, "unit": stat["unit"] or "", "current": current,
            "previous": previous, "change": change, "tone": tone(change, stat.get("direction")), "series": series,
            "step": step}


def _report_data(tx, schedule: dict, due_at: int) -> dict | None:
    account = acq.account_by_id(tx, schedule["account_id"])
    if account is None:
        return None
    tz = account["timezone"]
    prev_start, start, end = covered_period(due_at, schedule["period"], tz)
    if schedule["stat_ids"]:
        stats = [s for s in (sq.stat_by_id(tx, account["id"], i) for i in schedule["stat_ids"])
                 if s is not None and s["deleted_at"] is None][:MAX_STATS]
    else:
        stats = sq.list_stats(tx, account["id"], limit=MAX_STATS)
    return {"account": account, "tz": tz, "start": start, "end": end,
            "stats": [_stat_report(tx, s, prev_start, start, end, schedule["period"]) for s in stats]}


def _fmt(v, unit: str) -> str:
    return "–" if v is None else fmt_number(float(v), unit)


def _report_mail(config, schedule: dict, data: dict) -> mail.Mail:
    period, tz = schedule["period"], data["tz"]
    first = datetime.fromtimestamp(data["start"], UTC).astimezone(zone(tz))
    last = datetime.fromtimestamp(data["end"] - 1, UTC).astimezone(zone(tz))
    if period == "daily":
        label = first.strftime("%A %-d %B %Y")
        subject = f"[Eyrie] Daily report for {first.strftime('%a %-d %b %Y')}"
    else:
        label = f"{first.strftime('%-d %b')} – {last.strftime('%-d %b %Y')}"
        subject = f"[Eyrie] Weekly report, {label}"
    rows = []
    for i, s in enumerate(data["stats"]):
        change = s["change"]
        rows.append({**s, "cid": f"graph-{i}", "current_text": _fmt(s["current"], s["unit"]),
                     "previous_text": _fmt(s["previous"], s["unit"]),
                     "change_text": change_text(change),
                     "figure": "total" if s["kind"] == "counter" else "mean"})
    token = unsubscribe_token(config.secret_key, schedule["account_id"])
    unsubscribe = f"{config.mail_base_url}/reports/unsubscribe/{token}"
    m = emails.render("report", data["account"]["email"], subject, period=period, label=label, rows=rows,
                      unsubscribe=unsubscribe, settings_link=f"{config.mail_base_url}/settings/reports",
                      base_url=config.mail_base_url)
    for r in rows:
        m.images.append((r["cid"], graph_png(r, r["series"], tz, r["step"], width=520, height=150)))
    m.headers["List-Unsubscribe"] = f"<{unsubscribe}>"
    return m


def send_one(db, config, schedule_id: int, worker: str, now: int) -> str | None:
    """Claim one due schedule and send its report: "sent", "skipped", "retry", "failed" or None."""
    if not db.run(lambda tx: q.claim_schedule(tx, schedule_id, worker, now, now + LEASE)):
        return None
    schedule = db.read(lambda tx: q.schedule(tx, schedule_id))
    account = db.read(lambda tx: acq.account_by_id(tx, schedule["account_id"]))
    tz = account["timezone"]
    # After an outage, report only on the latest period that is due, not every missed one.
    due_at = schedule["due_at"]
    while (following := next_due(due_at, schedule["period"], schedule["hour"], tz)) <= now:
        due_at = following
    following = next_due(due_at, schedule["period"], schedule["hour"], tz)
    data = db.read(lambda tx: _report_data(tx, schedule, due_at))
    if not data or not data["stats"]:
        db.run(lambda tx: q.finish_schedule(tx, schedule_id, worker, due_at=following, next_attempt_at=following,
                                            attempts=0, error="", sent_at=None))
        return "skipped"
    try:
        mail.send(config, _report_mail(config, schedule, data))
    except Exception as exc:  # recorded, retried, and shown in the report settings
        attempts = schedule["attempts"] + 1
        error = str(exc) or type(exc).__name__
        log.warning("report %s failed (attempt %s): %s", schedule_id, attempts, error)
        if attempts >= MAX_ATTEMPTS:
            db.run(lambda tx: q.finish_schedule(tx, schedule_id, worker, due_at=following,
                                                next_attempt_at=following, attempts=0, error=error, sent_at=None))
            return "failed"
        db.run(lambda tx: q.finish_schedule(tx, schedule_id, worker, due_at=due_at,
                                            next_attempt_at=now + backoff(attempts), attempts=attempts, error=error,
                                            sent_at=None))
        return "retry"
    db.run(lambda tx: q.finish_schedule(tx, schedule_id, worker, due_at=following, next_attempt_at=following,
                                        attempts=0, error="", sent_at=now))
    return "sent"


def send_now(db, config, account_id: int, period: str, now: int) -> dict:
    """"Send me one now": the report for the latest whole day (or week) to the account's own address,
    with the stats the saved settings choose; the schedule is left as it is. Answers what was sent."""
    if period not in PERIODS:
        raise Invalid("the report is daily or weekly", field="period")

    def tx_fn(tx):
        _, _, chosen = _saved_choice(tx, account_id)
        schedule = {"account_id": account_id, "period": period, "stat_ids": chosen}
        return schedule, _report_data(tx, schedule, now)

    schedule, data = db.read(tx_fn)
    if not data or not data["stats"]:
        raise Invalid("there are no stats to report on yet", field="period")
    try:
        mail.send(config, _report_mail(config, schedule, data))
    except (OSError, smtplib.SMTPException):   # refused, timed out, hung up: the server's fault, said plainly
        log.warning("send-now report mail failed", exc_info=True)
        raise Unavailable("the mail server did not take the report: try again in a moment") from None
    return {"to": data["account"]["email"], "period": period, "stats": len(data["stats"])}


def send_due_reports(db, config, now: int, worker: str, limit: int = 100) -> dict:
    """Send every report that is due. A worker job step."""
    counts = {"sent": 0, "skipped": 0, "retry": 0, "failed": 0}
    for schedule_id in db.read(lambda tx: q.due_schedule_ids(tx, now, limit)):
        outcome = send_one(db, config, schedule_id, worker, now)
        if outcome:
            counts[outcome] += 1
    return counts


# -- "a new stat was created" ------------------------------------------------------------------


def send_new_stat_mails(db, config, now: int) -> dict:
    """One mail per account listing the stats the EZ API created since the last round, each with a
    one-click delete link. Accounts that opted out (new_stat_email off) are marked, not mailed.

    A mail names the first NEW_STATS_NAMED stats and counts the rest: a bulk post creating
    thousands of stats gets one short mail, not one long mail per round."""
    counts = {"mails": 0, "stats": 0}
    by_account: dict[int, list[dict]] = {}
    for row in db.read(lambda tx: q.pending_new_stats(tx)):
        by_account.setdefault(row["account_id"], []).append(row)
    for account_id, rows in by_account.items():
        live = [r for r in rows if r["deleted_at"] is None]
        named = [r for r in live[:NEW_STATS_NAMED] if db.run(lambda tx, r=r: q.claim_new_stat(tx, r["id"], now))]
        if live and not named:
            continue  # another worker took this account's round
        # The rest of the account's new stats are claimed at once, and only counted.
        more = db.run(lambda tx, a=account_id: q.claim_rest_of_new_stats(tx, a, now))
        if not named or not rows[0]["new_stat_email"]:
            continue
        base = config.mail_base_url
        stats = [{"id": r["id"], "name": r["name"], "kind": r["kind"], "link": f"{base}/stats/{r['id']}",
                  "delete_link": f"{base}/new-stat/"
                                 + delete_stat_token(config.secret_key, account_id, r["id"])}
                 for r in named]
        total = len(stats) + more
        subject = (f"[Eyrie] New stat: {stats[0]['name']}" if total == 1
                   else f"[Eyrie] {total} new stats")
        try:
            mail.send(config, emails.render("new_stat", rows[0]["email"], subject[:200], stats=stats, total=total,
                                            more=more, stats_link=f"{config.mail_base_url}/stats",
                                            settings_link=f"{config.mail_base_url}/settings"))
        except Exception as exc:
            log.warning("new-stat mail to account %s failed: %s", account_id, exc)
            db.run(lambda tx, a=account_id: q.release_new_stats(tx, a, now))
            continue
        counts["mails"] += 1
        counts["stats"] += total
    return counts
