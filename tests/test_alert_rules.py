"""StatHat's manual alert rules, evaluated without a database."""

from __future__ import annotations

import math

import pytest

from app import alert_rules as r
from app.errors import Invalid


def test_parse_accepts_statHats_parameters_and_the_cli_short_operators():
    assert r.parse_rule("value", "1h", "greater than", "500") == r.Rule("value", "1h", "greater than", 500.0)
    assert r.parse_rule("data", "5m", "ignored", "ignored") == r.Rule("data", "5m")
    assert r.parse_rule("delta", "5m", "dt", percentage="10", time_delta="1h") == \
        r.Rule("delta", "5m", "different than", percentage=10.0, time_delta="1h")
    assert r.parse_rule("value", "1y", "lt", -2.5).operator == "less than"


@pytest.mark.parametrize("args, field", [
    (("nope", "1h"), "kind"),
    (("value", "2h", "greater than", 1), "time_window"),
    (("value", "1h", "different than", 1), "operator"),
    (("value", "1h", "greater than", ""), "threshold"),
    (("value", "1h", "greater than", "lots"), "threshold"),
    (("value", "1h", "greater than", "nan"), "threshold"),
    (("delta", "1h", "greater than", None, "0", "1d"), "percentage"),
    (("delta", "1h", "greater than", None, "10", "2d"), "time_delta"),
])
def test_parse_names_the_first_bad_field(args, field):
    with pytest.raises(Invalid) as exc:
        r.parse_rule(*args)
    assert exc.value.detail["field"] == field


def test_reminder_hours_are_bounded_whole_numbers():
    assert r.parse_reminder_hours("") == 0
    assert r.parse_reminder_hours("4") == 4
    for bad in ("-1", "1.5", "x", "100000"):
        with pytest.raises(Invalid):
            r.parse_reminder_hours(bad)


def test_descriptions_read_like_statHat_users_wrote_them():
    assert r.parse_rule("value", "1h", "gt", 500).describe("counter") == "sum over the last hour is greater than 500"
    assert r.parse_rule("delta", "5m", "gt", percentage=10, time_delta="1h").describe("value") == \
        "average over the last 5 minutes is 10% greater than an hour ago"
    assert r.parse_rule("data", "1d").describe() == "no data in the last day"


def test_the_window_is_the_buckets_that_began_in_the_last_window_before_now():
    rule = r.parse_rule("value", "5m", "gt", 1)
    assert r.window(rule, 1000, 0) == (701, 1001)
    assert r.window(rule, 1000, 3600) == (701 - 3600, 1001 - 3600)
    assert rule.resolution == 60
    assert r.parse_rule("data", "1M").resolution == 3600 and r.parse_rule("data", "1y").resolution == 86400


def test_value_alerts_compare_the_sum_of_counters_and_the_mean_of_values():
    rule = r.parse_rule("value", "1h", "greater than", 10)
    assert r.evaluate(rule, "counter", (11, 3)) == r.Evaluation(True, 11.0)
    assert r.evaluate(rule, "counter", (10, 3)).firing is False
    assert r.evaluate(rule, "counter", (0, 0)) == r.Evaluation(False, 0.0)   # no data: a sum of 0
    assert r.evaluate(rule, "value", (33, 3)) == r.Evaluation(True, 11.0)    # mean 11
    assert r.evaluate(rule, "value", (0, 0)) == r.Evaluation(None, None)     # no data: cannot tell
    assert r.evaluate(r.parse_rule("value", "1h", "less than", 10), "value", (27, 3)).firing is True


def test_delta_alerts_compare_with_the_window_time_delta_ago():
    up = r.parse_rule("delta", "1h", "greater than", percentage=50, time_delta="1d")
    down = r.parse_rule("delta", "1h", "less than", percentage=50, time_delta="1d")
    diff = r.parse_rule("delta", "1h", "different than", percentage=50, time_delta="1d")
    assert r.evaluate(up, "counter", (15, 1), (10, 1)).firing is True       # +50 %
    assert r.evaluate(up, "counter", (14, 1), (10, 1)).firing is False
    assert r.evaluate(down, "counter", (5, 1), (10, 1)).firing is True      # -50 %
    assert r.evaluate(down, "counter", (15, 1), (10, 1)).firing is False
    assert r.evaluate(diff, "counter", (5, 1), (10, 1)).firing is True
    assert r.evaluate(diff, "counter", (15, 1), (10, 1)).firing is True
    assert r.evaluate(diff, "counter", (12, 1), (10, 1)).firing is False
    assert r.evaluate(up, "counter", (1, 1), (0, 0)).firing is True          # from nothing: infinite change
    assert r.evaluate(up, "counter", (0, 0), (0, 0)).firing is False
    assert r.evaluate(up, "value", (10, 1), (0, 0)).firing is None            # nothing to compare with
    assert r.change_pct(-5, 0) == -math.inf


def test_data_alerts_fire_on_an_empty_window_only():
    rule = r.parse_rule("data", "5m")
    assert r.evaluate(rule, "counter", (0, 0)) == r.Evaluation(True, 0.0)
    assert r.evaluate(rule, "value", (0.0, 1)).firing is False               # a zero is still data


def test_states_move_between_ok_and_triggered_and_reminders_repeat():
    assert r.next_state("ok", True) == "triggered"
    assert r.next_state("triggered", True) is None
    assert r.next_state("triggered", False) == "ok"
    assert r.next_state("ok", None) is None and r.next_state("triggered", None) is None
    assert r.reminder_due("triggered", 2, 1000, 1000 + 7200)
    assert not r.reminder_due("triggered", 2, 1000, 1000 + 7199)
    assert not r.reminder_due("triggered", 0, 1000, 10**9)
    assert not r.reminder_due("ok", 2, 1000, 10**9)
