"""The command line, run as users run it: python -m app ... --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from app.config import ROOT
from tests.helpers import count_rows, stat_row


def run(db_url, tmp_path, *args):
    env = {**os.environ, "EYRIE_DATABASE_URL": db_url, "EYRIE_VAR_DIR": str(tmp_path / "var")}
    p = subprocess.run([sys.executable, "-m", "app", *args, "--json"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=60)
    return p.returncode, json.loads(p.stdout.strip().splitlines()[-1])


def test_migrate_is_idempotent(db_url, tmp_path):
    assert run(db_url, tmp_path, "db", "migrate") == (0, {"migrated": True})
    assert run(db_url, tmp_path, "db", "migrate") == (0, {"migrated": True})


def test_account_create_and_stat_create_print_their_keys(db, db_url, tmp_path):
    code, acct = run(db_url, tmp_path, "account", "create", "Cli@Example.com", "--password", "long-enough")
    assert code == 0
    assert set(acct) == {"id", "email", "ezkey", "ukey", "access_token"}
    assert acct["email"] == acct["ezkey"] == "cli@example.com"
    code, stat = run(db_url, tmp_path, "stat", "create", "cli@example.com", "queue depth", "--kind", "value")
    assert code == 0
    assert stat["name"] == "queue depth" and stat["kind"] == "value" and isinstance(stat["id"], str)
    row = stat_row(db, acct["id"], "queue depth")
    assert row["classic_key"] == stat["key"] and row["embed_key"] == stat["embed_key"]
    assert len(stat["embed_key"]) >= 22  # at least 128 bits


def test_errors_are_json_with_a_nonzero_exit(db, db_url, tmp_path):
    code, out = run(db_url, tmp_path, "account", "create", "not-an-email", "--password", "long-enough")
    assert code == 1 and out == {"error": "enter a valid email address"}
    code, out = run(db_url, tmp_path, "stat", "create", "nobody@example.com", "x", "--kind", "counter")
    assert code == 1 and "no account" in out["error"]
    assert count_rows(db, "accounts") == 0


def test_demo_creates_an_account_with_a_week_of_data_once(db, db_url, tmp_path):
    code, out = run(db_url, tmp_path, "demo")
    assert code == 0 and out["created"] is True
    names = [r["name"] for r in db.read(lambda tx: tx.all("SELECT name FROM stats ORDER BY name"))]
    assert names == ["page views", "response time", "signups", "temperature berlin", "temperature san francisco",
                     "temperature tokyo"]
    span = db.read(lambda tx: tx.one("SELECT MIN(ts) AS lo, MAX(ts) AS hi FROM rollups WHERE res = 60"))
    assert span["hi"] - span["lo"] >= 6.9 * 86400
    rows = count_rows(db, "rollups")
    assert run(db_url, tmp_path, "demo") == (0, {"email": "demo@eyrie.local", "password": "eyrie-demo",
                                                 "created": False})
    assert count_rows(db, "rollups") == rows
