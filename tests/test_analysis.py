"""Overlay analysis (/analyze) and saved analyses, through the web app, with stored state."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from app.interactors import analysis as an
from app.interactors.stats import trash_stats
from app.storage import stats as sq
from tests.conftest import NOW
from tests.helpers import count_rows, stat_row
from tests.web_helpers import csrf_token, post

GRAPH = '<div class="graph" data-graph data-zoom="here"><svg'


def _seed(ingest, db, account, stats: dict[str, tuple[str, str]], email: str | None = None) -> dict[str, int]:
    """stats: name -> (kind, unit). Two hours of data, one point every 10 minutes; returns name -> id."""
    ezkey = email or account.ezkey
    for name, (kind, _) in stats.items():
        for i in range(12):
            field = "count=2" if kind == "counter" else f"value={20 + i}"
            assert ingest.get(f"/ez?ezkey={ezkey}&stat={name}&{field}&t={NOW - i * 600}").status_code == 200
    ids = {}
    for name, (_, unit) in stats.items():
        row = stat_row(db, account.id, name)
        db.run(lambda tx, r=row, u=unit: sq.update_stat(tx, account.id, r["id"], unit=u))
        ids[name] = row["id"]
    return ids


DEMO = {"temperature berlin": ("value", "°C"), "temperature tokyo": ("value", "°C"),
        "response time": ("value", "ms"), "page views": ("counter", "")}


@pytest.fixture
def stats(ingest, db, account):
    return _seed(ingest, db, account, DEMO)


@pytest.fixture
def bob_stats(ingest, db, other_account):
    return _seed(ingest, db, other_account, {"bob secret stat": ("value", "")})


def _saved(db) -> list[dict]:
    return db.read(lambda tx: tx.all("SELECT id, account_id, name, stat_ids, timeframe, created_at FROM analyses"
                                     " ORDER BY id"))


def _qs(*ids, tf="1d") -> str:
    return "?" + "&".join(f"s={i}" for i in ids) + f"&tf={tf}"


# -- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/analyze", "/analyze?s=1&tf=1w", "/analyze/stats?q=x", "/analyze/1"])
def test_anonymous_is_sent_to_login(web, path):
    r = web.get(path)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
    r = web.get(path, headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["HX-Redirect"].startswith("/login?next=")


def test_anonymous_posts_go_to_login_and_store_nothing(web, db, account, stats):
    token = csrf_token(web, "/login")
    r = web.post("/analyze/save", data={"name": "x", "s": stats["response time"], "tf": "1d", "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    r = web.post("/analyze/1/delete", data={"csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert count_rows(db, "analyses") == 0


# -- the overlay graph --------------------------------------------------------------------------


def test_overlay_puts_other_units_on_the_right_axis(signed_in, stats):
    ids = [stats["temperature berlin"], stats["temperature tokyo"], stats["response time"]]
    r = signed_in.get("/analyze" + _qs(*ids, tf="1d"))
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and GRAPH in html and "<html" in html
    for name in ("temperature berlin", "temperature tokyo", "response time"):
        assert name in html
    assert "Left axis: °C · right axis: ms" in html
    assert "1 day @ 5 minutes" in html
    # The three are ticked in the picker, the fourth is not.
    for i in ids:
        assert re.search(rf'value="{i}" checked', html)
    assert not re.search(rf'value="{stats["page views"]}" checked', html)

    data = signed_in.get("/analyze" + _qs(*ids, tf="1d"), headers={"Accept": "application/json"}).json
    assert [(s["name"], s["axis"], s["unit"]) for s in data["series"]] == [
        ("temperature berlin", "left", "°C"), ("temperature tokyo", "left", "°C"), ("response time", "right", "ms")]
    # Buckets are 5 minutes and the window ends now with the current bucket (so 24 h + 1 bucket).
    # The newest holds the value posted at NOW (20), the one 10 minutes back holds 21.
    points = dict((t, v) for t, v in data["series"][0]["points"])
    assert len(points) == 289
    assert points[NOW - NOW % 300] == 20.0 and points[NOW - NOW % 300 - 600] == 21.0
    assert points[NOW - NOW % 300 - 300] is None


def test_one_unit_means_one_axis_and_counters_sum(signed_in, stats):
    data = signed_in.get("/analyze" + _qs(stats["page views"], tf="1h"), headers={"Accept": "application/json"}).json
    [series] = data["series"]
    assert series["axis"] == "left" and series["kind"] == "counter"
    values = [v for _, v in series["points"]]
    assert len(values) == 61 and sum(values) == 2 * 7   # a post of 2 every 10 minutes, both ends included


@pytest.mark.parametrize("tf,label,n", [("1h", "1 hour @ 1 minute", 61), ("1d", "1 day @ 5 minutes", 289),
                                        ("1w", "1 week @ 1 hour", 168), ("1M", "1 month @ 4 hours", None),
                                        ("3M", "3 months @ 12 hours", None), ("1y", "1 year @ 2 days", None)])
def test_every_timeframe_draws(signed_in, stats, tf, label, n):
    r = signed_in.get("/analyze" + _qs(stats["response time"], stats["page views"], tf=tf))
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and label in html and GRAPH in html
    data = signed_in.get("/analyze" + _qs(stats["response time"], tf=tf), headers={"Accept": "application/json"}).json
    assert data["timeframe"] == tf
    if n:
        assert len(data["series"][0]["points"]) == n


def test_htmx_gets_only_the_graph_fragment(signed_in, stats):
    r = signed_in.get("/analyze" + _qs(stats["response time"], tf="1w"), headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "HX-Request" in r.headers["Vary"]
    assert html.lstrip().startswith('<section id="analysis-graph"') and GRAPH in html
    assert "<html" not in html and 'id="stat-picker"' not in html
    # The save form inside the fragment carries the new selection.
    assert f'name="s" value="{stats["response time"]}"' in html and 'name="tf" value="1w"' in html


def test_the_page_wires_htmx_to_swap_the_graph_and_push_the_url(signed_in, stats):
    html = signed_in.get("/analyze").get_data(as_text=True)
    form = re.search(r'<form id="analysis-form"[^>]*>', html).group(0)
    assert 'hx-get="/analyze"' in form and 'hx-target="#analysis-graph"' in form and 'hx-push-url="true"' in form
    assert "Pick some stats" in html and GRAPH not in html


def test_more_than_five_stats_is_a_clear_error_in_the_page(signed_in, ingest, db, account, stats):
    more = _seed(ingest, db, account, {"a": ("value", ""), "b": ("value", ""), "c": ("value", "")})
    ids = list(stats.values()) + list(more.values())[:2]
    r = signed_in.get("/analyze" + _qs(*ids))
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Pick at most 5 stats to overlay: 6 are ticked" in html
    assert GRAPH not in html and 'id="stat-picker"' in html
    # All six stay ticked so one can be unticked.
    assert all(re.search(rf'value="{i}" checked', html) for i in ids)
    r = signed_in.get("/analyze" + _qs(*ids), headers={"HX-Request": "true"})
    assert r.status_code == 400 and "Pick at most 5" in r.get_data(as_text=True)


def test_bad_ids_and_timeframes_are_errors_in_the_page(signed_in, stats):
    r = signed_in.get("/analyze?s=abc&tf=1d")
    assert r.status_code == 400 and "not a stat id" in r.get_data(as_text=True)
    r = signed_in.get("/analyze" + _qs(stats["response time"], tf="5q"))
    assert r.status_code == 400 and "unknown timeframe" in r.get_data(as_text=True).lower()


def test_another_accounts_stat_is_left_out(signed_in, stats, bob_stats):
    r = signed_in.get("/analyze" + _qs(stats["response time"], bob_stats["bob secret stat"]))
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "bob secret stat" not in html
    assert "1 stat was left out" in html
    data = signed_in.get("/analyze" + _qs(bob_stats["bob secret stat"]), headers={"Accept": "application/json"}).json
    assert data["series"] == []


def test_picker_search_keeps_ticked_stats(signed_in, stats, bob_stats):
    r = signed_in.get(f"/analyze/stats?q=temp&s={stats['response time']}", headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and html.lstrip().startswith('<div id="stat-picker"')
    assert "temperature berlin" in html and "temperature tokyo" in html
    assert re.search(rf'value="{stats["response time"]}" checked', html)
    assert "page views" not in html and "bob secret stat" not in html
    html = signed_in.get("/analyze/stats?q=bob").get_data(as_text=True)
    assert "bob secret stat" not in html and "No stat matches" in html


# -- saving -------------------------------------------------------------------------------------


def test_save_stores_the_analysis_and_it_comes_back(signed_in, db, account, stats):
    ids = [stats["temperature berlin"], stats["response time"]]
    r = post(signed_in, "/analyze/save", {"name": "  Heat vs latency ", "s": ids, "tf": "1w"}, token_from="/analyze")
    [row] = _saved(db)
    assert r.status_code == 303 and r.headers["Location"] == f"/analyze/{row['id']}"
    assert (row["account_id"], row["name"], row["stat_ids"], row["timeframe"], row["created_at"]) == (
        account.id, "Heat vs latency", f"{ids[0]},{ids[1]}", "1w", NOW)

    r = signed_in.get(f"/analyze/{row['id']}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Heat vs latency" in html and GRAPH in html and "1 week @ 1 hour" in html
    assert "Left axis: °C · right axis: ms" in html
    data = signed_in.get(f"/analyze/{row['id']}", headers={"Accept": "application/json"}).json
    assert data["analysis"]["name"] == "Heat vs latency" and [s["id"] for s in data["series"]] == ids
    # Listed on /analyze with a link back to it.
    html = signed_in.get("/analyze").get_data(as_text=True)
    assert f'href="/analyze/{row["id"]}"' in html and "Heat vs latency" in html


@pytest.mark.parametrize("form,status,msg", [
    ({"name": "", "tf": "1d"}, 400, "give the analysis a name"),
    ({"name": "x" * 101, "tf": "1d"}, 400, "at most 100 characters"),
    ({"name": "ok", "tf": "2w"}, 400, "unknown timeframe"),
    ({"name": "ok", "tf": "1d", "s": []}, 400, "pick at least one stat"),
    ({"name": "ok", "tf": "1d", "s": ["1", "x"]}, 400, "not a stat id"),
])
def test_bad_saves_are_refused_with_a_message_and_store_nothing(signed_in, db, stats, form, status, msg):
    form = {"s": [stats["response time"]], **form}
    r = post(signed_in, "/analyze/save", form, token_from="/analyze")
    assert r.status_code == status and msg in r.get_data(as_text=True)
    assert count_rows(db, "analyses") == 0


def test_saving_more_than_five_stats_is_refused(signed_in, ingest, db, account, stats):
    more = _seed(ingest, db, account, {"a": ("value", ""), "b": ("value", "")})
    r = post(signed_in, "/analyze/save", {"name": "six", "s": list(stats.values()) + list(more.values()),
                                          "tf": "1d"}, token_from="/analyze")
    assert r.status_code == 400 and "at most 5" in r.get_data(as_text=True)
    assert count_rows(db, "analyses") == 0


def test_saving_another_accounts_stat_is_refused(signed_in, db, stats, bob_stats):
    r = post(signed_in, "/analyze/save", {"name": "sneaky", "s": [stats["response time"], bob_stats["bob secret stat"]],
                                          "tf": "1d"}, token_from="/analyze")
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and "not yours" in html and "bob secret stat" not in html
    assert count_rows(db, "analyses") == 0


def test_save_without_csrf_is_refused(signed_in, db, stats):
    r = signed_in.post("/analyze/save", data={"name": "x", "s": stats["response time"], "tf": "1d"})
    assert r.status_code == 400
    assert count_rows(db, "analyses") == 0


def test_deleted_stats_are_dropped_from_a_saved_analysis(signed_in, db, account, stats):
    ids = [stats["temperature tokyo"], stats["page views"]]
    post(signed_in, "/analyze/save", {"name": "mixed", "s": ids, "tf": "1d"}, token_from="/analyze")
    [row] = _saved(db)
    trash_stats(db, account.id, [stats["temperature tokyo"]], NOW)
    r = signed_in.get(f"/analyze/{row['id']}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "1 stat was left out" in html and GRAPH in html
    data = signed_in.get(f"/analyze/{row['id']}", headers={"Accept": "application/json"}).json
    assert [s["name"] for s in data["series"]] == ["page views"]
    assert _saved(db)[0]["stat_ids"] == f"{ids[0]},{ids[1]}"   # shown without it; the saved row is unchanged


def test_another_accounts_analysis_is_404(signed_in, db, other_account, bob_stats):
    bob_id = an.save_analysis(db, other_account.id, "bob's view", [str(bob_stats["bob secret stat"])], "1d", NOW)
    r = signed_in.get(f"/analyze/{bob_id}")
    assert r.status_code == 404 and "bob" not in r.get_data(as_text=True)
    assert signed_in.get(f"/analyze/{bob_id}", headers={"Accept": "application/json"}).status_code == 404
    r = post(signed_in, f"/analyze/{bob_id}/delete", token_from="/analyze")
    assert r.status_code == 404
    assert [a["name"] for a in _saved(db)] == ["bob's view"]
    assert "bob&#39;s view" not in signed_in.get("/analyze").get_data(as_text=True)
    assert signed_in.get("/analyze/999999").status_code == 404


def test_delete_removes_the_analysis(signed_in, db, stats):
    for name in ("first", "second"):
        post(signed_in, "/analyze/save", {"name": name, "s": [stats["response time"]], "tf": "1d"},
             token_from="/analyze")
    first, second = _saved(db)
    r = post(signed_in, f"/analyze/{first['id']}/delete", htmx=True, token_from="/analyze")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and html.lstrip().startswith('<section id="saved-analyses"')
    assert "second" in html and f"/analyze/{first['id']}" not in html
    assert [a["id"] for a in _saved(db)] == [second["id"]]
    r = post(signed_in, f"/analyze/{second['id']}/delete", token_from="/analyze")
    assert r.status_code == 303 and r.headers["Location"] == "/analyze"
    assert count_rows(db, "analyses") == 0
    assert signed_in.get(f"/analyze/{second['id']}").status_code == 404


def test_delete_without_csrf_is_refused(signed_in, db, stats):
    post(signed_in, "/analyze/save", {"name": "keep", "s": [stats["response time"]], "tf": "1d"},
         token_from="/analyze")
    [row] = _saved(db)
    assert signed_in.post(f"/analyze/{row['id']}/delete").status_code == 400
    assert count_rows(db, "analyses") == 1


def test_analyses_go_with_their_account(db, account, stats):
    an.save_analysis(db, account.id, "gone soon", [str(stats["response time"])], "1d", NOW)
    db.run(lambda tx: tx.execute("DELETE FROM accounts WHERE id = ?", (account.id,)))
    assert count_rows(db, "analyses") == 0


def test_names_are_escaped(signed_in, db, stats):
    post(signed_in, "/analyze/save", {"name": "<b>bold</b> & \"q\"", "s": [stats["response time"]], "tf": "1d"},
         token_from="/analyze")
    [row] = _saved(db)
    html = signed_in.get(f"/analyze/{row['id']}").get_data(as_text=True)
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt; &amp; &#34;q&#34;" in html


def test_the_all_timeframe_runs_from_the_first_data(signed_in, stats):
    data = signed_in.get("/analyze" + _qs(stats["response time"], stats["page views"], tf="all"),
                         headers={"Accept": "application/json"}).json
    assert data["timeframe"] == "all" and data["error"] is None
    times = [t for t, v in data["series"][0]["points"] if v is not None]
    assert min(times) <= NOW - 11 * 600 and data["series"][0]["points"][0][0] >= NOW - 12 * 600 - 600
    html = signed_in.get("/analyze" + _qs(stats["response time"], tf="all")).get_data(as_text=True)
    assert 'value="all" checked' in html and "all data @" in html


def test_a_zoomed_range_is_the_same_window_as_on_the_stat_page(signed_in, stats):
    start, end = NOW - 3600, NOW - 1200
    q = f"?s={stats['response time']}&start={start}&end={end}"
    data = signed_in.get("/analyze" + q, headers={"Accept": "application/json"}).json
    page = signed_in.get(f"/stats/{stats['response time']}?start={start}&end={end}",
                         headers={"Accept": "application/json"}).json
    ours = [(t, v) for t, v in data["series"][0]["points"]]
    theirs = [(p["time"], p["value"]) for p in page["points"]]
    assert ours == theirs and ours[0][0] <= start and ours[-1][0] < end
    html = signed_in.get("/analyze" + q).get_data(as_text=True)
    assert f'name="start" value="{start}"' in html and 'type="submit">Save analysis' not in html   # not saved


def test_normalised_scale_draws_each_stat_over_its_own_range(signed_in, stats):
    q = _qs(stats["page views"], stats["temperature berlin"], tf="1h") + "&scale=normalised"
    html = signed_in.get("/analyze" + q).get_data(as_text=True)
    assert "own range" in html and 'value="normalised" selected' in html
    meta = json.loads(unescape(re.search(r'<metadata class="eyrie-data">(.*?)</metadata>', html).group(1)))
    berlin = next(s for s in meta["series"] if s["name"] == "temperature berlin")
    assert "26 °C" in berlin["text"] and "20 °C" in berlin["text"]   # hover shows the real values
    assert max(y for y in berlin["y"] if y is not None) > min(y for y in berlin["y"] if y is not None) + 100
    assert "Left axis" not in html   # one shared 0-100% axis
    assert signed_in.get("/analyze" + q.replace("normalised", "bogus")).status_code == 200   # unknown: by unit


def test_the_sixth_box_is_disabled_rather_than_the_graph_blanked(signed_in, ingest, db, account):
    ids = _seed(ingest, db, account, {f"s{i}": ("value", "") for i in range(7)})
    five = [ids[f"s{i}"] for i in range(5)]
    html = signed_in.get("/analyze" + _qs(*five)).get_data(as_text=True)
    for i in range(5, 7):
        assert re.search(rf'name="s" value="{ids[f"s{i}"]}"\s+disabled', html), i
    assert html.count("checked") >= 5 and GRAPH in html
    four = signed_in.get("/analyze" + _qs(*five[:4])).get_data(as_text=True)
    assert "disabled>" not in four.split('id="stat-picker"')[1].split("</div>")[0]
