"""Apply db/<dialect>/NNNN_*.sql in order, once each; safe to run from several processes at once."""

from __future__ import annotations

import re
import time
from pathlib import Path

from app.config import ROOT
from app.storage.db import Database

MIGRATIONS = ROOT / "db"


def _statements(sql: str) -> list[str]:
    sql = re.sub(r"^\s*--.*$", "", sql, flags=re.M)
    return [s.strip() for s in sql.split(";") if s.strip()]


def migration_files(dialect: str) -> list[tuple[int, Path]]:
    files = []
    for path in sorted((MIGRATIONS / dialect).glob("*.sql")):
        m = re.match(r"(\d+)_", path.name)
        if m:
            files.append((int(m.group(1)), path))
    return files


def migrate(db: Database) -> list[str]:
    """Return the names of the migrations applied now (empty when already up to date)."""
    applied: list[str] = []
    conn = db._get()
    try:
        cur = conn.cursor()
        if db.dialect == "mysql":
            # DDL commits implicitly in MySQL, so a named lock keeps two processes apart instead.
            cur.execute("SELECT GET_LOCK('eyrie_migrate', 30)")
        else:
            cur.execute("BEGIN IMMEDIATE")
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
            " name VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL)"
        )
        cur.execute("SELECT version FROM schema_migrations")
        done = {row[0] for row in cur.fetchall()}
        ph = "%s" if db.dialect == "mysql" else "?"
        for version, path in migration_files(db.dialect):
            if version in done:
                continue
            for statement in _statements(path.read_text()):
                cur.execute(statement)
            cur.execute(
                f"INSERT INTO schema_migrations (version, name, applied_at) VALUES ({ph}, {ph}, {ph})",
                (version, path.name, int(time.time())),
            )
            applied.append(path.name)
        conn.commit()
        if db.dialect == "mysql":
            cur.execute("SELECT RELEASE_LOCK('eyrie_migrate')")
        cur.close()
    except Exception:
        try:
            conn.rollback()
        finally:
            conn.close()
        raise
    db._put(conn)
    return applied
