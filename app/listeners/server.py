"""The listeners' I/O: StatsD over UDP, Graphite plaintext over TCP and UDP on one port, and the
flush loop that hands each interval's metrics to the ingest interactors in one bulk commit.

Receiving never waits for the database: a flush swaps the aggregates out and writes them in a
worker thread while the event loop keeps reading sockets. A flush the database refused is kept
and retried with the next one (up to MAX_PENDING metrics, then the oldest are dropped and
counted). Malformed input is counted and skipped; nothing a sender can send stops the listener.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import time
from dataclasses import dataclass, field

from app.errors import EyrieError
from app.ingest_rules import DEFAULT_LIMITS
from app.interactors.listeners import store_flush
from app.listeners import plaintext, statsd
from app.listeners.routing import split_token

log = logging.getLogger("eyrie.listen")

MAX_LINE = 64 * 1024
MAX_BUFFER = 500_000  # Graphite points held before an early flush
MAX_PENDING = 1_000_000
DRAIN_SECONDS = 2.0
UDP_BURST = 1000  # datagrams read per wake-up before other work gets a turn
UDP_RCVBUF = 8 * 1024 * 1024  # asked for; the kernel caps it at net.core.rmem_max


def parse_addr(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


@dataclass
class Counts:
    statsd_lines: int = 0
    graphite_lines: int = 0
    malformed: int = 0
    stored: int = 0
    unknown_token: int = 0
    rejected: int = 0
    dropped: int = 0  # shed while the database was far behind (pending or unflushed points over their caps)
    flushes: int = 0
    last_errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "last_errors"}

    def note(self, error: str) -> None:
        self.last_errors = (self.last_errors + [error])[-10:]


class _StatsdProtocol:
    def __init__(self, listener: Listener):
        self.listener = listener

    def datagram_received(self, data, addr):
        self.listener.aggregator.add_datagram(data)


class _GraphiteUdp:
    def __init__(self, listener: Listener):
        self.listener = listener

    def datagram_received(self, data, addr):
        for line in data.decode("utf-8", "replace").splitlines():
            self.listener.graphite_line(line)


def _udp_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RCVBUF)
    except OSError:
        pass
    sock.bind((host, port))
    sock.setblocking(False)
    return sock


class Listener:
    def __init__(self, db, *, statsd_addr=None, graphite_addr=None, account: dict | None = None,
                 flush_interval: float = 10.0, counter_patterns=plaintext.DEFAULT_COUNTER_PATTERNS,
                 clock=time.time, limits=DEFAULT_LIMITS):
        self.db = db
        self.limits = limits
        self.statsd_addr = statsd_addr
        self.graphite_addr = graphite_addr
        self.account = account
        self.flush_interval = flush_interval
        self.patterns = plaintext.CounterPatterns(counter_patterns)
        self.clock = clock
        self.aggregator = statsd.Aggregator()
        self.points: list[tuple[str, str, float, int]] = []
        self.pending: list[tuple[str, str, float, int]] = []
        self.counts = Counts()
        self.bound: dict[str, tuple[str, int]] = {}
        self._stop = asyncio.Event()
        self._early = asyncio.Event()
        self._closers: list = []
        self._udp: list[tuple[socket.socket, object]] = []  # (socket, protocol): drained on stop
        self._conns: set[asyncio.Task] = set()
        self._flush_lock = asyncio.Lock()

    # -- receiving ----------------------------------------------------------------------------

    def graphite_line(self, line: str) -> None:
        try:
            parsed = plaintext.parse_line(line, int(self.clock()))
        except plaintext.Malformed as exc:
            self.counts.malformed += 1
            self.counts.note(f"graphite: {exc}: {line[:80]!r}")
            return
        if parsed is None:
            return
        path, value, ts = parsed
        self.counts.graphite_lines += 1
        if len(self.points) >= 4 * MAX_BUFFER:  # the database has fallen far behind: shed, and count it
            self.counts.dropped += 1
            return
        own = path if self.account is not None else (split_token(path) or ("", path))[1]
        self.points.append((path, self.patterns.kind(own), value, ts))
        if len(self.points) >= MAX_BUFFER:
            self._early.set()

    async def _graphite_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._conns.add(task)
        task.add_done_callback(self._conns.discard)
        try:
            while True:
                try:
                    line = await reader.readline()
                except (asyncio.LimitOverrunError, ValueError):
                    self.counts.malformed += 1
                    self.counts.note("graphite: line longer than 64 KiB; connection closed")
                    break
                if not line:
                    break
                self.graphite_line(line.decode("utf-8", "replace"))
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.statsd_addr:
            sock = _udp_socket(*self.statsd_addr)
            self._add_udp(loop, sock, _StatsdProtocol(self))
            self.bound["statsd"] = sock.getsockname()[:2]
        if self.graphite_addr:
            server = await asyncio.start_server(self._graphite_tcp, *self.graphite_addr, limit=MAX_LINE)
            self._closers.append(server.close)
            host, port = server.sockets[0].getsockname()[:2]
            self._add_udp(loop, _udp_socket(host, port), _GraphiteUdp(self))
            self.bound["graphite"] = (host, port)

    def _add_udp(self, loop, sock: socket.socket, proto) -> None:
        """Read the socket straight from the event loop: one wake-up drains every datagram queued
        (asyncio's datagram transport takes one per loop turn, which halves what a busy loop keeps up with)."""
        self._udp.append((sock, proto))
        loop.add_reader(sock.fileno(), self._read_udp, sock, proto.datagram_received)

        def close():
            loop.remove_reader(sock.fileno())
            sock.close()

        self._closers.append(close)

    @staticmethod
    def _read_udp(sock: socket.socket, handle) -> None:
        recv = sock.recv
        for _ in range(UDP_BURST):
            try:
                data = recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. ICMP errors reported on the socket: keep reading next time
                return
            handle(data, None)

    def stop(self) -> None:
        self._stop.set()

    async def run(self, on_ready=None) -> Counts:
        await self.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, self.stop)
            except (NotImplementedError, RuntimeError):  # not the main thread
                pass
        if on_ready:
            on_ready(self.bound)
        while not self._stop.is_set():
            waits = [asyncio.create_task(self._stop.wait()), asyncio.create_task(self._early.wait())]
            await asyncio.wait(waits, timeout=self.flush_interval, return_when=asyncio.FIRST_COMPLETED)
            for w in waits:
                w.cancel()
            self._early.clear()
            if self._stop.is_set():
                break
            await self.flush()
        await self._drain()
        await self.flush()
        return self.counts

    async def _drain(self) -> None:
        """Stop: read what the kernel already holds for the UDP sockets, let open TCP senders
        finish (up to DRAIN_SECONDS), then close, so the last flush has everything sent so far."""
        for sock, proto in self._udp:
            while True:
                try:
                    data = sock.recv(65536)
                except (BlockingIOError, InterruptedError, OSError):
                    break
                proto.datagram_received(data, None)
        await asyncio.sleep(0.05)  # connections the kernel accepted just now get their handler
        if self._conns:
            await asyncio.wait(list(self._conns), timeout=DRAIN_SECONDS)
        for close in self._closers:
            close()
        await asyncio.sleep(0)

    # -- flushing -----------------------------------------------------------------------------

    def take(self) -> list[tuple[str, str, float, int]]:
        """Everything received since the last flush, as (name, kind, number, t)."""
        now = int(self.clock())
        agg = self.aggregator
        self.counts.statsd_lines += agg.lines
        self.counts.malformed += agg.malformed
        if agg.malformed:
            self.counts.note(f"statsd: {agg.last_error}")
        agg.lines = agg.malformed = 0
        metrics = [(name, kind, number, now) for name, kind, number in agg.flush()]
        metrics += self.points
        self.points = []
        return metrics

    async def flush(self) -> None:
        async with self._flush_lock:
            metrics = self.pending + self.take()
            self.pending = []
            if not metrics:
                return
            now = int(self.clock())
            loop = asyncio.get_running_loop()
            try:
                report = await loop.run_in_executor(None, store_flush, self.db, metrics, now, self.account,
                                                    self.limits)
            except EyrieError as exc:  # the database is down: keep the flush for the next one
                log.warning("flush of %d metrics failed (%s); retrying with the next flush", len(metrics), exc.msg)
                over = max(0, len(metrics) - MAX_PENDING)
                self.counts.dropped += over
                self.pending = metrics[over:]
                return
            except Exception:
                log.exception("flush of %d metrics failed; retrying with the next flush", len(metrics))
                self.pending = metrics[-MAX_PENDING:]
                return
            c = self.counts
            c.flushes += 1
            c.stored += report.stored
            c.unknown_token += report.unknown_token
            c.rejected += report.rejected
            for r in report.reasons[:3]:
                c.note(f"rejected {r}")
            log.info("flush: %d stored, %d unknown token, %d rejected, %d malformed so far", report.stored,
                     report.unknown_token, report.rejected, c.malformed)
