"""Database URLs, migrations and the group-commit writer."""

from __future__ import annotations

import sqlite3
import threading

import pytest

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
