"""StatHat's manual alerts as pure rules: parsing, the window each reads, and evaluation. No I/O.

- value: the window's figure (sum for counters, mean for values) is greater / less than a threshold;
- delta: the window's figure differs from the same window `time_delta` earlier by at least `percentage` %;
- data:  no data at all arrived in the window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.errors import Invalid
from app.rollups import DAY, HOUR, MINUTE

WINDOWS = {"5m": 300, "1h": 3600, "3h": 3 * 3600, "1d": DAY, "1w": 7 * DAY, "1M": 30 * DAY, "1y": 365 * DAY}
WINDOW_LABELS = {"5m": "5 minutes", "1h": "hour", "3h": "3 hours", "1d": "day", "1w": "week", "1M": "month",
                 "1y": "year"}
AGO = {"5m": "5 minutes ago", "1h": "an hour ago", "3h": "3 hours ago", "1d": "a day ago", "1w": "a week ago",
       "1M": "a month ago", "1y": "a year ago"}
# The stored resolution read for each window: fine enough to tile it, coarse enough to stay small
# (at most 720 rows), and kept by the default retention (minutes 31 days, hours 800 days).
RESOLUTION = {"5m": MINUTE, "1h": MINUTE, "3h": MINUTE, "1d": HOUR, "1w": HOUR, "1M": HOUR, "1y": DAY}
KINDS = ("value", "delta", "data")
OPERATORS = {"value": ("greater than", "less than"), "delta": ("different than", "greater than", "less than")}
# StatHat's CLI sent short operator names.
OPERATOR_ALIASES = {"gt": "greater than", "lt": "less than", "dt": "different than"}
MAX_REMINDER_HOURS = 24 * 30

OK, TRIGGERED = "ok", "triggered"


@dataclass(frozen=True)
class Rule:
    kind: str
    time_window: str
    operator: str | None = None
    threshold: float | None = None
    percentage: float | None = None
    time_delta: str | None = None

    @property
    def window_seconds(self) -> int:
        return WINDOWS[self.time_window]

    @property
    def resolution(self) -> int:
        return RESOLUTION[self.time_window]

    def describe(self, stat_kind: str = "value", unit: str = "") -> str:
        """In words, as StatHat users wrote them: "average for 5 minutes is 10% greater than an hour ago";
        a threshold carries the stat's unit ("is greater than 250 ms", "is less than $5")."""
        what = "sum" if stat_kind == "counter" else "average"
        span = f"the last {WINDOW_LABELS[self.time_window]}"
        if self.kind == "data":
            return f"no data in {span}"
        if self.kind == "value":
            return f"{what} over {span} is {self.operator} {with_unit(_num(self.threshold), unit)}"
        verb = "differs by" if self.operator == "different than" else f"is {_num(self.percentage)}% {self.operator}"
        if self.operator == "different than":
            return f"{what} over {span} {verb} {_num(self.percentage)}% from {AGO[self.time_delta]}"
        return f"{what} over {span} {verb} {AGO[self.time_delta]}"


CURRENCIES = ("$", "€", "£", "¥")


def with_unit(text: str, unit: str) -> str:
    """A number's text with its unit: currency symbols before it ($5), other units after (250 ms)."""
    if not unit or not text:
        return text
    if unit in CURRENCIES:
        return f"-{unit}{text[1:]}" if text.startswith("-") else f"{unit}{text}"
    return f"{text} {unit}"


def _num(v) -> str:
    if v is None:
        return ""
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else f"{v:g}"


def _float(raw, field: str) -> float:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise Invalid(f"{field} is required", field=field)
    if isinstance(raw, bool):
        raise Invalid(f"{field} must be a number", field=field)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise Invalid(f"{field} must be a number", field=field) from None
    if math.isnan(value) or math.isinf(value):
        raise Invalid(f"{field} must be a finite number", field=field)
    return value


def parse_rule(kind, time_window, operator=None, threshold=None, percentage=None, time_delta=None) -> Rule:
    """Validate the API's (and the form's) parameters; raise Invalid naming the first bad field."""
    kind = (kind or "").strip() if isinstance(kind, str) else kind
    if kind not in KINDS:
        raise Invalid("kind must be value, delta or data", field="kind")
    time_window = (time_window or "").strip() if isinstance(time_window, str) else time_window
    if time_window not in WINDOWS:
        raise Invalid(f"time_window must be one of {', '.join(WINDOWS)}", field="time_window")
    if kind == "data":
        return Rule("data", time_window)
    op = (operator or "").strip().lower() if isinstance(operator, str) else ""
    op = OPERATOR_ALIASES.get(op, op)
    if op not in OPERATORS[kind]:
        raise Invalid(f"operator must be {' or '.join(OPERATORS[kind])}", field="operator")
    if kind == "value":
        return Rule("value", time_window, op, threshold=_float(threshold, "threshold"))
    pct = _float(percentage, "percentage")
    if pct <= 0:
        raise Invalid("percentage must be more than 0", field="percentage")
    time_delta = (time_delta or "").strip() if isinstance(time_delta, str) else time_delta
    if time_delta not in WINDOWS:
        raise Invalid(f"time_delta must be one of {', '.join(WINDOWS)}", field="time_delta")
    return Rule("delta", time_window, op, percentage=pct, time_delta=time_delta)


def parse_reminder_hours(raw) -> int:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return 0
    try:
        hours = int(str(raw).strip())
    except ValueError:
        raise Invalid("reminder hours must be a whole number", field="reminder_hours") from None
    if not 0 <= hours <= MAX_REMINDER_HOURS:
        raise Invalid(f"reminder hours must be 0 to {MAX_REMINDER_HOURS}", field="reminder_hours")
    return hours


# -- windows and evaluation ------------------------------------------------------------------


def window(rule: Rule, now: int, offset: int = 0) -> tuple[int, int]:
    """[start, end) of bucket starts to read: the buckets that began in the last window before
    now - offset (the current, partial bucket included)."""
    end = now - offset
    return end - rule.window_seconds + 1, end + 1


def figure(stat_kind: str, total: float, n: int) -> float | None:
    """The window's figure: the sum for counters (0 with no data), the mean for values (None)."""
    if stat_kind == "counter":
        return float(total)
    return float(total) / n if n else None


def change_pct(current: float, previous: float) -> float:
    """Percent change; from zero, any change counts as infinitely large."""
    if previous == 0:
        return 0.0 if current == 0 else math.copysign(math.inf, current)
    return (current - previous) / abs(previous) * 100.0


@dataclass(frozen=True)
class Evaluation:
    firing: bool | None   # None: cannot tell (a value stat without data): keep the state
    value: float | None   # what the alert looked at (the figure, the % change, or the count)


def evaluate(rule: Rule, stat_kind: str, current: tuple[float, int], previous: tuple[float, int] | None = None
             ) -> Evaluation:
    """current/previous: (total, number of data points) in the window now and `time_delta` ago."""
    total, n = current
    if rule.kind == "data":
        return Evaluation(n == 0, float(n))
    cur = figure(stat_kind, total, n)
    if cur is None:
        return Evaluation(None, None)
    if rule.kind == "value":
        firing = cur > rule.threshold if rule.operator == "greater than" else cur < rule.threshold
        return Evaluation(firing, cur)
    prev = figure(stat_kind, *previous) if previous is not None else None
    if prev is None:
        return Evaluation(None, cur)
    change = change_pct(cur, prev)
    if rule.operator == "greater than":
        firing = change >= rule.percentage
    elif rule.operator == "less than":
        firing = change <= -rule.percentage
    else:
        firing = abs(change) >= rule.percentage
    return Evaluation(firing, cur)


def next_state(state: str, firing: bool | None) -> str | None:
    """The state to move to, or None when nothing changes."""
    if firing is None:
        return None
    new = TRIGGERED if firing else OK
    return new if new != state else None


def reminder_due(state: str, reminder_hours: int, last_notified_at: int | None, now: int) -> bool:
    return (state == TRIGGERED and reminder_hours > 0 and last_notified_at is not None
            and now >= last_notified_at + reminder_hours * HOUR)
