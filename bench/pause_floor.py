"""A lone request's round trip on an idle machine: the floor under bench-peer's latency (issue 9, point 3).

    .venv/bin/python bench/pause_floor.py [--pause-ms 20] [--n 200] [--mariadb | --in-process]

bench-peer times one post until a read shows it, with 20 ms pauses between requests (graphite-bench
pauses 50-950 ms between its rounds), so every request there meets an idle process. This asks each
target the same request n times over one keep-alive connection, back to back ("busy") and after
each pause, and prints the median round trip:
- `raw`: a one-thread socket responder in another process: the machine itself (two processes waking);
- `raw, one hop`: the same, the reply sent by a second thread: one Python thread hand-off;
- `minimal`: bench/minimal_ingest.py under each server: a raw WSGI no-op `GET /`, and a `POST /ez`
  that commits one row (SQLite, synchronous=FULL) before it replies;
- `Eyrie`: the ingest role under each server, `GET /` (its no-op) and a single `POST /ez`; the web
  role, a static file (bench-peer's web floor) and the export API read bench-peer polls; the post
  once more through http.client, the client of bench-peer's latency rounds and of graphite-bench;
- with `--mariadb`: `SELECT 1` and a one-row committed UPDATE on a MariaDB of its own, through
  pymysql; then the minimal and Eyrie rows again with both committing to (and Eyrie's web role
  reading from) a MariaDB;
- with `--in-process` instead, no HTTP: a bare sqlite3 statement, commit (FULL, NORMAL) and fsync;
  Eyrie's WSGI apps called in this process (the post, the export read) and the read's statements.
Every server runs the threads `serve` defaults to for it. Subtract across a row or down a column:
what the pause adds, what the server adds over a raw socket, what the app adds over a minimal one.
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from peer import Eyrie  # noqa: E402
from singles_ceiling import Minimal  # noqa: E402

from app.serving import SERVERS, THREADS  # noqa: E402
from app.storage import accounts as aq  # noqa: E402
from tests.support.server import EyrieServer  # noqa: E402

REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def respond(hop: bool) -> None:
    """The raw responder (run as `pause_floor.py --serve raw|hop`): a reply per read, one connection
    at a time."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    print(s.getsockname()[1], flush=True)
    q: queue.SimpleQueue = queue.SimpleQueue()
    while True:
        c, _ = s.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if hop:
            threading.Thread(target=lambda c=c: [c.sendall(REPLY) for _ in iter(q.get, None)], daemon=True).start()
        while c.recv(65536):
            if hop:
                q.put(1)
            else:
                c.sendall(REPLY)
        if hop:
            q.put(None)
        c.close()


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()


NOOP = get("/")


def post(ezkey: str) -> bytes:
    body = f"ezkey={ezkey}&stat=bench+pause&count=1".encode()
    return (b"POST /ez HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


def median_ms(once, pause: float, n: int) -> float:
    """Median milliseconds of once(), each call after `pause`; the first 5 calls warm the connection
    and the server's threads, untimed."""
    times = []
    for _ in range(n + 5):
        time.sleep(pause)
        t0 = time.perf_counter()
        once()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times[5:])


def round_trips(port: int, request: bytes, pause: float, n: int) -> float:
    """From sending `request` to the last byte of its reply (Content-Length), on a raw socket."""
    c = socket.create_connection(("127.0.0.1", port))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def once() -> None:
        c.sendall(request)
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += c.recv(65536)
        head, _, body = buf.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"not 200: {head[:80]!r}")
        length = next(int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))
        while len(body) < length:
            body += c.recv(65536)

    try:
        return median_ms(once, pause, n)
    finally:
        c.close()


def http_client_round_trips(port: int, request: bytes, pause: float, n: int) -> float:
    """The same through http.client on a keep-alive connection, as bench-peer's latency rounds
    (and graphite-bench's http_get) send theirs: what that client adds to each request."""
    head, _, body = request.partition(b"\r\n\r\n")
    method, path, _ = head.split(b"\r\n")[0].decode().split(" ")
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    c = http.client.HTTPConnection("127.0.0.1", port)

    def once() -> None:
        c.request(method, path, body=body or None, headers=headers)
        r = c.getresponse()
        r.read()
        if r.status != 200:
            raise RuntimeError(f"not 200: {r.status}")

    try:
        return median_ms(once, pause, n)
    finally:
        c.close()


def servers(server: str, workdir: Path, row, backend: str = "sqlite") -> None:
    """The minimal app's rows and Eyrie's, under one HTTP server, both on one backend."""
    e = Eyrie(backend, workdir / f"{server}-{backend}", argparse.Namespace(server=server, cpu=None)).start()
    tag = server if backend == "sqlite" else f"{server}, MariaDB"
    web = None
    try:
        minimal = Minimal(server, workdir / f"minimal-{server}.db",
                          e.mdb.create_database("minimal") if e.mdb is not None else None)
        try:
            row(f"minimal, {tag}: GET /", minimal.port, NOOP)
            row(f"minimal, {tag}: POST /ez", minimal.port, post("x"))
        finally:
            minimal.stop()
        web = EyrieServer(e.url, str(workdir / f"var-web-{server}-{backend}"), role="web", server=server,
                          threads=THREADS[server]).start()
        ezkey, acc = e.account()
        row(f"Eyrie, {tag}: GET /", e.server.port, NOOP)
        row(f"Eyrie, {tag}: POST /ez", e.server.port, post(ezkey))
        row("  the same through http.client", e.server.port, post(ezkey), http_client_round_trips)
        token = f"pausefloor{server}"
        e.db.run(lambda tx: aq.insert_token(tx, acc, token, "bench", int(time.time())))
        stat_id = e.db.read(lambda tx: tx.scalar("SELECT id FROM stats WHERE account_id = ?", (acc,)))
        row(f"Eyrie web, {tag}: static file", web.port, get("/static/favicon.svg"))
        row(f"Eyrie web, {tag}: export read", web.port, get(f"/x/{token}/data/{stat_id}?t=1h1m"))
    finally:
        if web is not None:
            web.stop()
        e.stop()
        e.destroy()


def mariadb_rows(workdir: Path, row) -> None:
    """A MariaDB of its own (as bench-peer starts one): a statement's round trip through pymysql,
    a read and a one-row commit (innodb_flush_log_at_trx_commit=1, the default: an fsync each)."""
    import pymysql
    from ingest import _start_mariadb

    from tests.support.mariadb import MariaDB

    mdb = _start_mariadb(MariaDB, workdir)
    try:
        mdb.create_database("pause_floor")
        conn = pymysql.connect(host="127.0.0.1", port=mdb.port, user="eyrie", password="eyrie",
                               database="pause_floor", autocommit=True)
        cur = conn.cursor()
        cur.execute("CREATE TABLE t (k INT PRIMARY KEY, n BIGINT) ENGINE=InnoDB")
        cur.execute("INSERT INTO t VALUES (1, 0)")

        def statement(_port, sql: str, pause: float, n: int) -> float:
            return median_ms(lambda: (cur.execute(sql), cur.fetchall()), pause, n)

        row("MariaDB: SELECT 1", None, "SELECT 1", statement)
        row("MariaDB: one-row UPDATE, committed", None, "UPDATE t SET n = n + 1 WHERE k = 1", statement)
        conn.close()
    finally:
        mdb.destroy()


def in_process_rows(workdir: Path, row) -> None:
    """The same pause with no HTTP at all: a bare sqlite3 statement, commit and fsync, then Eyrie's
    WSGI apps called directly (a single POST /ez; the export read of an hour of minutes) and the
    read's own statements. What a pause costs code that does not sleep."""
    import io
    import sqlite3

    from ab_read import stat_to_read

    from app.config import Config
    from app.storage import points as pq
    from app.storage import stats as sq
    from app.wsgi import create_app

    def timed(_port, fn, pause: float, n: int) -> float:
        return median_ms(fn, pause, n)

    con = sqlite3.connect(workdir / "bare.db", isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, n INTEGER)")
    row("in process: sqlite3 SELECT 1", None, lambda: con.execute("SELECT 1").fetchall(), timed)

    def commit() -> None:
        con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT OR REPLACE INTO t VALUES (1, ?)", (time.monotonic_ns(),))
        con.execute("COMMIT")

    for sync in ("FULL", "NORMAL"):
        con.execute(f"PRAGMA synchronous={sync}")
        row(f"in process: sqlite3 one-row commit, {sync}", None, commit, timed)
    fd = os.open(workdir / "fsync", os.O_WRONLY | os.O_CREAT)
    row("in process: write 100 bytes + fsync", None, lambda: (os.write(fd, b"x" * 100), os.fsync(fd)), timed)
    os.close(fd)

    url = f"sqlite:///{workdir}/eyrie-in-process.db"
    db, acc, sid, now = stat_to_read(url, "pause@example.com", "pausefloorinprocess")
    config = Config.from_env({"EYRIE_DATABASE_URL": url, "EYRIE_VAR_DIR": str(workdir), "EYRIE_SECRET_KEY": "bench"})

    def wsgi(app, method: str, path: str, query: str = "", body: bytes = b""):
        def once() -> None:
            status = []
            environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
                       "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
                       "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
                       "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body)}
            b"".join(app(environ, lambda st, _h, _e=None: status.append(st)))
            if not status[0].startswith("200"):
                raise RuntimeError(f"not 200: {status[0]}")
        return once

    ingest, web = create_app("ingest", config, db), create_app("web", config, db)
    row("Eyrie in process: POST /ez", None,
        wsgi(ingest, "POST", "/ez", body=f"ezkey={acc.ezkey}&stat=bench+pause&count=1".encode()), timed)
    row("Eyrie in process: export read (1h1m)", None,
        wsgi(web, "GET", f"/x/pausefloorinprocess/data/{sid}", "t=1h1m"), timed)
    row("  db.read of SELECT 1", None, lambda: db.read(lambda tx: tx.scalar("SELECT 1")), timed)
    row("  db.read of the token query", None,
        lambda: db.read(lambda tx: sq.stats_by_token(tx, "pausefloorinprocess", [sid])), timed)
    row("  db.read of the hour of minute rows", None,
        lambda: db.read(lambda tx: pq.read_rollups(tx, sid, 60, now - 3600, now + 60)), timed)
    db.close()
    con.close()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pause-ms", type=float, default=20.0, help="the pause before each request (bench-peer's: 20)")
    p.add_argument("--n", type=int, default=200, help="timed requests per cell")
    p.add_argument("--mariadb", action="store_true", help="also a MariaDB statement and commit, through pymysql")
    p.add_argument("--in-process", action="store_true",
                   help="only the rows without HTTP: bare SQLite, fsync, Eyrie's WSGI apps called directly")
    p.add_argument("--serve", choices=("raw", "hop"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve:
        respond(args.serve == "hop")
    pauses = (0.0, args.pause_ms / 1000)

    def row(label: str, port: int | None, request, timer=round_trips) -> None:
        cells = [timer(port, request, pz, args.n) for pz in pauses]
        print(f"  {label:44} busy {cells[0]:6.3f} ms   after {args.pause_ms:.0f} ms {cells[1]:6.3f} ms "
              f"(+{cells[1] - cells[0]:.3f})", flush=True)

    if args.in_process:
        print(f"median time of one call in this process, {args.n} each, busy and after a {args.pause_ms:.0f} ms"
              f" pause; load {os.getloadavg()[0]:.2f}")
        workdir = Path(tempfile.mkdtemp(prefix="eyrie-pause-", dir="/tmp"))
        try:
            in_process_rows(workdir, row)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return 0
    print(f"median round trip of one request on one keep-alive connection, {args.n} each, busy and after a "
          f"{args.pause_ms:.0f} ms pause; load {os.getloadavg()[0]:.2f}")
    for mode, label in (("raw", "raw socket"), ("hop", "raw socket, one thread hop")):
        proc = subprocess.Popen([sys.executable, __file__, "--serve", mode], stdout=subprocess.PIPE, text=True)
        try:
            row(label, int(proc.stdout.readline()), NOOP)
        finally:
            proc.kill()
            proc.wait()
    workdir = Path(tempfile.mkdtemp(prefix="eyrie-pause-", dir="/tmp"))
    try:
        for server in SERVERS:
            servers(server, workdir, row)
        if args.mariadb:
            mariadb_rows(workdir, row)
            for server in SERVERS:
                servers(server, workdir, row, "mariadb")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
