"""`python -m app serve --role ingest|web|all` under waitress: each role serves its own paths."""

from __future__ import annotations

import pytest
import requests

from tests.support.server import EyrieServer

pytestmark = pytest.mark.server


@pytest.mark.parametrize("role", ["ingest", "web", "all"])
def test_each_role_answers_healthz_and_only_its_own_paths(db, db_url, tmp_path, account, role):
    server = EyrieServer(db_url, str(tmp_path / "var"), role=role).start()
    try:
        health = requests.get(server.url + "/healthz", timeout=5)
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": db.dialect}
        ez = requests.post(server.url + "/ez", data={"ezkey": account.ezkey, "stat": "served", "count": 1}, timeout=5)
        login = requests.get(server.url + "/login", timeout=5)
        statlist = requests.get(f"{server.url}/x/{account.access_token}/statlist", timeout=5)
        if role == "ingest":
            assert ez.status_code == 200 and ez.content == b'{"status":200,"msg":"ok"}'
            assert login.status_code == 404 and statlist.status_code == 404
        elif role == "web":
            assert ez.status_code in (404, 405)
            assert login.status_code == 200 and statlist.json() == []
        else:
            assert ez.status_code == 200 and login.status_code == 200
            assert [s["name"] for s in statlist.json()] == ["served"]
    finally:
        server.stop()


def test_keep_alive_survives_a_204(db, db_url, tmp_path, account):
    """waitress closes bodiless 204 answers by default; Eyrie keeps the connection for the next post."""
    import http.client

    server = EyrieServer(db_url, str(tmp_path / "var"), role="ingest").start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        socks = set()
        for _ in range(3):
            conn.request("POST", "/ez", body=f"ezkey={account.ezkey}&stat=ka&count=1&vb=0",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
            r = conn.getresponse()
            assert r.status == 204 and r.read() == b"" and r.getheader("Connection") is None
            socks.add(conn.sock.getsockname())
        assert len(socks) == 1
        conn.close()
    finally:
        server.stop()
