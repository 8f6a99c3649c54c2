"""Links and snippets carry the address people actually reach this server at."""

from __future__ import annotations

import dataclasses

from app.config import Config
from app.interactors.alerts import check_due
from app.interactors.notify import deliver_due
from tests.conftest import NOW
from tests.test_worker import smtp, triggered_alert  # noqa: F401  (the smtp fixture)
from tests.web_helpers import post


def test_without_eyrie_base_url_mail_links_follow_the_port():
    assert Config.from_env(env={}).mail_base_url == "http://127.0.0.1:8000"
    assert Config.from_env(env={"PORT": "18200"}).mail_base_url == "http://127.0.0.1:18200"
    assert Config.from_env(env={"EYRIE_PORT": "18300", "PORT": "1"}).mail_base_url == "http://127.0.0.1:18300"
    assert Config.from_env(env={"EYRIE_PORT": "9000", "EYRIE_HOST": "0.0.0.0"}).mail_base_url == "http://127.0.0.1:9000"
    set_ = Config.from_env(env={"EYRIE_BASE_URL": "https://stats.example.com/", "PORT": "18200"})
    assert set_.base_url == set_.mail_base_url == "https://stats.example.com"
    assert Config.from_env(env={"PORT": "junk"}).port == 8000


def _signed_in_at(client, base: str):
    """A client signed in through `base` (cookies belong to the host they were set by)."""
    import re

    html = client.get("/login", base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = client.post("/login", base_url=base, data={"email": "ann@example.com", "password": "password-ann",
                                                   "csrf_token": token})
    assert r.status_code == 302
    return client


def test_pages_use_the_request_host_when_eyrie_base_url_is_unset(web, account):
    client = _signed_in_at(web, "http://stats.internal:18200")
    html = client.get("/docs", base_url="http://stats.internal:18200").get_data(as_text=True)
    assert 'id="doc-base">http://stats.internal:18200<' in html
    assert "127.0.0.1:8000" not in html


def test_an_explicit_eyrie_base_url_wins_over_the_request_host(config, db, clock, account):
    from app.web import create_web_app

    app = create_web_app(dataclasses.replace(config, base_url="https://eyrie.example.com"), db, clock)
    client = _signed_in_at(app.test_client(), "http://10.0.0.5:8000")
    html = client.get("/docs", base_url="http://10.0.0.5:8000").get_data(as_text=True)
    assert 'id="doc-base">https://eyrie.example.com<' in html


def test_worker_mail_links_use_the_configured_port(db, account, config, smtp):  # noqa: F811
    config = dataclasses.replace(config, smtp_url=smtp.url, port=18200)
    a = triggered_alert(db, account, name="queue depth")
    check_due(db, NOW)
    assert deliver_due(db, config, NOW, "w1")["sent"] == 1
    text = smtp.messages[0].get_body(("plain",)).get_content()
    assert f"http://127.0.0.1:18200/stats/{a['stat_id']}" in text and ":8000" not in text


def test_a_password_reset_link_points_at_the_host_the_request_came_to(web, account, config):
    from app.mail import drain, read_outbox

    r = post(web, "/reset", {"email": account.email}, token_from="/reset")
    assert r.status_code == 200
    assert drain()
    [(_, msg)] = read_outbox(config.var_dir)
    assert "http://localhost/reset/" in msg.get_body(("plain",)).get_content()
