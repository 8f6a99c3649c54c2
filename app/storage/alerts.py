"""SQL for alerts, alert_events and notifications.

Work is claimed with conditional UPDATEs (rowcount == 1 means this worker won), never with
SELECT ... FOR UPDATE, so the same code is safe on SQLite and MariaDB and needs no broker.
"""

from __future__ import annotations

from app.storage.db import Tx

_COLS = ("a.id, a.account_id, a.stat_id, a.kind, a.time_window, a.operator, a.threshold, a.percentage, a.time_delta,"
         " a.reminder_hours, a.email, a.webhook_url, a.webhook_secret, a.state, a.state_since, a.last_value,"
         " a.last_checked_at, a.last_notified_at, a.next_check_at, a.created_at, a.paused")
_WITH_STAT = (f"SELECT {_COLS}, s.name AS stat_name, s.kind AS stat_kind, s.unit AS stat_unit,"
              " s.deleted_at AS stat_deleted_at FROM alerts a JOIN stats s ON s.id = a.stat_id")


def insert_alert(tx: Tx, account_id: int, stat_id: int, rule, *, reminder_hours: int, email: bool, webhook_url: str,
                 webhook_secret: str, now: int) -> int:
    return tx.insert(
        "INSERT INTO alerts (account_id, stat_id, kind, time_window, operator, threshold, percentage, time_delta,"
        " reminder_hours, email, webhook_url, webhook_secret, state, next_check_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok', ?, ?)",
        (account_id, stat_id, rule.kind, rule.time_window, rule.operator, rule.threshold, rule.percentage,
         rule.time_delta, reminder_hours, 1 if email else 0, webhook_url, webhook_secret, now, now),
    )


def alert_by_id(tx: Tx, account_id: int, alert_id: int) -> dict | None:
    return tx.one(f"{_WITH_STAT} WHERE a.id = ? AND a.account_id = ?", (alert_id, account_id))


def alert_any_account(tx: Tx, alert_id: int) -> dict | None:
    """For the worker, which acts for every account."""
    return tx.one(f"{_WITH_STAT} WHERE a.id = ?", (alert_id,))


def list_alerts(tx: Tx, account_id: int, stat_id: int | None = None) -> list[dict]:
    if stat_id is None:
        return tx.all(f"{_WITH_STAT} WHERE a.account_id = ? AND s.deleted_at IS NULL ORDER BY s.name, a.id",
                      (account_id,))
    return tx.all(f"{_WITH_STAT} WHERE a.account_id = ? AND a.stat_id = ? ORDER BY a.id", (account_id, stat_id))


def update_alert(tx: Tx, account_id: int, alert_id: int, rule, *, reminder_hours: int, email: bool, webhook_url: str,
                 now: int) -> int:
    """A changed rule starts afresh: ok, not checked yet, checked at the next round."""
    return tx.execute(
        "UPDATE alerts SET kind = ?, time_window = ?, operator = ?, threshold = ?, percentage = ?, time_delta = ?,"
        " reminder_hours = ?, email = ?, webhook_url = ?, state = 'ok', state_since = NULL, last_value = NULL,"
        " last_checked_at = NULL, last_notified_at = NULL, next_check_at = ? WHERE id = ? AND account_id = ?",
        (rule.kind, rule.time_window, rule.operator, rule.threshold, rule.percentage, rule.time_delta, reminder_hours,
         1 if email else 0, webhook_url, now, alert_id, account_id))


def set_paused(tx: Tx, account_id: int, alert_id: int, paused: bool, now: int) -> int:
    """Pausing stops checks; resuming starts afresh like an edit (the old state may no longer hold)."""
    if paused:
        return tx.execute("UPDATE alerts SET paused = 1 WHERE id = ? AND account_id = ?", (alert_id, account_id))
    return tx.execute(
        "UPDATE alerts SET paused = 0, state = 'ok', state_since = NULL, last_value = NULL, last_checked_at = NULL,"
        " last_notified_at = NULL, next_check_at = ? WHERE id = ? AND account_id = ?", (now, alert_id, account_id))


def delete_alert(tx: Tx, account_id: int, alert_id: int) -> int:
    # Children first: MariaDB checks foreign keys row by row, and SQLite may run without cascades.
    tx.execute("DELETE FROM notifications WHERE alert_id = ?", (alert_id,))
    tx.execute("DELETE FROM alert_events WHERE alert_id = ? AND account_id = ?", (alert_id, account_id))
    return tx.execute("DELETE FROM alerts WHERE id = ? AND account_id = ?", (alert_id, account_id))


# -- checks ------------------------------------------------------------------------------------


def due_alert_ids(tx: Tx, now: int, limit: int = 500) -> list[int]:
    return [r["id"] for r in tx.all("SELECT id FROM alerts WHERE next_check_at <= ? AND paused = 0"
                                    " ORDER BY next_check_at LIMIT ?", (now, limit))]


def claim_check(tx: Tx, alert_id: int, now: int, next_check_at: int) -> bool:
    """Take this round's check by moving next_check_at past now; a second worker then matches nothing."""
    return tx.execute("UPDATE alerts SET next_check_at = ? WHERE id = ? AND next_check_at <= ? AND paused = 0",
                      (next_check_at, alert_id, now)) == 1


def record_check(tx: Tx, alert_id: int, value, now: int) -> None:
    tx.execute("UPDATE alerts SET last_value = ?, last_checked_at = ? WHERE id = ?", (value, now, alert_id))


def change_state(tx: Tx, alert_id: int, old: str, new: str, now: int) -> bool:
    """Compare-and-set, so a slow, stale check can never record a transition twice."""
    return tx.execute(
        "UPDATE alerts SET state = ?, state_since = ?, last_notified_at = ? WHERE id = ? AND state = ?",
        (new, now, now, alert_id, old)) == 1


def claim_reminder(tx: Tx, alert_id: int, last_notified_at: int, now: int) -> bool:
    return tx.execute(
        "UPDATE alerts SET last_notified_at = ? WHERE id = ? AND state = 'triggered' AND last_notified_at = ?",
        (now, alert_id, last_notified_at)) == 1


def insert_event(tx: Tx, alert: dict, kind: str, value, message: str, now: int) -> int:
    return tx.insert(
        "INSERT INTO alert_events (alert_id, account_id, stat_id, kind, value, message, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (alert["id"], alert["account_id"], alert["stat_id"], kind, value, message[:255], now),
    )


def events(tx: Tx, account_id: int, *, stat_id: int | None = None, alert_id: int | None = None,
           start: int | None = None, end: int | None = None, kinds: tuple[str, ...] = (), limit: int = 50
           ) -> list[dict]:
    where, params = ["e.account_id = ?"], [account_id]
    for col, val in (("e.stat_id = ?", stat_id), ("e.alert_id = ?", alert_id), ("e.created_at >= ?", start),
                     ("e.created_at < ?", end)):
        if val is not None:
            where.append(col)
            params.append(val)
    if kinds:
        where.append(f"e.kind IN ({','.join('?' * len(kinds))})")
        params += list(kinds)
    params.append(limit)
    return tx.all(
        "SELECT e.id, e.alert_id, e.stat_id, e.kind, e.value, e.message, e.created_at, s.name AS stat_name"
        " FROM alert_events e JOIN stats s ON s.id = e.stat_id WHERE " + " AND ".join(where)
        + " ORDER BY e.created_at DESC, e.id DESC LIMIT ?", params)


# -- notifications -----------------------------------------------------------------------------


def insert_notification(tx: Tx, event_id: int, alert_id: int, channel: str, target: str, now: int) -> int:
    return tx.insert(
        "INSERT INTO notifications (event_id, alert_id, channel, target, status, attempts, next_attempt_at,"
        " created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)",
        (event_id, alert_id, channel, target, now, now),
    )


def due_notification_ids(tx: Tx, now: int, limit: int = 100) -> list[int]:
    return [r["id"] for r in tx.all(
        "SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= ?"
        " AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY next_attempt_at, id LIMIT ?",
        (now, now, limit))]


def claim_notification(tx: Tx, notification_id: int, worker: str, now: int, until: int) -> bool:
    return tx.execute(
        "UPDATE notifications SET claimed_by = ?, claimed_until = ? WHERE id = ? AND status = 'pending'"
        " AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)",
        (worker, until, notification_id, now, now)) == 1


def notification(tx: Tx, notification_id: int) -> dict | None:
    return tx.one(
        "SELECT n.id, n.event_id, n.alert_id, n.channel, n.target, n.status, n.attempts, n.next_attempt_at,"
        " n.claimed_by, n.last_error, n.sent_at, e.kind AS event_kind, e.value AS event_value,"
        " e.message AS event_message, e.created_at AS event_at"
        " FROM notifications n JOIN alert_events e ON e.id = n.event_id WHERE n.id = ?", (notification_id,))


def finish_notification(tx: Tx, notification_id: int, worker: str, *, status: str, attempts: int, error: str,
                        next_attempt_at: int, sent_at: int | None) -> int:
    return tx.execute(
        "UPDATE notifications SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ?, sent_at = ?,"
        " claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?",
        (status, attempts, error[:500], next_attempt_at, sent_at, notification_id, worker))


def delivery_problems(tx: Tx, account_id: int) -> dict[int, dict]:
    """Per alert, its newest notification that has an error (pending retries or failed)."""
    rows = tx.all(
        "SELECT n.alert_id, n.channel, n.status, n.attempts, n.last_error, n.next_attempt_at, n.created_at"
        " FROM notifications n JOIN alerts a ON a.id = n.alert_id WHERE a.account_id = ? AND n.last_error <> ''"
        " AND n.status <> 'sent' ORDER BY n.id DESC LIMIT 200", (account_id,))
    out: dict[int, dict] = {}
    for r in rows:
        out.setdefault(r["alert_id"], r)
    return out


def notifications_for(tx: Tx, alert_id: int) -> list[dict]:
    return tx.all("SELECT id, channel, target, status, attempts, last_error, sent_at FROM notifications"
                  " WHERE alert_id = ? ORDER BY id", (alert_id,))
