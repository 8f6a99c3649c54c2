"""The HTTP servers `python -m app serve` runs: waitress (the default) or, with --server granian
(EYRIE_SERVER=granian), Granian.

Why a second server: under single posts, the traffic most StatHat clients send, waitress itself
is most of the ingest process's CPU (its pure-Python HTTP parsing and three thread hand-offs per
request: bench/README.md, issue 9). Granian parses HTTP in Rust and calls the same WSGI app from
a few Python threads; the app, its replies and "a success reply means committed" are the same.
It forks its worker process, so the app is built there (granian_app), never in the parent.
"""

from __future__ import annotations

import logging
import os

SERVERS = ("waitress", "granian")  # the first is the default
# Python threads serving requests, unless --threads says. They bound the posts in flight at once,
# and so how many share one commit (writer.py gathers those in flight): with 8 keep-alive clients
# posting, granian with 8 threads served 1.17x (SQLite) and 1.51x (MariaDB) the posts/s of 4
# threads, and with 4 clients 1.09-1.10x (bench/README.md, 2026-12-08).
THREADS = {"waitress": 8, "granian": 8}
ROLE_ENV = "EYRIE_SERVE_ROLE"  # how the role reaches granian's forked worker
CPU_ENV = "EYRIE_CPU"  # the CPUs `serve` keeps its process on (e.g. "0" or "0,2-3"); unset = any


def parse_cpus(raw: str) -> frozenset[int]:
    """A CPU list as taskset spells it ("0", "0,2", "1-3"); ValueError says what is wrong."""
    cpus: set[int] = set()
    for part in raw.replace(" ", "").split(","):
        lo, sep, hi = part.partition("-")
        if not lo.isdigit() or (sep and not hi.isdigit()):
            raise ValueError(f"{CPU_ENV}={raw!r}: a CPU list, like 0 or 0,2 or 1-3")
        first, last = int(lo), int(hi) if sep else int(lo)
        if last < first:
            raise ValueError(f"{CPU_ENV}={raw!r}: the range {part} runs backwards")
        cpus.update(range(first, last + 1))
    return frozenset(cpus)


def keep_to_cpus(raw: str) -> None:
    """Keep this process (and what it forks: granian's worker) on the CPUs listed.

    Why one might: a Python server's threads share one interpreter lock, and on these VMs handing
    it between threads on two CPUs costs a wake-up of the other CPU each time. Measured in one
    sitting (bench/README.md, 2026-12-03): the ingest no-op under waitress with 2-4 keep-alive
    clients served 1,270-1,380 req/s free to use both CPUs and 2,090-2,700 kept on the CPU the
    client itself ran on; bench-peer's single posts 1.4-1.5x under waitress, 1.2-1.4x under granian,
    bulk 0.83-1.19x (granian's Rust threads lose the second CPU). Opt-in: the scheduler can no
    longer move the process off a busy CPU, so give each process of a many-process install its own
    CPU (deploy/README.md)."""
    cpus = parse_cpus(raw)
    try:
        os.sched_setaffinity(0, cpus)
    except OSError:
        allowed = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
        raise ValueError(f"{CPU_ENV}={raw!r}: this process may run on CPUs {allowed} only") from None


def serve(app, host: str, port: int, threads: int = 8, max_body: int = 4 * 1024 * 1024) -> None:
    """waitress, until the process is stopped."""
    collect_less()
    waitress_server(app, host, port, threads, max_body).run()


def collect_less() -> None:
    """Once the app is built: what exists now (modules, Flask, templates) lives as long as the
    process, so the cyclic collector stops walking it (gc.freeze), and it runs every 20,000 new
    container objects instead of 700. A bulk request decodes 1,000 dicts and builds 1,000 rows that
    stay alive until its commit, so at 700 each of them was walked and promoted a few times; the
    requests' own objects are freed by reference counting either way. Measured, 1000x100 bulk
    against the default, alternating rounds (bench/ab_bulk.py): 7-12 % less server CPU per point."""
    import gc

    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def waitress_server(app, host: str, port: int, threads: int = 8, max_body: int = 4 * 1024 * 1024):
    """A waitress server, not yet running. max_body: the app's own limit; waitress would otherwise
    take up to 1 GB of a body (spooled to a temporary file) before the app could refuse it, so it
    refuses a larger Content-Length itself, before reading the body."""
    import waitress

    # waitress logs a line for every queued request under load; keep the warnings that matter.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = waitress.create_server(app, host=host, port=port, threads=threads, ident="eyrie", channel_timeout=30,
                                    connection_limit=1000, max_request_body_size=max_body + 1)
    _patch_waitress_tasks(server)
    return server


def _patch_waitress_tasks(server) -> None:
    """Two fixes to how waitress 3.0 answers, in its task class:

    Keep-alive after a 204. waitress closes every HTTP/1.1 response that has no Content-Length,
    even a 204, which has no body by definition and must not carry a Content-Length. A single-stat
    post answers 204 when asked (vb=0 or EYRIE_TERSE_REPLIES), so a keep-alive client paid a new
    TCP connection per post. Keep the connection for bodiless answers; every other reason to close
    (Connection: close, HTTP/1.0, errors) still closes.

    One send for the head and the first body bytes. waitress sends them as two segments (its
    send_bytes is 1), and with two to four keep-alive clients a request took 4-6 ms. Measured in one
    sitting (bench/README.md, 2026-12-03): the ingest no-op under wrk, 2 and 4 connections, 490-570
    and 670-780 req/s before, 1,150-1,380 and 1,330-2,270 after (one connection: 3,200-3,400 both);
    bench-peer's single posts 1.4x. send_bytes=18000 would merge them too, but is deprecated and
    moves every send to the main loop."""
    from waitress.channel import HTTPChannel
    from waitress.server import BaseWSGIServer
    from waitress.task import WSGITask

    def _no_close() -> None:
        pass

    class Task(WSGITask):
        def write(self, data):
            if self.wrote_header or not data or type(data) is not bytes:
                return super().write(data)
            # The head and the first chunk are queued together: write_soon, shadowed on this
            # channel for one call of waitress's own write(), collects what it would send.
            channel = self.channel
            parts: list[bytes] = []
            channel.write_soon = parts.append
            try:
                super().write(data)
            finally:
                del channel.write_soon
            if parts:
                channel.write_soon(b"".join(parts))

        def build_response_header(self):
            if (self.has_body or self.version != "1.1" or self.close_on_finish
                    or self.request.headers.get("CONNECTION", "").lower() == "close"):
                return super().build_response_header()
            self.set_close_on_finish = _no_close  # only the missing Content-Length of a 204/304 gets here
            try:
                return super().build_response_header()
            finally:
                del self.set_close_on_finish

    class Channel(HTTPChannel):
        task_class = Task

    servers = [server] if isinstance(server, BaseWSGIServer) else list(getattr(server, "map", {}).values())
    for s in servers:
        if isinstance(s, BaseWSGIServer):
            s.channel_class = Channel


def serve_granian(role: str, host: str, port: int, threads: int = THREADS["granian"]) -> None:
    """Granian, one worker process, `threads` Python threads calling the app (WSGI).

    Bodies are streamed to the app as it reads them (an oversized one gets the app's 413 after a
    few KB), keep-alive is on, and the server's access log is off like waitress's."""
    from granian import Granian
    from granian.constants import Interfaces

    os.environ[ROLE_ENV] = role
    Granian("app.serving:granian_app", address=host, port=port, interface=Interfaces.WSGI, workers=1,
            blocking_threads=max(1, threads), factory=True, log_access=False, websockets=False,
            respawn_failed_workers=True).serve()


def granian_app():
    """The app for granian's worker: built after the fork, so its database connections and writer
    thread are the worker's own."""
    from app.wsgi import create_app

    app = create_app(os.environ.get(ROLE_ENV, "all"))
    collect_less()
    return app
