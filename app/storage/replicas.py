"""Reads on MariaDB replicas, writes on the primary, and read-your-writes between them.

`RoutedDatabase` has the `Database` interface. `run()` (a write, or a read inside a write's
transaction) always goes to the primary; `read()` goes to a healthy replica. A replica whose
connection fails, or that is more than `max_lag` seconds behind, is skipped for `recheck` seconds
(a warning is logged) and the read is served by the primary: a down replica costs a request at
most the replica's connect timeout, never a 5xx.

Freshness, per request (`begin_request`): replicas apply the primary's binlog asynchronously, and a
read right after a write is stale most of the time (846 of 1000 in ../shared/research/scale-out.md).
- A browser session that wrote carries the primary's GTID position after its write (a cookie set
  by app.web.freshness); its following reads wait with MASTER_GTID_WAIT(position, `wait`) on the
  replica, and go to the primary if the wait times out.
- A `fresh` request (the token APIs: an API client posts through ingest, then reads the export API
  through another process that cannot know about that write) first asks the primary for its
  current position (one trivial query) and waits for the replica to reach it. So a point whose post
  was acknowledged is in the very next export read.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass

from app.errors import Unavailable
from app.storage.db import Database

log = logging.getLogger("eyrie.replicas")

GTID_POS = re.compile(r"^\d{1,10}-\d{1,10}-\d{1,20}(,\d{1,10}-\d{1,10}-\d{1,20}){0,15}$")


@dataclass
class RequestState:
    wait_for: str | None = None  # a GTID position this request's reads must see
    fresh: bool = False          # wait for the primary's position at the first read
    wrote: str | None = None     # the primary's position after this request's last write


_request: ContextVar[RequestState | None] = ContextVar("eyrie_read_state", default=None)


def begin_request(wait_for: str | None = None, fresh: bool = False) -> RequestState:
    """Called at the start of a web request; a malformed position is ignored (it came from a cookie)."""
    if wait_for and not GTID_POS.match(wait_for):
        wait_for = None
    state = RequestState(wait_for=wait_for, fresh=fresh)
    _request.set(state)
    return state


def end_request() -> None:
    _request.set(None)


class _Lagging(Exception):
    pass


class Replica:
    def __init__(self, url: str, connect_timeout: float, read_timeout: float):
        # A short deadline for lost connections: one quick retry (a pooled connection to a replica that
        # restarted fails once), then the primary answers instead.
        self.db = Database(url, connect_timeout=connect_timeout, read_timeout=read_timeout, unavailable_after=0.3)
        self.url = url
        self.skip_until = 0.0
        self.lag: float | None = None  # seconds, from the last check; None = unknown or down

    @property
    def name(self) -> str:
        t = self.db.target
        return f"{t.host}:{t.port}/{t.database}"


class RoutedDatabase:
    def __init__(self, primary: Database, read_urls, *, max_lag: float = 2.0, wait: float = 1.0,
                 recheck: float = 5.0, check_every: float = 1.0, connect_timeout: float = 0.5,
                 read_timeout: float = 5.0, monitor: bool = True):
        if primary.dialect != "mysql":
            raise ValueError("EYRIE_DATABASE_READ_URL needs a MariaDB/MySQL primary")
        self.primary = primary
        self.replicas = [Replica(u, connect_timeout, read_timeout) for u in read_urls]
        if not self.replicas:
            raise ValueError("no replica URL given")
        self.max_lag = max_lag
        self.wait = wait
        self.recheck = recheck
        self.check_every = check_every
        self._next = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._monitor = None
        self.counts = {"replica": 0, "primary": 0, "fallback": 0}
        if monitor:
            self._monitor = threading.Thread(target=self._watch, name="eyrie-replica-monitor", daemon=True)
            self._monitor.start()

    def __getattr__(self, name):
        # dialect, url, target, writer, is_unique_violation, _get/_put (migrations): the primary's.
        return getattr(self.primary, name)

    # -- writes ------------------------------------------------------------------------------

    def run(self, fn, *, write: bool = True, **kwargs):
        if not write:
            return self.read(fn)
        result = self.primary.run(fn, write=True, **kwargs)
        state = _request.get()
        if state is not None:
            # Any position at or after our commit will do: the primary's current one is.
            state.wrote = self.primary_position()
            state.wait_for = state.wrote
        return result

    def primary_position(self) -> str:
        return self.primary.read(lambda tx: tx.scalar("SELECT @@gtid_binlog_pos")) or ""

    # -- reads -------------------------------------------------------------------------------

    def read(self, fn):
        state = _request.get()
        replica = self._pick()
        if replica is None:
            self.counts["primary"] += 1
            return self.primary.read(fn)
        target = None
        if state is not None:
            if state.fresh:
                target = self.primary_position()
            elif state.wait_for:
                target = state.wait_for
        try:
            if target:
                result = replica.db.read(lambda tx: self._after(tx, target, fn))
                if state is not None:  # seen once, seen for the rest of this request
                    state.fresh, state.wait_for = False, None
            else:
                result = replica.db.read(fn)
        except _Lagging:
            self._skip(replica, f"not at the primary's position after {self.wait:.1f} s")
        except Unavailable as exc:
            self._skip(replica, f"unreachable ({exc.__cause__ or exc})")
        else:
            self.counts["replica"] += 1
            return result
        self.counts["fallback"] += 1
        return self.primary.read(fn)

    def _after(self, tx, position: str, fn):
        if tx.scalar("SELECT MASTER_GTID_WAIT(?, ?)", (position, self.wait)) != 0:
            raise _Lagging()
        return fn(tx)

    def _pick(self) -> Replica | None:
        now = time.monotonic()
        with self._lock:
            for _ in range(len(self.replicas)):
                r = self.replicas[self._next % len(self.replicas)]
                self._next += 1
                if r.skip_until <= now:
                    return r
        return None

    def _skip(self, replica: Replica, why: str) -> None:
        if replica.skip_until <= time.monotonic():
            log.warning("replica %s skipped for %.0f s: %s; reading the primary", replica.name, self.recheck, why)
        replica.skip_until = time.monotonic() + self.recheck
        replica.lag = None

    # -- lag monitor ------------------------------------------------------------------------

    def check(self) -> dict[str, float | None]:
        """Measure each replica's lag: how long it takes to reach the primary's current position
        (bounded by max_lag). A replica past the bound or unreachable is skipped; one that is back in
        time is used again at once."""
        try:
            position = self.primary_position()
        except Exception:
            return self.lags()
        for r in self.replicas:
            t0 = time.monotonic()
            try:
                reached = r.db.read(lambda tx: tx.scalar("SELECT MASTER_GTID_WAIT(?, ?)", (position, self.max_lag)))
            except Exception as exc:
                self._skip(r, f"unreachable ({exc.__cause__ or exc})")
                continue
            if reached != 0:
                self._skip(r, f"more than {self.max_lag:.1f} s behind")
                continue
            if r.skip_until > time.monotonic():
                log.warning("replica %s is back in time: reading there again", r.name)
            r.lag = time.monotonic() - t0
            r.skip_until = 0.0
        return self.lags()

    def lags(self) -> dict[str, float | None]:
        return {r.name: r.lag for r in self.replicas}

    def _watch(self) -> None:
        while not self._stop.wait(self.check_every):
            try:
                self.check()
            except Exception:  # the monitor must outlive anything a database does
                log.exception("replica check failed")

    def close(self) -> None:
        self._stop.set()
        if self._monitor is not None:
            self._monitor.join(timeout=self.max_lag + 2)
        for r in self.replicas:
            r.db.close()
        self.primary.close()


def routed(primary: Database, read_urls) -> Database | RoutedDatabase:
    return RoutedDatabase(primary, read_urls) if read_urls else primary
