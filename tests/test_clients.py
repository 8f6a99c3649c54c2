"""Real StatHat client libraries, unmodified, posting to a running Eyrie over HTTP.

Flask-StatHat 0.1.2 (Python, JSON bulk on request teardown) and npm stathat 0.0.8 (Node, raw
unencoded form bodies) are pointed at `python -m app serve` the way spec 1.7 describes; every
reply they see and every number they sent is checked in the database afterwards.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from app.interactors.stats import create_stat
from app.rollups import DAY, HOUR, MINUTE
from tests.conftest import NOW
from tests.helpers import rollup, stat_names, stat_row
from tests.support.server import SERVERS, EyrieServer

pytestmark = pytest.mark.server

CLIENTS = Path(__file__).resolve().parent / "clients"
NPM_DRIVER = CLIENTS / "npm_client.js"


def minute_of(ts: int) -> int:
    return ts - ts % MINUTE


def received_minutes(db, stat_id: int, start: float, end: float) -> tuple[float, int]:
    """(total, n) summed over the minute buckets a post received between start and end may have hit."""
    total, n = 0.0, 0
    for ts in range(minute_of(int(start)), minute_of(int(end)) + 1, MINUTE):
        row = rollup(db, stat_id, MINUTE, ts)
        if row is not None:
            total += row[0]
            n += row[1]
    return total, n


def an_hour_ago() -> int:
    """An exact minute one hour before the server's clock (explicit t must not be in the future)."""
    now = int(time.time())
    return minute_of(now) - HOUR


@pytest.fixture(params=SERVERS)
def server(db, db_url, tmp_path, request):
    srv = EyrieServer(db_url, str(tmp_path / "var"), server=request.param).start()
    try:
        yield srv
    finally:
        srv.stop()


# -- Flask-StatHat 0.1.2 -----------------------------------------------------------------------


def wait_for_stats(db, account_id: int, names: list[str], deadline_s: float = 10.0) -> None:
    deadline = time.monotonic() + deadline_s
    while sorted(stat_names(db, account_id)) != sorted(names):
        if time.monotonic() > deadline:
            raise AssertionError(f"stats {names} never appeared; have {stat_names(db, account_id)}")
        time.sleep(0.05)


def test_flask_stathat_posts_counts_and_values_to_eyrie_on_request_teardown(server, db, account):
    import flask_stathat
    from flask import Flask
    from flask_stathat import StatHat

    # Without grequests the extension posts synchronously with requests, inside teardown.
    assert flask_stathat.use_grequests is False, "grequests is installed: the post would be asynchronous"

    app = Flask("flask-stathat-client")
    app.config["STATHAT_EZ_KEY"] = account.ezkey
    sh = StatHat(app)
    sh.url = server.url + "/ez"

    @app.route("/")
    def index():
        sh.count("page view", 2)
        sh.value("load avg", 0.5)
        return "hello"

    start = time.time()
    client = app.test_client()
    for _ in range(3):
        assert client.get("/").status_code == 200
    end = time.time()

    wait_for_stats(db, account.id, ["load avg", "page view"])
    page_view = stat_row(db, account.id, "page view")
    load_avg = stat_row(db, account.id, "load avg")
    assert page_view["kind"] == "counter"
    assert load_avg["kind"] == "value"
    # Three requests, each sent {"count": 2} and {"value": 0.5}, stamped with the receive time.
    assert received_minutes(db, page_view["id"], start, end) == (6.0, 3)
    assert received_minutes(db, load_avg["id"], start, end) == (1.5, 3)


# -- npm stathat 0.0.8 -------------------------------------------------------------------------


def run_npm(port: int, calls: list[tuple]) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: run .ci/install-deps.sh")
    if not (CLIENTS / "node_modules" / "stathat").is_dir():
        pytest.fail("npm stathat is not installed in tests/clients/node_modules: run .ci/install-deps.sh")
    spec = {"port": port, "timeout_ms": 15000, "calls": [{"fn": fn, "args": list(args)} for fn, *args in calls]}
    proc = subprocess.run([node, str(NPM_DRIVER)], input=json.dumps(spec), capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 0, f"npm driver failed ({proc.returncode}): {proc.stderr}\n{proc.stdout}"
    replies = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert [r["i"] for r in replies] == list(range(len(calls)))
    return replies


def test_npm_stathat_client_posts_every_call_kind_and_sees_eyrie_replies(server, db, account):
    """With the default settings: the npm client calls back only on a reply with a body."""
    counter = create_stat(db, account.email, "npm classic counter", "counter", NOW)
    value = create_stat(db, account.email, "npm classic value", "value", NOW)
    t = an_hour_ago()
    calls = [
        ("trackEZCount", account.ezkey, "messages sent~total,female", 3),
        ("trackEZValue", account.ezkey, "npm ez value", 0.25),
        ("trackEZCountWithTime", account.ezkey, "npm ez timed", 5, t),
        ("trackEZValueWithTime", account.ezkey, "npm ez timed value", 2.5, t + 60),
        ("trackCount", account.ukey, counter["classic_key"], 7),
        ("trackValue", account.ukey, value["classic_key"], 1.5),
        ("trackCountWithTime", account.ukey, counter["classic_key"], 2, t),
        ("trackValueWithTime", account.ukey, value["classic_key"], 4.5, t),
        ("trackCount", "not-a-ukey", counter["classic_key"], 1),
        ("trackValue", account.ukey, "not-a-stat-key", 1),
    ]
    start = time.time()
    replies = run_npm(server.port, calls)
    end = time.time()

    ok = {"status": 200, "msg": "ok"}
    for reply in replies[:8]:
        assert (reply["status"], json.loads(reply["body"])) == (200, ok), reply
    for reply in replies[8:]:
        assert (reply["status"], json.loads(reply["body"])) == (403, {"status": 403, "msg": "invalid keys"}), reply

    # Tilde fan-out over a raw, unencoded body: two stats, and no stat named after the prefix.
    names = stat_names(db, account.id)
    assert "messages sent total" in names and "messages sent female" in names
    assert "messages sent" not in names
    assert not any("~" in n for n in names)
    for name in ("messages sent total", "messages sent female"):
        stat = stat_row(db, account.id, name)
        assert stat["kind"] == "counter"
        assert received_minutes(db, stat["id"], start, end) == (3.0, 1)

    ez_value = stat_row(db, account.id, "npm ez value")
    assert ez_value["kind"] == "value"
    assert received_minutes(db, ez_value["id"], start, end) == (0.25, 1)

    timed = stat_row(db, account.id, "npm ez timed")
    assert timed["kind"] == "counter"
    assert rollup(db, timed["id"], MINUTE, t) == (5.0, 1, 5.0, 5.0)
    assert rollup(db, timed["id"], HOUR, t - t % HOUR) == (5.0, 1, 5.0, 5.0)
    assert rollup(db, timed["id"], DAY, t - t % DAY) == (5.0, 1, 5.0, 5.0)
    timed_value = stat_row(db, account.id, "npm ez timed value")
    assert timed_value["kind"] == "value"
    assert rollup(db, timed_value["id"], MINUTE, t + 60) == (2.5, 1, 2.5, 2.5)

    # Classic posts land in the classic stats' buckets: receive time, or the t they carried.
    assert received_minutes(db, counter["id"], start, end) == (7.0, 1)
    assert rollup(db, counter["id"], MINUTE, t) == (2.0, 1, 2.0, 2.0)
    assert received_minutes(db, value["id"], start, end) == (1.5, 1)
    assert rollup(db, value["id"], MINUTE, t) == (4.5, 1, 4.5, 4.5)
    # The refused posts stored nothing: only the two accepted points per classic stat exist.
    for stat in (counter, value):
        assert db.read(lambda tx, s=stat: tx.scalar("SELECT SUM(n) FROM rollups WHERE stat_id = ? AND res = ?",
                                                    (s["id"], MINUTE))) == 2
    assert "not-a-stat-key" not in names
