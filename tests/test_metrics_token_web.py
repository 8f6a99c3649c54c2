"""The metrics prefix token in settings: shown, rotated by a CSRF-protected POST, per account."""

from __future__ import annotations

from app.interactors.listeners import metrics_token
from tests.web_helpers import post


def stored_token(db, account_id):
    return db.read(lambda tx: tx.scalar("SELECT metrics_token FROM accounts WHERE id = ?", (account_id,)))


def test_settings_show_the_token_and_rotate_it(db, signed_in, account, other_account):
    html = signed_in.get("/settings").get_data(as_text=True)
    token = stored_token(db, account.id)
    assert token and f'id="metrics-token">{token}<' in html
    bob = metrics_token(db, other_account.id)

    r = post(signed_in, "/settings/metrics-token", htmx=True)
    assert r.status_code == 200
    new = stored_token(db, account.id)
    assert new != token and new in r.get_data(as_text=True)
    assert stored_token(db, other_account.id) == bob  # only the signed-in account's token changes


def test_rotate_without_csrf_token_is_refused(db, signed_in, account):
    signed_in.get("/settings")
    token = stored_token(db, account.id)
    r = signed_in.post("/settings/metrics-token")
    assert r.status_code == 400
    assert stored_token(db, account.id) == token


def test_rotate_needs_a_session(web, db, account):
    r = web.post("/settings/metrics-token")
    assert r.status_code in (302, 400, 403)
    assert stored_token(db, account.id) is None
