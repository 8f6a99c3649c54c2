"""The local cluster through nginx: does a second process of a role add capacity, and how far does
the replica fall behind under that load?

    .venv/bin/python bench/cluster.py [--seconds 8] [--connections 16] [--keep DIR]

Starts deploy/local-cluster (nginx, 2 ingest, 2 web, no workers, MariaDB primary + GTID replica),
then with wrk (apt-get install wrk), in one sitting:
  (a) JSON bulk posts to /ez (100 stats x 1 point per request) with 2 ingest processes, then with
      one of them stopped (supervisorctl stop: nginx routes around it), and the ratio: once with
      the same 100 stats in every request (hot rows), once spread over 5,000 stats;
  (b) single /ez form posts, the same way;
  (c) pages/s with 2 and 1 web processes: a signed-in stat page (its graphs are rendered on every
      request: the render cost under load) and the light /login page;
  (d) the replica's lag during (a) and (b): every 50 ms, how long the replica takes to reach the
      primary's current GTID position (MASTER_GTID_WAIT), max and p99.
On 2 shared cores the load generator, nginx, both databases and the processes compete for the same
CPU: compare the ratios of one run, never absolute figures across runs. Rounds alternate 2 and 1
processes (--rounds, default 3) and medians are compared, so drifting background load hits both.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "deploy"))

from eyrie_ops.cluster import Cluster  # noqa: E402

from app.interactors.accounts import create_account  # noqa: E402
from app.storage.db import Database  # noqa: E402

BULK = 100
SPREAD = 5000


def wrk(url: str, seconds: int, connections: int, script: str | None = None, headers: dict | None = None) -> dict:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    done = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return None
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]

    return {"rps": rate, "requests": done, "p50_ms": pct(50), "p99_ms": pct(99),
            "non2xx": int(bad.group(1)) if bad else 0, "socket_errors": errors.group(1) if errors else ""}


TICK = os.sysconf("SC_CLK_TCK")


def _busy_ticks() -> int:
    """The whole machine's non-idle CPU ticks so far (every core, kernel time included)."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(f) - f[3] - f[4]   # minus idle and iowait


def _pid_ticks(pid: int) -> int:
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(f[11]) + int(f[12])   # utime + stime


def metered(pids: list[int], run) -> dict:
    """run() (a wrk call) with the CPU it cost split: the ingest processes' own CPU per request, and
    everything else on the machine (nginx, both databases, wrk, the kernel's network work) per
    request. These bound what a second process can add: each process is one core at most (the
    GIL), and the machine has os.cpu_count() cores for all of it."""
    b0, p0 = _busy_ticks(), sum(_pid_ticks(p) for p in pids)
    r = run()
    busy, own = (_busy_ticks() - b0) / TICK, (sum(_pid_ticks(p) for p in pids) - p0) / TICK
    n = max(r["requests"], 1)
    return {**r, "us_ingest": own * 1e6 / n, "us_other": max(busy - own, 0) * 1e6 / n}


def ceiling(us_ingest: float, us_other: float, cores: int) -> float:
    """The most a second ingest process can multiply the rate by on this machine: one process
    cannot pass one core of its own work (1/us_ingest), and no number of them can pass the cores
    divided by all the work a request costs."""
    machine = cores / (us_ingest + us_other)
    return min(2 / us_ingest, machine) / min(1 / us_ingest, machine)


def lua_bulk_spread(path: Path, ezkey: str, stats: int) -> str:
    """Bulk requests over `stats` stats (100 consecutive ones per request, cycling): the rows two
    processes upsert at once are mostly different, as with many clients; the fixed body above has
    every request upsert the same 100 x 3 rollup rows (one hot set)."""
    path.write_text(f"""
local n = 0
request = function()
  n = n + 1
  local base = (n * {BULK}) % {stats}
  local items = {{}}
  for i = 0, {BULK - 1} do
    items[#items + 1] = '{{"stat":"bench spread ' .. ((base + i) % {stats}) .. '","count":1}}'
  end
  local body = '{{"ezkey":"{ezkey}","data":[' .. table.concat(items, ",") .. ']}}'
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json"}}, body)
end
""")
    return str(path)


def lua_post(path: Path, body: str, content_type: str) -> str:
    path.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
                    f'wrk.headers["Content-Type"] = "{content_type}"\n')
    return str(path)


class LagProbe:
    """Every 50 ms: the time the replica needs to reach the primary's current position."""

    def __init__(self, primary_url: str, replica_url: str):
        self.primary, self.replica = Database(primary_url), Database(replica_url)
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.05):
            pos = self.primary.read(lambda tx: tx.scalar("SELECT @@gtid_binlog_pos"))
            t0 = time.monotonic()
            self.replica.read(lambda tx, pos=pos: tx.scalar("SELECT MASTER_GTID_WAIT(?, 10)", (pos,)))
            self.samples.append(time.monotonic() - t0)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.primary.close()
        self.replica.close()

    def summary(self) -> dict:
        s = sorted(self.samples) or [0.0]
        return {"samples": len(self.samples), "max_ms": round(s[-1] * 1000, 1),
                "p99_ms": round(s[int(len(s) * 0.99) - 1 if len(s) > 1 else 0] * 1000, 1),
                "p50_ms": round(s[len(s) // 2] * 1000, 1)}


def login_cookie(url: str, email: str, password: str) -> str:
    s = requests.Session()
    html = s.get(f"{url}/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = s.post(f"{url}/login", data={"email": email, "password": password, "csrf_token": token},
               allow_redirects=False)
    assert r.status_code == 302, r.status_code
    return "; ".join(f"{k}={v}" for k, v in s.cookies.items())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds of 2 and 1 processes")
    p.add_argument("--keep", help="cluster directory to use and leave running")
    args = p.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    d = Path(args.keep or tempfile.mkdtemp(prefix="eyrie-bench-cluster-"))
    cluster = Cluster(d)
    info = cluster.up(ingest=2, web=2, workers=0, env={}) if not cluster.supervisord_running() else \
        json.loads(cluster.info_path.read_text())
    url, S, C = info["url"], args.seconds, args.connections
    load_before = Path("/proc/loadavg").read_text().split()[0]
    results: dict = {}
    try:
        db = Database(info["database_url"])
        email = f"bench{int(time.time())}@cluster.test"
        acct = create_account(db, email, "bench password 1", int(time.time()))
        now = int(time.time())
        day = [{"stat": "bench page", "value": i % 17, "t": now - 86400 + i * 60} for i in range(1440)]
        assert requests.post(f"{url}/ez", json={"ezkey": acct.ezkey, "data": day}).status_code == 200
        sid = db.read(lambda tx: tx.scalar("SELECT id FROM stats WHERE account_id = ? AND name = 'bench page'",
                                           (acct.id,)))
        db.close()
        tmp = d / "lua"
        tmp.mkdir(exist_ok=True)
        bulk = lua_post(tmp / "bulk.lua", json.dumps({"ezkey": acct.ezkey, "data": [
            {"stat": f"bench bulk {i}", "count": 1} for i in range(BULK)]}), "application/json")
        single = lua_post(tmp / "single.lua", f"ezkey={acct.ezkey}&stat=bench+single&count=1",
                          "application/x-www-form-urlencoded")
        spread = lua_bulk_spread(tmp / "spread.lua", acct.ezkey, SPREAD)
        wrk(f"{url}/ez", 2, C, bulk)   # warm-up: creates the stats, fills connection pools
        wrk(f"{url}/ez", 2, C, single)
        warm = [{"stat": f"bench spread {i}", "count": 0} for i in range(SPREAD)]
        assert requests.post(f"{url}/ez", json={"ezkey": acct.ezkey, "data": warm}, timeout=120).status_code == 200

        ingest_names, web_names = info["programs"]["ingest"], info["programs"]["web"]
        cookie = login_cookie(url, email, "bench password 1")
        page = f"{url}/stats/{sid}"
        assert requests.get(page, headers={"Cookie": cookie}).status_code == 200
        runs: dict = {}
        # Rounds alternate 2 and 1 processes (2, 1, 2, 1, ...) and the medians are compared, so a
        # change in the machine's other load during the run falls on both sides.
        for _round in range(args.rounds):
            for n in (2, 1):
                if n == 1:
                    cluster.ctl("stop", ingest_names[1], web_names[1])
                pids = [int(cluster.ctl("pid", name).stdout.strip()) for name in ingest_names[:n]]
                with LagProbe(info["database_url"], info["replica_url"]) as lag:
                    for key, script in (("bulk", bulk), ("spread", spread), ("single", single)):
                        runs.setdefault(f"{key}_{n}", []).append(
                            metered(pids, lambda script=script: wrk(f"{url}/ez", S, C, script)))
                runs.setdefault(f"lag_{n}", []).append(lag.summary())
                runs.setdefault(f"graph_page_{n}", []).append(wrk(page, S, C, headers={"Cookie": cookie}))
                runs.setdefault(f"light_page_{n}", []).append(wrk(f"{url}/login", S, C))
                if n == 1:
                    cluster.ctl("start", ingest_names[1], web_names[1])
                    time.sleep(6)   # nginx parked the stopped ones for fail_timeout (5 s)
        for key, values in runs.items():
            if key.startswith("lag_"):
                results[key] = {"max_ms": max(v["max_ms"] for v in values),
                                "p99_ms": statistics.median(v["p99_ms"] for v in values),
                                "p50_ms": statistics.median(v["p50_ms"] for v in values)}
            else:
                med = sorted(values, key=lambda r: r["rps"])[len(values) // 2]
                results[key] = {**med, "rounds": [round(v["rps"]) for v in values]}
    finally:
        if not args.keep:
            cluster.down()
            shutil.rmtree(d, ignore_errors=True)

    def row(label, key, mult=1, unit="req/s"):
        a, b = results[f"{key}_1"], results[f"{key}_2"]
        print(f"{label:<34} {a['rps'] * mult:>10,.0f} {b['rps'] * mult:>10,.0f} {unit:<9} x{b['rps'] / a['rps']:.2f}"
              f"   p99 {a['p99_ms']:.0f} / {b['p99_ms']:.0f} ms   non-2xx {a['non2xx']}/{b['non2xx']}")

    print(f"\nthrough nginx, wrk -t1 -c{C} -d{S}s, medians of {args.rounds} alternating rounds   1 process  2 processes"
          f"  ratio   (load average before: {load_before})")
    row("JSON bulk, 100 hot stats", "bulk", BULK, "points/s")
    row(f"JSON bulk, over {SPREAD:,} stats", "spread", BULK, "points/s")
    row("single /ez posts", "single")
    cores = os.cpu_count() or 1
    print(f"\nwhere the CPU of a request goes with 1 ingest process ({cores} cores), and the most a second"
          " process could add here:")
    for label, key in (("JSON bulk, 100 hot stats", "bulk"), (f"JSON bulk, over {SPREAD:,} stats", "spread"),
                       ("single /ez posts", "single")):
        one = [r for r in runs[f"{key}_1"] if "us_ingest" in r]
        ui = statistics.median(r["us_ingest"] for r in one)
        uo = statistics.median(r["us_other"] for r in one)
        got = results[f"{key}_2"]["rps"] / results[f"{key}_1"]["rps"]
        # The one-process run may not fill its core (commit waits), so also bound the two-process
        # rate itself: no number of processes passes the cores over all the work of a request.
        top = cores / ((ui + uo) / 1e6)
        print(f"{label:<34} ingest process {ui:>6,.0f} us, everything else {uo:>6,.0f} us per request:"
              f" ceiling x{ceiling(ui, uo, cores):.2f}, measured x{got:.2f}; any number of processes"
              f" <= {top:,.0f} req/s = x{top / results[f'{key}_1']['rps']:.2f} the one-process rate measured")
    row("stat page (graphs rendered)", "graph_page")
    row("/login (light page)", "light_page")
    for n in (1, 2):
        print(f"replica lag during ingest with {n} process(es): {results[f'lag_{n}']}")
    g, light = results["graph_page_1"], results["light_page_1"]
    print(f"graph page costs {light['rps'] / g['rps']:.1f}x a light page (1 web process)")
    print(f"load average after: {Path('/proc/loadavg').read_text().split()[0]}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
