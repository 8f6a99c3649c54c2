"""The export API's data read in plain WSGI (app/web/fast_export.py) answers exactly as the Flask
view behind it: same status, body and headers (security headers included, HSTS on https), and it
hands on everything it does not handle exactly, errors included."""

from __future__ import annotations

import dataclasses
import json
import urllib.request

import pytest
from werkzeug.test import Client

from app.interactors.ingest import EzItem, record_ez
from app.web import create_web_app
from app.web.fast_export import FastExport
from tests.conftest import NOW
from tests.helpers import stat_row
from tests.support.server import SERVERS, EyrieServer


class Counting:
    """Flask's WSGI callable, counting the requests the fast path handed on to it."""

    def __init__(self, wsgi):
        self.wsgi, self.calls = wsgi, 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.wsgi(environ, start_response)


def _doors(config, db, clock):
    app = create_web_app(config, db, clock)
    assert isinstance(app.wsgi_app, FastExport)
    flask = Counting(app.wsgi_app.next)
    app.wsgi_app.next = flask
    return Client(app.wsgi_app), Client(flask.wsgi), flask


@pytest.fixture
def doors(config, db, clock):
    """(client through the fast path, client of Flask alone, the counter of hand-ons)."""
    return _doors(config, db, clock)


@pytest.fixture
def ids(db, account):
    items = [EzItem(stat="hits", count=1, t=NOW - k * 60) for k in range(120)]
    items += [EzItem(stat="temp", value=v, t=NOW - 600) for v in (10, 20.5)]
    record_ez(db, account.ezkey, items, NOW, bulk=True)
    return {n: stat_row(db, account.id, n)["id"] for n in ("hits", "temp")}


def _strip(r):
    return r.status, r.get_data(), [(k, v) for k, v in r.headers.items() if k not in ("Date", "Server")]


def _same(fast, flask, url, **kw):
    a, b = fast.get(url, **kw), flask.get(url, **kw)
    assert _strip(a) == _strip(b), url
    return a


ANSWERED = [  # the fast path answers these itself
    "/x/{tok}/data/{hits}?t=1h1m",
    "/x/{tok}/data/{hits}",
    "/x/{tok}/data/{hits}/{temp}?t=2h5m",
    "/x/{tok}/data/{temp}/{hits}/",
    "/x/{tok}/data/{hits}?t=1d&summary=1d",
    "/x/{tok}/data/{hits}?start={start}&t=1h30m",
    "/x/{tok}/data/{hits}?summary=7d",
    "/x/{tok}/data/{hits}?t=1h1m&t=3h",          # the first of a repeated key, as request.args.get
    "/x/{tok}/data/{hits}?t=1h1m&other=x&empty=",
    "/x/{tok}/data/{hits}/{hits}/{hits}/{hits}/{hits}/{temp}",  # past five ids: the first five
]
HANDED_ON = [  # Flask answers these: refusals, and what the fast path does not parse exactly (some are 200s)
    "/x/{tok}/data/{hits}?t=zz",
    "/x/{tok}/data/{hits}?start=-5",
    "/x/{tok}/data/{hits}?summary=xx&start=abc",
    "/x/not-a-token/data/{hits}",
    "/x/{tok}/data/abc",
    "/x/{tok}/data/999999",
    "/x/{tok}/data/",
    "/x//data/{hits}",
    "/x/{tok}//data/{hits}",
    "/x/{tok}/data/{hits}//{temp}",
    "/x/{tok}/data/{hits}?t=1h%31m",
    "/x/{tok}/dat/{hits}",
    "/x/{tok}/statlist",
    "/x/{tok}/data/{hits}?t=1h1m+",
]


def _fill(url, account, ids):
    return url.format(tok=account.access_token, start=NOW - NOW % 3600 - 7200, **ids)


@pytest.mark.parametrize("base", ["http://localhost", "https://localhost"])
def test_every_read_answers_the_same_on_both_paths(doors, account, ids, base):
    fast, flask, handed_on = doors
    for url in ANSWERED:
        before = handed_on.calls
        r = _same(fast, flask, _fill(url, account, ids), base_url=base)
        assert r.status_code == 200 and r.mimetype == "application/json", url
        assert handed_on.calls == before, f"{url} went to Flask"
    for url in HANDED_ON:
        before = handed_on.calls
        r = _same(fast, flask, _fill(url, account, ids), base_url=base)
        assert r.status_code in (200, 308, 400, 404), (url, r.status_code)
        assert handed_on.calls == before + 1, f"{url} was not handed on"


def test_the_answer_is_the_datasets_and_the_security_headers(doors, account, ids):
    fast, _, _ = doors
    r = fast.get(f"/x/{account.access_token}/data/{ids['hits']}/{ids['temp']}?t=1h1m")
    doc = r.get_json()
    assert [d["name"] for d in doc] == ["hits", "temp"]
    assert sum(p["count"] for p in doc[0]["points"]) == 61  # 61 one-minute buckets, 1 point in each
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in r.headers  # plain http, no https base URL


def test_https_deployments_get_hsts_on_https_answers_only(config, db, clock, account, ids):
    fast, flask, _ = _doors(dataclasses.replace(config, base_url="https://stats.example.com"), db, clock)
    url = f"/x/{account.access_token}/data/{ids['hits']}"
    r = _same(fast, flask, url, base_url="https://stats.example.com")
    assert "max-age" in r.headers["Strict-Transport-Security"]
    r = _same(fast, flask, url, base_url="http://stats.example.com")
    assert "Strict-Transport-Security" not in r.headers
    # Talisman also sends it when a proxy says the client came in on https.
    r = _same(fast, flask, url, base_url="http://stats.example.com", headers={"X-Forwarded-Proto": "https"})
    assert "max-age" in r.headers["Strict-Transport-Security"]
    r = _same(fast, flask, url, base_url="http://stats.example.com", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in r.headers


def test_other_methods_and_cookies_go_to_flask(doors, account, ids):
    fast, flask, handed_on = doors
    url = f"/x/{account.access_token}/data/{ids['hits']}"
    for method in ("HEAD", "POST", "DELETE"):
        before = handed_on.calls
        a, b = fast.open(url, method=method), flask.open(url, method=method)
        assert _strip(a) == _strip(b) and handed_on.calls == before + 1, method
    fast.set_cookie("eyrie_session", "x")
    before = handed_on.calls
    assert fast.get(url).status_code == 200 and handed_on.calls == before + 1


def test_a_revoked_token_is_refused_on_the_very_next_read(doors, db, account, ids):
    from app.interactors.accounts import revoke_token
    from app.storage import accounts as aq

    fast, _, _ = doors
    url = f"/x/{account.access_token}/data/{ids['hits']}"
    assert fast.get(url).status_code == 200
    tokens = db.read(lambda tx: aq.tokens(tx, account.id))
    token_id = next(t["id"] for t in tokens if t["token"] == account.access_token)
    revoke_token(db, account.id, token_id)
    r = fast.get(url)
    assert r.status_code == 404 and r.get_json()["status"] == 404


def test_with_replicas_reads_stay_on_flask(config, db, clock):
    """On replicas, Flask's hooks send export reads to the primary (read-your-writes)."""
    db.replicas = []
    try:
        app = create_web_app(config, db, clock)
    finally:
        del db.replicas
    assert not isinstance(app.wsgi_app, FastExport)


def test_what_the_read_raises_is_answered_by_flask_without_reading_again(doors, account, ids, monkeypatch):
    """A refusal or the database away: Flask gives its usual answer, and the read ran once."""
    from app.errors import Unavailable
    from app.interactors import export

    fast, flask, handed_on = doors
    real, calls = export.datasets, []

    def counted(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(export, "datasets", counted)
    for url in (f"/x/not-a-token/data/{ids['hits']}", f"/x/{account.access_token}/data/{ids['hits']}?t=zz"):
        calls.clear()
        r = _same(fast, flask, url)
        assert r.status_code in (400, 404) and len(calls) == 2, (url, calls)  # once per door

    def away(*args, **kwargs):
        calls.append(args[1])
        raise Unavailable("the database is not answering")

    monkeypatch.setattr(export, "datasets", away)
    calls.clear()
    before = handed_on.calls
    r = _same(fast, flask, f"/x/{account.access_token}/data/{ids['hits']}")
    assert r.status_code == 503 and r.get_json()["status"] == 503
    assert len(calls) == 2 and handed_on.calls == before + 1


@pytest.mark.parametrize("http_server", SERVERS)
def test_over_real_http_the_read_answers_as_flask_does(config, db, db_url, account, ids, tmp_path, http_server):
    """Under each HTTP server's own environ (its PATH_INFO, QUERY_STRING, url_scheme): the same
    answer as Flask alone gives in process. `start` pins the window, as the server's clock is real."""
    start = NOW - NOW % 3600 - 3600
    url = f"/x/{account.access_token}/data/{ids['hits']}/{ids['temp']}?t=1h1m&start={start}"
    server = EyrieServer(db_url, str(tmp_path / "var"), role="web", server=http_server).start()
    try:
        with urllib.request.urlopen(server.url + url) as r:
            status, body = r.status, r.read()
            # Names compare without case (granian sends them lower-cased, as HTTP allows).
            headers = {k.lower(): v for k, v in r.headers.items()
                       if k.lower() not in ("date", "server", "connection", "keep-alive")}
    finally:
        server.stop()
    flask = Client(create_web_app(config, db).wsgi_app.next).get(url)
    assert status == 200 and body == flask.get_data()
    assert sum(p["count"] for p in json.loads(body)[0]["points"]) > 0  # the window holds points
    assert headers == {k.lower(): v for k, v in flask.headers.items()}
