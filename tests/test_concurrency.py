"""Many concurrent posts to one stat bucket: no count is lost, within one server or across two.

Every thread posts `count=1` with the same explicit t, so all posts race for the same minute,
hour and day rows (and, on the first posts, for creating the stat). The stored minute bucket
must hold exactly one count per acknowledged post.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from app.rollups import DAY, HOUR, MINUTE
from tests.helpers import rollup, stat_names, stat_row
from tests.support.server import SERVERS, EyrieServer

pytestmark = pytest.mark.server

THREADS = 8
POSTS_PER_THREAD = 50
STAT = "concurrent posts"


def a_minute_an_hour_ago() -> int:
    now = int(time.time())
    return now - now % MINUTE - HOUR


def post_from_threads(urls: list[str], ezkey: str, t: int) -> list[tuple[int, str]]:
    """THREADS threads, each with its own Session, post POSTS_PER_THREAD times; post i of thread k
    goes to urls[(k + i) % len(urls)]. Returns every (status, body) seen; exceptions count as status 0."""
    replies: list[tuple[int, str]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def worker(k: int) -> None:
        mine = []
        with requests.Session() as session:
            barrier.wait()
            for i in range(POSTS_PER_THREAD):
                url = urls[(k + i) % len(urls)] + "/ez"
                try:
                    r = session.post(url, data={"ezkey": ezkey, "stat": STAT, "count": "1", "t": str(t)}, timeout=30)
                    mine.append((r.status_code, r.text))
                except requests.RequestException as exc:
                    mine.append((0, repr(exc)))
        with lock:
            replies.extend(mine)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not any(th.is_alive() for th in threads), "a posting thread hung"
    return replies


def start_server(db_url: str, var_dir: str, server: str) -> EyrieServer:
    return EyrieServer(db_url, var_dir, role="ingest", threads=8, server=server).start()


@pytest.mark.parametrize("http_server", SERVERS)
def test_eight_threads_posting_to_one_server_lose_no_count(db, db_url, account, tmp_path, http_server):
    t = a_minute_an_hour_ago()
    server = start_server(db_url, str(tmp_path / "var"), http_server)
    try:
        replies = post_from_threads([server.url], account.ezkey, t)
    finally:
        server.stop()

    bad = [r for r in replies if r[0] != 200]
    assert bad == [], f"{len(bad)} posts were not acknowledged, e.g. {bad[:3]}"
    total = THREADS * POSTS_PER_THREAD
    assert len(replies) == total
    assert stat_names(db, account.id) == [STAT]  # racing first posts created the stat once
    stat = stat_row(db, account.id, STAT)
    assert rollup(db, stat["id"], MINUTE, t) == (float(total), total, 1.0, 1.0)
    assert rollup(db, stat["id"], HOUR, t - t % HOUR) == (float(total), total, 1.0, 1.0)
    assert rollup(db, stat["id"], DAY, t - t % DAY) == (float(total), total, 1.0, 1.0)


@pytest.mark.parametrize("http_server", SERVERS)
def test_two_server_processes_on_one_database_lose_no_count(db, db_url, account, tmp_path, http_server):
    t = a_minute_an_hour_ago()
    servers = []
    try:
        servers.append(start_server(db_url, str(tmp_path / "var-a"), http_server))
        servers.append(start_server(db_url, str(tmp_path / "var-b"), http_server))
        replies = post_from_threads([s.url for s in servers], account.ezkey, t)
    finally:
        for s in servers:
            s.stop()

    acknowledged = sum(1 for status, _ in replies if 200 <= status < 300)
    bad = [r for r in replies if not 200 <= r[0] < 300]
    assert bad == [], f"{len(bad)} posts were not acknowledged, e.g. {bad[:3]}"
    assert acknowledged == THREADS * POSTS_PER_THREAD
    assert stat_names(db, account.id) == [STAT]
    stat = stat_row(db, account.id, STAT)
    assert rollup(db, stat["id"], MINUTE, t) == (float(acknowledged), acknowledged, 1.0, 1.0)
    assert rollup(db, stat["id"], HOUR, t - t % HOUR) == (float(acknowledged), acknowledged, 1.0, 1.0)
    assert rollup(db, stat["id"], DAY, t - t % DAY) == (float(acknowledged), acknowledged, 1.0, 1.0)
