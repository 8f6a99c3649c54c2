"""The database goes away under a running listener and comes back: the flushes it refused are
kept and written once it is back, nothing lost, nothing written twice (a private MariaDB)."""

from __future__ import annotations

import socket
import time

import pytest

from app.interactors.accounts import create_account
from app.storage.db import Database
from app.storage.migrate import migrate
from tests.conftest import BACKEND
from tests.support.listener import ListenerProcess

pytestmark = [pytest.mark.skipif(BACKEND != "mariadb",
                                 reason="stops and starts a MariaDB server: EYRIE_TEST_DB=mariadb")]


@pytest.fixture
def private_mariadb():
    from tests.support.mariadb import MariaDB

    mdb = MariaDB().start()
    try:
        yield mdb
    finally:
        mdb.destroy()


def landed(url: str, account_id: int) -> float | None:
    db = Database(url)
    try:
        return db.read(lambda tx: tx.scalar(
            "SELECT SUM(r.total) FROM rollups r JOIN stats s ON s.id = r.stat_id WHERE s.account_id = ?"
            " AND s.name = 'jobs' AND r.res = 60", (account_id,)))
    finally:
        db.close()


def wait_for(fn, want, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = fn()
        if got == want:
            return got
        time.sleep(0.2)
    return fn()


def test_flushes_refused_while_the_database_is_down_land_once_it_is_back(private_mariadb, tmp_path):
    url = private_mariadb.create_database("outage")
    db = Database(url)
    migrate(db)
    acct = create_account(db, "ops@example.com", "password-ops", int(time.time()))
    db.close()
    lis = ListenerProcess(url, tmp_path / "var", "--statsd", "127.0.0.1:0", "--account", acct.email,
                          "--flush-interval", "0.5").start()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        udp.sendto(b"jobs:1|c", lis.statsd)
        assert wait_for(lambda: landed(url, acct.id), 1.0) == 1.0
        private_mariadb.kill()
        for _ in range(20):
            udp.sendto(b"jobs:2|c", lis.statsd)
            time.sleep(0.05)
        time.sleep(3)  # several flushes fail meanwhile
        private_mariadb.start()  # same datadir and port
        assert wait_for(lambda: landed(url, acct.id), 41.0) == 41.0
        summary = lis.stop()
    finally:
        lis.kill()
    assert summary["dropped"] == 0 and summary["statsd_lines"] == 21
    assert landed(url, acct.id) == 41.0  # written once, not once per retry
    assert "retrying with the next flush" in lis.log_path.read_text()  # the outage was seen
