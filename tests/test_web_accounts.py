"""Sign-up, log-in, password reset and settings through the web app, with stored state."""

from __future__ import annotations

import re

import pytest

from app.errors import Forbidden
from app.interactors.accounts import authenticate
from app.mail import drain, read_outbox
from tests.conftest import NOW
from tests.helpers import count_rows
from tests.web_helpers import csrf_token, post


def test_sign_up_creates_the_account_and_signs_in(web, db):
    token = csrf_token(web, "/signup")
    r = web.post("/signup", data={"email": "New@Example.com", "password": "long-password", "timezone": "Asia/Tokyo",
                                  "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    row = db.read(lambda tx: tx.one("SELECT email, timezone, password_hash FROM accounts"))
    assert row["email"] == "new@example.com" and row["timezone"] == "Asia/Tokyo"
    assert row["password_hash"].startswith("scrypt:") and "long-password" not in row["password_hash"]
    assert web.get("/").status_code == 200
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_up_errors_are_shown_in_the_page_and_change_nothing(web, db, account):
    token = csrf_token(web, "/signup")
    r = web.post("/signup", data={"email": account.email, "password": "long-password", "csrf_token": token})
    assert r.status_code == 400 and "already exists" in r.get_data(as_text=True)
    r = web.post("/signup", data={"email": "x@example.com", "password": "short", "csrf_token": token})
    assert r.status_code == 400 and "at least 8 characters" in r.get_data(as_text=True)
    assert count_rows(db, "accounts") == 1


def test_login_with_a_wrong_password_is_refused_in_the_page(web, account):
    token = csrf_token(web)
    r = web.post("/login", data={"email": account.email, "password": "nope-nope", "csrf_token": token})
    assert r.status_code == 403 and "wrong email or password" in r.get_data(as_text=True)
    assert web.get("/").status_code == 302


def test_login_redirects_to_next_but_never_off_site(web, account):
    token = csrf_token(web)
    r = web.post("/login?next=/settings",
                 data={"email": account.email, "password": "password-ann", "csrf_token": token})
    assert r.headers["Location"] == "/settings"
    token = csrf_token(web, "/settings")  # signing in starts a new session, with a new token
    r = web.post("/login?next=//evil.example/x", data={"email": account.email, "password": "password-ann",
                                                       "csrf_token": token})
    assert r.headers["Location"] == "/"


def test_login_attempts_are_rate_limited(web, account):
    token = csrf_token(web)
    codes = [web.post("/login", data={"email": account.email, "password": "bad-bad-bad", "csrf_token": token})
             .status_code for _ in range(11)]
    assert codes[:10] == [403] * 10 and codes[10] == 429
    # The right password is refused too while the limit holds.
    r = web.post("/login", data={"email": account.email, "password": "password-ann", "csrf_token": token})
    assert r.status_code == 429


def test_logout_ends_the_session(signed_in):
    r = post(signed_in, "/logout")
    assert r.status_code == 302
    assert signed_in.get("/").status_code == 302


def test_password_reset_by_emailed_link(web, db, account, config):
    token = csrf_token(web, "/reset")
    r = web.post("/reset", data={"email": account.email, "csrf_token": token})
    assert r.status_code == 200 and "on its way" in r.get_data(as_text=True)
    assert drain()   # the mail is sent off the request's thread
    [(_, msg)] = read_outbox(config.var_dir)
    assert msg["To"] == account.email and msg["Subject"] == "Reset your Eyrie password"
    link = re.search(r"(/reset/[\w.\-]+)", msg.get_body(("plain",)).get_content()).group(1)
    r = web.post(link, data={"password": "brand-new-pw", "confirm": "brand-new-pw", "csrf_token": token})
    assert r.status_code == 302
    assert authenticate(db, account.email, "brand-new-pw")["id"] == account.id
    # The link works once: the password it was made for is gone.
    token = csrf_token(web, "/settings")
    r = web.post(link, data={"password": "another-pw1", "confirm": "another-pw1", "csrf_token": token})
    assert r.status_code == 400 and "already used" in r.get_data(as_text=True)


def test_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(web, config):
    token = csrf_token(web, "/reset")
    r = web.post("/reset", data={"email": "nobody@example.com", "csrf_token": token})
    assert r.status_code == 200 and "on its way" in r.get_data(as_text=True)
    assert drain()
    assert read_outbox(config.var_dir) == []


def test_the_reset_reply_does_not_wait_for_the_mail(db, account, config):
    """An SMTP server that accepts and then says nothing until the reply has come: with the mail
    sent in the request the reply would wait for it (and fail on the SMTP timeout). Mail that fails
    is logged, never a 500."""
    import socket
    import threading
    from dataclasses import replace

    from app.web import create_web_app

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    replied, connected = threading.Event(), threading.Event()

    def server():
        conn, _ = listener.accept()
        connected.set()
        replied.wait(15)
        conn.close()   # hang up without a greeting: the mail fails, on the mail thread

    t = threading.Thread(target=server, daemon=True)
    t.start()
    slow = replace(config, smtp_url=f"smtp://127.0.0.1:{listener.getsockname()[1]}")
    client = create_web_app(slow, db).test_client()
    token = csrf_token(client, "/reset")
    r = client.post("/reset", data={"email": account.email, "csrf_token": token})
    assert r.status_code == 200 and "on its way" in r.get_data(as_text=True)
    assert not replied.is_set()
    replied.set()
    assert connected.wait(15)   # the mail thread did try to send it
    assert drain()
    t.join(15)
    listener.close()
    assert read_outbox(config.var_dir) == []   # it went to SMTP, not to the outbox



def test_a_forged_reset_token_is_refused(web):
    r = web.get("/reset/not-a-real-token")
    assert r.status_code == 400 and "not valid" in r.get_data(as_text=True)


def test_changing_the_password_signs_out_other_sessions(signed_in, web, db, account, config):
    from app.interactors.accounts import _reset_serializer, reset_password

    token = _reset_serializer(config.secret_key).dumps(
        {"a": account.id, "h": db.read(lambda tx: tx.scalar("SELECT password_hash FROM accounts"))[-16:],
         "exp": NOW + 60})
    reset_password(db, config.secret_key, token, "changed-elsewhere", NOW)
    assert signed_in.get("/").status_code == 302


# -- settings ---------------------------------------------------------------------------------


def test_extra_ez_keys_work_until_deleted(signed_in, ingest, db, account):
    r = post(signed_in, "/settings/ezkeys", {"ezkey": "backend-key"}, htmx=True)
    assert r.status_code == 200 and "backend-key" in r.get_data(as_text=True)
    assert ingest.get("/ez?ezkey=backend-key&stat=x&count=1").status_code == 200
    assert ingest.get(f"/ez?ezkey={account.ezkey}&stat=x&count=1").status_code == 200
    key_id = db.read(lambda tx: tx.scalar("SELECT id FROM ez_keys WHERE ezkey = 'backend-key'"))
    assert post(signed_in, f"/settings/ezkeys/{key_id}/delete", htmx=True).status_code == 200
    assert ingest.get("/ez?ezkey=backend-key&stat=x&count=1").status_code == 403


def test_a_taken_ez_key_is_refused_with_a_message(signed_in, other_account, db):
    r = post(signed_in, "/settings/ezkeys", {"ezkey": other_account.ezkey}, htmx=True)
    assert r.status_code == 409 and "taken" in r.get_data(as_text=True)
    assert count_rows(db, "ez_keys") == 2


def test_the_last_ez_key_cannot_be_deleted(signed_in, db):
    key_id = db.read(lambda tx: tx.scalar("SELECT id FROM ez_keys"))
    r = post(signed_in, f"/settings/ezkeys/{key_id}/delete", htmx=True)
    assert r.status_code == 400 and count_rows(db, "ez_keys") == 1


def test_access_tokens_create_and_revoke(signed_in, web, db, account):
    r = post(signed_in, "/settings/tokens", {"name": "grafana"}, htmx=True)
    token = re.search(r'id="new-token">(\w+)<', r.get_data(as_text=True)).group(1)
    assert web.get(f"/x/{token}/statlist").status_code == 200
    token_id = db.read(lambda tx: tx.scalar("SELECT id FROM access_tokens WHERE name = 'grafana'"))
    post(signed_in, f"/settings/tokens/{token_id}/revoke", htmx=True)
    assert web.get(f"/x/{token}/statlist").status_code == 404


def test_another_accounts_keys_and_tokens_cannot_be_deleted(signed_in, db, other_account):
    key_id = db.read(lambda tx: tx.scalar("SELECT id FROM ez_keys WHERE ezkey = ?", (other_account.ezkey,)))
    tok_id = db.read(lambda tx: tx.scalar("SELECT id FROM access_tokens WHERE token = ?",
                                          (other_account.access_token,)))
    assert post(signed_in, f"/settings/ezkeys/{key_id}/delete", htmx=True).status_code == 404
    assert post(signed_in, f"/settings/tokens/{tok_id}/revoke", htmx=True).status_code == 404
    assert count_rows(db, "ez_keys") == 2 and count_rows(db, "access_tokens") == 2


def test_turning_the_ez_api_off_and_changing_timezone(signed_in, ingest, db, account):
    ingest.get(f"/ez?ezkey={account.ezkey}&stat=tz&count=1&t={NOW}")
    r = post(signed_in, "/settings/preferences", {"timezone": "America/Los_Angeles"}, htmx=True)
    assert r.status_code == 200
    row = db.read(lambda tx: tx.one("SELECT timezone, ez_enabled FROM accounts"))
    assert row == {"timezone": "America/Los_Angeles", "ez_enabled": 0}
    assert ingest.get(f"/ez?ezkey={account.ezkey}&stat=tz&count=1").status_code == 403
    # The day bucket moved to Los Angeles midnight (08:00 UTC).
    days = db.read(lambda tx: tx.all("SELECT ts, total FROM rollups WHERE res = 86400"))
    assert days == [{"ts": NOW - NOW % 86400 + 8 * 3600, "total": 1.0}]


def test_an_unknown_timezone_is_refused(signed_in, db):
    r = post(signed_in, "/settings/preferences", {"timezone": "Mars/Olympus", "ez_enabled": "on"}, htmx=True)
    assert r.status_code == 400 and "unknown timezone" in r.get_data(as_text=True)
    assert db.read(lambda tx: tx.scalar("SELECT timezone FROM accounts")) == "UTC"


def test_the_user_key_can_be_rotated(signed_in, db, account):
    post(signed_in, "/settings/ukey", htmx=True)
    assert db.read(lambda tx: tx.scalar("SELECT ukey FROM accounts")) != account.ukey


def test_settings_as_json(signed_in, account):
    r = signed_in.get("/settings", headers={"Accept": "application/json"})
    body = r.get_json()
    assert body["email"] == account.email and [k["ezkey"] for k in body["ezkeys"]] == [account.ezkey]
    assert "token" not in body["tokens"][0]  # secrets are not echoed in JSON
    assert "Accept" in r.headers["Vary"] and "HX-Request" in r.headers["Vary"]


# -- accounts are not revealed (issue 8) -------------------------------------------------------------


@pytest.fixture
def scrypt_calls(monkeypatch):
    """Every scrypt run, with its cost parameters. A spy: the real KDF still does the work."""
    import hashlib

    calls, real = [], hashlib.scrypt

    def spy(password, *, salt, n, r, p, maxmem=0, dklen=64):
        calls.append((n, r, p, dklen))
        return real(password, salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=dklen)

    monkeypatch.setattr(hashlib, "scrypt", spy)
    return calls


def test_a_wrong_password_costs_the_same_scrypt_work_for_an_unknown_email(db, account, scrypt_calls):
    stored = db.read(lambda tx: tx.scalar("SELECT password_hash FROM accounts WHERE id = ?", (account.id,)))
    _, n, r, p = stored.split("$")[0].split(":")
    with pytest.raises(Forbidden):
        authenticate(db, "nobody@example.com", "a-guess-1")   # the first one may make the dummy hash
    for email in (account.email, "nobody@example.com", "someone-else@example.com"):
        scrypt_calls.clear()
        with pytest.raises(Forbidden, match="wrong email or password"):
            authenticate(db, email, "a-guess-2")
        # One KDF run with the stored hashes' own cost, known email or not.
        assert scrypt_calls == [(int(n), int(r), int(p), 64)], email


def test_the_dummy_hash_matches_no_password(db):
    from app.passwords import _dummy_hash, check_password

    assert _dummy_hash().startswith("scrypt:")
    assert check_password(None, "") is False and check_password(None, "password-ann") is False


def test_the_page_answers_the_same_for_an_unknown_email_and_a_wrong_password(web, account):
    token = csrf_token(web)
    known = web.post("/login", data={"email": account.email, "password": "nope-nope", "csrf_token": token})
    unknown = web.post("/login", data={"email": "zed@example.com", "password": "nope-nope", "csrf_token": token})
    assert known.status_code == unknown.status_code == 403
    def page(r):   # the CSRF token is signed with the time: the one part that may differ
        return re.sub(r'(csrf_token" value="|"X-CSRFToken": ")[^"]+', r"\1", r.get_data(as_text=True))

    assert "wrong email or password" in page(unknown)
    assert page(unknown).replace("zed@example.com", account.email) == page(known)


def test_sign_up_attempts_are_rate_limited_so_already_exists_cannot_test_a_list(web, db, account):
    token = csrf_token(web, "/signup")
    codes = [web.post("/signup", data={"email": account.email, "password": "long-password", "csrf_token": token})
             .status_code for _ in range(6)]
    assert codes == [400] * 5 + [429]
    # A new email is refused too while the limit holds, and nothing is stored.
    r = web.post("/signup", data={"email": "new@example.com", "password": "long-password", "csrf_token": token})
    assert r.status_code == 429 and "already exists" not in r.get_data(as_text=True)
    assert count_rows(db, "accounts") == 1


def test_password_reset_requests_are_rate_limited(web, account, config):
    token = csrf_token(web, "/reset")
    codes = [web.post("/reset", data={"email": account.email, "csrf_token": token}).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    assert drain()
    assert len(read_outbox(config.var_dir)) == 5
