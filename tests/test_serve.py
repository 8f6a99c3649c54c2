"""`python -m app serve --role ingest|web|all` under waitress and granian: each role serves its own
paths, keeps connections alive and refuses what it must before storing anything."""

from __future__ import annotations

import pytest
import requests

from tests.support.server import SERVERS, EyrieServer

pytestmark = [pytest.mark.server, pytest.mark.parametrize("http_server", SERVERS)]


@pytest.mark.parametrize("role", ["ingest", "web", "all"])
def test_each_role_answers_healthz_and_only_its_own_paths(db, db_url, tmp_path, account, role, http_server):
    server = EyrieServer(db_url, str(tmp_path / "var"), role=role, server=http_server).start()
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


def test_keep_alive_survives_a_204(db, db_url, tmp_path, account, http_server):
    """waitress closes bodiless 204 answers by default; Eyrie keeps the connection for the next post."""
    import http.client

    server = EyrieServer(db_url, str(tmp_path / "var"), role="ingest", server=http_server).start()
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


def _minute_rows(db) -> list[tuple]:
    rows = db.read(lambda tx: tx.all("SELECT stat_id, ts, total, n FROM rollups WHERE res = 60 ORDER BY stat_id, ts"))
    return [(r["stat_id"], int(r["ts"]), float(r["total"]), int(r["n"])) for r in rows]


def test_an_oversized_body_is_refused_before_it_is_read_and_stores_nothing(db, db_url, tmp_path, account,
                                                                           http_server):
    """A client announcing more than the 4 MB limit gets the 413 before it has sent the body, not after
    the server has buffered it all; neither the form nor the JSON path stores anything."""
    import socket

    server = EyrieServer(db_url, str(tmp_path / "var"), role="ingest", server=http_server).start()
    try:
        for ctype, head in (("application/x-www-form-urlencoded", f"ezkey={account.ezkey}&stat=big&count=1&pad="),
                            ("application/json", '{"ezkey": "' + account.ezkey + '", "data": [')):
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                announced = 256 * 2**20
                s.sendall(f"POST /ez HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n"
                          f"Content-Length: {announced}\r\n\r\n{head}".encode())
                sent = 0
                try:
                    while sent < announced:
                        s.sendall(b"x" * 65536)
                        sent += 65536
                except OSError:  # the server answered and closed: what it should do
                    pass
                reply = s.recv(4096)
            assert reply.startswith(b"HTTP/1.1 413"), reply[:200]  # waitress's own text, or the app's JSON
            assert sent < announced // 4  # refused long before the end of the body
        assert _minute_rows(db) == []
    finally:
        server.stop()


def test_a_chunked_bulk_body_is_stored_like_one_with_a_length(db, db_url, tmp_path, account, http_server):
    import json
    import time

    t = int(time.time()) // 60 * 60 - 3600
    server = EyrieServer(db_url, str(tmp_path / "var"), role="ingest", server=http_server).start()
    try:
        body = json.dumps({"ezkey": account.ezkey, "data": [{"stat": "chunked", "count": 2, "t": t},
                                                            {"stat": "chunked", "count": 3, "t": t}]}).encode()
        r = requests.post(server.url + "/ez", data=iter([body[:10], body[10:]]),
                          headers={"Content-Type": "application/json"}, timeout=5)
        assert r.status_code == 200 and r.json()["multiple"] == 2
        assert [row[1:] for row in _minute_rows(db)] == [(t, 5.0, 2)]
    finally:
        server.stop()
