"""Times in people's words: "today at 08:00", "tomorrow at 08:00", "Monday at 08:00", "Dec 24 at 08:00"."""

from __future__ import annotations

from datetime import UTC, datetime


def when(ts: int | None, tz: str, now: int) -> str:
    """A future (or recent) moment as a person would say it, in the zone `tz`."""
    from app.rollups import zone

    if ts is None:
        return ""
    try:
        z = zone(tz)
    except Exception:   # a bad profile setting must not break a page
        z = UTC
    at = datetime.fromtimestamp(int(ts), UTC).astimezone(z)
    today = datetime.fromtimestamp(int(now), UTC).astimezone(z).date()
    days = (at.date() - today).days
    clock = at.strftime("%H:%M")
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    if days == -1:
        return f"yesterday at {clock}"
    if 1 < days < 7:
        return f"{at.strftime('%A')} at {clock}"
    if at.year == today.year:
        return f"{at.strftime('%b')} {at.day} at {clock}"
    return f"{at.strftime('%b')} {at.day}, {at.year} at {clock}"
