"""Reads on a real MariaDB GTID replica (app.storage.replicas): routed there, fresh when they must be
(MASTER_GTID_WAIT after one's own write, or the primary when the replica cannot catch up), and a
replica that is stopped or stuck is skipped with a warning, never a failure.

The replica's SQL thread is stopped where a test must tell the two servers apart: the replica then
answers with old data, so a fresh answer proves the read went to (or waited for) the primary.
MariaDB pass only (replication needs two MariaDB servers)."""

from __future__ import annotations

import logging
import time

import pytest

from app.storage import replicas
from app.storage.db import Database
from app.storage.migrate import migrate
from tests.conftest import BACKEND, NOW
from tests.support.mariadb import MariaDB
from tests.web_helpers import csrf_token, login

pytestmark = pytest.mark.skipif(BACKEND != "mariadb", reason="needs MariaDB replication (the MariaDB pass)")


class Server(MariaDB):
    def __init__(self, extra: list[str]):
        super().__init__()
        self.extra = extra

    def _args(self) -> list[str]:
        return super()._args() + self.extra


@pytest.fixture(scope="module")
def pair():
    binlog = ["--log-bin=mysql-bin", "--binlog-format=ROW", "--log-slave-updates"]
    primary = Server(["--server-id=1", *binlog]).start()
    replica = Server(["--server-id=2", *binlog, "--read-only"]).start()
    try:
        primary.sql("CREATE USER IF NOT EXISTS 'repl'@'127.0.0.1' IDENTIFIED BY 'repl';"
                    " GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'; CREATE DATABASE app")
        replica.sql("RESET MASTER; SET GLOBAL gtid_slave_pos='';"
                    f" CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary.port}, MASTER_USER='repl',"
                    " MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE")
        deadline = time.monotonic() + 20
        while "app" not in replica.sql("SHOW DATABASES").stdout:
            assert time.monotonic() < deadline, "replication did not start"
            time.sleep(0.1)
        yield primary, replica
    finally:
        replica.destroy()
        primary.destroy()


@pytest.fixture
def routed(pair):
    primary, replica = pair
    db = replicas.RoutedDatabase(Database(primary.url("app")), [replica.url("app")], wait=0.5, monitor=False)
    migrate(db)
    yield db
    replica.sql("START SLAVE", check=False)
    replicas.end_request()
    db.close()


def stop_applying(replica):
    replica.sql("STOP SLAVE SQL_THREAD")


_test_no = iter(range(10**6))


@pytest.fixture
def tag():
    """Rows of this test only: the servers live for the whole module."""
    return f"t{next(_test_no)}-"


def counter(tag: str):
    return lambda tx: tx.scalar("SELECT COUNT(*) FROM accounts WHERE email LIKE ?", (tag + "%",))


def adder(tag: str, n: int):
    return lambda tx: tx.execute("INSERT INTO accounts (email, password_hash, ukey, created_at) VALUES (?, 'x', ?, ?)",
                                 (f"{tag}{n}@t.test", f"{tag}{n}", NOW))


def test_plain_reads_go_to_the_replica_and_writes_to_the_primary(pair, routed, tag):
    _, replica = pair
    routed.run(adder(tag, 1))
    routed.check()                                   # waits until the replica has it
    stop_applying(replica)
    routed.run(adder(tag, 2))       # on the primary only
    assert routed.read(counter(tag)) == 1               # the replica's (stale) answer
    assert routed.primary.read(counter(tag)) == 2
    assert routed.counts["replica"] >= 1


def test_after_its_own_write_a_request_reads_what_it_wrote(pair, routed, tag, caplog):
    _, replica = pair
    replicas.begin_request()
    for n in range(30):                              # replica running: the wait makes every read fresh
        routed.run(adder(tag, n))
        assert routed.read(counter(tag)) == n + 1
    state = replicas.begin_request(wait_for=routed.primary_position())
    stop_applying(replica)
    routed.run(adder(tag, 99))
    assert state.wrote and replicas.GTID_POS.match(state.wrote)
    with caplog.at_level(logging.WARNING, logger="eyrie.replicas"):
        t0 = time.monotonic()
        assert routed.read(counter(tag)) == 31          # the replica could not catch up: the primary answered
        assert time.monotonic() - t0 < 2
    assert "skipped" in caplog.text


def test_a_fresh_request_sees_writes_made_by_other_processes(pair, routed, tag):
    _, replica = pair
    other = Database(routed.primary.url)             # another process: ingest
    try:
        for n in range(30):
            other.run(adder(tag, n))
            replicas.begin_request(fresh=True)       # the token APIs
            assert routed.read(counter(tag)) == n + 1
    finally:
        other.close()


def test_a_stopped_replica_is_skipped_within_two_seconds_and_used_again_when_back(pair, routed, tag, caplog):
    _, replica = pair
    routed.run(adder(tag, 1))
    replica.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="eyrie.replicas"):
            t0 = time.monotonic()
            assert routed.read(counter(tag)) == 1
            assert time.monotonic() - t0 < 2
            assert routed.read(counter(tag)) == 1       # skipped now: straight to the primary
        assert "unreachable" in caplog.text and routed.counts["fallback"] >= 1
        assert routed.check()[routed.replicas[0].name] is None
    finally:
        replica.start()
    lags = routed.check()
    assert lags[routed.replicas[0].name] is not None and routed.replicas[0].skip_until == 0
    before = routed.counts["replica"]
    assert routed.read(counter(tag)) == 1 and routed.counts["replica"] == before + 1


def test_a_malformed_position_from_a_cookie_is_ignored():
    assert replicas.begin_request(wait_for="0-1-5,1-2-7").wait_for == "0-1-5,1-2-7"
    assert replicas.begin_request(wait_for="1'; DROP TABLE x; --").wait_for is None
    replicas.end_request()


def test_a_browser_sees_its_own_change_through_the_gtid_cookie(pair, config, clock):
    from app.interactors.accounts import create_account
    from app.web import create_web_app
    from app.web.freshness import COOKIE

    primary, replica = pair
    # recheck=0: a replica that fails one wait is tried again at the next read, so the other
    # browser below is served by the (stale) replica, showing which server answered.
    routed = replicas.RoutedDatabase(Database(primary.url("app")), [replica.url("app")], wait=0.5, recheck=0,
                                     monitor=False)
    migrate(routed)
    acct = create_account(routed, "me@t.test", "correct horse battery", NOW)
    routed.check()
    app = create_web_app(config, routed, clock)
    me = login(app.test_client(), acct.email, "correct horse battery")
    other = login(app.test_client(), acct.email, "correct horse battery")
    stop_applying(replica)
    r = me.post("/settings/ezkeys", data={"ezkey": "fresh-key", "csrf_token": csrf_token(me, "/settings")})
    assert r.status_code == 200 and "fresh-key" in r.get_data(as_text=True)
    assert replicas.GTID_POS.match(me.get_cookie(COOKIE).value)
    assert "fresh-key" in me.get("/settings").get_data(as_text=True)         # waited, then the primary
    assert "fresh-key" not in other.get("/settings").get_data(as_text=True)  # no write of its own: the replica
    replica.sql("START SLAVE")
    routed.check()
    assert "fresh-key" in other.get("/settings").get_data(as_text=True)
    routed.close()
