"""The stats list (home page): search, sort, sparklines, delete several, trash and restore."""

from __future__ import annotations

from app.interactors.ingest import EzItem, record_ez
from app.interactors.stats import purge_trash
from tests.conftest import NOW
from tests.helpers import count_rows, stat_row
from tests.web_helpers import post


def seed(db, account):
    items = [EzItem(stat="signups", count=1, t=NOW - 3600 * k) for k in range(5)]
    items += [EzItem(stat="response time", value=120, t=NOW - 7200), EzItem(stat="zz old", value=1, t=NOW - 9 * 86400)]
    record_ez(db, account.ezkey, items, NOW, bulk=True)
    return {n: stat_row(db, account.id, n)["id"] for n in ("signups", "response time", "zz old")}


def test_an_empty_account_shows_how_to_send_the_first_number(signed_in, account):
    html = signed_in.get("/").get_data(as_text=True)
    assert 'id="empty-state"' in html
    assert f"ezkey={account.ezkey}&amp;stat=signups&amp;count=1" in html


def test_the_list_shows_name_kind_unit_sparkline_and_last_data(signed_in, db, account):
    ids = seed(db, account)
    db.run(lambda tx: tx.execute("UPDATE stats SET unit = 'ms' WHERE id = ?", (ids["response time"],)))
    html = signed_in.get("/").get_data(as_text=True)
    assert html.index("response time") < html.index("signups") < html.index("zz old")
    assert '<span class="badge counter">counter</span>' in html and '<span class="muted small">ms</span>' in html
    assert html.count('class="sparkline') == 3
    assert "9 days ago" in html


def test_sort_by_last_data(signed_in, db, account):
    seed(db, account)
    html = signed_in.get("/?sort=last").get_data(as_text=True)
    assert html.index("signups") < html.index("response time") < html.index("zz old")


def test_search_as_you_type_answers_the_fragment_for_htmx(signed_in, db, account):
    seed(db, account)
    r = signed_in.get("/?q=RESP", headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    assert "response time" in html and "signups" not in html
    assert "HX-Request" in r.headers["Vary"]
    assert "<html" in signed_in.get("/?q=resp").get_data(as_text=True)


def test_the_list_as_json(signed_in, db, account):
    seed(db, account)
    body = signed_in.get("/", headers={"Accept": "application/json"}).get_json()
    assert [s["name"] for s in body["stats"]] == ["response time", "signups", "zz old"]
    assert len(body["stats"][1]["spark"]) == 24 and body["stats"][1]["spark"][-1] == 1


def test_delete_several_moves_them_to_the_trash_and_restore_brings_one_back(signed_in, db, account):
    ids = seed(db, account)
    r = post(signed_in, "/stats/delete", {"stat": [ids["signups"], ids["zz old"]]}, htmx=True, token_from="/")
    assert r.status_code == 200 and "Moved 2 stats to the trash." in r.get_data(as_text=True)
    assert stat_row(db, account.id, "signups")["deleted_at"] == NOW
    html = signed_in.get("/trash").get_data(as_text=True)
    assert "signups" in html and "zz old" in html and "response time" not in html
    r = post(signed_in, f"/trash/{ids['signups']}/restore", htmx=True, token_from="/")
    assert r.status_code == 200
    assert stat_row(db, account.id, "signups")["deleted_at"] is None
    assert stat_row(db, account.id, "zz old")["deleted_at"] == NOW


def test_the_trash_is_purged_after_48_hours_with_its_data(db, account):
    from app.interactors.stats import trash_stats

    ids = seed(db, account)
    trash_stats(db, account.id, [ids["signups"]], NOW)
    assert purge_trash(db, NOW + 47 * 3600) == 0
    assert purge_trash(db, NOW + 48 * 3600 + 1) == 1
    assert stat_row(db, account.id, "signups") is None
    assert db.read(lambda tx: tx.scalar("SELECT COUNT(*) FROM rollups WHERE stat_id = ?", (ids["signups"],))) == 0
    assert count_rows(db, "stats") == 2


def test_another_accounts_stats_are_never_listed_deleted_or_restored(signed_in, db, account, other_account):
    theirs = seed(db, other_account)
    html = signed_in.get("/").get_data(as_text=True)
    assert 'id="empty-state"' in html and 'class="stat-name"' not in html
    post(signed_in, "/stats/delete", {"stat": [theirs["signups"]]}, htmx=True, token_from="/")
    assert stat_row(db, other_account.id, "signups")["deleted_at"] is None
    from app.interactors.stats import trash_stats

    trash_stats(db, other_account.id, [theirs["zz old"]], NOW)
    assert "The trash is empty." in signed_in.get("/trash").get_data(as_text=True)
    r = post(signed_in, f"/trash/{theirs['zz old']}/restore", htmx=True, token_from="/")
    assert r.status_code == 404
    assert stat_row(db, other_account.id, "zz old")["deleted_at"] == NOW


def test_number_formatting_in_pages():
    from app.web.filters import number

    assert [number(v) for v in (18000, 192000, 1234, 12345678, 42, -15000, None)] == [
        "18k", "192k", "1.23k", "12.3M", "42", "-15k", "–"]


def test_each_stat_shows_its_24_hour_total_or_latest_value_beside_the_sparkline(signed_in, db, account):
    ids = seed(db, account)
    record_ez(db, account.ezkey, [EzItem(stat="response time", value=80, t=NOW - 60)], NOW, bulk=True)
    db.run(lambda tx: tx.execute("UPDATE stats SET unit = 'ms' WHERE id = ?", (ids["response time"],)))
    html = signed_in.get("/").get_data(as_text=True)
    row = lambda name: html[html.index(f'id="stat-{ids[name]}"'):].split("</tr>")[0]   # noqa: E731
    assert '<span class="spark-value">5 <span class="what">in 24 h</span></span>' in row("signups")
    # The latest hour with data: only the 80 ms point (the 120 ms one is two hours old).
    assert '<span class="spark-value">80<span class="unit"> ms</span> <span class="what">latest</span>' in row(
        "response time")
    assert "spark-value" not in row("zz old")          # nothing in the last 24 hours: no figure
