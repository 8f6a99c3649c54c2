"""Group commit for points.

Request threads hand their merged rollup rows to one writer thread per process and wait. The
writer takes everything queued, merges it (concurrent time-major posts share their hour and day
rows), writes it in one transaction and only then wakes the requests: a reply of success still
means the data is committed, but many requests share one commit and one round of row upserts.
SQLite wants a single writer anyway; on MariaDB it cuts row upserts and fsyncs.
"""

from __future__ import annotations

import queue
import threading
import time

from app import monitoring
from app.rollups import RollupBatch  # noqa: F401  (the type handed over)
from app.storage.points import CHUNK, upsert_rollups

MAX_ROWS_PER_COMMIT = 20000


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
            merged = job.batch  # write() callers never touch their batch again: merge in place
            stop = False
            while len(merged) < MAX_ROWS_PER_COMMIT:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                jobs.append(more)
                merged.merge(more.batch, adopt=True)
            rows = merged.sorted_rows()
            t0 = time.perf_counter()
            try:
                self.db.run(lambda tx, rows=rows: upsert_rollups(tx, rows), one_statement=len(rows) <= CHUNK)
            except BaseException as exc:  # every waiting request learns the outcome
                for j in jobs:
                    j.error = exc
            else:  # self-monitoring (no-op when off): group-commit size and time
                monitoring.value("commit rows", len(rows))
                monitoring.value("commit requests", len(jobs))
                monitoring.value("commit ms", (time.perf_counter() - t0) * 1000)
            for j in jobs:
                j.done.set()
            if stop:
                return
