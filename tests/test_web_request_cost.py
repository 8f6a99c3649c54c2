"""What each web answer no longer pays for (bench/README.md, 2026-12-03): JSON answers encoded by
msgspec, security headers built once per policy, no session signer for a request without a cookie,
no rate-limit hook after requests that are not limited. Each keeps its answers as they were."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface

from app.interactors.ingest import EzItem, record_ez
from app.web.json_provider import MsgspecJSONProvider
from tests.conftest import NOW
from tests.helpers import stat_row
from tests.web_helpers import csrf_token, login


def _app(**settings) -> Flask:
    app = Flask("t")
    app.json = MsgspecJSONProvider(app)
    app.json.sort_keys = False
    for k, v in settings.items():
        setattr(app.json, k, v)

    @app.get("/<case>")
    def answer(case):
        return {
            "plain": {"b": 1, "a": [1.5, None, True, "x"]},
            "accents": {"name": "café ☕"},
            "nan": {"v": float("nan"), "inf": float("inf")},
            "huge": {"n": 2 ** 70},
            "surrogate": {"s": "a\ud800"},
        }[case]

    return app


def test_answers_parse_to_the_same_value_as_flasks_own_and_keep_their_key_order():
    c = _app().test_client()
    r = c.get("/plain")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.data == b'{"b":1,"a":[1.5,null,true,"x"]}\n'
    r = c.get("/accents")
    assert r.data == '{"name":"café ☕"}\n'.encode()
    assert r.get_json() == {"name": "café ☕"}


def test_non_finite_numbers_are_null_not_the_invalid_NaN():
    r = _app().test_client().get("/nan")
    assert r.status_code == 200 and json.loads(r.data) == {"v": None, "inf": None}


@pytest.mark.parametrize("case", ["huge", "surrogate"])
def test_what_msgspec_cannot_write_goes_through_flasks_encoder(case):
    c = _app().test_client()
    r = c.get(f"/{case}")
    assert r.status_code == 200
    flask_text = json.dumps({"huge": {"n": 2 ** 70}, "surrogate": {"s": "a\ud800"}}[case], separators=(",", ":"))
    assert r.data.decode() == flask_text + "\n"


def test_sorted_or_pretty_answers_are_flasks_own():
    r = _app(sort_keys=True).test_client().get("/plain")
    assert r.data == b'{"a":[1.5,null,true,"x"],"b":1}\n'
    r = _app(compact=False).test_client().get("/plain")
    assert r.data == DefaultJSONProvider(Flask("u")).dumps({"b": 1, "a": [1.5, None, True, "x"]}, indent=2,
                                                          sort_keys=False).encode() + b"\n"


def test_the_export_api_answers_a_non_ascii_name_as_utf8(web, db, account):
    record_ez(db, account.ezkey, [EzItem(stat="café ☕", count=2, t=NOW - 120)], NOW, bulk=True)
    sid = stat_row(db, account.id, "café ☕")["id"]
    r = web.get(f"/x/{account.access_token}/data/{sid}?t=1h1m")
    assert r.status_code == 200 and "café ☕".encode() in r.data
    (ds,) = r.get_json()
    assert ds["name"] == "café ☕" and sum(p["count"] for p in ds["points"]) == 1
    assert sum(p["value"] for p in ds["points"]) == 2


def test_a_request_without_a_cookie_never_builds_the_session_signer(web, account, monkeypatch):
    built = []
    real = SecureCookieSessionInterface.get_signing_serializer
    monkeypatch.setattr(SecureCookieSessionInterface, "get_signing_serializer",
                        lambda self, app: built.append(1) or real(self, app))
    r = web.get(f"/x/{account.access_token}/statlist")
    assert r.status_code == 200 and built == [] and "Set-Cookie" not in r.headers
    # A signed-in visitor's cookie is still read and signed as before.
    login(web, "ann@example.com", "password-ann")
    built.clear()
    r = web.get("/settings")
    assert r.status_code == 200 and built and b"ann@example.com" in r.data


def test_policies_built_once_stay_each_answers_own(web, db, account):
    # Alternating app pages and embeds: a cached policy never leaks from one kind to the other.
    record_ez(db, account.ezkey, [EzItem(stat="signups", count=1, t=NOW - 60)], NOW, bulk=True)
    key = stat_row(db, account.id, "signups")["embed_key"]
    seen = [web.get(p) for p in ("/login", f"/embed/graph/{key}", "/login", f"/embed/graph/{key}", "/login")]
    page, frame = seen[0].headers["Content-Security-Policy"], seen[1].headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page and "frame-ancestors 'none'" not in frame
    assert seen[0].headers["X-Frame-Options"] == "DENY" and "X-Frame-Options" not in seen[1].headers
    assert [r.headers["Content-Security-Policy"] for r in seen] == [page, frame, page, frame, page]


def test_answers_carry_no_rate_limit_headers_and_limits_still_hold(web, account):
    r = web.get("/login")
    assert not [h for h in r.headers.keys() if h.lower().startswith(("x-ratelimit", "retry-after"))]
    token = csrf_token(web)
    codes = [web.post("/login", data={"email": "nobody@example.com", "password": "x", "csrf_token": token})
             for _ in range(11)]
    assert [c.status_code for c in codes[:10]] == [403] * 10 and codes[10].status_code == 429
    assert not [h for h in codes[0].headers.keys() if h.lower().startswith("x-ratelimit")]
