"""The single-post fast path (app/ingest/fast.py) answers exactly as the Flask views behind it do:
same status, body and headers, same stored points, and it hands on everything it does not handle."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from app.ingest import create_ingest_app
from app.ingest.fast import FastIngest
from app.interactors.accounts import create_account
from app.interactors.stats import create_stat
from app.rollups import MINUTE
from tests.conftest import NOW
from tests.helpers import count_rows, rollup, stat_row

T = NOW - NOW % 60 - 600


@pytest.fixture
def both(config, db, clock):
    """(fast client, Flask-only client, account for fast, account for Flask): one app, two doors."""
    app = create_ingest_app(config, db, clock)
    assert isinstance(app.wsgi_app, FastIngest)
    fast, flask_only = Client(app.wsgi_app), Client(app.wsgi_app.next)
    a = create_account(db, "fast@example.com", "password-fast", NOW)
    b = create_account(db, "flask@example.com", "password-flask", NOW)
    return fast, flask_only, a, b


def _requests(acc, key):
    ez, uk = acc.ezkey, acc.ukey
    return [
        ("POST", "/ez", {"data": f"ezkey={ez}&stat=hits&count=2&t={T}",
                         "content_type": "application/x-www-form-urlencoded"}),
        ("POST", f"/ez?ezkey={ez}", {"data": f"stat=load&value=0.5&t={T}",
                                     "content_type": "application/x-www-form-urlencoded; charset=utf-8"}),
        ("GET", f"/ez?ezkey={ez}&stat=hits&count=1&t={T}&vb=0", {}),
        ("POST", "/ez", {"data": f"ezkey={ez}&stat=messages sent~a,b&count=1&t={T}", "content_type": "text/plain"}),
        ("POST", "/ez", {"data": f"ezkey={ez}&stat=hits&count=abc",
                         "content_type": "application/x-www-form-urlencoded"}),
        ("POST", "/ez", {"data": "ezkey=nobody-has-this&stat=x&count=1",
                         "content_type": "application/x-www-form-urlencoded"}),
        ("POST", "/ez", {"data": f"ezkey={ez}&count=1", "content_type": "application/x-www-form-urlencoded"}),
        ("POST", "/ez", {"data": f"ezkey={ez}&stat=hits&count=1e400",
                         "content_type": "application/x-www-form-urlencoded"}),
        ("POST", "/ez", {"data": b"ezkey=" + ez.encode() + b"&stat=\xff\xfe&count=1",
                         "content_type": "application/x-www-form-urlencoded"}),
        ("POST", "/c", {"data": f"ukey={uk}&key={key}&count=4&t={T}",
                        "content_type": "application/x-www-form-urlencoded"}),
        ("GET", f"/c?ukey={uk}&key={key}&value=3&t={T}", {}),
        ("POST", "/v", {"data": f"ukey={uk}&key={key}", "content_type": "application/x-www-form-urlencoded"}),
        ("POST", "/c", {"data": f"ukey={uk}&key=wrong-key&count=1",
                        "content_type": "application/x-www-form-urlencoded"}),
    ]


def _strip(r):
    headers = sorted((k, v) for k, v in r.headers.items() if k not in ("Date", "Server"))
    return r.status, r.get_data(), headers


def test_every_single_post_answers_and_stores_the_same_on_both_paths(both, db):
    fast, flask_only, a, b = both
    key_a = create_stat(db, a.email, "classic", "counter", NOW)["classic_key"]
    key_b = create_stat(db, b.email, "classic", "counter", NOW)["classic_key"]
    seen = set()
    for (method, url, kw), (_, url_b, kw_b) in zip(_requests(a, key_a), _requests(b, key_b)):
        ra = fast.open(url, method=method, **kw)
        rb = flask_only.open(url_b, method=method, **kw_b)
        sa, sb = _strip(ra), _strip(rb)
        # The keys differ between the two accounts; nothing else may.
        assert sa == sb, (url, sa, sb)
        seen.add(ra.status_code)
    assert seen >= {200, 204, 400}, seen   # good posts, terse posts and refusals were all compared
    for name in ("hits", "load", "messages sent~a,b", "classic"):
        ra, rb = stat_row(db, a.id, name), stat_row(db, b.id, name)
        assert (ra is None) == (rb is None), name
        if ra:
            assert rollup(db, ra["id"], MINUTE, T) == rollup(db, rb["id"], MINUTE, T), name
    assert rollup(db, stat_row(db, a.id, "hits")["id"], MINUTE, T) == (3.0, 2, 1.0, 2.0)
    assert rollup(db, stat_row(db, a.id, "classic")["id"], MINUTE, T) == (7.0, 2, 3.0, 4.0)


def test_what_the_fast_path_does_not_answer_reaches_flask(both, db, config):
    fast, _, a, _ = both
    # JSON bulk
    r = fast.post("/ez", json={"ezkey": a.ezkey, "data": [{"stat": "bulk", "count": 1, "t": T}]})
    assert r.status_code == 200 and r.get_json()["multiple"] == 1
    # multipart form
    r = fast.post("/ez", data={"ezkey": a.ezkey, "stat": "multi", "count": "5", "t": str(T)},
                  content_type="multipart/form-data")
    assert r.status_code == 200
    assert rollup(db, stat_row(db, a.id, "multi")["id"], MINUTE, T) == (5.0, 1, 5.0, 5.0)
    # a body over the limit: Flask's 413, nothing stored
    before = count_rows(db, "stats")
    r = fast.post("/ez", data=b"ezkey=" + a.ezkey.encode() + b"&stat=big&count=1&pad=" + b"x" * config.max_body_bytes,
                  content_type="application/x-www-form-urlencoded")
    assert r.status_code == 413 and r.get_json()["msg"] == "request body too large"
    assert count_rows(db, "stats") == before
    # other methods and paths
    assert fast.put("/ez").status_code == 405
    assert fast.get("/").status_code == 200


def test_with_a_rate_limit_single_posts_stay_on_the_limited_views(config, db, clock):
    from dataclasses import replace

    app = create_ingest_app(replace(config, ingest_rate_limit=2), db, clock)
    assert not isinstance(app.wsgi_app, FastIngest)
    acc = create_account(db, "limited@example.com", "password-limited", NOW)
    client = app.test_client()
    codes = [client.post("/ez", data={"ezkey": acc.ezkey, "stat": "x", "count": "1", "t": str(T)}).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]
    assert rollup(db, stat_row(db, acc.id, "x")["id"], MINUTE, T) == (2.0, 2, 1.0, 1.0)
