"""Connections for SQLite and MariaDB/MySQL behind one small interface.

SQL is written once with `?` placeholders; the MySQL dialect rewrites them. Connections are
pooled because pymysql builds an SSL context on every connect (about 45 ms here) and SQLite
re-reads its schema on every open.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from app.errors import Unavailable

try:  # pymysql is only needed for MySQL URLs.
    import pymysql
    import pymysql.constants
except ImportError:  # pragma: no cover
    pymysql = None

# MySQL error codes: 1213 deadlock, 1205 lock wait timeout (both: retry the transaction);
# 2003/2006/2013/2055 and 0: the server went away (fresh connection, then retry or 503).
_MYSQL_RETRY = {1213, 1205}
_MYSQL_GONE = {0, 2003, 2006, 2013, 2055}
CONNECT_TIMEOUT = 2.0
# How long a request may keep retrying a lost database before answering 503.
UNAVAILABLE_AFTER = 2.0
IDLE_CHECK_AFTER = 5.0
WAL_CHECKPOINT_PAGES = 10_000  # SQLite: see _open
# Values the server refuses: 1690 a result out of range, 1264 a value out of range, 1048 NULL.
_MYSQL_DATA = {1690, 1264, 1048, 1366, 1367}


@dataclass(frozen=True)
class Target:
    dialect: str  # "sqlite" or "mysql"
    path: str = ""
    host: str = "127.0.0.1"
    port: int = 3306
    user: str = ""
    password: str = ""
    database: str = ""
    unix_socket: str | None = None
    # SQLite: FULL (default) fsyncs every commit, so an acknowledged point survives a power cut;
    # NORMAL (?synchronous=normal) survives a crash of Eyrie but not of the machine, for about twice
    # the single-post throughput.
    synchronous: str = "FULL"


def parse_url(url: str) -> Target:
    """sqlite:///relative/path, sqlite:////absolute/path, mysql://user:pass@host:port/db."""
    if url.startswith("sqlite:///"):
        path, _, query = url[len("sqlite:///"):].partition("?")
        if not path:
            raise ValueError("sqlite URL needs a path")
        sync = (parse_qs(query).get("synchronous") or ["FULL"])[0].upper()
        if sync not in ("FULL", "NORMAL"):
            raise ValueError("sqlite synchronous must be full or normal")
        return Target("sqlite", path=path, synchronous=sync)
    parsed = urlparse(url)
    if parsed.scheme in ("mysql", "mariadb", "mysql+pymysql"):
        query = parse_qs(parsed.query)
        return Target(
            "mysql",
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 3306,
            user=unquote(parsed.username or ""),
            password=unquote(parsed.password or ""),
            database=parsed.path.lstrip("/"),
            unix_socket=(query.get("unix_socket") or [None])[0],
        )
    raise ValueError(f"unsupported database URL scheme: {parsed.scheme or url!r}")


class Retry(Exception):
    """Raised inside a transaction when the whole transaction may safely run again."""


class Tx:
    """One connection inside one transaction."""

    def __init__(self, conn, dialect: str, *, reading: bool = False):
        self.conn = conn
        self.dialect = dialect
        self.committing = False
        # A read runs in autocommit, each statement on its own snapshot; snapshot() joins several.
        self.reading = reading
        self._snapshots = 0

    @contextmanager
    def snapshot(self):
        """The statements inside see one snapshot of the database. A read runs statement by
        statement, each seeing what was committed when it started; a reader that combines a
        watermark with rows (points.py: hours and days plus the minutes not folded yet) would,
        across a fold committed between its statements, count those minutes twice or not at all.
        Inside a write transaction, or nested, this does nothing: the transaction is one already."""
        if not self.reading or self._snapshots:
            self._snapshots += 1
            try:
                yield
            finally:
                self._snapshots -= 1
            return
        if self.dialect == "sqlite":
            self.conn.execute("BEGIN")  # deferred: the WAL snapshot is taken by the first read
        else:
            # The session reads READ COMMITTED (a fresh view per statement); this one transaction
            # reads REPEATABLE READ from a view taken now. One round trip for both statements.
            self.script([("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", ()),
                         ("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", ())])
        self._snapshots = 1
        try:
            yield
        finally:
            self._snapshots = 0
        # Only on success: after an error Database.run rolls the connection back.
        self.conn.commit()

    def _sql(self, sql: str) -> str:
        if self.dialect == "mysql":
            return sql.replace("%", "%%").replace("?", "%s")
        return sql

    def execute(self, sql: str, params=()) -> int:
        cur = self.conn.cursor()
        cur.execute(self._sql(sql), tuple(params))
        n = cur.rowcount
        cur.close()
        return n

    def execute_raw(self, sql: str) -> int:
        """Run SQL that carries no parameters (values already rendered as numeric literals)."""
        cur = self.conn.cursor()
        cur.execute(sql)
        n = cur.rowcount
        cur.close()
        return n

    def script(self, parts: list[tuple[str, tuple]]) -> list:
        """MySQL: several statements in one round trip. Returns, per statement, its rows (tuples)
        or its row count. The connection allows multi-statements; every value still goes through
        pymysql's escaping, as in execute()."""
        sql = ";".join(self._sql(s) for s, _ in parts)
        cur = self.conn.cursor()
        cur.execute(sql, tuple(a for _, p in parts for a in p))
        out = []
        while True:
            out.append(cur.fetchall() if cur.description else cur.rowcount)
            if not cur.nextset():
                break
        cur.close()
        return out

    def executemany(self, sql: str, rows) -> None:
        cur = self.conn.cursor()
        cur.executemany(self._sql(sql), rows)
        cur.close()

    def insert(self, sql: str, params=()) -> int:
        cur = self.conn.cursor()
        cur.execute(self._sql(sql), tuple(params))
        rowid = cur.lastrowid
        cur.close()
        return int(rowid)

    def all(self, sql: str, params=()) -> list[dict]:
        cur = self.conn.cursor()
        cur.execute(self._sql(sql), tuple(params))
        cols = [c[0] for c in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        cur.close()
        return rows

    def rows(self, sql: str, params=()) -> list[tuple]:
        """The rows as tuples, in the order of the SELECT's columns: for reads of many rows, where a
        dict per row costs more than the query (an hour of minute rows, the export API's poll)."""
        cur = self.conn.cursor()
        cur.execute(self._sql(sql), tuple(params))
        rows = cur.fetchall()
        cur.close()
        return list(rows)

    def one(self, sql: str, params=()) -> dict | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params=()):
        cur = self.conn.cursor()
        cur.execute(self._sql(sql), tuple(params))
        row = cur.fetchone()
        cur.close()
        return row[0] if row else None


class Database:
    def __init__(self, url: str, pool_size: int = 16, *, connect_timeout: float = CONNECT_TIMEOUT,
                 read_timeout: float = 30, unavailable_after: float = UNAVAILABLE_AFTER):
        # A replica (storage.replicas) is opened with short timeouts: a slow one is skipped, not waited for.
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.unavailable_after = unavailable_after
        self.url = url
        self.target = parse_url(url)
        self.dialect = self.target.dialect
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self._writer = None
        if self.dialect == "sqlite" and self.target.path != ":memory:":
            Path(self.target.path).parent.mkdir(parents=True, exist_ok=True)

    # -- connections -------------------------------------------------------------------------

    def _open(self):
        t = self.target
        if t.dialect == "sqlite":
            conn = sqlite3.connect(t.path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={t.synchronous}")  # FULL or NORMAL, checked in parse_url
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=10000")
            # The checkpoint runs inside whichever commit takes the WAL past this many pages, while
            # that commit's requests wait: every 1,000 pages (the default) meant every few bulk
            # requests. 10,000 (40 MB) checkpoints a tenth as often, and a page rewritten meanwhile
            # (re-sent minutes, the current minute of every stat) is copied once: 1000x100 bulk
            # 1.02-1.12x cold, 1.14-1.22x warm, three A/Bs in one sitting (bench/README.md).
            conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            return conn
        if pymysql is None:  # pragma: no cover
            raise RuntimeError("PyMySQL is not installed")
        kwargs = dict(
            user=t.user, password=t.password, database=t.database, charset="utf8mb4",
            # Autocommit: a read is one statement and one round trip; writes BEGIN explicitly.
            autocommit=True, connect_timeout=self.connect_timeout, read_timeout=self.read_timeout,
            write_timeout=30,
            # Tx.script: the point writer sends a whole commit in two round trips.
            client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS,
        )
        if t.unix_socket:
            kwargs["unix_socket"] = t.unix_socket
        else:
            kwargs.update(host=t.host, port=t.port)
        try:
            conn = pymysql.connect(**kwargs)
        except pymysql.err.OperationalError as exc:
            raise Unavailable("database unavailable") from exc
        with conn.cursor() as cur:
            cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        return conn

    def _get(self):
        while True:
            try:
                conn, used = self._idle.get_nowait()
            except queue.Empty:
                return self._open()
            # A MySQL connection idle for a while may have been dropped (server restart, timeout):
            # check it before use, so a write is not sent on a dead socket and answered 503.
            if self.dialect != "mysql" or time.monotonic() - used < IDLE_CHECK_AFTER:
                return conn
            try:
                conn.ping(reconnect=False)
                return conn
            except Exception:
                _close(conn)

    def _put(self, conn) -> None:
        if self._idle.qsize() < self._pool_size:
            self._idle.put((conn, time.monotonic()))
        else:
            _close(conn)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        while True:
            try:
                _close(self._idle.get_nowait()[0])
            except queue.Empty:
                break

    # -- transactions ------------------------------------------------------------------------

    def _begin(self, conn, write: bool) -> None:
        if not write:
            # Reads run in autocommit, statement by statement: no BEGIN/COMMIT round trips. Each
            # statement sees committed data only (READ COMMITTED on MySQL, WAL snapshots on SQLite).
            return
        if self.dialect == "sqlite":
            # IMMEDIATE takes the write lock up front, so a writer never fails half-way on upgrade.
            conn.execute("BEGIN IMMEDIATE")
        else:
            conn.begin()

    def run(self, fn, *, write: bool = True, attempts: int = 8, one_statement: bool = False):
        """Run fn(tx) in one transaction and commit; retry deadlocks and lost connections.

        A lost connection is retried only while nothing may have been committed, and for at most
        UNAVAILABLE_AFTER seconds; then Unavailable (503) is raised and nothing is half-written.

        one_statement: fn runs exactly one write statement, which is atomic on its own; on MySQL it
        then runs in autocommit, saving the BEGIN and COMMIT round trips.
        """
        autocommit = one_statement and self.dialect == "mysql"
        deadline = time.monotonic() + self.unavailable_after
        attempt = 0
        while True:
            try:
                conn = self._get()
            except Unavailable:
                if time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
                raise
            tx = Tx(conn, self.dialect, reading=not write)
            try:
                if autocommit:
                    tx.committing = True  # the statement commits itself: a lost reply is never redone
                else:
                    self._begin(conn, write)
                result = fn(tx)
                if write and not autocommit:
                    tx.committing = True
                    conn.commit()
            except Exception as exc:
                kind = self._classify(exc)
                _rollback(conn)
                if kind == "gone":
                    _close(conn)
                    if tx.committing and not _never_sent(exc):
                        # The commit may or may not have happened: never redo it.
                        raise Unavailable("database unavailable") from exc
                    if time.monotonic() < deadline:
                        time.sleep(0.05)
                        continue
                    raise Unavailable("database unavailable") from exc
                self._put(conn)
                attempt += 1
                if kind == "retry" and attempt < attempts:
                    time.sleep(0.005 * attempt)
                    continue
                raise
            self._put(conn)
            return result

    def read(self, fn):
        return self.run(fn, write=False)

    def _classify(self, exc: BaseException) -> str:
        if isinstance(exc, Retry):
            return "retry"
        if self.dialect == "sqlite":
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                return "retry"
            return "other"
        if isinstance(exc, (pymysql.err.OperationalError, pymysql.err.InternalError)):
            code = exc.args[0] if exc.args else 0
            if code in _MYSQL_RETRY:
                return "retry"
            if code in _MYSQL_GONE or code >= 2000:
                return "gone"
        if isinstance(exc, (pymysql.err.InterfaceError, ConnectionError, OSError)):
            return "gone"
        return "other"

    def is_data_error(self, exc: BaseException) -> bool:
        """The database refused the values themselves (out of range, NULL from NaN, a constraint):
        the statement failed as a whole, so nothing of it was written, and running it again fails again."""
        if self.dialect == "sqlite":
            return isinstance(exc, (sqlite3.IntegrityError, sqlite3.DataError))
        if isinstance(exc, (pymysql.err.DataError, pymysql.err.IntegrityError)):
            return True
        # 1690: "DOUBLE value is out of range", which pymysql reports as an OperationalError.
        return isinstance(exc, pymysql.err.MySQLError) and bool(exc.args) and exc.args[0] in _MYSQL_DATA

    def is_unique_violation(self, exc: BaseException) -> bool:
        if self.dialect == "sqlite":
            return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)
        return isinstance(exc, pymysql.err.IntegrityError) and exc.args and exc.args[0] == 1062

    @property
    def writer(self):
        """The process's group-commit writer for points (see storage.writer)."""
        with self._lock:
            if self._writer is None:
                from app.storage.writer import PointWriter

                self._writer = PointWriter(self)
            return self._writer


def _never_sent(exc: BaseException) -> bool:
    """The statement never reached the server (pymysql 2006: the write to the socket failed; a
    connection already closed): it certainly did not run, so it may be retried."""
    if pymysql is None:
        return False
    if isinstance(exc, pymysql.err.InterfaceError):
        return True
    return isinstance(exc, pymysql.err.OperationalError) and bool(exc.args) and exc.args[0] == 2006


def _rollback(conn) -> None:
    try:
        conn.rollback()
    except Exception:  # the connection may already be gone
        pass


def _close(conn) -> None:
    try:
        conn.close()
    except Exception:
        pass


@contextmanager
def opened(url: str):
    db = Database(url)
    try:
        yield db
    finally:
        db.close()
