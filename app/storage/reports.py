"""SQL for report schedules and for the "a new stat was created" mail marks on stats."""

from __future__ import annotations

from app.params import is_int
from app.storage.db import Tx

_COLS = ("id, account_id, period, enabled, hour, stat_ids, due_at, next_attempt_at, attempts, claimed_by,"
         " claimed_until, last_sent_at, last_error")


def schedules(tx: Tx, account_id: int) -> dict[str, dict]:
    rows = tx.all(f"SELECT {_COLS} FROM report_schedules WHERE account_id = ?", (account_id,))
    return {r["period"]: _decode(r) for r in rows}


def schedule(tx: Tx, schedule_id: int) -> dict | None:
    return _decode(tx.one(f"SELECT {_COLS} FROM report_schedules WHERE id = ?", (schedule_id,)))


def save_schedule(tx: Tx, account_id: int, period: str, *, enabled: bool, hour: int, stat_ids: list[int],
                  due_at: int) -> None:
    ids = ",".join(str(i) for i in stat_ids)
    n = tx.execute(
        "UPDATE report_schedules SET enabled = ?, hour = ?, stat_ids = ?, due_at = ?, next_attempt_at = ?,"
        " attempts = 0, last_error = '' WHERE account_id = ? AND period = ?",
        (1 if enabled else 0, hour, ids, due_at, due_at, account_id, period))
    if n == 0 and not tx.scalar("SELECT 1 FROM report_schedules WHERE account_id = ? AND period = ?",
                                (account_id, period)):
        tx.insert(
            "INSERT INTO report_schedules (account_id, period, enabled, hour, stat_ids, due_at, next_attempt_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", (account_id, period, 1 if enabled else 0, hour, ids, due_at, due_at))


def disable_all(tx: Tx, account_id: int) -> int:
    return tx.execute("UPDATE report_schedules SET enabled = 0 WHERE account_id = ? AND enabled = 1", (account_id,))


def due_schedule_ids(tx: Tx, now: int, limit: int = 100) -> list[int]:
    return [r["id"] for r in tx.all(
        "SELECT id FROM report_schedules WHERE enabled = 1 AND next_attempt_at <= ?"
        " AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY next_attempt_at LIMIT ?", (now, now, limit))]


def claim_schedule(tx: Tx, schedule_id: int, worker: str, now: int, until: int) -> bool:
    return tx.execute(
        "UPDATE report_schedules SET claimed_by = ?, claimed_until = ? WHERE id = ? AND enabled = 1"
        " AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)",
        (worker, until, schedule_id, now, now)) == 1


def finish_schedule(tx: Tx, schedule_id: int, worker: str, *, due_at: int, next_attempt_at: int, attempts: int,
                    error: str, sent_at: int | None) -> int:
    return tx.execute(
        "UPDATE report_schedules SET due_at = ?, next_attempt_at = ?, attempts = ?, last_error = ?,"
        " last_sent_at = COALESCE(?, last_sent_at), claimed_by = NULL, claimed_until = NULL"
        " WHERE id = ? AND claimed_by = ?",
        (due_at, next_attempt_at, attempts, error[:500], sent_at, schedule_id, worker))


def _decode(row: dict | None) -> dict | None:
    if row is None:
        return None
    ids = [int(p) for p in str(row["stat_ids"] or "").split(",") if is_int(p, 1, 2**62)]
    return {**row, "stat_ids": ids, "enabled": bool(row["enabled"])}


# -- "a new stat was created" -------------------------------------------------------------------


def pending_new_stats(tx: Tx, limit: int = 500) -> list[dict]:
    return tx.all(
        "SELECT s.id, s.account_id, s.name, s.kind, s.created_at, s.deleted_at, a.email, a.new_stat_email"
        " FROM stats s JOIN accounts a ON a.id = s.account_id"
        " WHERE s.ez_created = 1 AND s.new_stat_mail_at IS NULL ORDER BY s.account_id, s.id LIMIT ?", (limit,))


def claim_new_stat(tx: Tx, stat_id: int, now: int) -> bool:
    return tx.execute("UPDATE stats SET new_stat_mail_at = ? WHERE id = ? AND new_stat_mail_at IS NULL",
                      (now, stat_id)) == 1


def claim_rest_of_new_stats(tx: Tx, account_id: int, now: int) -> int:
    """Claim every other pending new stat of the account; return how many are live (not trashed)."""
    live = tx.execute("UPDATE stats SET new_stat_mail_at = ? WHERE account_id = ? AND ez_created = 1"
                      " AND new_stat_mail_at IS NULL AND deleted_at IS NULL", (now, account_id))
    tx.execute("UPDATE stats SET new_stat_mail_at = ? WHERE account_id = ? AND ez_created = 1"
               " AND new_stat_mail_at IS NULL", (now, account_id))
    return live


def release_new_stats(tx: Tx, account_id: int, claimed_at: int) -> None:
    """The mail failed: let the next round try again."""
    tx.execute("UPDATE stats SET new_stat_mail_at = NULL WHERE account_id = ? AND ez_created = 1"
               " AND new_stat_mail_at = ?", (account_id, claimed_at))
