"""Sweeps over every route of the web app, so new pages cannot forget the rules:
anonymous users are sent to log in, state changes need a CSRF token, other accounts' objects 404."""

from __future__ import annotations

import re

import pytest

from app.interactors.ingest import EzItem, record_ez
from tests.conftest import NOW
from tests.helpers import stat_row

# Pages anyone may see: logging in, public embeds and shared dashboards, APIs with their own tokens.
PUBLIC = re.compile(r"^(static|healthz|accounts\.(login|signup|reset_request|reset)|export_api\..*|alerts_api\..*"
                    r"|graphite_api\..*|embeds\..*|dashboards\.shared.*|public\..*|reports\.unsubscribe|alerts\.public.*|stats_public\..*)$")


def routes(app, methods):
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static" and not PUBLIC.match(rule.endpoint) and rule.methods & methods:
            yield rule


def build(rule, values: dict) -> str:
    path = rule.rule
    for arg in rule.arguments:
        path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", str(values.get(arg, 1)), path)
    return path


@pytest.fixture
def theirs(db, other_account):
    record_ez(db, other_account.ezkey, [EzItem(stat="their stat", count=1, t=NOW)], NOW, bulk=True)
    sid = stat_row(db, other_account.id, "their stat")["id"]
    ids = {"stat_id": sid}
    for arg, sql in (("key_id", "SELECT id FROM ez_keys WHERE account_id = ?"),
                     ("token_id", "SELECT id FROM access_tokens WHERE account_id = ?")):
        ids[arg] = db.read(lambda tx, sql=sql: tx.scalar(sql, (other_account.id,)))
    for table, arg in (("analyses", "analysis_id"), ("dashboards", "dashboard_id"), ("alerts", "alert_id")):
        try:
            ids[arg] = db.read(lambda tx, t=table: tx.scalar(f"SELECT MAX(id) FROM {t} WHERE account_id = ?",
                                                              (other_account.id,))) or 999999
        except Exception:
            ids[arg] = 999999
    return ids


def test_every_page_and_fragment_sends_anonymous_users_to_log_in(web, theirs):
    checked = 0
    for rule in routes(web.application, {"GET"}):
        path = build(rule, theirs)
        r = web.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), (rule.rule, r.status_code)
        r = web.get(path, headers={"HX-Request": "true"})
        assert r.status_code == 401 and r.headers["HX-Redirect"].startswith("/login"), rule.rule
        checked += 1
    assert checked >= 4


def test_every_state_change_needs_a_csrf_token(signed_in, db, theirs):
    checked = 0
    before = db.read(lambda tx: tx.all("SELECT id, name, deleted_at, unit, public FROM stats ORDER BY id"))
    for rule in routes(signed_in.application, {"POST", "PUT", "PATCH", "DELETE"}):
        method = next(m for m in ("POST", "PUT", "PATCH", "DELETE") if m in rule.methods)
        r = signed_in.open(build(rule, theirs), method=method, data={"name": "x", "stat": theirs["stat_id"]})
        assert r.status_code == 400, (rule.rule, r.status_code)
        assert "expired" in r.get_data(as_text=True)
        checked += 1
    assert checked >= 8
    assert db.read(lambda tx: tx.all("SELECT id, name, deleted_at, unit, public FROM stats ORDER BY id")) == before


def test_other_accounts_objects_are_404_on_every_route_that_names_one(signed_in, db, theirs):
    from tests.web_helpers import csrf_token

    token = csrf_token(signed_in, "/settings")
    before = db.read(lambda tx: tx.all("SELECT id, name, deleted_at, unit, public FROM stats ORDER BY id"))
    checked = 0
    for rule in signed_in.application.url_map.iter_rules():
        owned = {"stat_id", "key_id", "token_id", "analysis_id", "dashboard_id", "alert_id", "tile_id"}
        if PUBLIC.match(rule.endpoint) or not (set(rule.arguments) & owned):
            continue
        for method in sorted(rule.methods & {"GET", "POST", "DELETE"}):
            r = signed_in.open(build(rule, theirs), method=method, headers={"X-CSRFToken": token},
                               data={"name": "stolen", "unit": "x", "public": "on"})
            assert r.status_code == 404, (method, rule.rule, r.status_code)
            checked += 1
    assert checked >= 2
    assert db.read(lambda tx: tx.all("SELECT id, name, deleted_at, unit, public FROM stats ORDER BY id")) == before


def test_error_pages_are_html_for_browsers_and_json_for_api_clients(signed_in):
    r = signed_in.get("/no/such/page")
    assert r.status_code == 404 and "<html" in r.get_data(as_text=True) and "Not found" in r.get_data(as_text=True)
    r = signed_in.get("/no/such/page", headers={"Accept": "application/json"})
    assert r.get_json() == {"status": 404, "msg": "There is nothing here."}
    r = signed_in.get("/x/whatever/nope")
    assert r.status_code == 404 and r.get_json()["status"] == 404
