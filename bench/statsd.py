"""StatsD listener and Graphite render API against the Graphite peer, in one sitting.

Run by hand (loopback only; everything it starts is stopped by PID):

    GRAPHITE_BENCH_DIR=var/graphite-bench .venv/bin/python bench/statsd.py [--quick] [--peer-json PATH]

1. The peer: ../shared/anchors/graphite-bench --parts render,statsd (Node statsd 0.9 -> carbon ->
   whisper, graphite-web 1.1.10), unless --peer-json gives a results file of a run made just before.
2. Eyrie's listener: `python -m app listen --statsd ... --account ... --flush-interval 1` on a fresh
   SQLite file (synchronous=normal, like whisper's no-fsync writes), fed exactly as graphite-bench
   feeds statsd: 10 counters, one `name:1|c` per datagram, a paced ladder of offered rates (3 s per
   step), "received" = the sum of the counters that landed in the database. The clean rate is the
   highest step with it and every lower step under 0.5 % loss (graphite-bench's rule). CPU per
   metric line is the listener process's user+sys time over the lines that landed.
3. Render: a counter with one point per minute for 7 days (10,080 points), then
   /x/TOKEN/graphite/render?target=bench.render.counter&from=-7d&format=json from
   `python -m app serve --role web` (waitress): 5 untimed, 20 timed GETs, each on a new connection,
   as graphite-bench times graphite-web (json_7d).

Prints each figure and the ratios Eyrie / peer (rates: above 1 is faster; latencies: below 1).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.interactors.accounts import create_account  # noqa: E402
from app.interactors.ingest import EzItem, record_ez  # noqa: E402
from app.storage.db import Database  # noqa: E402
from app.storage.migrate import migrate  # noqa: E402
from tests.support.mariadb import free_port  # noqa: E402
from tests.support.server import EyrieServer  # noqa: E402

EMAIL = "bench@example.com"
COUNTERS = [f"bench.statsd.c{i}" for i in range(10)]
PEER = ROOT.parent.parent / "shared" / "anchors" / "graphite-bench"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def landed(db: Database, account_id: int) -> int:
    total = db.read(lambda tx: tx.scalar(
        "SELECT SUM(r.total) FROM rollups r JOIN stats s ON s.id = r.stat_id"
        " WHERE s.account_id = ? AND r.res = 60 AND s.name LIKE 'bench.statsd.%'", (account_id,)))
    return int(round(total or 0))


def one_round(db, account_id, pid, port, n, rate, flush_s):
    time.sleep(flush_s * 2 + 1.5)  # the previous round fully flushed
    before = landed(db, account_id)
    cpu0 = cpu_seconds(pid)
    pkts = [f"{COUNTERS[i % len(COUNTERS)]}:1|c".encode() for i in range(len(COUNTERS))]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    addr = ("127.0.0.1", port)
    t0 = time.perf_counter()
    batch = max(1, rate // 1000)
    for i in range(0, n, batch):
        for j in range(i, min(n, i + batch)):
            sock.sendto(pkts[j % len(pkts)], addr)
        d = t0 + (i + batch) / rate - time.perf_counter()
        if d > 0:
            time.sleep(d)
    sent_s = time.perf_counter() - t0
    sock.close()
    time.sleep(flush_s * 2)
    deadline, last, stable = time.time() + 30, None, time.time()
    while time.time() < deadline:
        c = landed(db, account_id) - before
        if c != last:
            last, stable = c, time.time()
        elif time.time() - stable > 3.0 or c >= n:
            break
        time.sleep(0.3)
    got = last or 0
    cpu = cpu_seconds(pid) - cpu0
    return {"sent": n, "received": got, "offered_rate": n / sent_s, "loss_pct": 100.0 * (n - got) / n,
            "cpu_us_per_line": cpu * 1e6 / max(got, 1)}


def bench_listener(work: Path, ladder: list[int], seconds: float, reps: int) -> dict:
    url = f"sqlite:///{work / 'listen.db'}?synchronous=normal"
    db = Database(url)
    migrate(db)
    acct = create_account(db, EMAIL, "bench-password", int(time.time()))
    port = free_port()
    env = {**os.environ, "EYRIE_DATABASE_URL": url, "EYRIE_VAR_DIR": str(work)}
    log = open(work / "listener.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "app", "listen", "--statsd", f"127.0.0.1:{port}", "--account",
                             EMAIL, "--flush-interval", "1", "--json"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=log, text=True)
    try:
        proc.stdout.readline()  # bound
        steps = []
        for rate in ladder:
            rounds = [one_round(db, acct.id, proc.pid, port, int(rate * seconds), rate, 1.0) for _ in range(reps)]
            loss = statistics.median(r["loss_pct"] for r in rounds)
            cpu = statistics.median(r["cpu_us_per_line"] for r in rounds)
            print(f"  eyrie listener {rate:>7,}/s: {loss:6.2f} % lost, {cpu:5.1f} us CPU per line", flush=True)
            steps.append({"target_rate": rate, "loss_pct": loss, "cpu_us_per_line": cpu, "rounds": rounds})
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        db.close()
    clean = 0
    for st in steps:
        if st["loss_pct"] >= 0.5:
            break
        clean = st["target_rate"]
    return {"steps": steps, "clean_rate": clean,
            "cpu_us_per_line": statistics.median(s["cpu_us_per_line"] for s in steps)}


def bench_render(work: Path, n: int, warmup: int) -> dict:
    url = f"sqlite:///{work / 'render.db'}"
    db = Database(url)
    migrate(db)
    now = int(time.time())
    acct = create_account(db, "render@example.com", "bench-password", now)
    end = now - now % 60
    items = [EzItem("bench.render.counter", count=(i % 17) + 1, t=end - i * 60) for i in range(10080)]
    record_ez(db, acct.email, items, now, bulk=True)
    db.close()
    server = EyrieServer(url, str(work), role="web", threads=4).start()
    path = f"/x/{acct.access_token}/graphite/render?target=bench.render.counter&from=-7d&format=json"
    times, points = [], 0
    try:
        for i in range(warmup + n):
            t0 = time.perf_counter()
            c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            c.request("GET", path)
            body = c.getresponse().read()
            c.close()
            if i >= warmup:
                times.append((time.perf_counter() - t0) * 1000)
            points = len(json.loads(body)[0]["datapoints"])
    finally:
        server.stop()
    return {"ms_p50": statistics.median(times), "points": points}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="two ladder steps, fewer requests")
    ap.add_argument("--peer-json", help="graphite-bench results of a run made just before (skips the peer run)")
    ap.add_argument("--ladder", default="20000,40000,60000,80000,100000")
    ap.add_argument("--reps", type=int, default=1)
    a = ap.parse_args()
    ladder = [int(x) for x in a.ladder.split(",")]
    seconds, n, warmup = 3.0, 20, 5
    if a.quick:
        ladder, seconds, n, warmup = ladder[:2], 1.0, 5, 1
    work = Path(tempfile.mkdtemp(prefix="eyrie-bench-statsd-"))
    try:
        if a.peer_json:
            peer = json.loads(Path(a.peer_json).read_text())
        else:
            out = work / "peer.json"
            args = [str(PEER), "--parts", "render,statsd", "--statsd-reps", "1",
                    "--statsd-ladder", ",".join(map(str, ladder)),
                    "--statsd-ladder-reps", str(a.reps), "--statsd-paced-seconds", str(seconds),
                    "--render-n", str(n), "--render-warmup", str(warmup), "--json", str(out)]
            for flag in ("--line-port", "--pickle-port", "--cache-port", "--web-port", "--statsd-port",
                         "--statsd-mgmt-port"):  # free ports: other runs may hold the defaults
                args += [flag, str(free_port())]
            print("peer: " + " ".join(args[1:]), flush=True)
            subprocess.run(args, check=True, env={**os.environ, "GRAPHITE_BENCH_DIR": os.environ.get(
                "GRAPHITE_BENCH_DIR", str(ROOT / "var" / "graphite-bench"))})
            peer = json.loads(out.read_text())
        print("eyrie: listener ladder", flush=True)
        mine = bench_listener(work, ladder, seconds, a.reps)
        print("eyrie: render json 7d", flush=True)
        render = bench_render(work, n, warmup)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    peer_steps = {st["target_rate"]: st["loss_pct"]["median"] for st in peer["statsd_udp_ladder"]["steps"]}
    peer_clean = peer["statsd_udp_ladder"]["clean_rate"]
    peer_cpu = statistics.median(r["statsd_cpu_us_per_pkt"] for st in peer["statsd_udp_ladder"]["steps"]
                                 for r in st["rounds"])
    peer_ms = peer["render_json_7d"]["ms"]["median"]
    print()
    print("median loss per offered rate:   " + "  ".join(
        f"{st['target_rate'] // 1000}k: eyrie {st['loss_pct']:.2f} % / peer "
        f"{peer_steps.get(st['target_rate'], float('nan')):.2f} %" for st in mine["steps"]))
    print(f"{'':38} {'eyrie':>10} {'peer':>10} {'eyrie/peer':>10}")
    ratio = f"{mine['clean_rate'] / peer_clean:>10.2f}" if peer_clean else f"{'peer 0':>10}"
    print(f"{'StatsD clean rate (datagrams/s)':38} {mine['clean_rate']:>10,} {peer_clean:>10,} {ratio}")
    print(f"{'CPU per metric line (us, paced)':38} {mine['cpu_us_per_line']:>10.1f} {peer_cpu:>10.1f} "
          f"{mine['cpu_us_per_line'] / peer_cpu:>10.2f}")
    print(f"{'render json 7d p50 (ms)':38} {render['ms_p50']:>10.1f} {peer_ms:>10.1f} "
          f"{render['ms_p50'] / peer_ms:>10.2f}")
    print(f"(clean rate: the highest step with it and every lower one under 0.5 % loss; the ladder tops out at "
          f"{ladder[-1]:,}/s, so a clean rate equal to it is a floor. render: {render['points']} points per answer)")
    results = {"eyrie": {"listener": mine, "render": render}, "peer": {
        "statsd_clean_rate": peer_clean, "statsd_steps": peer_steps, "statsd_cpu_us_per_pkt": peer_cpu,
        "render_json_7d_ms": peer_ms}}
    out = ROOT / "var" / "bench-statsd.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"(results: {out.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
