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
"""

from __future__ import annotations

import queue
import threading

from app.errors import Invalid
from app.rollups import RollupBatch
from app.storage.points import CHUNK, upsert_rollups

MAX_ROWS_PER_COMMIT = 20000
REFUSED = "these points cannot be added to the stored totals: a sum would leave the range a number may hold"


class _Job:
    __slots__ = ("batch", "done", "error")

    def __init__(self, batch: RollupBatch):
        self.batch = batch
        self.done = threading.Event()
        self.error: BaseException | None = None


class PointWriter:
    def __init__(self, db):
        self.db = db
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="eyrie-point-writer", daemon=True)
        self._thread.start()

    def write(self, batch: RollupBatch) -> None:
        """Block until the batch is committed; raise what the transaction raised otherwise."""
        if not batch.rows:
            return
        job = _Job(batch)
        self._queue.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            jobs = [job]
            stop = False
            rows = len(job.batch)
            while rows < MAX_ROWS_PER_COMMIT:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                jobs.append(more)
                rows += len(more.batch)
            self._commit(jobs)
            for j in jobs:
                j.done.set()
            if stop:
                return

    def _commit(self, jobs: list[_Job]) -> None:
        if len(jobs) == 1:
            jobs[0].error = self._write(jobs[0].batch)
            return
        # A fresh batch that copies the rows: each job's own rows stay intact for a retry alone.
        merged = RollupBatch()
        for j in jobs:
            merged.merge(j.batch)
        error = self._write(merged)
        if error is None:
            return
        if not isinstance(error, Invalid):  # the database is down, say: every request learns it
            for j in jobs:
                j.error = error
            return
        for j in jobs:  # nothing was committed: isolate the request whose rows the database refuses
            j.error = self._write(j.batch)

    def _write(self, batch: RollupBatch) -> BaseException | None:
        """Commit one batch; return None, Invalid for rows the database refuses, or what was raised."""
        rows = batch.sorted_rows()
        try:
            self.db.run(lambda tx: upsert_rollups(tx, rows), one_statement=len(rows) <= CHUNK)
        except BaseException as exc:
            if self.db.is_data_error(exc):
                return Invalid(REFUSED)
            return exc
        return None
