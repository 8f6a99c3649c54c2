"""python -m app import: whisper files (every archive), StatHat dumps, Eyrie's own downloads
(round trip), idempotent re-runs, bad files reported by name and line with nothing imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from app.importers.run import run_import
from app.interactors.ingest import EzItem, record_ez
from tests.conftest import NOW
from tests.helpers import rollup, stat_row
from tests.support.server import ROOT
from tests.web_helpers import login

whisper = pytest.importorskip("whisper")


def all_rollups(db, account_id):
    return db.read(lambda tx: tx.all(
        "SELECT s.name, r.res, r.ts, r.total, r.n FROM rollups r JOIN stats s ON s.id = r.stat_id"
        " WHERE s.account_id = ? ORDER BY s.name, r.res, r.ts", (account_id,)))


def make_whisper(path, archives, points, method="average"):
    path.parent.mkdir(parents=True, exist_ok=True)
    whisper.create(str(path), archives, xFilesFactor=0, aggregationMethod=method)
    whisper.update_many(str(path), points)


def test_whisper_every_archive_finest_first(db, account, tmp_path):
    now = int(time.time())
    m0 = now - now % 3600 - 3600  # an hour ago, on the hour
    root = tmp_path / "whisper"
    # 1m for 2 hours, 1h for 2 days: the last 2 hours come from minutes, older hours from the hour archive.
    hits = [(m0 - 30 * 3600 + k * 3600, 10) for k in range(10)] + [(m0 + k * 60, 2) for k in range(60)]
    make_whisper(root / "web" / "hits.wsp", [(60, 120), (3600, 48)], hits, method="sum")
    make_whisper(root / "web" / "load.wsp", [(60, 120), (3600, 48)], [(m0 + k * 60, k % 4) for k in range(60)])

    report = run_import(db, account.email, [str(root)], now, progress=False)
    assert report["errors"] == [] and report["files"] == 2 and report["series"] == 2
    hits_stat, load_stat = stat_row(db, account.id, "web.hits"), stat_row(db, account.id, "web.load")
    assert hits_stat["kind"] == "counter" and load_stat["kind"] == "value"
    assert rollup(db, hits_stat["id"], 60, m0 + 5 * 60) == (2, 1, 2, 2)
    assert rollup(db, hits_stat["id"], 3600, m0) == (120, 60, 2, 2)  # from the minutes, not doubled
    assert rollup(db, hits_stat["id"], 3600, m0 - 30 * 3600) == (10, 1, 10, 10)  # from the hour archive
    assert rollup(db, hits_stat["id"], 60, m0 - 30 * 3600) is None
    total, n, _, _ = rollup(db, load_stat["id"], 3600, m0)
    assert (total, n) == (sum(k % 4 for k in range(60)), 60)

    before = all_rollups(db, account.id)
    again = run_import(db, account.email, [str(root)], now, progress=False)
    assert again["errors"] == [] and all_rollups(db, account.id) == before  # re-running adds nothing


def test_single_whisper_file_is_named_by_its_stem(db, account, tmp_path):
    now = int(time.time())
    path = tmp_path / "queue_depth.wsp"
    make_whisper(path, [(60, 60)], [(now - now % 60 - 120, 7)])
    assert run_import(db, account.email, [str(path)], now, progress=False)["errors"] == []
    assert stat_row(db, account.id, "queue_depth")["kind"] == "value"


def test_stathat_export_shapes(db, account, tmp_path):
    t0 = NOW - NOW % 3600 - 6 * 3600
    xdata = [{"name": "signups", "timeframe": "1 day @ 3 hours",
              "points": [{"time": t0, "value": 4}, {"time": t0 + 3 * 3600, "value": 0}]},
             {"name": "latency", "timeframe": "1 day @ 3 hours",
              "points": [{"time": t0, "value": 2.5}, {"time": t0 + 3 * 3600, "value": 0}]}]
    (tmp_path / "x.json").write_text(json.dumps(xdata))
    full = {"Name": "jobs", "Timeframe": "1 hour @ 1 minute", "Kind": "count",
            "Points": [{"Time": t0 + 60, "Value": 3, "Rcount": 2}, {"Time": t0 + 120, "Value": 0, "Rcount": 0}]}
    (tmp_path / "full.json").write_text(json.dumps(full))
    (tmp_path / "dump.csv").write_text(f"name,time,value\ncpu,{t0},50\ncpu,{t0 + 60},70\nmem,{t0},1\n")

    report = run_import(db, account.email, [str(tmp_path)], NOW, kind="counter", progress=False)
    assert report["errors"] == []
    signups = stat_row(db, account.id, "signups")
    assert rollup(db, signups["id"], 3600, t0) == (4, 1, 4, 4)
    assert rollup(db, signups["id"], 3600, t0 + 3 * 3600) is None  # a counter's 0 is an empty bucket
    assert rollup(db, signups["id"], 60, t0) is None  # 3-hour buckets fill hours, not minutes
    jobs = stat_row(db, account.id, "jobs")
    assert jobs["kind"] == "counter" and rollup(db, jobs["id"], 60, t0 + 60) == (3, 2, 3, 3)
    assert rollup(db, stat_row(db, account.id, "cpu")["id"], 60, t0 + 60) == (70, 1, 70, 70)


@pytest.mark.parametrize("tf", ["1h", "1d", "1w"])
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_eyrie_download_round_trip_is_lossless(db, account, other_account, tmp_path, config, clock, tf, fmt):
    from app.web import create_web_app

    items = [EzItem("orders", count=(i % 5) + 1, t=NOW - 3 * 86400 + i * 97) for i in range(3000)]
    items += [EzItem("temp", value=(i % 9) * 0.5, t=NOW - 3 * 86400 + i * 97) for i in range(3000)]
    record_ez(db, account.email, items, NOW, bulk=True)

    def download(client, account_id, name):
        stat = stat_row(db, account_id, name)
        r = client.get(f"/stats/{stat['id']}/data.{fmt}", query_string={"tf": tf})
        assert r.status_code == 200
        return r.get_data(as_text=True)

    ann = login(create_web_app(config, db, clock).test_client(), account.email, "password-ann")
    bob = login(create_web_app(config, db, clock).test_client(), other_account.email, "password-bob")
    for name, kind in (("orders", "counter"), ("temp", "value")):
        original = download(ann, account.id, name)
        path = tmp_path / f"{name}.{fmt}"
        path.write_text(original)
        report = run_import(db, other_account.email, [str(path)], NOW, kind=kind, progress=False)
        assert report["errors"] == []
        again = download(bob, other_account.id, name)
        if fmt == "json":
            a, b = json.loads(original), json.loads(again)
            a["stat"].pop("id"), b["stat"].pop("id")
            assert a == b
        else:
            assert again == original


def test_bad_files_are_named_with_their_line_and_nothing_is_imported(db, account, tmp_path):
    good = tmp_path / "a_good.csv"
    good.write_text("time,value\n1795530000,5\n")
    (tmp_path / "b_bad.csv").write_text("time,value\n1795530000,5\n1795530060,6\n1795530120,lots\n")
    (tmp_path / "c_bad.json").write_text('[{"name": "x",\n "points": [\n  {"time": 1, "value": }]}]')
    report = run_import(db, account.email, [str(tmp_path)], NOW, progress=False)
    assert report["series"] == 0
    assert any(e.startswith(f"{tmp_path / 'b_bad.csv'}:4: value must be a number") for e in report["errors"])
    assert any(e.startswith(f"{tmp_path / 'c_bad.json'}:3: not JSON") for e in report["errors"])
    assert stat_row(db, account.id, "a_good") is None


def test_kind_conflict_is_refused(db, account, tmp_path):
    record_ez(db, account.email, [EzItem("hits", count=1, t=NOW)], NOW)
    (tmp_path / "hits.csv").write_text("time,value\n1795530000,5\n")
    report = run_import(db, account.email, [str(tmp_path / "hits.csv")], NOW, kind="value", progress=False)
    assert report["errors"] == [f"{tmp_path / 'hits.csv'}: the stat 'hits' exists as a counter stat;"
                                " this file holds values"]


def test_cli_import_with_progress_and_errors(db, db_url, account, tmp_path):
    env_run = dict(cwd=str(ROOT), capture_output=True, text=True, timeout=120,
                   env={**os.environ, "EYRIE_DATABASE_URL": db_url, "EYRIE_VAR_DIR": str(tmp_path)})
    (tmp_path / "ok.csv").write_text("time,value\n1795530000,5\n")
    r = subprocess.run([sys.executable, "-m", "app", "import", "--account", account.email, str(tmp_path / "ok.csv")],
                       **env_run)
    assert r.returncode == 0, r.stderr
    assert "importing" in r.stderr  # tqdm's bar
    assert stat_row(db, account.id, "ok") is not None
    (tmp_path / "bad.csv").write_text("time,value\nsoon,5\n")
    r = subprocess.run([sys.executable, "-m", "app", "import", "--account", account.email, "--json",
                        str(tmp_path / "bad.csv")], **env_run)
    assert r.returncode == 1
    assert f"{tmp_path / 'bad.csv'}:2:" in r.stderr
    assert json.loads(r.stdout.splitlines()[-1])["series"] == 0
    assert stat_row(db, account.id, "bad") is None


def test_numbers_out_of_the_live_range_are_refused_but_old_history_is_not(db, account, tmp_path):
    (tmp_path / "huge.csv").write_text("time,value\n1795530000,1e20\n")
    report = run_import(db, account.email, [str(tmp_path / "huge.csv")], NOW, progress=False)
    assert report["series"] == 0 and "outside -1e15 .. 1e15" in report["errors"][0]
    (tmp_path / "old.csv").write_text("time,value\n946684800,3\n")  # 2000-01-01: far beyond live back-dating
    assert run_import(db, account.email, [str(tmp_path / "old.csv")], NOW, progress=False)["errors"] == []
    assert rollup(db, stat_row(db, account.id, "old")["id"], 60, 946684800) == (3, 1, 3, 3)
