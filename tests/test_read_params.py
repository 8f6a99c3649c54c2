"""Numeric parameters that str.isdigit() or int() would let through ('²', '٣', 1e20, 20 digits) are
clear 400s with the message in the page (JSON for JSON clients), and change nothing."""

from __future__ import annotations

import html

import pytest

from app.errors import Invalid
from app.interactors import dashboards as dash
from app.interactors.accounts import get_account
from app.params import is_int, parse_int
from tests.conftest import NOW
from tests.test_dashboards import all_dashboard_rows, all_tile_rows, hx, make_board, seed
from tests.web_helpers import csrf_token

SUPERSCRIPT_TWO = "\u00b2"   # '²'.isdigit() is True; int('²') raises
ARABIC_THREE = "\u0663"      # int('٣') == 3, quietly
BAD = [SUPERSCRIPT_TWO, ARABIC_THREE, "1e20", "99999999999999999999", "+1", "1_0", "0x10", "1.5", "-0"]


def message(r) -> str:
    return html.unescape(r.get_data(as_text=True))


@pytest.mark.parametrize("raw", BAD + [" ", "12" * 3000])
def test_the_shared_parser_takes_ascii_digits_within_bounds_only(raw):
    with pytest.raises(Invalid) as exc:
        parse_int(raw, field="n", lo=0, hi=10**9)
    assert exc.value.detail["field"] == "n" and "whole number from 0 to 1000000000" in exc.value.msg
    assert not is_int(raw, 0, 10**9)


def test_the_shared_parser_accepts_what_it_should():
    assert parse_int(" 42 ", field="n", lo=0, hi=100) == 42
    assert parse_int(None, field="n", lo=0, hi=100, default=7) == 7
    assert parse_int("", field="n", lo=0, hi=100, default=7) == 7
    assert parse_int("-1", field="n", lo=-1, hi=1) == -1
    assert parse_int("500.75", field="w", lo=0, hi=1000, decimals=True) == 500
    with pytest.raises(Invalid):
        parse_int("500.75", field="w", lo=0, hi=1000)


@pytest.fixture
def mine(db, account):
    return seed(db, account)


@pytest.fixture
def board(db, account, mine):
    return make_board(db, account, mine)


@pytest.mark.parametrize("raw", BAD)
def test_analyze_refuses_a_bad_stat_id_in_the_page(signed_in, mine, raw):
    r = signed_in.get("/analyze", query_string={"s": raw, "tf": "1d"})
    assert r.status_code == 400
    assert "is not a stat id" in message(r)


@pytest.mark.parametrize("raw", BAD)
def test_a_dashboard_refresh_that_is_no_number_changes_nothing(signed_in, db, account, board, raw):
    board_id, _ = board
    before = all_dashboard_rows(db)
    r = hx(signed_in, f"/dashboards/{board_id}/refresh", {"refresh": raw})
    assert r.status_code == 400 and "refresh every" in message(r) and r.headers["HX-Retarget"] == "#flash"
    assert all_dashboard_rows(db) == before


@pytest.mark.parametrize("field", ["s", "size"])
@pytest.mark.parametrize("raw", BAD)
def test_a_tile_with_a_bad_stat_or_size_is_refused_and_stores_nothing(signed_in, db, account, board, mine, field,
                                                                     raw):
    board_id, _ = board
    before = all_tile_rows(db)
    data = {"s": str(mine["signups"]), "tf": "1d", "size": "1", field: raw}
    r = hx(signed_in, f"/dashboards/{board_id}/tiles", data)
    assert r.status_code == 400, message(r)[:200]
    assert ("is not a stat id" if field == "s" else "a tile's size is 1") in message(r)
    assert all_tile_rows(db) == before


@pytest.mark.parametrize("raw", BAD)
def test_resizing_or_reordering_with_garbage_changes_nothing(signed_in, db, board, raw):
    board_id, tile_ids = board
    before = all_tile_rows(db)
    token = csrf_token(signed_in, "/settings")
    r = hx(signed_in, f"/dashboards/{board_id}/tiles/{tile_ids[0]}/size", {"size": raw}, token=token)
    assert r.status_code == 400 and "a tile's size is 1" in message(r)
    r = hx(signed_in, f"/dashboards/{board_id}/order", {"tile": [raw, *map(str, tile_ids[1:])]}, token=token)
    assert r.status_code == 400 and "is not a tile id" in message(r)
    assert all_tile_rows(db) == before


@pytest.mark.parametrize("raw", BAD)
def test_the_stats_list_refuses_a_bad_offset_in_the_page(signed_in, mine, raw):
    r = signed_in.get("/", query_string={"offset": raw})
    assert r.status_code == 400
    assert "offset must be a whole number from 0 to 1000000000" in message(r)
    r = signed_in.get("/", query_string={"offset": raw}, headers={"Accept": "application/json"})
    assert r.status_code == 400 and r.get_json()["msg"].startswith("offset must be a whole number")
    assert signed_in.get("/?offset=1").status_code == 200


@pytest.mark.parametrize("raw", BAD)
def test_deleting_selected_stats_with_garbage_ids_trashes_nothing(signed_in, db, account, mine, raw):
    from tests.helpers import stat_names

    r = hx(signed_in, "/stats/delete", {"stat": [str(mine["signups"]), raw]}, token=csrf_token(signed_in, "/"))
    assert r.status_code == 400 and "is not a stat id" in message(r)
    live = db.read(lambda tx: tx.all("SELECT name FROM stats WHERE deleted_at IS NULL"))
    assert len(live) == len(stat_names(db, account.id))


@pytest.mark.parametrize("query", [{"w": SUPERSCRIPT_TWO}, {"h": "1e400"}, {"w": "nan"}, {"h": "99999999999999999999"},
                                   {"w": ARABIC_THREE}])
def test_embed_sizes_that_are_no_number_are_400(web, db, account, mine, query):
    from tests.helpers import stat_row

    key = db.read(lambda tx: tx.one("SELECT embed_key FROM stats WHERE id = ?", (mine["signups"],)))["embed_key"]
    assert stat_row(db, account.id, "signups")["embed_key"] == key
    r = web.get(f"/embed/graph/{key}.svg", query_string=query)
    assert r.status_code == 400 and "pixels" in message(r)


def test_a_board_still_resizes_and_reorders_with_good_input(signed_in, db, account, board):
    board_id, tile_ids = board
    token = csrf_token(signed_in, "/settings")
    r = hx(signed_in, f"/dashboards/{board_id}/tiles/{tile_ids[0]}/size", {"size": " 2 "}, token=token)
    assert r.status_code == 200
    assert hx(signed_in, f"/dashboards/{board_id}/order", {"tile": list(map(str, reversed(tile_ids)))},
              token=token).status_code == 200
    assert dash.dashboard_view(db, get_account(db, account.id), board_id, NOW)["tiles"][0]["id"] == tile_ids[-1]
