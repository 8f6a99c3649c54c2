"""The background worker: alert checks, notification delivery, reports, new-stat mail, retention and
the trash purge. Each job is a `step(ctx, now)` that tests call with a pinned `now`; the loop runs
each job when its interval has passed. Work is claimed in the database, so several workers may run
at once. SIGTERM (or `stop()`) lets the current step finish, then the loop returns.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from app import monitoring

log = logging.getLogger("eyrie.worker")


@dataclass(frozen=True)
class Context:
    db: object
    config: object
    worker_id: str


@dataclass(frozen=True)
class Job:
    name: str
    every: int  # seconds
    step: Callable[[Context, int], dict]


def _alerts(ctx: Context, now: int) -> dict:
    from app.interactors.alerts import check_due

    return check_due(ctx.db, now)


def _notify(ctx: Context, now: int) -> dict:
    from app.interactors.notify import deliver_due

    return deliver_due(ctx.db, ctx.config, now, ctx.worker_id)


def _reports(ctx: Context, now: int) -> dict:
    from app.interactors.reports import send_due_reports

    return send_due_reports(ctx.db, ctx.config, now, ctx.worker_id)


def _new_stats(ctx: Context, now: int) -> dict:
    from app.interactors.reports import send_new_stat_mails

    return send_new_stat_mails(ctx.db, ctx.config, now)


def _retention(ctx: Context, now: int) -> dict:
    from app.interactors.retention import prune

    return prune(ctx.db, ctx.config.retention, now)


def _trash(ctx: Context, now: int) -> dict:
    from app.interactors.stats import purge_trash

    return {"purged": purge_trash(ctx.db, now)}


# In this order, so a check's notifications go out in the same round.
JOBS = (
    Job("alerts", 60, _alerts),
    Job("notify", 15, _notify),
    Job("reports", 60, _reports),
    Job("new_stats", 60, _new_stats),
    Job("retention", 3600, _retention),
    Job("trash", 3600, _trash),
)


def worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def run_job(job: Job, ctx: Context, now: int) -> dict:
    """Run one step; a failure is logged and reported, never raised (the loop must outlive a
    database restart or a broken SMTP server)."""
    t0 = time.perf_counter()
    try:
        result = job.step(ctx, now)
    except Exception as exc:
        log.exception("worker job %s failed", job.name)
        monitoring.count(f"{job.name} errors")
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}
    monitoring.value(f"{job.name} ms", (time.perf_counter() - t0) * 1000)
    if job.name == "notify":
        monitoring.count("notification failures", result.get("retry", 0) + result.get("failed", 0))
    return result


def run_once(db, config, now: int, worker: str | None = None) -> dict:
    """Every job once, in order: {job name: its summary}."""
    ctx = Context(db, config, worker or worker_id())
    return {job.name: run_job(job, ctx, now) for job in JOBS}


class Worker:
    def __init__(self, db, config, *, clock=time.time, tick: float = 1.0, jobs=JOBS):
        self.ctx = Context(db, config, worker_id())
        self.clock = clock
        self.tick = tick
        self.jobs = jobs
        self._stop = threading.Event()
        self.rounds = 0

    def stop(self, *_signal_args) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run_forever(self) -> None:
        next_run = {job.name: 0.0 for job in self.jobs}
        log.info("worker %s started", self.ctx.worker_id)
        while not self._stop.is_set():
            for job in self.jobs:
                if self._stop.is_set():
                    break
                now = self.clock()
                if now >= next_run[job.name]:
                    result = run_job(job, self.ctx, int(now))
                    if any(result.values()):
                        log.info("%s: %s", job.name, result)
                    next_run[job.name] = now + job.every
            self.rounds += 1
            self._stop.wait(self.tick)
        log.info("worker %s stopped", self.ctx.worker_id)


def start_thread(db, config) -> Worker:
    """For the dev server: the loop in a daemon thread (signals stay with the main thread)."""
    worker = Worker(db, config)
    threading.Thread(target=worker.run_forever, name="eyrie-worker", daemon=True).start()
    return worker
