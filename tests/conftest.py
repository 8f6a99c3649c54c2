"""Fixtures. The suite runs once per backend: EYRIE_TEST_DB=sqlite (default) or mariadb.

With mariadb, the session starts a throwaway MariaDB of its own and every test gets a fresh
database in it; with sqlite every test gets a fresh file. No mocked database anywhere.
"""

from __future__ import annotations

import itertools
import os

import pytest

from app.config import Config
from app.interactors.accounts import create_account
from app.storage.db import Database
from app.storage.migrate import migrate

BACKEND = os.environ.get("EYRIE_TEST_DB", "sqlite")
# A pinned "now" for tests: Tuesday 2026-11-24 15:30:00 UTC.
NOW = 1795534200
_counter = itertools.count()


@pytest.fixture(scope="session")
def mariadb():
    if BACKEND != "mariadb":
        yield None
        return
    from tests.support.mariadb import MariaDB

    server = MariaDB().start()
    yield server
    server.destroy()


@pytest.fixture
def db_url(mariadb, tmp_path):
    if mariadb is None:
        yield f"sqlite:///{tmp_path / 'eyrie.db'}"
        return
    name = f"t{os.getpid()}_{next(_counter)}"
    yield mariadb.create_database(name)
    mariadb.drop_database(name)


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    migrate(database)
    yield database
    database.close()


@pytest.fixture
def config(db_url, tmp_path):
    return Config.from_env(env={}, database_url=db_url, var_dir=tmp_path / "var", secret_key="test-secret",
                           testing=True)


class Clock:
    def __init__(self, now: int = NOW):
        self.now = now

    def __call__(self) -> float:
        return float(self.now)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def ingest(config, db, clock):
    from app.ingest import create_ingest_app

    return create_ingest_app(config, db, clock).test_client()


@pytest.fixture
def web(config, db, clock):
    from app.web import create_web_app

    return create_web_app(config, db, clock).test_client()


@pytest.fixture
def account(db):
    return create_account(db, "ann@example.com", "password-ann", NOW)


@pytest.fixture
def other_account(db):
    return create_account(db, "bob@example.com", "password-bob", NOW)


@pytest.fixture
def signed_in(web, account):
    """The web client signed in as `account`."""
    from tests.web_helpers import login

    return login(web, account.email, "password-ann")


# -- browser tests: Debian's Chromium driven by Playwright (never a downloaded browser) ----------

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def live_server(config, db, clock):
    """The production apps (web + ingest on one port) in a thread, on this test's database."""
    import threading

    from werkzeug.serving import make_server

    from app.ingest import create_ingest_app
    from app.web import create_web_app
    from app.wsgi import Router

    app = Router(create_web_app(config, db), create_ingest_app(config, db))
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


@pytest.fixture
def artifacts():
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def _no_csp_violations(request, monkeypatch):
    """A browser test fails on any Content-Security-Policy violation in any page it opened (Chromium
    reports each one on the console): the pages must work under the policy, not around it."""
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    from playwright.sync_api import Browser

    seen: list[str] = []

    def watch(target):
        target.on("console", lambda m: "Content Security Policy" in m.text and seen.append(m.text[:300]))
        return target

    new_context, new_page = Browser.new_context, Browser.new_page
    monkeypatch.setattr(Browser, "new_context", lambda self, *a, **k: watch(new_context(self, *a, **k)))
    monkeypatch.setattr(Browser, "new_page", lambda self, *a, **k: watch(new_page(self, *a, **k)))
    yield seen
    assert not seen, "CSP violations:\n" + "\n".join(seen)
