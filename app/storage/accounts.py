"""SQL for accounts, EZ keys and access tokens."""

from __future__ import annotations

from app.storage.db import Tx

_ACCOUNT_COLS = ("a.id, a.email, a.password_hash, a.ukey, a.timezone, a.ez_enabled, a.new_stat_email, a.created_at,"
                 " a.stats_gen")


def insert_account(tx: Tx, email: str, password_hash: str, ukey: str, timezone: str, now: int) -> int:
    return tx.insert(
        "INSERT INTO accounts (email, password_hash, ukey, timezone, created_at) VALUES (?, ?, ?, ?, ?)",
        (email, password_hash, ukey, timezone, now),
    )


def lock_account(tx: Tx, account_id: int) -> None:
    """Serialize writers that check a per-account bound (the stat limit) until this transaction ends.
    SQLite's write transactions are serial already (BEGIN IMMEDIATE)."""
    if tx.dialect == "mysql":
        tx.scalar("SELECT id FROM accounts WHERE id = ? FOR UPDATE", (account_id,))


def account_by_id(tx: Tx, account_id: int) -> dict | None:
    return tx.one(f"SELECT {_ACCOUNT_COLS} FROM accounts a WHERE a.id = ?", (account_id,))


def account_by_email(tx: Tx, email: str) -> dict | None:
    return tx.one(f"SELECT {_ACCOUNT_COLS} FROM accounts a WHERE a.email = ?", (email,))


def account_by_ezkey(tx: Tx, ezkey: str) -> dict | None:
    return tx.one(
        f"SELECT {_ACCOUNT_COLS} FROM ez_keys k JOIN accounts a ON a.id = k.account_id WHERE k.ezkey = ?",
        (ezkey,),
    )


def account_by_ukey(tx: Tx, ukey: str) -> dict | None:
    return tx.one(f"SELECT {_ACCOUNT_COLS} FROM accounts a WHERE a.ukey = ?", (ukey,))


def account_by_token(tx: Tx, token: str) -> dict | None:
    return tx.one(
        f"SELECT {_ACCOUNT_COLS} FROM access_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token = ?",
        (token,),
    )


def update_account(tx: Tx, account_id: int, **fields) -> None:
    allowed = {"password_hash", "timezone", "ez_enabled", "new_stat_email", "ukey", "email"}
    cols = [c for c in fields if c in allowed]
    if not cols:
        return
    tx.execute(
        "UPDATE accounts SET " + ", ".join(f"{c} = ?" for c in cols) + " WHERE id = ?",
        [fields[c] for c in cols] + [account_id],
    )


def insert_ezkey(tx: Tx, account_id: int, ezkey: str, now: int) -> int:
    return tx.insert(
        "INSERT INTO ez_keys (account_id, ezkey, created_at) VALUES (?, ?, ?)", (account_id, ezkey, now)
    )


def ezkeys(tx: Tx, account_id: int) -> list[dict]:
    return tx.all("SELECT id, ezkey, created_at FROM ez_keys WHERE account_id = ? ORDER BY id", (account_id,))


def delete_ezkey(tx: Tx, account_id: int, key_id: int) -> int:
    return tx.execute("DELETE FROM ez_keys WHERE id = ? AND account_id = ?", (key_id, account_id))


def insert_token(tx: Tx, account_id: int, token: str, name: str, now: int) -> int:
    return tx.insert(
        "INSERT INTO access_tokens (account_id, token, name, created_at) VALUES (?, ?, ?, ?)",
        (account_id, token, name, now),
    )


def tokens(tx: Tx, account_id: int) -> list[dict]:
    return tx.all(
        "SELECT id, token, name, created_at FROM access_tokens WHERE account_id = ? ORDER BY id", (account_id,)
    )


def delete_token(tx: Tx, account_id: int, token_id: int) -> int:
    return tx.execute("DELETE FROM access_tokens WHERE id = ? AND account_id = ?", (token_id, account_id))



# -- metrics prefix tokens (StatsD / Graphite listeners) ----------------------------------------


def metrics_token(tx: Tx, account_id: int) -> str | None:
    return tx.scalar("SELECT metrics_token FROM accounts WHERE id = ?", (account_id,))


def set_metrics_token(tx: Tx, account_id: int, token: str, *, only_if_unset: bool = False) -> int:
    sql = "UPDATE accounts SET metrics_token = ? WHERE id = ?"
    if only_if_unset:
        sql += " AND metrics_token IS NULL"
    return tx.execute(sql, (token, account_id))


def accounts_by_metrics_tokens(tx: Tx, tokens: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for i in range(0, len(tokens), 500):
        chunk = tokens[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for row in tx.all(f"SELECT {_ACCOUNT_COLS}, a.metrics_token FROM accounts a"
                          f" WHERE a.metrics_token IN ({marks})", chunk):
            out[row["metrics_token"]] = row
    return out
