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
