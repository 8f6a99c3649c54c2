"""Where the ingest server's time goes: py-spy samples the live server under bench-peer's workload.

    .venv/bin/python bench/profile.py [--backend sqlite|mariadb] [--out var/profile]

Starts one ingest server (the code of the checkout this script is in), then for each phase
(1000x100 JSON bulk, warm, 3 rounds; 4 threads of single `/ez` posts for 5 s) runs
`py-spy record --format raw` against it, and prints the server CPU per point / per post measured
in the same phase split by the share of py-spy samples in each part of the code (the deepest
frame that matches a part below names it). py-spy samples threads that are not idle, so the split
is of the time those threads ran; the SQLite work of the writer thread is in it, MariaDB's is not
(that runs in mariadbd).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import proc_cpu, run_rate  # noqa: E402
from peer import Eyrie  # noqa: E402

from app.rollups import MINUTE  # noqa: E402
from app.serving import SERVERS  # noqa: E402

# (part, substrings of a frame "function (file:line)", or ^prefix), most specific first; the deepest
# match wins.
PARTS = [
    ("fold (after the commit)", ("fold (", "_fold_loop")),
    ("upsert+commit (SQL)", ("executemany", "commit (", "upsert_rollups", "script (app/storage/db", "mysql_upserts")),
    ("writer: read marks/accounts", ("_marks", "_check_accounts")),
    ("writer: merge/sort/queue", ("_write_rows", "_write_mysql", "_commit (", "sorted_rows", "merge (",
                                  "_loop (app/storage")),
    ("account read", ("account_by_ezkey",)),
    ("stat lookup/create", ("lookup (", "ensure_stats", "store (")),
    ("one-pass bulk items (check, stat id, row)", ("_record_known",)),
    ("rollup rows (batch.add)", ("add (app/rollups", "_write (app/interactors")),
    ("validate items", ("_parse_item", "record_ez", "expand_names", "parse_time", "kind_and_number",
                        "parse_number", "check_name", "__init__ (<string>", "is_text")),
    ("JSON decode", ("bulk (app/ingest/parsing", "loads (", "decode (")),
    ("form parse", ("params (app/ingest", "parse_qsl", "single_item")),
    ("wait for commit (Event)", ("wait (threading", "^write (app/storage/writer.py")),
    ("reply (jsonify/response)", ("jsonify", "reply (", "ok (app/ingest", "response_class")),
    ("flask/werkzeug dispatch", ("flask/", "werkzeug/")),
    ("waitress HTTP", ("waitress/",)),
]


def _line_of(path: Path, needle: str) -> str:
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return f"db.py:{n})"
    return "\0"


# The C calls under these lines of db.py (the commit's fsync; BEGIN IMMEDIATE waiting for SQLite's
# write lock) show as the line itself.
_DB = ROOT / "app" / "storage" / "db.py"
LINE_PARTS = [("commit (fsync on SQLite)", _line_of(_DB, "conn.commit()")),
              ("BEGIN (write lock)", _line_of(_DB, 'conn.execute("BEGIN IMMEDIATE")'))]


def classify(stack: str) -> str:
    frames = stack.split(";")
    for part, line in LINE_PARTS:
        if line in frames[-1]:
            return part
    for frame in reversed(frames):
        for part, pats in PARTS:
            if any(frame.startswith(p[1:]) if p[0] == "^" else p in frame for p in pats):
                return part
    if any("db.py" in f for f in frames):
        return "db.run / connection"
    return "other (interpreter, threads)"


def summarize(raw: Path, cpu_us: float, label: str) -> list[tuple[str, float, float]]:
    counts: Counter = Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if stack and n.isdigit():
            counts[classify(stack)] += int(n)
    total = sum(counts.values()) or 1
    rows = [(part, n / total, n / total * cpu_us) for part, n in counts.most_common()]
    print(f"\n{label}: {cpu_us:.1f} us of server CPU each, {total} samples (share of samples x that CPU)")
    for part, share, us in rows:
        print(f"  {part:32} {share:6.1%}  {us:8.1f} us")
    return rows


def record(pid: int, out: Path, fn):
    spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(pid), "-o", str(out),
                            "--format", "raw", "-r", "250", "--nonblocking", "--threads"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)  # py-spy attaches
    try:
        return fn()
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        _, err = spy.communicate(timeout=30)
        if not out.exists():
            print(f"py-spy wrote nothing: {err.decode(errors='replace')[-500:]}", flush=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=("sqlite", "mariadb"), default="sqlite")
    p.add_argument("--out", default=str(ROOT / "var" / "profile"))
    p.add_argument("--cold", action="store_true", help="profile cold rounds (a fresh account each) instead of warm")
    p.add_argument("--server", choices=SERVERS, default=SERVERS[0])
    p.add_argument("--cpu", help="EYRIE_CPU for the server (e.g. 1): keep it on these CPUs")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="eyrie-profile-", dir="/tmp"))
    e = Eyrie(args.backend, workdir, args)
    try:
        e.start("eyrie_profile")
        pid = e.server.app_pid
        now = int(time.time())
        end_ts = now - now % MINUTE - MINUTE
        ezkey, acc = e.account()
        e.bulk_round(ezkey, acc, 1000, 100, end_ts, 0, "1000x100 cold (creates the stats)")

        def bulk():
            c0 = proc_cpu(pid)
            for i in range(3):
                if args.cold:
                    key, fresh = e.account()
                    e.bulk_round(key, fresh, 1000, 100, end_ts, 0, f"1000x100 cold #{i + 1}")
                else:
                    e.bulk_round(ezkey, acc, 1000, 100, end_ts, 1000 * (i + 1), f"1000x100 warm #{i + 1}")
            return (proc_cpu(pid) - c0) * 1e6 / 300_000

        bulk_us = record(pid, out / f"bulk-{args.backend}.txt", bulk)
        body = f"ezkey={ezkey}&stat=bench+single&count=1".encode()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        status = e._single_status(e.server.port, body, form)

        def singles():
            c0 = proc_cpu(pid)
            r = run_rate(e.server.port, "POST", "/ez", body, form, status, 4, 5.0)
            return (proc_cpu(pid) - c0) * 1e6 / max(r["ok"], 1), r["rate"]

        single_us, rate = record(pid, out / f"single-{args.backend}.txt", singles)
        print(f"\n[{args.backend}] code of {ROOT}; single posts {rate:,.0f}/s")
        summarize(out / f"bulk-{args.backend}.txt", bulk_us, f"[{args.backend}] bulk JSON, per point")
        summarize(out / f"single-{args.backend}.txt", single_us, f"[{args.backend}] single /ez post, per post")
    finally:
        e.stop()
        e.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
