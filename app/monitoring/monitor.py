"""The I/O half of self-monitoring: the flusher thread, the gauges it samples, the WSGI timer."""

from __future__ import annotations

import logging
import os
import threading
import time

from werkzeug.wsgi import ClosingIterator

from app import monitoring
from app.monitoring.figures import Figures, route_group

log = logging.getLogger("eyrie.monitoring")
MIN_EVERY, MAX_EVERY = 10, 60
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_mb() -> float | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE / 1e6
    except (OSError, ValueError, IndexError):
        return None


class SelfMonitor:
    def __init__(self, db, ezkey: str, role: str, every: float = 30, clock=time.time):
        # Its reads and writes go to the primary (a replica could hide the dashboard another process
        # just made); the routed database is kept for its replica lags.
        self.routed = db
        self.db = getattr(db, "primary", db)
        self.ezkey = ezkey
        self.role = role
        self.every = min(max(every, MIN_EVERY), MAX_EVERY)
        self.clock = clock
        self.figures = Figures(f"eyrie {role}")
        self.dashboard_id: int | None = None
        self.flushes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> None:
        """Gauges, read at flush time."""
        rss = rss_mb()
        if rss is not None:
            self.figures.value("rss mb", rss)
        writer = getattr(self.db, "_writer", None)   # only a process that wrote points has one
        queue = getattr(writer, "_queue", None)
        if queue is not None:
            self.figures.value("writer queue", queue.qsize())
        lags = getattr(self.routed, "lags", None)
        if callable(lags):
            known = [v for v in lags().values() if v is not None]
            if known:
                self.figures.value("replica lag ms", max(known) * 1000)
            self.figures.count("replicas skipped", sum(1 for v in lags().values() if v is None))

    def flush(self, now: int | None = None) -> int:
        from app.interactors.self_monitor import ensure_health_dashboard, record_figures

        now = int(self.clock()) if now is None else now
        self.sample()
        figures = self.figures.drain()
        try:
            if self.dashboard_id is None:
                self.dashboard_id = ensure_health_dashboard(self.db, self.ezkey, now)
                if self.dashboard_id is None:
                    log.warning("self-monitoring: no account with the EZ key %s yet; figures dropped", self.ezkey)
                    return 0
            stored = record_figures(self.db, self.ezkey, figures, now)
        except Exception:  # monitoring must never take the process down
            log.exception("self-monitoring flush failed")
            return 0
        self.flushes += 1
        return stored

    def start(self) -> SelfMonitor:
        monitoring.set_active(self.figures)
        self._thread = threading.Thread(target=self._loop, name="eyrie-self-monitor", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.flush()

    def stop(self) -> None:
        self._stop.set()
        if monitoring.active() is self.figures:
            monitoring.set_active(None)


class RequestTimer:
    """WSGI middleware: requests and latency (until the body is sent) per route group."""

    def __init__(self, app, figures: Figures):
        self.app = app
        self.figures = figures

    def __call__(self, environ, start_response):
        t0 = time.perf_counter()
        group = route_group(environ.get("PATH_INFO", ""))
        status = []

        def _start(code, headers, exc_info=None):
            status.append(code)
            return start_response(code, headers, exc_info)

        def _done():
            self.figures.count(f"{group} requests")
            self.figures.value(f"{group} ms", (time.perf_counter() - t0) * 1000)
            if status and status[0][:1] == "5":
                self.figures.count(f"{group} 5xx")

        return ClosingIterator(self.app(environ, _start), [_done])


def install(app, role: str, config, db):
    """Wrap a WSGI app and start the flusher when EYRIE_SELF_MONITOR names an account."""
    if not config.self_monitor:
        return app
    monitor = SelfMonitor(db, config.self_monitor, role, config.self_monitor_every).start()
    wrapped = RequestTimer(app, monitor.figures)
    wrapped.monitor = monitor
    return wrapped
