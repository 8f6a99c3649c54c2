"""How fast this machine runs the first milliseconds of work after an idle pause.

    .venv/bin/python bench/cpu_after_idle.py [--rounds 60]

One thread, a fixed Python loop of k iterations, timed right after sleeping 0 / 1 / 5 / 20 / 100 ms
(medians). On the VMs these benches run on, the first ~2 ms after a pause of 5 ms or more ran at
about half the speed of the same loop run back to back (bench/README.md, 2026-12-03): from
inside the guest it cannot be told whether the host clocks an idle CPU down or its caches go cold,
but the effect is the same. So a request served after an idle moment takes about twice its CPU
time however it is served; a latency made of a few such requests (post until readable) is about
twice their CPU, and graphite's, made of more work, pays the same toll over a smaller share of it.
It also prints a thread hand-over and a socket echo, both ways, to show that waking a thread is
not where that time goes.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import threading
import time

PAUSES = (0.0, 0.001, 0.005, 0.02, 0.1)
SIZES = (2_000, 5_000, 10_000, 20_000, 40_000, 80_000)


def work(k: int) -> int:
    s = 0
    for i in range(k):
        s += i * i
    return s


def after(pause: float, fn, rounds: int) -> float:
    """Median microseconds of fn() right after sleeping pause seconds."""
    out = []
    for _ in range(rounds):
        if pause:
            time.sleep(pause)
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1e6)
    return statistics.median(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=60)
    args = p.parse_args(argv)
    print(f"{'loop':>8} " + " ".join(f"{f'after {x * 1000:g} ms':>14}" for x in PAUSES) + "   slowest/back-to-back")
    for k in SIZES:
        times = [after(x, lambda k=k: work(k), args.rounds) for x in PAUSES]
        print(f"{k:>8} " + " ".join(f"{t:>11.0f} us" for t in times) + f"   {max(times) / times[0]:.2f}x")

    ping, pong = threading.Event(), threading.Event()

    def peer():
        while True:
            ping.wait()
            ping.clear()
            pong.set()

    def hand_over():
        ping.set()
        pong.wait()
        pong.clear()

    threading.Thread(target=peer, daemon=True).start()
    a, b = socket.socketpair()

    def echo():
        while True:
            b.send(b.recv(64))

    threading.Thread(target=echo, daemon=True).start()

    def round_trip():
        a.send(b"x")
        a.recv(64)

    for label, fn in (("thread hand-over and back", hand_over), ("socket echo by a thread", round_trip)):
        print(f"{label}: back to back {after(0, fn, args.rounds):.0f} us, after 20 ms "
              f"{after(0.02, fn, args.rounds):.0f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
