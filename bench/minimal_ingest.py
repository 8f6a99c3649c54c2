"""The least a durable single post can be, as a WSGI app: a reference for bench/singles_ceiling.py.

Not Eyrie and never served by it. `POST /ez` reads the form body and hands one row to a writer
thread, which takes everything queued, commits it in one autocommit upsert to SQLite
(WAL, synchronous=FULL, as Eyrie's default) and only then wakes the requests: "a reply means
committed", with group commit, and nothing else (no key check, no validation, no stats, no rollups,
a one-row table). `GET /` is a raw WSGI no-op. Run under the same HTTP server and threads as Eyrie,
its post rate is a ceiling for any post that commits before it replies, on this machine and hour.

    MINIMAL_INGEST_DB=/tmp/x.db granian --interface wsgi bench.minimal_ingest:app
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import deque
from urllib.parse import parse_qsl

OK = b'{"status":200,"msg":"ok"}'
NOOP = b'{"service":"minimal-ingest","status":200}'
_UPSERT = ("INSERT INTO points (k, n) SELECT * FROM (VALUES {}) WHERE true"
           " ON CONFLICT (k) DO UPDATE SET n = n + excluded.n")

_queue: deque = deque()
_cv = threading.Condition()
_writer: list[threading.Thread] = []


def _write_forever(path: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS points (k INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    while True:
        with _cv:
            while not _queue:
                _cv.wait()
            jobs = list(_queue)
            _queue.clear()
        conn.execute(_UPSERT.format(",".join(["(1,1)"] * len(jobs))))  # one statement, one commit
        for done in jobs:
            done.set()


def app(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        dict(parse_qsl(environ["wsgi.input"].read(length).decode()))  # parsed, as any post is
        with _cv:
            if not _writer:
                _writer.append(threading.Thread(target=_write_forever, daemon=True,
                                                args=(os.environ["MINIMAL_INGEST_DB"],)))
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
