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


def _cpus_allowed(pid: int) -> str:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Cpus_allowed_list:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("no Cpus_allowed_list")


@pytest.mark.parametrize("http_server", ["waitress", "granian"])
def test_eyrie_cpu_keeps_the_serving_process_on_those_cpus(db, db_url, tmp_path, account, http_server):
    import os

    cpu = max(os.sched_getaffinity(0))
    server = EyrieServer(db_url, str(tmp_path / "var"), role="ingest", server=http_server,
                         env={"EYRIE_CPU": str(cpu)}).start()
    try:
        r = requests.post(server.url + "/ez", data={"ezkey": account.ezkey, "stat": "pinned", "count": 3}, timeout=5)
        assert r.status_code == 200
        assert _cpus_allowed(server.app_pid) == str(cpu)   # granian: its forked worker too
        assert _cpus_allowed(server.proc.pid) == str(cpu)
    finally:
        server.stop()
    assert _minute_total(db, "pinned") == 3.0


@pytest.mark.parametrize(("raw", "message"), [
    ("first", "EYRIE_CPU='first': a CPU list, like 0 or 0,2 or 1-3"),
    ("3-1", "EYRIE_CPU='3-1': the range 3-1 runs backwards"),
    ("4095", "EYRIE_CPU='4095': this process may run on CPUs "),
])
def test_a_bad_eyrie_cpu_is_refused_before_serving(db_url, tmp_path, raw, message):
    env = {"EYRIE_DATABASE_URL": db_url, "EYRIE_VAR_DIR": str(tmp_path), "EYRIE_CPU": raw, "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "app", "serve", "--role", "ingest", "--port", "1"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and message in r.stderr and "listening" not in r.stdout


def test_cpu_lists_are_read_as_taskset_writes_them():
    from app.serving import parse_cpus

    assert parse_cpus("0") == {0}
    assert parse_cpus("0,2") == {0, 2}
    assert parse_cpus("1-3, 5") == {1, 2, 3, 5}
    for bad in ("", "a", "1-", "-1", "1,,2", "2-1"):
        with pytest.raises(ValueError, match="EYRIE_CPU"):
            parse_cpus(bad)
