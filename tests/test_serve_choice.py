"""`python -m app serve` picks its HTTP server from --server or EYRIE_SERVER, and refuses a name it
does not know instead of quietly running another."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from tests.support.server import ROOT, EyrieServer

pytestmark = pytest.mark.server


def test_eyrie_server_in_the_environment_runs_granian(db, db_url, tmp_path, account):
    server = EyrieServer(db_url, str(tmp_path / "var"), role="ingest", env={"EYRIE_SERVER": "granian"}).start()
    try:
        r = requests.post(server.url + "/ez", data={"ezkey": account.ezkey, "stat": "chosen", "count": 2}, timeout=5)
        assert r.status_code == 200 and r.headers["Server"] == "granian"
        assert server.app_pid != server.proc.pid  # the app runs in granian's forked worker
    finally:
        server.stop()
    assert _minute_total(db, "chosen") == 2.0


def test_an_unknown_eyrie_server_is_refused_by_name(db_url, tmp_path):
    env = {"EYRIE_DATABASE_URL": db_url, "EYRIE_VAR_DIR": str(tmp_path), "EYRIE_SERVER": "gunicorn",
           "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "app", "serve", "--role", "ingest", "--port", "1"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "EYRIE_SERVER='gunicorn': use one of waitress, granian" in r.stderr


def test_granian_stops_with_its_worker_on_a_term_to_its_process_group(db, db_url, tmp_path, account):
    """supervisord (stopasgroup) and systemd (control-group) send SIGTERM to the parent and its
    forked worker at once: both exit, and what was acknowledged before is stored."""
    import os
    import signal

    server = EyrieServer(db_url, str(tmp_path / "var"), role="ingest", server="granian", new_session=True).start()
    try:
        r = requests.post(server.url + "/ez", data={"ezkey": account.ezkey, "stat": "before term", "count": 3},
                          timeout=5)
        assert r.status_code == 200
        os.killpg(server.proc.pid, signal.SIGTERM)
        assert server.proc.wait(timeout=20) == 0
        assert _in_group(server.proc.pid) == []
    finally:
        if server.proc.poll() is None:
            os.killpg(server.proc.pid, signal.SIGKILL)
        server.stop()
    assert _minute_total(db, "before term") == 3.0


def _minute_total(db, name: str) -> float:
    return db.read(lambda tx: tx.scalar("SELECT SUM(r.total) FROM rollups r JOIN stats s ON s.id = r.stat_id"
                                        " WHERE s.name = ? AND r.res = 60", (name,)))


def _in_group(pgid: int) -> list[int]:
    """The live processes of a process group, from /proc (field 5 of stat is the group)."""
    from pathlib import Path

    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids
