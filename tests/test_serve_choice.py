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
    total = db.read(lambda tx: tx.scalar("SELECT SUM(r.total) FROM rollups r JOIN stats s ON s.id = r.stat_id"
                                         " WHERE s.name = 'chosen' AND r.res = 60"))
    assert total == 2.0


def test_an_unknown_eyrie_server_is_refused_by_name(db_url, tmp_path):
    env = {"EYRIE_DATABASE_URL": db_url, "EYRIE_VAR_DIR": str(tmp_path), "EYRIE_SERVER": "gunicorn",
           "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "app", "serve", "--role", "ingest", "--port", "1"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "EYRIE_SERVER='gunicorn': use one of waitress, granian" in r.stderr
