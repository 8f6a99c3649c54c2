"""Dashboards over HTTP: CRUD, tile actions (answers and stored rows), ownership, CSRF, sharing, TV mode."""

from __future__ import annotations

import re

import pytest

from app.interactors import dashboards as dash
from app.interactors.accounts import get_account
from app.interactors.ingest import EzItem, record_ez
from app.interactors.stats import trash_stat
from tests.conftest import NOW
from tests.helpers import stat_row
from tests.web_helpers import csrf_token

# -- helpers ------------------------------------------------------------------------------------------


def hx(client, path: str, data=None, *, token: str | None = None, htmx: bool = True):
    headers = {"X-CSRFToken": token or csrf_token(client, "/settings")}
    if htmx:
        headers["HX-Request"] = "true"
    return client.post(path, data=data or {}, headers=headers)


def dashboards(db, account_id: int) -> list[dict]:
    return db.read(lambda tx: tx.all("SELECT id, name, refresh_seconds, share_token FROM dashboards"
                                     " WHERE account_id = ? ORDER BY id", (account_id,)))


def tiles(db, dashboard_id: int) -> list[dict]:
    return db.read(lambda tx: tx.all("SELECT id, position, size, timeframe, title, stat_ids FROM dashboard_tiles"
                                     " WHERE dashboard_id = ? ORDER BY position, id", (dashboard_id,)))


def all_tile_rows(db) -> list[dict]:
    return db.read(lambda tx: tx.all("SELECT * FROM dashboard_tiles ORDER BY id"))


def all_dashboard_rows(db) -> list[dict]:
    return db.read(lambda tx: tx.all("SELECT * FROM dashboards ORDER BY id"))


def order_in(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article id="tile-(\d+)"', html)]


def seed(db, account, names=("signups", "orders", "errors")) -> dict[str, int]:
    items = [EzItem(stat=n, count=i + 1, t=NOW - 120) for i, n in enumerate(names)]
    items.append(EzItem(stat="latency", value=120, t=NOW - 60))
    items.append(EzItem(stat="temperature", value=21.5, t=NOW - 60))
    record_ez(db, account.ezkey, items, NOW, bulk=True)
    return {n: stat_row(db, account.id, n)["id"] for n in (*names, "latency", "temperature")}


def make_board(db, account, stats: dict[str, int], names=("signups", "orders", "errors")) -> tuple[int, list[int]]:
    acc = get_account(db, account.id)
    board = dash.create_dashboard(db, account.id, "Production", NOW)
    for n in names:
        dash.add_tile(db, acc, board, [str(stats[n])], "1h", "1", "", NOW)
    return board, [t["id"] for t in tiles(db, board)]


@pytest.fixture
def mine(db, account):
    return seed(db, account)


@pytest.fixture
def board(db, account, mine):
    return make_board(db, account, mine)


@pytest.fixture
def theirs(db, other_account):
    stats = seed(db, other_account, ("their secret",))
    board, tile_ids = make_board(db, other_account, stats, ("their secret",))
    return {"stats": stats, "board": board, "tiles": tile_ids}


# -- dashboards: create, list, rename, delete ------------------------------------------------------------


def test_create_list_rename_and_delete_a_dashboard(signed_in, db, account):
    token = csrf_token(signed_in, "/dashboards")
    r = signed_in.post("/dashboards", data={"name": "  Production  ", "csrf_token": token})
    assert r.status_code == 303
    [row] = dashboards(db, account.id)
    assert r.headers["Location"] == f"/dashboards/{row['id']}"
    assert row["name"] == "Production" and row["refresh_seconds"] == 30 and row["share_token"] is None
    signed_in.post("/dashboards", data={"name": "Marketing", "csrf_token": token})
    page = signed_in.get("/dashboards").get_data(as_text=True)
    assert "Production" in page and "Marketing" in page and 'aria-current="page">Dashboards' in page

    r = hx(signed_in, f"/dashboards/{row['id']}/name", {"name": "Prod <main>"}, token=token)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'id="dash-settings"' in html and "Prod &lt;main&gt;" in html and 'hx-swap-oob="true"' in html
    assert dashboards(db, account.id)[0]["name"] == "Prod <main>"

    r = hx(signed_in, f"/dashboards/{row['id']}/name", {"name": "   "}, token=token)
    assert r.status_code == 400 and "name" in r.get_data(as_text=True)
    assert dashboards(db, account.id)[0]["name"] == "Prod <main>"

    r = hx(signed_in, f"/dashboards/{row['id']}/delete", token=token)
    assert r.status_code == 200 and r.headers["HX-Redirect"] == "/dashboards"
    assert [d["name"] for d in dashboards(db, account.id)] == ["Marketing"]


def test_a_dashboard_needs_a_sensible_name(signed_in, db, account):
    token = csrf_token(signed_in, "/dashboards")
    for bad in ("", "   ", "x" * 101, "tab\there"):
        r = signed_in.post("/dashboards", data={"name": bad, "csrf_token": token})
        assert r.status_code == 400, bad
        assert 'class="field-error"' in r.get_data(as_text=True)
    assert dashboards(db, account.id) == []


def test_deleting_a_dashboard_deletes_its_tiles_but_not_its_stats(signed_in, db, account, mine, board):
    board_id, _ = board
    r = signed_in.post(f"/dashboards/{board_id}/delete", data={"csrf_token": csrf_token(signed_in, "/settings")})
    assert r.status_code == 303 and r.headers["Location"] == "/dashboards"
    assert dashboards(db, account.id) == [] and all_tile_rows(db) == []
    assert stat_row(db, account.id, "signups")["deleted_at"] is None


def test_the_page_shows_each_tile_with_title_figure_and_graph(signed_in, board):
    board_id, tile_ids = board
    html = signed_in.get(f"/dashboards/{board_id}").get_data(as_text=True)
    assert order_in(html) == tile_ids
    for name in ("signups", "orders", "errors"):
        assert f'title="{name}"' in html
    assert html.count('class="tile-value" data-figure>') == 3 and html.count("<svg") >= 3
    # the drag-and-drop script and the keyboard fallback buttons are there
    assert "dashboards.js" in html and f'id="tile-{tile_ids[0]}-later"' in html and 'draggable="true"' in html


def test_json_answers_the_same_data(signed_in, board):
    board_id, tile_ids = board
    r = signed_in.get(f"/dashboards/{board_id}", headers={"Accept": "application/json"})
    data = r.get_json()
    assert data["dashboard"]["name"] == "Production" and data["dashboard"]["refresh"] == 30
    assert "token" not in data["dashboard"]
    assert [t["id"] for t in data["tiles"]] == tile_ids
    assert data["tiles"][0]["stats"][0]["name"] == "signups" and data["tiles"][0]["stats"][0]["value"] == 1


# -- tiles: add ---------------------------------------------------------------------------------------


def test_add_a_single_stat_tile_and_an_overlay(signed_in, db, account, mine):
    board_id = dash.create_dashboard(db, account.id, "Board", NOW)
    r = hx(signed_in, f"/dashboards/{board_id}/tiles", {"s": str(mine["latency"]), "tf": "1w", "size": "2"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert html.startswith('<div id="tile-grid"') and "latency" in html and "size-2" in html
    ids = [mine["signups"], mine["latency"], mine["temperature"]]
    r = hx(signed_in, f"/dashboards/{board_id}/tiles",
           {"s": [str(i) for i in ids], "tf": "1M", "size": "large", "title": "Overview"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Overview" in html and 'class="tile size-3 overlay"' in html
    rows = tiles(db, board_id)
    assert [(t["position"], t["size"], t["timeframe"], t["title"]) for t in rows] == [
        (0, 2, "1w", ""), (1, 3, "1M", "Overview")]
    assert rows[0]["stat_ids"] == str(mine["latency"])
    assert rows[1]["stat_ids"] == ",".join(str(i) for i in ids)   # order kept: the first owns the left axis
    assert order_in(html) == [t["id"] for t in rows]


def test_a_tile_refuses_another_accounts_stat_and_stores_nothing(signed_in, db, account, mine, theirs):
    board_id = dash.create_dashboard(db, account.id, "Board", NOW)
    their_stat = theirs["stats"]["their secret"]
    for picked in ([their_stat], [mine["signups"], their_stat]):
        r = hx(signed_in, f"/dashboards/{board_id}/tiles", {"s": [str(i) for i in picked], "tf": "1d"})
        assert r.status_code == 404, picked
        assert "their secret" not in r.get_data(as_text=True)
    assert tiles(db, board_id) == []


def test_a_tile_refuses_bad_input_and_stores_nothing(signed_in, db, account, mine):
    board_id = dash.create_dashboard(db, account.id, "Board", NOW)
    trash_stat(db, account.id, mine["errors"], NOW)
    cases = [
        ({"tf": "1d"}, 400),                                                   # no stat
        ({"s": "abc", "tf": "1d"}, 400),
        ({"s": str(mine["signups"]), "tf": "5y"}, 400),
        ({"s": str(mine["signups"]), "tf": "all"}, 400),                       # too heavy for a live tile
        ({"s": str(mine["signups"]), "tf": "1d", "size": "4"}, 400),
        ({"s": str(mine["signups"]), "tf": "1d", "title": "x" * 101}, 400),
        ({"s": [str(i) for i in range(1, 7)], "tf": "1d"}, 400),              # more than five
        ({"s": str(mine["errors"]), "tf": "1d"}, 404),                         # in the trash
        ({"s": "999999", "tf": "1d"}, 404),
    ]
    for data, status in cases:
        r = hx(signed_in, f"/dashboards/{board_id}/tiles", data)
        assert r.status_code == status, (data, r.status_code)
        assert r.headers["HX-Retarget"] == "#flash"   # the message shows in the page's flash area
    assert tiles(db, board_id) == []


# -- tiles: reorder, move, resize, remove --------------------------------------------------------------


def test_move_buttons_swap_neighbours_and_answer_the_grid(signed_in, db, board):
    board_id, (a, b, c) = board
    token = csrf_token(signed_in, "/settings")
    r = hx(signed_in, f"/dashboards/{board_id}/tiles/{a}/move", {"by": "1"}, token=token)
    assert r.status_code == 200 and order_in(r.get_data(as_text=True)) == [b, a, c]
    assert [(t["id"], t["position"]) for t in tiles(db, board_id)] == [(b, 0), (a, 1), (c, 2)]
    r = hx(signed_in, f"/dashboards/{board_id}/tiles/{c}/move", {"by": "-1"}, token=token)
    assert order_in(r.get_data(as_text=True)) == [b, c, a]
    r = hx(signed_in, f"/dashboards/{board_id}/tiles/{a}/move", {"by": "1"}, token=token)   # already last
    assert r.status_code == 200 and order_in(r.get_data(as_text=True)) == [b, c, a]
    r = hx(signed_in, f"/dashboards/{board_id}/tiles/{b}/move", {"by": "-1"}, token=token)  # already first
    assert order_in(r.get_data(as_text=True)) == [b, c, a]
    assert [t["position"] for t in tiles(db, board_id)] == [0, 1, 2]
    r = hx(signed_in, f"/dashboards/{board_id}/tiles/{b}/move", {"by": "5"}, token=token)
    assert r.status_code == 400
    assert [t["id"] for t in tiles(db, board_id)] == [b, c, a]


def test_drag_and_drop_order_is_stored_as_positions(signed_in, db, board, theirs):
    board_id, (a, b, c) = board
    token = csrf_token(signed_in, "/settings")
    r = hx(signed_in, f"/dashboards/{board_id}/order", {"tile": [str(c), str(a), str(b)]}, token=token)
    assert r.status_code == 200 and order_in(r.get_data(as_text=True)) == [c, a, b]
    assert [(t["id"], t["position"]) for t in tiles(db, board_id)] == [(c, 0), (a, 1), (b, 2)]
    # a tile left out (added in another tab meanwhile) keeps its place after the given ones
    r = hx(signed_in, f"/dashboards/{board_id}/order", {"tile": [str(b), str(a)]}, token=token)
    assert order_in(r.get_data(as_text=True)) == [b, a, c]
    before = tiles(db, board_id)
    for bad, status in (([str(a), str(theirs["tiles"][0])], 404), ([str(a), str(a)], 400), (["x"], 400), ([], 400)):
        r = hx(signed_in, f"/dashboards/{board_id}/order", {"tile": bad}, token=token)
        assert r.status_code == status, bad
    assert tiles(db, board_id) == before


def test_bigger_and_smaller_change_the_stored_size_and_answer_the_tile(signed_in, db, board):
    board_id, (a, _, _) = board
    token = csrf_token(signed_in, "/settings")
    url = f"/dashboards/{board_id}/tiles/{a}/size"
    r = hx(signed_in, url, {"by": "1"}, token=token)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and html.startswith(f'<article id="tile-{a}" class="tile size-2')
    assert 'viewBox="0 0 820 190"' in html   # drawn for its new width
    assert tiles(db, board_id)[0]["size"] == 2
    hx(signed_in, url, {"by": "1"}, token=token)
    r = hx(signed_in, url, {"by": "1"}, token=token)   # three is the largest
    assert r.status_code == 200 and tiles(db, board_id)[0]["size"] == 3
    assert f'id="tile-{a}-bigger"' in r.get_data(as_text=True) and "disabled" in r.get_data(as_text=True)
    r = hx(signed_in, url, {"size": "small"}, token=token)
    assert tiles(db, board_id)[0]["size"] == 1
    r = hx(signed_in, url, {"by": "-1"}, token=token)
    assert r.status_code == 200 and tiles(db, board_id)[0]["size"] == 1
    for bad in ({"size": "9"}, {"size": "huge"}, {"by": "2"}):
        assert hx(signed_in, url, bad, token=token).status_code == 400
    assert tiles(db, board_id)[0]["size"] == 1


def test_remove_a_tile_and_close_the_gap(signed_in, db, board):
    board_id, (a, b, c) = board
    r = hx(signed_in, f"/dashboards/{board_id}/tiles/{b}/delete")
    assert r.status_code == 200 and order_in(r.get_data(as_text=True)) == [a, c]
    assert [(t["id"], t["position"]) for t in tiles(db, board_id)] == [(a, 0), (c, 1)]


def test_without_htmx_a_tile_action_goes_back_to_the_page(signed_in, db, board):
    board_id, (a, b, c) = board
    r = hx(signed_in, f"/dashboards/{board_id}/tiles/{a}/move", {"by": "1"}, htmx=False)
    assert r.status_code == 303 and r.headers["Location"] == f"/dashboards/{board_id}"
    assert [t["id"] for t in tiles(db, board_id)] == [b, a, c]


# -- refreshing -------------------------------------------------------------------------------------------


def test_tiles_poll_themselves_only_while_the_tab_is_visible(signed_in, board):
    board_id, tile_ids = board
    html = signed_in.get(f"/dashboards/{board_id}").get_data(as_text=True)
    # The pause while hidden or dragging is a listener in dashboards.js (data-poll): no eval under the CSP.
    assert html.count('hx-trigger="every 30s, visibilitychange from:document" data-poll') == 3
    assert f'hx-get="/dashboards/{board_id}/tiles/{tile_ids[0]}" hx-target="this" hx-swap="outerHTML"' in html


def test_the_refresh_interval_is_a_dashboard_setting(signed_in, db, account, board):
    board_id, _ = board
    token = csrf_token(signed_in, "/settings")
    r = hx(signed_in, f"/dashboards/{board_id}/refresh", {"refresh": "10"}, token=token)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert html.startswith('<div id="board"') and html.count('"every 10s, visibilitychange') == 3
    assert "every 10 s" in html
    assert dashboards(db, account.id)[0]["refresh_seconds"] == 10
    for bad in ("5", "601", "abc", ""):
        assert hx(signed_in, f"/dashboards/{board_id}/refresh", {"refresh": bad}, token=token).status_code == 400
    assert dashboards(db, account.id)[0]["refresh_seconds"] == 10
    # tests (only) may go below the people's minimum
    dash.set_refresh(db, get_account(db, account.id), board_id, "1", NOW, minimum=1)
    assert "every 1s, visibilitychange" in signed_in.get(f"/dashboards/{board_id}").get_data(as_text=True)


def test_a_tile_fragment_redraws_with_new_data(signed_in, db, account, clock, ingest, board):
    board_id, (a, _, _) = board
    url = f"/dashboards/{board_id}/tiles/{a}"
    r = signed_in.get(url, headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and html.startswith(f'<article id="tile-{a}"')
    assert r.headers["Cache-Control"] == "private, no-store"
    assert '<span class="tile-value" data-figure>1</span>' in html
    r = ingest.post("/ez", data={"ezkey": account.ezkey, "stat": "signups", "count": 41, "t": NOW - 30})
    assert r.status_code == 200
    html = signed_in.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert '<span class="tile-value" data-figure>42</span>' in html


def test_a_tile_whose_stat_was_deleted_says_so(signed_in, db, account, mine, board):
    board_id, (a, _, _) = board
    trash_stat(db, account.id, mine["signups"], NOW)
    r = signed_in.get(f"/dashboards/{board_id}/tiles/{a}", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "was deleted" in r.get_data(as_text=True)


# -- other accounts, anonymous users, CSRF -------------------------------------------------------------------


def dashboard_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("dashboards.")
            and not r.endpoint.startswith("dashboards.shared")]


def test_another_accounts_dashboard_and_tiles_are_404_on_every_route(signed_in, db, board, theirs):
    my_board, my_tiles = board
    token = csrf_token(signed_in, "/settings")
    before = (all_dashboard_rows(db), all_tile_rows(db))
    checked = 0
    cases = [{"dashboard_id": theirs["board"], "tile_id": theirs["tiles"][0]},   # their dashboard
             {"dashboard_id": my_board, "tile_id": theirs["tiles"][0]}]         # their tile through mine
    for rule in dashboard_rules(signed_in.application):
        if "dashboard_id" not in rule.arguments:
            continue
        for values in cases:
            if "tile_id" not in rule.arguments and values["dashboard_id"] == my_board:
                continue
            path = re.sub(r"<int:(\w+)>", lambda m, v=values: str(v[m.group(1)]), rule.rule)
            for method in sorted(rule.methods & {"GET", "POST"}):
                r = signed_in.open(path, method=method, headers={"X-CSRFToken": token, "HX-Request": "true"},
                                   data={"name": "stolen", "refresh": "10", "by": "1", "size": "3",
                                         "tile": str(theirs["tiles"][0]), "s": str(theirs["stats"]["their secret"])})
                assert r.status_code == 404, (method, path, r.status_code)
                assert "their secret" not in r.get_data(as_text=True)
                checked += 1
    assert checked >= 14
    assert (all_dashboard_rows(db), all_tile_rows(db)) == before


def test_anonymous_users_are_sent_to_log_in(web, db, board):
    board_id, (a, _, _) = board
    for path in ("/dashboards", f"/dashboards/{board_id}", f"/dashboards/{board_id}?tv=1",
                 f"/dashboards/{board_id}/tiles/{a}"):
        r = web.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), path
        r = web.get(path, headers={"HX-Request": "true"})
        assert r.status_code == 401 and r.headers["HX-Redirect"].startswith("/login"), path


def test_state_changes_without_a_csrf_token_are_refused(signed_in, db, board, mine):
    board_id, (a, b, c) = board
    before = (all_dashboard_rows(db), all_tile_rows(db))
    posts = [rule for rule in dashboard_rules(signed_in.application) if "POST" in rule.methods]
    assert len(posts) >= 10
    for rule in posts:
        path = re.sub(r"<int:(\w+)>", lambda m: str({"dashboard_id": board_id, "tile_id": a}[m.group(1)]), rule.rule)
        r = signed_in.post(path, data={"name": "x", "refresh": "10", "by": "1", "tile": [str(c), str(b), str(a)],
                                       "s": str(mine["orders"]), "tf": "1d"}, headers={"HX-Request": "true"})
        assert r.status_code == 400 and "expired" in r.get_data(as_text=True), rule.rule
    assert (all_dashboard_rows(db), all_tile_rows(db)) == before


# -- sharing and TV mode ----------------------------------------------------------------------------------------


def share(client, board_id: int) -> str:
    html = hx(client, f"/dashboards/{board_id}/share").get_data(as_text=True)
    return re.search(r'href="/d/([A-Za-z0-9_-]+)"', html).group(1)


def test_a_shared_link_works_anonymously_and_read_only(signed_in, web, db, account, config, clock, board, theirs):
    from app.web import create_web_app

    board_id, tile_ids = board
    token = share(signed_in, board_id)
    assert len(token) >= 22 and dashboards(db, account.id)[0]["share_token"] == token   # >= 128 bits
    anon = create_web_app(config, db, clock).test_client()
    r = anon.get(f"/d/{token}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Production" in html and order_in(html) == tile_ids
    assert "Set-Cookie" not in r.headers and r.headers["Cache-Control"] == "private, no-store"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    for edit in ("tile-tools", "hx-post", "draggable", "csrf", "Add a tile", "Settings", "/dashboards/", "/stats/",
                 "Log out"):
        assert edit not in html, edit
    assert "their secret" not in html and "latency" not in html   # only the stats on this dashboard
    # tiles refresh through the token
    assert f'hx-get="/d/{token}/tiles/{tile_ids[0]}"' in html
    r = anon.get(f"/d/{token}/tiles/{tile_ids[0]}", headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.get_data(as_text=True).startswith(f'<article id="tile-{tile_ids[0]}"')
    assert "tile-tools" not in r.get_data(as_text=True)


def test_a_shared_link_never_reaches_a_tile_off_its_dashboard(signed_in, web, db, account, mine, board, theirs):
    board_id, tile_ids = board
    token = share(signed_in, board_id)
    other_board, [other_tile] = make_board(db, account, mine, ("latency",))   # mine, but not shared
    for tile_id in (other_tile, theirs["tiles"][0], 999999):
        r = web.get(f"/d/{token}/tiles/{tile_id}", headers={"HX-Request": "true"})
        assert r.status_code == 404, tile_id
        assert "latency" not in r.get_data(as_text=True) and "their secret" not in r.get_data(as_text=True)
    assert web.get(f"/d/{token}/tiles/{tile_ids[0]}").status_code == 200


def test_rotating_or_revoking_the_link_stops_the_old_one(signed_in, web, db, account, board):
    board_id, (a, _, _) = board
    old = share(signed_in, board_id)
    new = share(signed_in, board_id)
    assert new != old and dashboards(db, account.id)[0]["share_token"] == new
    assert web.get(f"/d/{old}").status_code == 404 and web.get(f"/d/{old}/tiles/{a}").status_code == 404
    assert web.get(f"/d/{new}").status_code == 200
    r = hx(signed_in, f"/dashboards/{board_id}/unshare")
    assert r.status_code == 200 and "Not shared" in r.get_data(as_text=True)
    assert dashboards(db, account.id)[0]["share_token"] is None
    for path in (f"/d/{new}", f"/d/{new}/tv", f"/d/{new}/tiles/{a}"):
        assert web.get(path).status_code == 404, path
    for junk in ("x", "a" * 200, "%00", "..%2F..", new.upper() if new.upper() != new else new.lower()):
        assert web.get(f"/d/{junk}").status_code == 404


def test_tv_mode_is_dark_full_screen_and_keeps_refreshing(signed_in, web, board):
    board_id, tile_ids = board
    token = share(signed_in, board_id)
    for path in (f"/d/{token}/tv", f"/d/{token}?tv=1"):
        html = web.get(path).get_data(as_text=True)
        assert '<html lang="en" class="theme-dark">' in html and 'class="board-page tv"' in html
        assert 'class="topbar' not in html and "tile-tools" not in html
        assert f'hx-get="/d/{token}/tiles/{tile_ids[0]}?theme=dark&amp;mode=tv"' in html
        assert "every 30s, visibilitychange" in html and "#111827" in html   # dark graphs
    html = web.get(f"/d/{token}/tv?theme=light").get_data(as_text=True)
    assert 'class="theme-light"' in html
    # the owner's TV mode: the same, through the owner's session
    html = signed_in.get(f"/dashboards/{board_id}?tv=1").get_data(as_text=True)
    assert 'class="board-page tv"' in html and "tile-tools" not in html and "Exit TV mode" in html
    assert f'hx-get="/dashboards/{board_id}/tiles/{tile_ids[0]}?theme=dark&amp;mode=tv"' in html
    r = signed_in.get(f"/dashboards/{board_id}/tiles/{tile_ids[0]}?theme=dark&mode=tv")
    assert r.status_code == 200 and "tile-tools" not in r.get_data(as_text=True)
