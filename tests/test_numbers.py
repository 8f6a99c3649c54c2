"""The one number format (app/numbers.py): pages, tiles, mails and axes all go through it."""

from __future__ import annotations

import pytest

from app import numbers
from app.web.filters import amount, number


@pytest.mark.parametrize("value, text", [
    (0, "0"), (42, "42"), (100, "100"), (123.4, "123"), (8.934, "8.93"), (2.5, "2.5"), (0.25, "0.25"),
    (0.1 + 0.2, "0.3"), (0.000123, "0.000123"), (1.5e-9, "1.5e-9"), (-0.0001, "-0.0001"),
    (999.4, "999"), (999.6, "1k"), (1000, "1k"), (1234, "1.23k"), (1247.1, "1.25k"), (31120, "31.1k"),
    (-15000, "-15k"), (999_600, "1M"), (12_345_678, "12.3M"), (4.5e9, "4.5G"), (1e12, "1T"),
    (1.7e308, "1.7e308"), (-1.7e308, "-1.7e308"), (None, "–"), (float("nan"), "–"), (float("inf"), "–"),
    (-0.0, "0"),
])
def test_three_significant_digits_and_thousands_as_k_m_g(value, text):
    assert numbers.number(value) == text


def test_the_unit_is_attached_currency_first_percent_tight_others_after_a_space():
    assert numbers.fmt(152, "ms") == "152 ms"
    assert numbers.fmt(8.934, "°C") == "8.93 °C"
    assert numbers.fmt(2500, "$") == "$2.5k"
    assert numbers.fmt(-2500, "€") == "-€2.5k"
    assert numbers.fmt(12.5, "%") == "12.5%"
    assert numbers.fmt(None, "ms") == "–"
    assert numbers.fmt(3, "") == "3"


def test_page_filters_use_the_same_format():
    assert [number(v) for v in (18000, 192000, 1234, 12345678, 42, -15000, None)] == [
        "18k", "192k", "1.23k", "12.3M", "42", "-15k", "–"]
    assert str(amount(6, "ms")) == '6<span class="unit"> ms</span>'
    assert str(amount(6, "$")) == "$6"
    assert str(amount(None, "ms")) == '<span class="muted">–</span>'
    assert str(amount(1, "<b>")) == '1<span class="unit"> &lt;b&gt;</span>'   # a unit is text, not markup


def test_axis_labels_get_just_enough_digits_to_differ():
    assert numbers.distinct([0, 2.5, 5, 7.5]) == ["0", "2.5", "5", "7.5"]
    labels = numbers.distinct([100_000, 100_250, 100_500, 100_750])
    assert len(set(labels)) == 4 and all(lb.endswith("k") for lb in labels)
    assert numbers.distinct([1000, 2000], "ms") == ["1k ms", "2k ms"]


def test_changes():
    assert [numbers.change(p) for p in (4.21, -13.33, 0, 150.5, None)] == ["+4.2%", "-13.3%", "0%", "+150%", "–"]
