"""The layout in a real Chromium: every main page fits a 390 px phone, screenshots of each page."""

from __future__ import annotations

import os
import time

import pytest

from tests.support.pages import seed_account, shoot_all

pytestmark = pytest.mark.browser


def test_every_main_page_fits_a_phone_and_is_screenshotted(browser, live_server, db, artifacts):
    ids = seed_account(db, int(time.time()))
    too_wide = shoot_all(browser, live_server, ids, artifacts, prefix=os.environ.get("EYRIE_SHOT_PREFIX", ""))
    assert too_wide == {}, f"wider than a 390 px screen: {too_wide}"
