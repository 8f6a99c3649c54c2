"""Database URLs, migrations and the group-commit writer."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.rollups import MINUTE, RollupBatch
from app.storage.db import parse_url
from app.storage.migrate import migrate, migration_files
from tests.helpers import rollup


def test_database_urls():
    assert parse_url("sqlite:///var/eyrie.db").path == "var/eyrie.db"
    assert parse_url("sqlite:////abs/eyrie.db").path == "/abs/eyrie.db"
    t = parse_url("mysql://u:p%40ss@db.local:3307/eyrie")
    assert (t.dialect, t.user, t.password, t.host, t.port, t.database) == ("mysql", "u", "p@ss", "db.local", 3307,
                                                                          "eyrie")
    with pytest.raises(ValueError):
        parse_url("postgres://x/y")
    assert parse_url("sqlite:///var/eyrie.db").synchronous == "FULL"
    t = parse_url("sqlite:///var/eyrie.db?synchronous=normal")
    assert (t.path, t.synchronous) == ("var/eyrie.db", "NORMAL")
    with pytest.raises(ValueError):
        parse_url("sqlite:///x.db?synchronous=off")


def test_migrations_apply_once(db):
    assert migrate(db) == []
    versions = db.read(lambda tx: [r["version"] for r in tx.all("SELECT version FROM schema_migrations")])
    assert sorted(versions) == [v for v, _ in migration_files(db.dialect)]


def test_both_dialects_have_the_same_migrations():
    assert [p.name for _, p in migration_files("sqlite")] == [p.name for _, p in migration_files("mysql")]


def test_sqlite_rollups_become_a_rowid_table_keeping_every_row(tmp_path):
    """0010 copies a stored history into the rowid table; the key stays unique and upserts still add."""
    from app.storage.db import Database
    from app.storage.migrate import _statements
    from app.storage.points import upsert_rollups

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL,"
                 " applied_at BIGINT NOT NULL)")
    for version, file in migration_files("sqlite"):
        if version < 10:
            for statement in _statements(file.read_text()):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, file.name))
    old = [(sid, 60, 1_795_000_020 + 60 * m, float(m), 1, float(m), float(m)) for m in range(50) for sid in (3, 1, 2)]
    conn.executemany("INSERT INTO rollups VALUES (?, ?, ?, ?, ?, ?, ?)", old)
    conn.commit()
    conn.close()
    db = Database(f"sqlite:///{path}")
    try:
        assert migrate(db) == ["0010_rollups_rowid.sql"]
        sql = db.read(lambda tx: tx.scalar("SELECT sql FROM sqlite_master WHERE name = 'rollups'"))
        assert "WITHOUT ROWID" not in sql.upper() and "UNIQUE (stat_id, res, ts)" in sql
        stored = db.read(lambda tx: [tuple(r.values())
                                     for r in tx.all("SELECT * FROM rollups ORDER BY stat_id, res, ts")])
        assert stored == sorted(old)
        db.run(lambda tx: upsert_rollups(tx, [(1, 60, 1_795_000_020, 5.0, 2, -1.0, 9.0)]))
        row = db.read(lambda tx: tuple(tx.one("SELECT total, n, lo, hi FROM rollups WHERE stat_id = 1 AND res = 60"
                                              " AND ts = 1795000020").values()))
        assert row == (5.0, 3, -1.0, 9.0)
        assert db.read(lambda tx: tx.scalar("SELECT COUNT(*) FROM rollups")) == len(old)
    finally:
        db.close()


_doubles = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.tuples(_doubles, _doubles, _doubles), min_size=1, max_size=30))
def test_mysql_upsert_where_writes_every_double_exactly_or_nothing(db, values):
    """The one-trip commit's statement (MariaDB): rows as a derived table of literals, written all
    or none by its condition; each double read back is the double sent."""
    from app.storage.points import mysql_upsert_where

    if db.dialect != "mysql":
        pytest.skip("a MySQL statement")
    rows = [(900_000 + i, 60, 1_795_000_020, a, 1, lo, hi) for i, (a, lo, hi) in enumerate(values)]

    def stored(tx):
        return [tuple(r.values()) for r in tx.all("SELECT stat_id, res, ts, total, n, lo, hi FROM rollups"
                                                   " WHERE stat_id >= 900000 ORDER BY stat_id")]

    db.run(lambda tx: tx.execute("DELETE FROM rollups WHERE stat_id >= 900000"))
    db.run(lambda tx: tx.execute_raw(mysql_upsert_where(rows, "1 = 0")))
    assert db.read(stored) == []
    db.run(lambda tx: tx.execute_raw(mysql_upsert_where(rows, "1 = 1")))
    assert db.read(stored) == rows


def test_concurrent_writes_share_commits_and_lose_nothing(db):
    stat_id, t = 7, 1_795_000_020

    def post():
        for _ in range(50):
            b = RollupBatch()
            b.add(stat_id, t, 1.0)
            db.writer.write(b)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert rollup(db, stat_id, MINUTE, t - t % 60) == (400.0, 400, 1.0, 1.0)


def test_a_failed_transaction_reports_to_every_waiting_writer(db):
    b = RollupBatch()
    b.add(1, 1_795_000_000, 1.0)
    db.run(lambda tx: tx.execute("DROP TABLE rollups"))
    errors = (sqlite3.OperationalError,)
    if db.dialect == "mysql":
        import pymysql

        errors = (pymysql.err.ProgrammingError,)
    with pytest.raises(errors):
        db.writer.write(b)


def test_sqlite_checkpoints_the_wal_every_10000_pages(tmp_path):
    """A commit that takes the WAL past the limit runs the checkpoint while its requests wait: the
    limit is raised from SQLite's 1,000 pages so bulk ingest pays for it a tenth as often."""
    from app.storage.db import WAL_CHECKPOINT_PAGES, Database

    db = Database(f"sqlite:///{tmp_path / 'e.db'}")
    migrate(db)
    assert db.read(lambda tx: tx.scalar("PRAGMA wal_autocheckpoint")) == WAL_CHECKPOINT_PAGES == 10_000
    assert db.read(lambda tx: tx.scalar("PRAGMA journal_mode")) == "wal"
    db.close()
