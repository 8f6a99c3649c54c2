"""Eyrie answers /render as Graphite does: the same points go into a real carbon-cache (Graphite
1.1.10, from graphite-bench's virtualenv) and into Eyrie's plaintext listener, and the JSON of
both /render endpoints is compared for a set of targets and windows: same series names, same
timestamps, same values, same nulls.

Opt-in: EYRIE_TEST_GRAPHITE=1, after `../shared/anchors/graphite-bench --setup-only` has built
its virtualenv (GRAPHITE_BENCH_DIR, default var/graphite-bench).

Deliberate differences, kept out of the data rather than papered over:
- Two points in one minute: whisper keeps the last, Eyrie sums (counters) or averages (values).
  The data has one point per metric per minute.
- xFilesFactor: Graphite leaves an hour empty when under half its minutes have values (the
  default 0.5 for averaged metrics); Eyrie averages whatever points the hour holds. The value
  metrics' hours here are either at least 90 % full or empty.
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse

import pytest

from tests.conftest import Clock
from tests.support.graphite import Graphite, bench_venv
from tests.support.listener import ListenerProcess

pytestmark = pytest.mark.skipif(os.environ.get("EYRIE_TEST_GRAPHITE") != "1" or not (bench_venv() / "bin" /
                                "carbon-cache.py").exists(),
                                reason="opt-in: EYRIE_TEST_GRAPHITE=1 and graphite-bench's virtualenv")

TARGETS = [
    "agree.v1",
    "agree.v*",
    "bench.agree.c*",
    "sumSeries(bench.agree.c*)",
    "averageSeries(agree.v*)",
    "scale(agree.v1, 0.5)",
    'summarize(bench.agree.c1, "1h")',
    'summarize(agree.v1, "1h", "avg")',
    'summarize(bench.agree.c2, "15min", "max", true)',
    "movingAverage(agree.v1, 5)",
    'movingAverage(bench.agree.c1, "10min")',
    "perSecond(bench.agree.c1)",
    "nonNegativeDerivative(agree.v2)",
    "asPercent(bench.agree.c1, sumSeries(bench.agree.c*))",
    "asPercent(agree.v*)",
    "aliasByNode(agree.v*, 1)",
    'alias(sumSeries(agree.v*), "total")',
]


def build_points(end_minute: int) -> tuple[bytes, dict[str, int]]:
    """Two days of one-minute points ending at end_minute (value metrics stop at the last whole
    hour), and each metric's last point time."""
    start = end_minute - 2 * 86400
    start -= start % 3600
    last_value_minute = end_minute - end_minute % 3600 - 60
    lines, last = [], {}

    def add(name, value, t):
        lines.append(f"{name} {value} {t}")
        last[name] = t

    for i, t in enumerate(range(start, end_minute + 60, 60)):
        if i % 7 != 3:
            add("bench.agree.c1", i % 13 + 1, t)
        if i % 3:
            add("bench.agree.c2", 5, t)
        hour = (t - start) // 3600
        if t <= last_value_minute and i % 10 != 5 and not 10 <= hour < 13:
            add("agree.v1", (i * 7) % 50, t)
            add("agree.v2", (i % 500) * 3, t)
    return ("\n".join(lines) + "\n").encode(), last


def wait_for_whisper(graphite: Graphite, last: dict[str, int], timeout: float = 120) -> None:
    """Until every metric's last point is on disk (carbon writes a metric's points together)."""
    import whisper

    files = {name.replace(".", "/") + ".wsp": t for name, t in last.items()}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = True
        for rel, t in files.items():
            path = graphite.whisper / rel
            if not path.exists():
                done = False
                break
            (first, _, step), values = whisper.fetch(str(path), t - 60, t)
            if values[(t - first) // step] is None:
                done = False
                break
        if done:
            return
        time.sleep(0.2)
    log = (graphite.dir / "carbon.log").read_text()[-3000:]
    raise AssertionError(f"carbon did not persist the points in time; its log ends: {log}")


@pytest.fixture
def graphite(tmp_path):
    g = Graphite(tmp_path / "graphite").start()
    yield g
    g.stop()


def test_render_json_agrees_with_graphite(db, db_url, account, config, tmp_path, graphite):
    from app.web import create_web_app

    now = int(time.time())
    end_minute = now - now % 60 - 60
    payload, last = build_points(end_minute)
    graphite.send(payload)

    lis = ListenerProcess(db_url, tmp_path / "var", "--graphite", "127.0.0.1:0", "--account", account.email,
                          "--flush-interval", "3600", "--counter-pattern", "bench.*").start()
    try:
        import socket

        with socket.create_connection(lis.graphite) as s:
            s.sendall(payload)
        time.sleep(0.5)
        summary = lis.stop()
    finally:
        lis.kill()
    assert summary["stored"] == payload.count(b"\n") and summary["malformed"] == 0
    wait_for_whisper(graphite, last)

    clock = Clock(int(time.time()))
    web = create_web_app(config, db, clock).test_client()
    t = end_minute + 30
    windows = [(t - 6 * 3600, t), (t - 86400, t), (t - 36 * 3600, t - 12 * 3600), (t - 30 * 86400, t)]
    compared, with_values, steps = 0, 0, set()
    for target in TARGETS:
        for start, until in windows:
            for extra in ({}, {"maxDataPoints": "100"}):
                params = {"target": target, "from": str(start), "until": str(until), "format": "json", **extra}
                theirs = json.loads(graphite.get("/render?" + urllib.parse.urlencode(params)))
                r = web.get(f"/x/{account.access_token}/graphite/render", query_string=params)
                assert r.status_code == 200, (params, r.get_json())
                ours = r.get_json()
                where = f"{target} from={start} until={until} {extra}"
                assert sorted(s["target"] for s in ours) == sorted(s["target"] for s in theirs), where
                theirs_by = {s["target"]: s["datapoints"] for s in theirs}
                for s in ours:
                    exp = theirs_by[s["target"]]
                    got = s["datapoints"]
                    assert [p[1] for p in got] == [p[1] for p in exp], where
                    assert [p[0] is None for p in got] == [p[0] is None for p in exp], where
                    assert [p[0] for p in got if p[0] is not None] == pytest.approx(
                        [p[0] for p in exp if p[0] is not None], rel=1e-9, abs=1e-9), where
                    compared += len(got)
                    with_values += sum(p[0] is not None for p in got)
                    if len(got) > 1:
                        steps.add(got[1][1] - got[0][1])
    assert compared > 50_000 and with_values > 40_000
    assert {60, 3600} <= steps  # minutes and hours were both read
