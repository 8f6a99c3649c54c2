"""What a person does in a real Chromium: paste a snippet, watch a stat live, use the keyboard."""

from __future__ import annotations

import subprocess
import time

import pytest
from playwright.sync_api import expect

from tests.helpers import stat_row
from tests.support.pages import seed_account, sign_in

pytestmark = pytest.mark.browser


def _first_command(snippet: str) -> str:
    """The first command of a shell snippet: its comment dropped, backslash continuations joined."""
    lines = []
    for line in snippet.strip().splitlines():
        if not line.strip():
            if lines:
                break
            continue
        if not line.lstrip().startswith("#"):
            lines.append(line)
    return "\n".join(lines)


def _minute_total(db, stat_id: int) -> float:
    return db.read(lambda tx: tx.scalar("SELECT COALESCE(SUM(total), 0) FROM rollups WHERE stat_id = ? AND res = 60",
                                        (stat_id,)))


def test_the_docs_curl_line_works_as_pasted_on_a_non_default_port(browser, live_server, db):
    """The server runs on a random port, not 8000: the docs page's curl line must point at it."""
    now = int(time.time())
    ids = seed_account(db, now)
    page = browser.new_page()
    sign_in(page, live_server)
    page.goto(live_server + "/docs")
    expect(page.locator("#doc-base")).to_have_text(live_server)
    command = _first_command(page.locator("#panel-curl pre").first.inner_text())
    assert live_server + "/ez" in command and "8000" not in live_server
    stat = stat_row(db, ids["account_id"], "signups")
    before = _minute_total(db, stat["id"])
    out = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out   # curl reached the server; what it stored is the real check
    assert _minute_total(db, stat["id"]) == before + 1
    page.close()


def test_the_empty_state_curl_line_works_as_pasted(browser, live_server, db):
    from tests.test_browser import sign_up

    page = browser.new_page()
    sign_up(page, live_server, "paste@example.com", "paste-password")
    command = page.locator("#first-snippet").inner_text()
    assert live_server + "/ez" in command
    out = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out
    account_id = db.read(lambda tx: tx.scalar("SELECT id FROM accounts WHERE email = 'paste@example.com'"))
    assert stat_row(db, account_id, "signups")["kind"] == "counter"
    page.reload()
    expect(page.locator("#stat-rows")).to_contain_text("signups")
    page.close()
