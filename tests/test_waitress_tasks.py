"""Eyrie's waitress answers: the head and the first body bytes go out in one send (two small
sends cost 4-6 ms a request with a few keep-alive clients), and every kind of body still arrives
whole: a sized reply, a streamed (chunked) one, a file, a bodiless 204."""

from __future__ import annotations

import http.client
import io
import threading

import pytest

from app.serving import waitress_server


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/sized":
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "14")])
        return [b'{"status":200}']
    if path == "/streamed":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"one,", b"two,", b"three"])
    if path == "/file":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "6000")])
        return environ["wsgi.file_wrapper"](io.BytesIO(b"f" * 6000))
    start_response("204 No Content", [])
    return [b""]


@pytest.fixture
def server():
    srv = waitress_server(app, "127.0.0.1", 0, threads=2)
    sends: list[bytes] = []
    channel_class = srv.channel_class
    real = channel_class.write_soon

    def write_soon(self, data):
        sends.append(data)
        return real(self, data)

    channel_class.write_soon = write_soon
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    try:
        yield srv.effective_port, sends
    finally:
        del channel_class.write_soon
        srv.close()


def get(port: int, path: str, conn: http.client.HTTPConnection | None = None):
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    r = conn.getresponse()
    return conn, r, r.read()


def test_a_sized_reply_goes_out_in_one_send(server):
    port, sends = server
    _, r, body = get(port, "/sized")
    assert r.status == 200 and body == b'{"status":200}'
    assert len(sends) == 1
    assert sends[0].startswith(b"HTTP/1.1 200 OK\r\n") and sends[0].endswith(b'\r\n\r\n{"status":200}')


def test_streamed_file_and_bodiless_replies_arrive_whole_on_one_connection(server):
    port, sends = server
    conn, r, body = get(port, "/streamed")
    assert r.status == 200 and r.getheader("Transfer-Encoding") == "chunked" and body == b"one,two,three"
    assert sends[0].startswith(b"HTTP/1.1 200 OK\r\n") and sends[0].endswith(b"\r\n\r\n4\r\none,\r\n")
    conn, r, body = get(port, "/file", conn)
    assert r.status == 200 and body == b"f" * 6000
    conn, r, body = get(port, "/nothing", conn)
    assert r.status == 204 and body == b"" and not r.will_close
    sockname = conn.sock.getsockname()
    conn, r, body = get(port, "/sized", conn)
    assert body == b'{"status":200}' and conn.sock.getsockname() == sockname  # kept alive throughout
