"""Group commit for points.

Request threads hand their merged rollup rows to one writer thread per process and wait. The
writer takes everything queued, merges it (concurrent time-major posts share their hour and day
rows), writes it in one transaction and only then wakes the requests: a reply of success still
means the data is committed, but many requests share one commit and one round of row upserts.
SQLite wants a single writer anyway; on MariaDB it cuts row upserts and fsyncs.

Requests of different accounts share a commit, so one request's rows must never fail another's:
when a shared commit fails with a data error (a sum out of range, say), nothing of it was
committed, and each request is written again on its own. Only the request whose own rows fail
gets the error (a 4xx: it is about what that request sent); every other one is committed once.

Only minute rows are written on this path (a point older than its stat's fold watermark gets its
hour and day rows too); after the commit, and after waking the requests, the writer folds complete
hours of the stats it wrote into their hour and day rows (points.fold). The EZ key of each request
is checked again inside the committing transaction, so a process may cache accounts: a key deleted
or an EZ API turned off by any process refuses the very next post (AccountChanged).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from contextlib import contextmanager
from operator import itemgetter

from app import monitoring
from app.errors import Invalid, Unavailable
from app.rollups import DAY, HOUR, MINUTE, RollupBatch, accumulate, local_day_start
from app.storage.points import fold, mysql_upsert_where, mysql_upserts, upsert_rollups

MAX_ROWS_PER_COMMIT = 20000
ONE_TRIP_ROWS = 200  # MariaDB: commits of up to this many minute rows go in one round trip
SECOND_WRITER_ROWS = ONE_TRIP_ROWS  # a second writer (MariaDB) takes work once this many rows wait
INLINE_AFTER_IDLE = 0.005  # seconds without a commit after which a request commits its own job
# Under load the first writer waits up to this long for as many requests as were lately in flight
# at once (PointWriter.arriving) to queue their rows, so they share one commit.
GATHER_WAIT = 0.001
# With a single writer (SQLite) and bulk requests queued it waits up to this long instead. SQLite's
# commit costs per page it touches, and concurrent time-major bulk requests touch the same stats'
# pages: 4 clients of 1,000 points each went 1 or 3 to a commit, alternately. Measured in one sitting
# (bench/README.md, 2026-12-03): 20 ms gave 1.12-1.18x points/s at 10 % less CPU per point, better than
# 50 ms or a bound of the last commit's duration; on MariaDB, where a second writer takes bulk, it
# cost 15-20 % warm, so it is SQLite's only.
BULK_GATHER_WAIT = 0.02
PEAK_SPAN = 0.1  # seconds: "lately", for the most requests in flight at once
REFUSED = "these points cannot be added to the stored totals: a sum would leave the range a number may hold"
NO_MARK = 2**62  # a stat without a stats row (purged): every row written at once, nothing to fold
# Hours are folded once they are this far behind the stat's newest minute: late and re-sent points
# (queued clients, overwrites) are nearly always this recent, and stay one row each; readers add
# at most this many hours of minute rows (plus the current one) to an hour or day bucket.
FOLD_LAG = 2 * HOUR
_TS = itemgetter(2)  # a rollup row's bucket start
log = logging.getLogger("eyrie.writer")


class AccountChanged(Exception):
    """The account a request was validated against changed (EZ key gone, EZ API off, stats renamed
    or trashed) before its commit: nothing of the request was written; validate it again."""


class _Job:
    __slots__ = ("batch", "done", "error", "account_id", "ezkey", "stats_gen")

    def __init__(self, batch: RollupBatch, account_id: int | None = None, ezkey: str | None = None,
                 stats_gen: int | None = None):
        self.batch = batch
        self.account_id, self.ezkey, self.stats_gen = account_id, ezkey, stats_gen
        self.done = threading.Event()
        self.error: BaseException | None = None


class _JobQueue:
    """The writers' queue: the first writer takes whatever is queued, a second one only a backlog
    of at least SECOND_WRITER_ROWS rows; each take is at most MAX_ROWS_PER_COMMIT rows (or one job)."""

    def __init__(self, gather_bulk: bool = False):
        self._gather_bulk = gather_bulk  # one writer: under bulk load wait BULK_GATHER_WAIT
        self._jobs: deque[_Job] = deque()
        self._rows = 0
        self._closed = False
        # The first writer's slot: held while it commits (from its take() to its next one), or
        # while a request commits its own job on its own thread (claim_inline to release_inline).
        self._writing = False
        self._inline = False
        self._free_since = 0.0  # when a commit in that slot last ended (time.monotonic())
        # Requests inside PointWriter.arriving() now, and the most of them at once lately.
        self._inside = self._peak = 0
        self._peak_at = 0.0
        self._gathering = False  # the first writer is in _gather (put() need not wake it for each job)
        # One lock, a condition per kind of writer: a put wakes the second writer only for a
        # backlog (a needless wake-up per single post is a thread switch and a GIL hand-over).
        lock = threading.Lock()
        self._cv = (threading.Condition(lock), threading.Condition(lock))

    def arrive(self) -> None:
        with self._cv[0]:
            self._inside += 1
            now = time.monotonic()
            if self._inside >= self._peak or now - self._peak_at > PEAK_SPAN:
                self._peak, self._peak_at = self._inside, now

    def leave(self) -> None:
        with self._cv[0]:
            self._inside -= 1

    def put(self, job: _Job) -> None:
        with self._cv[0]:
            self._jobs.append(job)
            self._rows += len(job.batch)
            # A first writer gathering (_gather) waits for as many jobs as lately in flight, or
            # for a backlog it will not wait on: waking it for each job before that is a thread
            # switch and a lock hand-over for nothing (it would only wait again). Measured, single
            # posts under granian: 13.2 -> 10.6-11.1 context switches and 2-7 % less CPU per post,
            # posts/s the same (bench/README.md, 2026-12-07, tenth session).
            if not self._gathering or len(self._jobs) >= self._peak or self._rows >= ONE_TRIP_ROWS:
                self._cv[0].notify()
            if self._rows >= SECOND_WRITER_ROWS:
                self._cv[1].notify()

    def close(self) -> None:
        """Writers finish what is queued, then stop."""
        with self._cv[0]:
            self._closed = True
            for cv in self._cv:
                cv.notify_all()

    def qsize(self) -> int:
        return len(self._jobs)

    def claim_inline(self) -> bool:
        """True, holding the first writer's slot, when nothing is queued and nobody has committed
        for INLINE_AFTER_IDLE: the caller commits its job itself (saving two thread switches) and
        then calls release_inline(). Under load the writer keeps every commit: there a request's own
        commit would be one more commit (and fsync) instead of a share of the next (measured: 3-8 %
        fewer posts/s when every request found the queue empty committed itself)."""
        with self._cv[0]:
            if (self._jobs or self._writing or self._inline or self._closed
                    or time.monotonic() - self._free_since < INLINE_AFTER_IDLE):
                return False
            self._inline = True
            return True

    def release_inline(self) -> None:
        """The inline commit is over: the first writer takes what queued meanwhile."""
        with self._cv[0]:
            self._inline = False
            self._free_since = time.monotonic()
            if self._jobs or self._closed:  # else a wake-up for nothing, just before the reply
                self._cv[0].notify()

    def take(self, second: bool) -> list[_Job]:
        """Block for work; [] once closed and nothing is left for this writer. The first writer
        holds its slot from here until it calls take() again (its commit is over)."""
        cv = self._cv[second]
        with cv:
            if not second and self._writing:
                self._writing = False
                self._free_since = time.monotonic()
            while True:
                while not (self._rows >= SECOND_WRITER_ROWS if second else self._jobs and not self._inline):
                    if self._closed and (second or not self._jobs):  # the first writer owes what is queued
                        return []
                    cv.wait()
                if second:
                    break
                self._writing = True
                now = time.monotonic()
                if now - self._free_since < INLINE_AFTER_IDLE:  # under load
                    self._gather(cv, now)
                if self._jobs:
                    break
                # The second writer took it all while this one gathered: nothing to commit, and
                # [] would mean closed (the thread would end and single posts wait forever).
                self._writing = False
            jobs, rows = [], 0
            while self._jobs and (not jobs or rows + len(self._jobs[0].batch) <= MAX_ROWS_PER_COMMIT):
                job = self._jobs.popleft()
                jobs.append(job)
                rows += len(job.batch)
            self._rows -= rows
            return jobs

    def _gather(self, cv: threading.Condition, now: float) -> None:
        """As many requests as were lately in flight at once will be back within a moment; without
        them each would need a commit (a round trip, an fsync, SQLite's pages) of its own.
        PostgreSQL's commit_delay and commit_siblings, for one process. Under the lock."""
        small_until, bulk_until = now + GATHER_WAIT, now + BULK_GATHER_WAIT
        self._gathering = True
        try:
            while len(self._jobs) < self._peak and not self._closed:
                if self._rows < ONE_TRIP_ROWS:
                    deadline = small_until
                elif self._gather_bulk:
                    deadline = bulk_until
                else:
                    return  # one round trip's worth: a second writer can overlap the next one
                if now >= deadline:
                    return
                cv.wait(deadline - now)
                now = time.monotonic()
        finally:
            self._gathering = False

    def take_all(self) -> list[_Job]:
        with self._cv[0]:
            jobs, self._jobs, self._rows = list(self._jobs), deque(), 0
            return jobs


class PointWriter:
    def __init__(self, db, threads: int | None = None):
        self.db = db
        # Under load the first writer gathers the posts in flight into one commit. Measured with 4
        # clients: MariaDB commits per post 0.54 -> 0.25, mariadbd CPU per post 200 -> 117 us, posts/s
        # the same; SQLite under granian 8-31 % more posts/s at 13-17 % less CPU per post, under
        # waitress the same posts/s (bench/README.md, fifth session). One writer also gathers bulk
        # requests (BULK_GATHER_WAIT).
        # MySQL: a second writer on its own connection, so a big commit's round trips and fsync
        # overlap the next one's statements (InnoDB takes their row locks in the same key order,
        # and its group commit shares the fsync). It takes work only when SECOND_WRITER_ROWS are
        # queued: small posts all wait for the first writer's next commit, so they share it
        # (measured, single posts on MariaDB: two writers splitting them cost 10-20 % more CPU per
        # post and 1.2x fewer posts/s; bulk needs the second one for 1.2-1.35x).
        # SQLite has one write lock: one writer.
        n = threads or (2 if db.dialect == "mysql" else 1)
        self._queue = _JobQueue(gather_bulk=n == 1)  # a second writer overlaps bulk commits instead
        self._threads = [threading.Thread(target=self._loop, args=(i > 0,), name=f"eyrie-point-writer-{i}",
                                          daemon=True) for i in range(n)]
        for t in self._threads:
            t.start()
        # Folds run in their own thread: a slow or failing fold never holds up the next commit.
        self._fold_wanted: dict[int, int] = {}
        # The fold already planned for each stat (its upto). MariaDB's one-trip commit does not read
        # the watermarks back, so it plans every stat it wrote; this drops the repeats (one fold per
        # stat and hour per process; fold() skips a stat whose watermark is there already). A failed
        # fold forgets its stats, so the next write plans them again.
        self._planned: dict[int, int] = {}
        self._fold_cv = threading.Condition()
        self._fold_stop = False
        self._folder = threading.Thread(target=self._fold_loop, name="eyrie-point-folder", daemon=True)
        self._folder.start()

    @contextmanager
    def arriving(self):
        """Around a request that will write points: the writer counts how many are in flight at
        once, and under load waits a moment (GATHER_WAIT) for that many to share a commit."""
        self._queue.arrive()
        try:
            yield
        finally:
            self._queue.leave()

    def write(self, batch: RollupBatch, account_id: int | None = None, ezkey: str | None = None,
              stats_gen: int | None = None) -> None:
        """Block until the batch is committed; raise what the transaction raised otherwise.

        With ezkey, the commit happens only if that key still belongs to account_id, its EZ API is on
        and its stats generation is still stats_gen; else AccountChanged and nothing is written."""
        if not batch.rows:
            return
        job = _Job(batch, account_id, ezkey, stats_gen)
        if self._queue.claim_inline():
            # Nothing queued, nobody committing: commit here. The hand-over to a writer thread and
            # back costs two thread wake-ups, a third of a lone post's time on an idle machine.
            try:
                self._finish([job], self._commit([job]))
            finally:
                self._queue.release_inline()
        else:
            self._queue.put(job)
            job.done.wait()
        if job.error is not None:
            raise job.error

    def stop(self) -> None:
        self._queue.close()
        for t in self._threads:
            t.join(timeout=5)
        with self._fold_cv:
            self._fold_stop = True
            self._fold_cv.notify()
        self._folder.join(timeout=5)

    def idle(self, timeout: float = 5.0) -> bool:
        """Wait until no fold is pending (tests and benches that look at stored hour rows)."""
        with self._fold_cv:
            return self._fold_cv.wait_for(lambda: not self._fold_wanted and not self._folding, timeout)

    def _loop(self, second: bool) -> None:
        while True:
            jobs = self._queue.take(second)
            if not jobs:
                return  # closed
            self._finish(jobs, self._commit(jobs))

    def _finish(self, jobs: list[_Job], plan: dict[int, int]) -> None:
        """Wake the committed jobs' requests, then hand the fold plan to the folder."""
        for j in jobs:
            j.done.set()
        if isinstance(jobs[0].error, Unavailable):
            # The database is away and these requests waited out the retries: whatever queued
            # meanwhile has waited too, so it learns the same now instead of retrying anew.
            for j in self._queue.take_all():
                j.error = jobs[0].error
                j.done.set()
        if plan:
            with self._fold_cv:
                planned = self._planned
                if len(planned) > 100_000:
                    planned.clear()
                for sid, upto in plan.items():
                    if upto > self._fold_wanted.get(sid, 0) and upto > planned.get(sid, 0):
                        self._fold_wanted[sid] = upto
                        planned[sid] = upto
                if self._fold_wanted:
                    self._fold_cv.notify_all()

    def _commit(self, jobs: list[_Job]) -> dict[int, int]:
        t0 = time.perf_counter()
        plan = self._commit_isolated(jobs)
        # Self-monitoring (a no-op when off): group-commit size and time.
        monitoring.value("commit requests", len(jobs))
        monitoring.value("commit rows", sum(len(j.batch) for j in jobs))
        monitoring.value("commit ms", (time.perf_counter() - t0) * 1000)
        return plan

    def _commit_isolated(self, jobs: list[_Job]) -> dict[int, int]:
        """Commit the jobs (each gets its error, or None); return what to fold afterwards."""
        outcome = self._write(jobs)
        if not isinstance(outcome, BaseException):
            return outcome
        if len(jobs) == 1 or not isinstance(outcome, Invalid):  # the database is down, say: all learn it
            for j in jobs:
                j.error = outcome
            return {}
        plan: dict[int, int] = {}
        for j in jobs:  # nothing was committed: isolate the request whose rows the database refuses
            result = self._write([j])
            if isinstance(result, BaseException):
                j.error = result
            else:
                plan.update(result)
        return plan

    def _write(self, jobs: list[_Job]) -> dict[int, int] | BaseException:
        """One transaction for the jobs; per-job AccountChanged is set on the job. Returns the fold
        plan, Invalid for rows the database refuses, or what was raised."""
        refused: list[_Job] = []

        def tx_fn(tx):
            refused.clear()
            return _write_rows(tx, jobs, refused)

        def script_fn(tx):
            refused.clear()
            return _write_mysql(tx, jobs, refused)

        try:
            plan = None
            if self.db.dialect == "mysql":
                # Sent as statements in autocommit mode that open and commit the transaction
                # themselves: a reply lost on the way counts as "may have committed" (never redone).
                plan = self.db.run(script_fn, one_statement=True)
            if plan is None:
                plan = self.db.run(tx_fn)
        except BaseException as exc:
            if self.db.is_data_error(exc):
                return Invalid(REFUSED)
            return exc
        for j in refused:
            j.error = AccountChanged()
        return plan

    _folding = False

    def _fold_loop(self) -> None:
        # Off the acknowledged path: the points are committed either way, and readers add what
        # is not folded yet, so a failure here costs read time only (the next write folds again).
        while True:
            with self._fold_cv:
                self._folding = False
                self._fold_cv.notify_all()
                self._fold_cv.wait_for(lambda: self._fold_wanted or self._fold_stop)
                if self._fold_stop:
                    return
                plan, self._fold_wanted = self._fold_wanted, {}
                self._folding = True
            try:
                self.db.run(lambda tx, plan=plan: fold(tx, plan))
            except Exception:
                log.warning("folding minute rows failed; they stay readable, unfolded", exc_info=True)
                with self._fold_cv:
                    for sid in plan:
                        self._planned.pop(sid, None)


def _check_accounts(tx, jobs: list[_Job], found: dict, refused: list[_Job]) -> list[_Job]:
    """The jobs whose EZ key still belongs to their account, EZ API on, same stats generation;
    found: ezkey -> (ezkey, account id, ez_enabled, stats_gen) as read in this transaction."""
    live = []
    for j in jobs:
        if j.ezkey is not None:
            r = found.get(j.ezkey)
            if r is None or r[1] != j.account_id or not r[2] or r[3] != j.stats_gen:
                refused.append(j)
                continue
        live.append(j)
    return live


_KEYS_SQL = ("SELECT k.ezkey, a.id, a.ez_enabled, a.stats_gen FROM ez_keys k JOIN accounts a"
             " ON a.id = k.account_id WHERE k.ezkey IN ({})")


def _write_rows(tx, jobs: list[_Job], refused: list[_Job]) -> dict[int, int]:
    rows = _each_jobs_minute_rows(jobs)
    sids = {r[0] for r in rows}
    keys = sorted({j.ezkey for j in jobs if j.ezkey is not None})
    if tx.dialect == "sqlite" and len(keys) <= 500 and len(sids) <= 1000:
        # One statement for the key check and the watermarks (SQLite's write lock is held: no
        # locking clause needed). Each call hands the GIL over and back, so fewer is faster.
        ids = sorted(sids)
        keys_sql = (_KEYS_SQL.format(",".join("?" * len(keys))) if keys else
                    "SELECT NULL AS ezkey, NULL AS id, NULL AS ez_enabled, NULL AS stats_gen WHERE 0")
        result = tx.all(
            f"SELECT 0 AS part, * FROM ({keys_sql}) UNION ALL SELECT 1, NULL, MIN(folded_to), MAX(folded_to),"
            f" COUNT(*) FROM stats WHERE id IN ({','.join('?' * len(ids))})", [*keys, *ids])
        found, low, high, n_marked = {}, NO_MARK, -1, 0
        for r in result:
            if r["part"] == 0:
                found[r["ezkey"]] = (r["ezkey"], r["id"], r["ez_enabled"], r["stats_gen"])
            elif r["stats_gen"]:  # the watermark row: MIN, MAX, COUNT
                low, high, n_marked = int(r["id"]), int(r["ez_enabled"]), int(r["stats_gen"])
    else:
        found = {}
        lock = " LOCK IN SHARE MODE" if tx.dialect == "mysql" else ""
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            for r in tx.all(_KEYS_SQL.format(",".join("?" * len(chunk))) + lock, chunk):
                found[r["ezkey"]] = (r["ezkey"], r["id"], r["ez_enabled"], r["stats_gen"])
        low, high, n_marked = _mark_range(tx, sids)
    live = _check_accounts(tx, jobs, found, refused)
    if len(live) < len(jobs):
        # Only the live jobs' rows; the watermarks read cover a superset of their stats, which only
        # makes the checks below more careful.
        rows = _each_jobs_minute_rows(live)
    if not rows:
        return {}
    # Rows of different requests for the same bucket are not merged here: the upsert adds each in
    # turn (on both backends), which is the same sum, and a job's own rows stay intact for a retry.
    rows.sort()  # one global key order keeps concurrent writers from deadlocking each other in InnoDB
    newest = _newest(rows)
    if n_marked < len(sids) or high > min(map(_TS, rows)):
        # Some row may be behind its stat's watermark (or a stat has no stats row): look closer.
        rows.extend(_behind_the_watermark(tx, rows, newest))
        rows.sort()
    upsert_rollups(tx, rows)
    return _plan(newest, low)


def _plan(newest: dict[int, int], low: int) -> dict[int, int]:
    """Fold the hours FOLD_LAG behind each stat's newest minute written; fold() itself skips
    stats whose watermark is already there."""
    plan = {}
    for sid, ts in newest.items():
        upto = ts - ts % HOUR - FOLD_LAG
        if upto > low:
            plan[sid] = upto
    return plan


def _mark_range(tx, stat_ids) -> tuple[int, int, int]:
    """(lowest, highest watermark, stats found) under a shared lock on every one of these stats rows
    (MySQL) until commit: one row back however many stats, and no fold of them meanwhile."""
    ids = sorted(stat_ids)
    lock = " LOCK IN SHARE MODE" if tx.dialect == "mysql" else ""
    low, high, found = NO_MARK, -1, 0
    for i in range(0, len(ids), 1000):
        chunk = ids[i:i + 1000]
        r = tx.one(f"SELECT MIN(folded_to) AS lo, MAX(folded_to) AS hi, COUNT(*) AS n FROM stats"
                   f" WHERE id IN ({','.join('?' * len(chunk))}){lock}", chunk)
        if r and r["n"]:
            low, high, found = min(low, int(r["lo"])), max(high, int(r["hi"])), found + int(r["n"])
    return low, high, found


def _behind_the_watermark(tx, rows: list, stat_ids) -> list:
    """The hour and day rows of every minute row behind its stat's watermark (the fold has passed
    it). A stat without a stats row (purged) gets all three rows: nothing folds it."""
    ids = sorted(stat_ids)
    marks = {}
    for i in range(0, len(ids), 1000):
        chunk = ids[i:i + 1000]
        for r in tx.all("SELECT s.id, s.folded_to, a.timezone FROM stats s JOIN accounts a ON a.id = s.account_id"
                        f" WHERE s.id IN ({','.join('?' * len(chunk))})", chunk):
            marks[r["id"]] = (int(r["folded_to"]), r["timezone"])
    coarse: dict[tuple[int, int, int], list] = {}
    for sid, _, ts, total, n, lo, hi in rows:
        mark, tz = marks.get(sid, (NO_MARK, "UTC"))
        if ts >= mark:
            continue
        day = ts - ts % DAY if tz == "UTC" else local_day_start(ts, tz)
        for key in ((sid, HOUR, ts - ts % HOUR), (sid, DAY, day)):
            accumulate(coarse, key, total, n, lo, hi)
    return [(*k, *v) for k, v in coarse.items()]


_CHECK_SQL = _KEYS_SQL + " LOCK IN SHARE MODE"
_MARKS_SQL = "SELECT MIN(folded_to), MAX(folded_to), COUNT(*) FROM stats WHERE id IN ({}) LOCK IN SHARE MODE"


def _write_mysql(tx, jobs: list[_Job], refused: list[_Job]):
    """The same transaction as _check_accounts + _write_rows. Nearly always in one round trip
    (_one_trip); when that finds something to look at closer (an account changed, a row behind
    its stat's watermark), in two: START TRANSACTION, the key check, the watermarks and the minute
    rows in one, COMMIT in the other. Returns the fold plan, or None (rolled back) when a request's
    account changed: the caller then writes the rest the general way."""
    rows = _minute_rows(jobs)
    sids = sorted({r[0] for r in rows})
    # Small commits (single posts) only: there the saved round trip is a tenth of the commit, and
    # the rows are a derived table of literals (a big one costs parsing; bulk keeps its plain
    # upserts). MariaDB only: the locking subqueries are tested against it, not against MySQL.
    if len(rows) <= ONE_TRIP_ROWS and "MariaDB" in tx.conn.get_server_info() and _one_trip(tx, jobs, rows, sids):
        # The statement did not read the watermarks back: plan every stat's fold, and let
        # PointWriter._finish drop what it already planned (one fold per stat and hour, which
        # skips a stat already folded).
        return _plan(_newest(rows), -1)
    keys = sorted({j.ezkey for j in jobs if j.ezkey is not None})
    parts: list[tuple[str, tuple]] = [("START TRANSACTION", ())]
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        parts.append((_CHECK_SQL.format(",".join("?" * len(chunk))), tuple(chunk)))
    n_checks = len(parts) - 1
    for i in range(0, len(sids), 1000):
        chunk = sids[i:i + 1000]
        parts.append((_MARKS_SQL.format(",".join("?" * len(chunk))), tuple(chunk)))
    n_marks = len(parts) - 1 - n_checks
    parts.extend((sql, ()) for sql in mysql_upserts(rows))
    results = tx.script(parts)
    found = {r[0]: r for res in results[1:1 + n_checks] for r in res}
    _check_accounts(tx, jobs, found, refused)
    if refused:
        tx.script([("ROLLBACK", ())])
        return None
    low, high, marked = NO_MARK, -1, 0
    for res in results[1 + n_checks:1 + n_checks + n_marks]:
        lo_, hi_, n = res[0]
        if n:
            low, high, marked = min(low, int(lo_)), max(high, int(hi_)), marked + int(n)
    tail: list[tuple[str, tuple]] = []
    if marked < len(sids) or high > min(map(_TS, rows)):
        tail.extend((sql, ()) for sql in mysql_upserts(sorted(_behind_the_watermark(tx, rows, sids))))
    tx.script([*tail, ("COMMIT", ())])
    return _plan(_newest(rows), low)


def _minute_rows(jobs: list[_Job]) -> list[tuple]:
    """The jobs' minute rows sorted by key. Small commits merge the rows of different requests for
    one bucket into one, as the upsert would add them in turn: concurrent single posts to one stat
    are then one row of the statement, not one each (each costs mariadbd a duplicate-key update).
    The jobs' own batches stay as they are, for a retry of each alone. Bulk commits rarely share a
    bucket across requests, and a dict step per row would cost more than it saves."""
    if len(jobs) > 1 and sum(len(j.batch) for j in jobs) <= 3 * ONE_TRIP_ROWS:
        merged: dict[tuple[int, int, int], list] = {}
        for j in jobs:
            for key, v in j.batch.rows.items():
                if key[1] == MINUTE:
                    accumulate(merged, key, *v)
        rows = [(*k, *v) for k, v in merged.items()]
    else:
        rows = _each_jobs_minute_rows(jobs)
    rows.sort()
    return rows


def _each_jobs_minute_rows(jobs: list[_Job]) -> list[tuple]:
    """Every job's minute rows as (stat_id, res, ts, total, n, lo, hi), unmerged and unsorted."""
    return [(sid, res, ts, *v) for j in jobs for (sid, res, ts), v in j.batch.rows.items() if res == MINUTE]


def _newest(rows) -> dict[int, int]:
    """Each stat's newest minute among minute rows sorted by key: its last row wins (no Python
    loop per row: this runs for every point of a bulk post)."""
    return {r[0]: r[2] for r in rows}


def _one_trip(tx, jobs: list[_Job], rows: list, sids: list[int]) -> bool:
    """The whole commit as one autocommit statement: INSERT ... SELECT of the minute rows WHERE
    every request's key, EZ switch and stats generation are as validated and no row is behind its
    stat's watermark, both read by subqueries under shared locks (so a fold or a key change waits
    for this commit, or this statement waits for theirs and reads what they committed). True when
    the rows were written; False when nothing was (look closer). A post's latency is mostly round
    trips to the server (each a wake-up on an idle machine): this is one. Measured against the
    BEGIN NOT ATOMIC block it replaces (same checks, then IF ... COMMIT), one-row commits in one
    sitting: 147-153 against 207-220 us of mariadbd CPU, 241 against 320 us wall (bench/README.md,
    2026-12-07); the form of the checks (joined, split, locked or not) moved neither."""
    expect = sorted({(j.ezkey, j.account_id, j.stats_gen) for j in jobs if j.ezkey is not None})
    keys = sorted({e[0] for e in expect})
    if len(keys) > 500:
        return False
    where, args = [], []
    if expect:
        where.append("(SELECT COUNT(*) FROM ez_keys k JOIN accounts a ON a.id = k.account_id"
                     f" WHERE k.ezkey IN ({','.join('?' * len(keys))}) AND a.ez_enabled"
                     f" AND (k.ezkey, a.id, a.stats_gen) IN ({','.join(['(?,?,?)'] * len(expect))})"
                     f" LOCK IN SHARE MODE) = {len(expect)}")
        args += [*keys, *(x for e in expect for x in e)]
    where.append(f"(SELECT COUNT(*) = {len(sids)} AND MAX(folded_to) <= {int(min(map(_TS, rows)))} FROM stats"
                 f" WHERE id IN ({','.join('%d' % i for i in sids)}) LOCK IN SHARE MODE)")  # noqa: UP031
    (count,) = tx.script([(mysql_upsert_where(rows, " AND ".join(where)), tuple(args))])
    return count > 0  # 1 per row added, 2 per row updated (n always grows): 0 is "nothing written"

