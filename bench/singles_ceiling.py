"""Single posts against their ceiling, in one sitting (issue 9, point 3).

    .venv/bin/python bench/singles_ceiling.py [--server waitress|granian] [--rounds 5] [--clients 4]
        [--base DIR [--base-server S]] [--backend sqlite|mariadb] [--cpu 1] [--minimal-gather 4]

Three ingest servers on one database (SQLite, or a MariaDB of its own with --backend mariadb), the
same HTTP server and threads (and with --cpu, kept on the same CPUs: EYRIE_CPU), measured in
alternating rounds (2 s of 4 keep-alive clients, or --clients, posting, then 1 s of the no-op `GET /`):
- `this`: Eyrie's ingest role, the code of this checkout;
- `base` (with --base): another checkout's, under waitress (an older one may not know granian)
  unless --base-server says otherwise;
- `minimal`: bench/minimal_ingest.py, a post that only parses its form and commits one row with
  group commit (SQLite, synchronous=FULL; or MariaDB, innodb_flush_log_at_trx_commit=1) before it
  replies, and a raw WSGI no-op; with --minimal-gather N also `minimal+gather`, the same app whose
  writer waits up to 1 ms for N posts before it commits, as Eyrie's gathers the requests in flight.
For each it prints the median posts/s and no-op/s, posts as a share of its own no-op, the server
CPU and the context switches (voluntary + forced, all threads) per post and per no-op. Each server
runs the threads `python -m app serve` defaults to for it (app.serving.THREADS).

What it is for: the minimal post is the most a post that commits before replying can reach under
that server here, so "posts >= 60 % of the no-op" and "2x the old posts/s" are reachable only if the
minimal app reaches them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import proc_cpu, run_rate  # noqa: E402
from peer import Eyrie, base_server  # noqa: E402

from app.serving import CPU_ENV, SERVERS, THREADS, keep_to_cpus  # noqa: E402
from tests.support.mariadb import free_port  # noqa: E402
from tests.support.server import app_pid_of  # noqa: E402

CLIENTS = 4
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def switches(pid: int) -> int:
    """Context switches of every thread of a process so far."""
    n = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            for line in Path(f"/proc/{pid}/task/{tid}/status").read_text().splitlines():
                if "ctxt_switches:" in line:
                    n += int(line.split()[1])
        except OSError:
            pass  # the thread ended meanwhile
    return n


class Minimal:
    """bench/minimal_ingest.py under `server`, in a process of its own."""

    def __init__(self, server: str, db_path: Path, mysql_url: str | None = None, cpu: str | None = None,
                 gather: int = 0):
        self.port = free_port()
        env = {**os.environ, "MINIMAL_INGEST_DB": str(db_path), "MINIMAL_GATHER": str(gather)}
        if mysql_url:
            env["MINIMAL_INGEST_MYSQL"] = mysql_url
        if server == "granian":
            args = [str(Path(sys.executable).parent / "granian"), "--interface", "wsgi", "--workers", "1",
                    "--blocking-threads", str(THREADS[server]), "--port", str(self.port), "--log-level", "warning",
                    "bench.minimal_ingest:app"]
        else:
            args = [sys.executable, "-c", "from app.serving import serve; from bench.minimal_ingest import app; "
                    f"serve(app, '127.0.0.1', {self.port}, {THREADS[server]})"]
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=(lambda: keep_to_cpus(cpu)) if cpu else None)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if run_rate(self.port, "GET", "/", None, {}, 200, 1, 0.05)["ok"]:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the minimal ingest app did not come up")

    @property
    def app_pid(self) -> int:
        return app_pid_of(self.proc)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def measure(targets, rounds: int, clients: int = CLIENTS) -> dict:
    out = {name: {"posts": [], "noop": [], "cpu_p": 0.0, "cpu_n": 0.0, "sw_p": 0, "sw_n": 0, "ok_p": 0, "ok_n": 0}
           for name, *_ in targets}
    for _ in range(rounds):
        for name, server, body, status in targets:
            o, pid = out[name], server.app_pid
            c0, s0 = proc_cpu(pid), switches(pid)
            p = run_rate(server.port, "POST", "/ez", body, FORM, status, clients, 2.0)
            c1, s1 = proc_cpu(pid), switches(pid)
            n = run_rate(server.port, "GET", "/", None, {}, 200, clients, 1.0)
            c2, s2 = proc_cpu(pid), switches(pid)
            if p["bad"] or n["bad"]:
                raise RuntimeError(f"{name}: {p['bad']} bad posts, {n['bad']} bad no-ops: {p['errors'] or n['errors']}")
            o["posts"].append(p["rate"])
            o["noop"].append(n["rate"])
            o["cpu_p"] += c1 - c0
            o["cpu_n"] += c2 - c1
            o["sw_p"] += s1 - s0
            o["sw_n"] += s2 - s1
            o["ok_p"] += p["ok"]
            o["ok_n"] += n["ok"]
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", choices=SERVERS, default=SERVERS[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--clients", type=int, default=CLIENTS, help="keep-alive client threads (bench/ingest.py's"
                   " (b) and (c), which the issue's figures came from, used 8)")
    p.add_argument("--base", help="another checkout (e.g. of 9810206) measured beside,"
                   " under waitress unless --base-server")
    p.add_argument("--base-server", choices=SERVERS, help="serve --base under this server (default waitress; a"
                   " variant of this checkout can run under granian)")
    p.add_argument("--backend", choices=("sqlite", "mariadb"), default="sqlite")
    p.add_argument("--cpu", help=f"keep this and minimal on these CPUs ({CPU_ENV}, e.g. 1); the base runs as it"
                   " always did (an older checkout may not know it)")
    p.add_argument("--minimal-gather", type=int, default=0, metavar="N",
                   help="also the minimal app with a writer that gathers N posts per commit (the clients: 4)")
    args = p.parse_args(argv)
    e = Eyrie(args.backend, Path(tempfile.mkdtemp(prefix="eyrie-ceiling-", dir="/tmp")),
              argparse.Namespace(server=args.server, cpu=args.cpu))
    e.start("eyrie_ceiling")
    servers = []
    try:
        mysql_url = e.mdb.create_database("minimal") if e.mdb is not None else None
        minimal = Minimal(args.server, e.workdir / "minimal.db", mysql_url, args.cpu)
        servers.append(minimal)
        if args.minimal_gather:
            gathering = Minimal(args.server, e.workdir / "minimal-gather.db",
                                e.mdb.create_database("minimal_gather") if e.mdb is not None else None, args.cpu,
                                args.minimal_gather)
            servers.append(gathering)
        named = [("this", e.server)]
        if args.base:
            base = base_server(e.url, e.workdir / "var-base", Path(args.base), args.base_server)
            servers.append(base)
            named.append(("base", base))
        targets = []
        for name, server in named:
            key, _ = e.account()
            body = f"ezkey={key}&stat=bench+single&count=1".encode()
            targets.append((name, server, body, e._single_status(server.port, body, FORM)))
        targets.append(("minimal", minimal, b"ezkey=x&stat=bench+single&count=1", 200))
        if args.minimal_gather:
            targets.append(("minimal+gather", gathering, b"ezkey=x&stat=bench+single&count=1", 200))
        for _, server, body, status in targets:  # warm: connections, the stat, the writer thread
            run_rate(server.port, "POST", "/ez", body, FORM, status, args.clients, 0.5)
        load = os.getloadavg()[0]
        out = measure(targets, args.rounds, args.clients)
        print(f"single posts, {args.clients} keep-alive clients, {args.rounds} alternating rounds, this and minimal"
              f" under {args.server} ({THREADS[args.server]} threads, serve's default)"
              f"{f', {CPU_ENV}={args.cpu}' if args.cpu else ''}, "
              f"{'MariaDB innodb_flush_log_at_trx_commit=1' if e.mdb else 'SQLite synchronous=FULL'}, load {load:.2f}")
        for name, o in out.items():
            posts, noop = statistics.median(o["posts"]), statistics.median(o["noop"])
            line = (f"  {name:14} posts {posts:7,.0f}/s  no-op {noop:7,.0f}/s  posts/no-op {posts / noop:4.0%}  "
                    f"CPU {o['cpu_p'] * 1e6 / o['ok_p']:4.0f} / {o['cpu_n'] * 1e6 / o['ok_n']:3.0f} us  "
                    f"switches {o['sw_p'] / o['ok_p']:5.2f} / {o['sw_n'] / o['ok_n']:4.2f} per post / no-op")
            if "base" in out:
                ratios = [a / b for a, b in zip(o["posts"], out["base"]["posts"], strict=True)]
                line += f"  posts/base {statistics.median(ratios):.2f}x"
            print(line)
        this = out["this"]
        for name in ("minimal", "minimal+gather")[:1 + bool(args.minimal_gather)]:
            mini = statistics.median(out[name]["posts"])
            print(f"  {name} posts / this no-op: {mini / statistics.median(this['noop']):.0%};"
                  f" this posts / {name} posts: {statistics.median(this['posts']) / mini:.0%}")
    finally:
        for s in servers:
            s.stop()
        e.stop()
        e.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
