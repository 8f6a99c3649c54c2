"""A wrong password for an unknown email vs a known one: the same scrypt work, so the same time.

Run by hand (makes and removes its own SQLite file):

    .venv/bin/python bench/login_timing.py [--rounds 10]

Interleaves `authenticate(db, email, "wrong")` for a known and an unknown email (after one warm-up
each, which also makes the dummy hash once) and prints the medians and unknown / known. Target:
between 0.8 and 1.25 (before issue 8 it was about 0.04: scrypt was skipped for unknown emails).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.errors import Forbidden  # noqa: E402
from app.interactors.accounts import authenticate, create_account  # noqa: E402
from app.storage.db import Database  # noqa: E402
from app.storage.migrate import migrate  # noqa: E402


def timed(db, email: str) -> float:
    t = time.perf_counter()
    try:
        authenticate(db, email, "not-the-password")
    except Forbidden:
        pass
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        migrate(db)
        create_account(db, "known@example.com", "the-password", int(time.time()))
        timed(db, "known@example.com"), timed(db, "unknown@example.com")   # warm-up
        known, unknown = [], []
        for i in range(args.rounds):   # alternate which goes first: the machine is shared and noisy
            pair = [(known, "known@example.com"), (unknown, f"unknown{i}@example.com")]
            for out, email in pair[::-1] if i % 2 else pair:
                out.append(timed(db, email))
        db.close()
    k, u = statistics.median(known), statistics.median(unknown)
    print(f"known email, wrong password:   median {k * 1000:7.1f} ms  ({args.rounds} rounds)")
    print(f"unknown email:                 median {u * 1000:7.1f} ms")
    print(f"unknown / known:               {u / k:.2f}  (target 0.8 .. 1.25)")


if __name__ == "__main__":
    main()
