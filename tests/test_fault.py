"""The database goes away while clients are posting, then comes back.

A private MariaDB (not the session's) is killed or shut down under four posting clients and then
started again on the same datadir, while one Eyrie ingest server keeps running throughout.
Promises checked (DESIGN section 2): a success reply means the point is committed; a lost
database answers 503 with the usual JSON within a couple of seconds, never a hang or a 500; nothing
is half-written or written twice; service resumes by itself when the database is back.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from app.interactors.accounts import create_account
from app.rollups import DAY, MINUTE
from app.storage.db import Database
from app.storage.migrate import migrate
from tests.conftest import BACKEND
from tests.helpers import stat_row
from tests.support.server import EyrieServer

pytestmark = [
    pytest.mark.mariadb_only,
    pytest.mark.server,
    pytest.mark.skipif(BACKEND != "mariadb", reason="stops and starts a MariaDB server: EYRIE_TEST_DB=mariadb"),
]

CLIENTS = 4
UP_BEFORE_S = 1.0
DOWN_S = 3.0
UP_AFTER_S = 2.0
# DESIGN: "503 within a couple of seconds". The server gives up after 2 s; allow scheduling slack.
MAX_503_SECONDS = 3.0
MAX_POSTS_PER_CLIENT = 20000


class Post:
    __slots__ = ("t", "status", "body", "elapsed", "sent_at")

    def __init__(self, t, status, body, elapsed, sent_at):
        self.t, self.status, self.body, self.elapsed, self.sent_at = t, status, body, elapsed, sent_at

    def __repr__(self) -> str:
        return f"Post(t={self.t}, status={self.status}, body={self.body!r}, elapsed={self.elapsed:.2f})"


@pytest.fixture
def private_mariadb():
    from tests.support.mariadb import MariaDB

    mdb = MariaDB().start()
    try:
        yield mdb
    finally:
        mdb.destroy()


def stat_name(k: int) -> str:
    return f"fault c{k}"


def post_until(stop: threading.Event, url: str, ezkey: str, k: int, base: int, out: list[Post]) -> None:
    """Post count=1 to this client's own stat, each post to its own minute bucket, until stopped."""
    with requests.Session() as session:
        for i in range(MAX_POSTS_PER_CLIENT):
            if stop.is_set():
                return
            t = base + i * MINUTE
            sent_at = time.monotonic()
            try:
                r = session.post(url + "/ez", data={"ezkey": ezkey, "stat": stat_name(k), "count": "1", "t": str(t)},
                                 timeout=10)
                status, body = r.status_code, r.text
            except requests.RequestException as exc:
                status, body = 0, repr(exc)
            out.append(Post(t, status, body, time.monotonic() - sent_at, sent_at))


def minute_counts(db: Database, stat_id: int) -> dict[int, int]:
    rows = db.read(lambda tx: tx.all("SELECT ts, n FROM rollups WHERE stat_id = ? AND res = ?", (stat_id, MINUTE)))
    return {int(r["ts"]): int(r["n"]) for r in rows}


@pytest.mark.parametrize("outage", ["kill", "stop"])
def test_posts_during_a_database_outage_get_503_and_service_resumes_without_a_restart(
        outage, private_mariadb, tmp_path):
    mdb = private_mariadb
    url = mdb.create_database("fault")
    setup = Database(url)
    migrate(setup)
    account = create_account(setup, "fault@example.com", "password-fault", int(time.time()))
    setup.close()

    now = int(time.time())
    base = now - now % DAY - 30 * DAY  # every post owns one minute, all of them in the past
    server = EyrieServer(url, str(tmp_path / "var"), role="ingest").start()
    posts: list[list[Post]] = [[] for _ in range(CLIENTS)]
    stop = threading.Event()
    clients = [threading.Thread(target=post_until, args=(stop, server.url, account.ezkey, k, base, posts[k]))
               for k in range(CLIENTS)]
    try:
        for c in clients:
            c.start()
        time.sleep(UP_BEFORE_S)
        outage_began = time.monotonic()
        getattr(mdb, outage)()  # kill(): abrupt, like a crash; stop(): an orderly shutdown
        time.sleep(DOWN_S)
        mdb.start()  # same datadir and port: no reinstall
        up_at = time.monotonic()
        time.sleep(UP_AFTER_S)
    finally:
        stop.set()
        for c in clients:
            c.join(timeout=30)
        server_alive = server.proc is not None and server.proc.poll() is None
        server.stop()
    assert not any(c.is_alive() for c in clients), "a client hung"
    assert server_alive, "the Eyrie server died during the outage"

    every = [p for mine in posts for p in mine]
    assert every, "no posts were made"
    unexpected = [p for p in every if p.status not in (200, 503)]
    assert unexpected == [], f"{len(unexpected)} replies were neither 200 nor 503, e.g. {unexpected[:5]}"
    for p in every:
        if p.status == 200:
            assert p.body == '{"status":200,"msg":"ok"}', p
        else:
            body = json.loads(p.body)
            assert body["status"] == 503 and isinstance(body["msg"], str) and body["msg"], p
    failed = [p for p in every if p.status == 503]
    assert failed, "no post saw the outage"
    slow = [p for p in failed if p.elapsed > MAX_503_SECONDS]
    assert slow == [], f"{len(slow)} 503 replies took longer than {MAX_503_SECONDS} s, e.g. {slow[:5]}"
    early = [p for p in failed if p.sent_at + p.elapsed < outage_began]
    assert early == [], f"503 replies that came before the outage began: {early[:5]}"

    # Service resumed by itself: every client got 200s after the restart, and its last post succeeded.
    for k, mine in enumerate(posts):
        assert any(p.status == 200 and p.sent_at > up_at for p in mine), f"client {k} never recovered"
        assert mine[-1].status == 200, f"client {k}'s last post failed: {mine[-1]}"

    # What is stored: each acknowledged post exactly once; a 503'd post at most once.
    check = Database(url)
    committed_anyway = 0
    try:
        for k, mine in enumerate(posts):
            stat = stat_row(check, account.id, stat_name(k))
            assert stat is not None, f"stat {stat_name(k)!r} was never created"
            counts = minute_counts(check, stat["id"])
            sent = {p.t for p in mine}
            assert set(counts) <= sent, f"buckets nobody posted to: {sorted(set(counts) - sent)[:5]}"
            for p in mine:
                n = counts.get(p.t, 0)
                if p.status == 200:
                    assert n == 1, f"acknowledged post {p} is stored {n} times"
                else:
                    assert n in (0, 1), f"refused post {p} is stored {n} times"
                    committed_anyway += n
            acknowledged = sum(1 for p in mine if p.status == 200)
            assert sum(counts.values()) == acknowledged + sum(counts.get(p.t, 0) for p in mine if p.status == 503)
    finally:
        check.close()
    print(f"\n[{outage}] posts={len(every)} 200={len(every) - len(failed)} 503={len(failed)} "
          f"503-but-committed={committed_anyway} slowest-503={max(p.elapsed for p in failed):.2f}s")
