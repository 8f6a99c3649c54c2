"""The "Send data" page: real keys, this server's URL, escaping, and snippets that actually post."""

from __future__ import annotations

import ast
import dataclasses
import html as htmllib
import json
import re
import shlex
from urllib.parse import quote, urlparse

import pytest

from app.interactors.accounts import add_ezkey, create_account
from app.storage import accounts as aq
from tests.conftest import NOW
from tests.helpers import rollup, stat_row
from tests.web_helpers import login

BASE = "https://stats.example.org:8443"
ODD_EMAIL = "o'<b>\"&$x#{1}\\@example.com"   # valid as an email here, and hostile in every language


@pytest.fixture
def web(config, db, clock):
    """The web app with its public URL set, as EYRIE_BASE_URL would."""
    from app.web import create_web_app

    return create_web_app(dataclasses.replace(config, base_url=BASE), db, clock).test_client()


def _seed_stats(ingest, ezkey: str) -> None:
    for stat, field in (("hits", "count"), ("load", "value")):
        r = ingest.get("/ez", query_string={"ezkey": ezkey, "stat": stat, field: 1, "t": NOW - 7200})
        assert r.status_code == 200


def _snippets(page: str) -> dict[str, str]:
    """Snippet id -> the text a Copy button copies (the <pre>'s text)."""
    return {m.group(1): htmllib.unescape(m.group(2))
            for m in re.finditer(r'<pre id="(sn-[\w-]+)"><code>(.*?)</code></pre>', page, re.S)}


def _curl_requests(script: str) -> list[dict]:
    """What curl sends for each command of a snippet: -d as is, --data-urlencode name=content encoded."""
    script = "\n".join(line for line in script.splitlines() if not line.startswith("#"))
    script = script.replace("\\\n", " ").replace("$(date +%s)", str(NOW))
    out = []
    for command in script.split("\n\n"):   # commands are separated by a blank line
        words = shlex.split(command)
        assert words[0] == "curl", command
        args, fields, body, headers, url = words[1:], [], None, {}, None
        it = iter(args)
        for a in it:
            if a == "-d":
                fields.append(next(it))
            elif a == "--data-urlencode":
                name, _, content = next(it).partition("=")
                fields.append(f"{name}={quote(content, safe='')}")
            elif a == "--data-binary":
                body = next(it)
            elif a == "-H":
                k, _, v = next(it).partition(": ")
                headers[k] = v
            else:
                url = a
        out.append({"url": url, "body": body if body is not None else "&".join(fields),
                    "content_type": headers.get("Content-Type", "application/x-www-form-urlencoded")})
    return out


def _post(ingest, req: dict):
    assert req["url"].startswith(BASE + "/")
    return ingest.post(urlparse(req["url"]).path, data=req["body"].encode(), content_type=req["content_type"])


# -- access -------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(web):
    r = web.get("/docs")
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=/docs"
    r = web.get("/docs", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["HX-Redirect"] == "/login?next=/docs"


def test_the_nav_links_to_it(signed_in):
    html = signed_in.get("/").get_data(as_text=True)
    assert 'href="/docs"' in html and "Send data" in html


# -- the page carries the account's own keys -----------------------------------------------------


def test_page_has_the_accounts_real_keys_and_this_servers_url(signed_in, ingest, db, account, other_account):
    _seed_stats(ingest, account.ezkey)
    _seed_stats(ingest, other_account.ezkey)
    add_ezkey(db, account.id, "second-key", NOW)   # the first EZ key is the one shown
    r = signed_in.get("/docs")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    hits, load = stat_row(db, account.id, "hits"), stat_row(db, account.id, "load")
    for needle in (account.ezkey, account.ukey, hits["classic_key"], load["classic_key"], BASE + "/ez", BASE + "/c",
                   BASE + "/v"):
        assert needle in page, needle
    assert f"ezkey={account.ezkey}" in page and "ezkey=second-key" not in page
    bob_hits = stat_row(db, other_account.id, "hits")
    for secret in (other_account.ezkey, other_account.ukey, other_account.access_token, bob_hits["classic_key"],
                   account.access_token):
        assert secret not in page
    assert "127.0.0.1:8000" not in page
    # Every language, the JSON bulk form, the client settings and the reply codes are there.
    for text in ("curl", "requests.post(", "stathat.StatHat(", "fetch(", "net/http", "Net::HTTP.post_form",
                 "curl_init(", "file_get_contents(", "application/json", "STATHAT_POSTHOST", "EZ_URL",
                 "STATHAT_URL", "vb=0", "vb=1", "204", '{"status":200,"msg":"ok"}', '"multiple"',
                 "rejected_count", "EYRIE_TERSE_REPLIES"):
        assert htmllib.escape(text, quote=False) in page or text in page, text
    # Each snippet has a Copy button for it.
    for sid in _snippets(page):
        assert f'data-copy="{sid}"' in page


def test_json_answer_has_the_same_keys(signed_in, ingest, account):
    _seed_stats(ingest, account.ezkey)
    data = signed_in.get("/docs", headers={"Accept": "application/json"}).json
    assert data["ezkey"] == account.ezkey and data["ukey"] == account.ukey and data["base_url"] == BASE
    assert {s["name"] for s in data["classic_stats"]} == {"hits", "load"}


def test_without_stats_the_classic_key_is_an_explained_placeholder(signed_in, account):
    page = signed_in.get("/docs").get_data(as_text=True)
    assert "STAT_KEY" in page and "Create one first" in page
    assert account.ukey in page


def test_a_note_when_the_ez_api_is_off(signed_in, db, account):
    db.run(lambda tx: aq.update_account(tx, account.id, ez_enabled=0))
    page = signed_in.get("/docs").get_data(as_text=True)
    assert "The EZ API is turned off" in page


# -- the snippets work --------------------------------------------------------------------------


def test_the_curl_snippets_post_for_real(signed_in, ingest, db, account):
    _seed_stats(ingest, account.ezkey)
    sn = _snippets(signed_in.get("/docs").get_data(as_text=True))
    count_req, value_req = _curl_requests(sn["sn-curl-ez"])
    assert _post(ingest, count_req).status_code == 200
    assert _post(ingest, value_req).status_code == 200
    minute = NOW - NOW % 60
    assert rollup(db, stat_row(db, account.id, "signups")["id"], 60, minute) == (1, 1, 1, 1)
    assert rollup(db, stat_row(db, account.id, "response time")["id"], 60, minute) == (0.375, 1, 0.375, 0.375)

    c_req, v_req = _curl_requests(sn["sn-curl-classic"])
    assert _post(ingest, c_req).status_code == 200 and _post(ingest, v_req).status_code == 200
    # With no t, the classic posts land at receive time (the pinned clock).
    assert rollup(db, stat_row(db, account.id, "hits")["id"], 60, minute) == (1, 1, 1, 1)
    assert rollup(db, stat_row(db, account.id, "load")["id"], 60, minute) == (0.375, 1, 0.375, 0.375)

    [bulk] = _curl_requests(sn["sn-bulk-curl"])
    r = _post(ingest, bulk)
    assert r.status_code == 200 and r.json["status"] == 200 and r.json["multiple"] == 4
    assert rollup(db, stat_row(db, account.id, "signups")["id"], 60, minute) == (3, 2, 1, 2)
    assert stat_row(db, account.id, "messages sent europe") is not None
    assert rollup(db, stat_row(db, account.id, "load average")["id"], 60, minute)[0] == 0.732


def test_hostile_keys_are_escaped_in_html_and_quoted_per_language(web, db, ingest):
    odd = create_account(db, ODD_EMAIL, "password-odd", NOW)
    login(web, ODD_EMAIL, "password-odd")
    page = web.get("/docs").get_data(as_text=True)
    assert "<b>" not in page and "&lt;b&gt;" in page
    sn = _snippets(page)
    # Shell: shlex gives back the exact key, and curl's post is accepted as that account.
    [count_req, _] = _curl_requests(sn["sn-curl-ez"])
    assert _post(ingest, count_req).status_code == 200
    assert stat_row(db, odd.id, "signups") is not None
    # Python and JavaScript/Go (JSON) literals, Ruby/PHP single-quoted strings: each decodes to the key.
    assert ast.literal_eval(re.search(r"^EZKEY = (.*)$", sn["sn-python-ez"], re.M).group(1)) == ODD_EMAIL
    assert json.loads(re.search(r"^const EZKEY = (.*);$", sn["sn-js-node"], re.M).group(1)) == ODD_EMAIL
    assert json.loads(re.search(r"^const ezkey = (.*)$", sn["sn-go-ez"], re.M).group(1)) == ODD_EMAIL
    for sid, pattern in (("sn-ruby-ez", r"^EZKEY = '(.*)'$"), ("sn-php-ez", r"^\$ezkey = '(.*)';$")):
        literal = re.search(pattern, sn[sid], re.M).group(1)
        assert re.sub(r"\\([\\'])", r"\1", literal) == ODD_EMAIL
        assert re.search(r"(?<!\\)'", literal) is None   # no quote ends the string early
    bulk = _curl_requests(sn["sn-bulk-curl"])[0]["body"]
    assert json.loads(bulk)["ezkey"] == ODD_EMAIL
