"""The least a durable single post can be, as a WSGI app: a reference for bench/singles_ceiling.py.

Not Eyrie and never served by it. `POST /ez` reads the form body and hands one row to a writer
thread, which takes everything queued, commits it in one autocommit upsert to SQLite
(WAL, synchronous=FULL, as Eyrie's default) and only then wakes the requests: "a reply means
committed", with group commit, and nothing else (no key check, no validation, no stats, no rollups,
a one-row table). `GET /` is a raw WSGI no-op. Run under the same HTTP server and threads as Eyrie,
its post rate is a reference for any post that commits before it replies, on this machine and hour.
With MINIMAL_INGEST_MYSQL (a mysql:// URL) it commits to MariaDB instead, through pymysql in
autocommit mode (innodb_flush_log_at_trx_commit as the server has it), as Eyrie's writer does.
With MINIMAL_GATHER=N the writer, once a post is queued, waits up to 1 ms for N of them before it
commits, as Eyrie's writer gathers the requests in flight (writer.GATHER_WAIT): without it, N
closed-loop clients get a commit for the first post and one for the rest, and Eyrie's post can
beat this one.

    MINIMAL_INGEST_DB=/tmp/x.db granian --interface wsgi bench.minimal_ingest:app
    MINIMAL_INGEST_MYSQL=mysql://user:pw@127.0.0.1:3306/db granian --interface wsgi bench.minimal_ingest:app
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import deque
from urllib.parse import parse_qsl, urlsplit

OK = b'{"status":200,"msg":"ok"}'
NOOP = b'{"service":"minimal-ingest","status":200}'
_UPSERT = ("INSERT INTO points (k, n) SELECT * FROM (VALUES {}) WHERE true"
           " ON CONFLICT (k) DO UPDATE SET n = n + excluded.n")
_MYSQL_UPSERT = "INSERT INTO points (k, n) VALUES {} ON DUPLICATE KEY UPDATE n = n + VALUES(n)"

_queue: deque = deque()
_cv = threading.Condition()
_writer: list[threading.Thread] = []


def _sqlite():
    conn = sqlite3.connect(os.environ["MINIMAL_INGEST_DB"], isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS points (k INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    return lambda k: conn.execute(_UPSERT.format(",".join(["(1,1)"] * k)))


def _mysql(url: str):
    import pymysql

    u = urlsplit(url)
    conn = pymysql.connect(host=u.hostname, port=u.port or 3306, user=u.username, password=u.password,
                           database=u.path.lstrip("/"), autocommit=True)
    cur = conn.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS points (k BIGINT PRIMARY KEY, n BIGINT NOT NULL) ENGINE=InnoDB")
    return lambda k: cur.execute(_MYSQL_UPSERT.format(",".join(["(1,1)"] * k)))


def _write_forever() -> None:
    url = os.environ.get("MINIMAL_INGEST_MYSQL")
    write = _mysql(url) if url else _sqlite()
    gather = int(os.environ.get("MINIMAL_GATHER") or 0)
    while True:
        with _cv:
            while not _queue:
                _cv.wait()
            if gather:
                until = time.monotonic() + 0.001
                while len(_queue) < gather and time.monotonic() < until:
                    _cv.wait(until - time.monotonic())
            jobs = list(_queue)
            _queue.clear()
        write(len(jobs))  # one statement, one commit
        for done in jobs:
            done.set()


def app(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        dict(parse_qsl(environ["wsgi.input"].read(length).decode()))  # parsed, as any post is
        with _cv:
            if not _writer:
                _writer.append(threading.Thread(target=_write_forever, daemon=True))
                _writer[0].start()
            done = threading.Event()
            _queue.append(done)
            _cv.notify()
        done.wait()
        body = OK
    else:
        body = NOOP
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
