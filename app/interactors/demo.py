"""A demo account with a week of realistic sample data, posted through the real ingest path."""

from __future__ import annotations

import math
import random

from app.errors import Conflict
from app.interactors.accounts import create_account
from app.interactors.ingest import EzItem, record_ez
from app.storage import accounts as aq
from app.storage import stats as sq

DEMO_EMAIL = "demo@eyrie.local"
DEMO_PASSWORD = "eyrie-demo"
CITIES = {"berlin": (9.0, 6.0, 1), "tokyo": (14.0, 5.0, 9), "san francisco": (13.0, 4.0, -8)}
UNITS = {"response time": "ms", **{f"temperature {c}": "°C" for c in CITIES}}


def sample_items(now: int, days: int = 7, seed: int = 42) -> list[EzItem]:
    rng = random.Random(seed)
    start = now - days * 86400
    start -= start % 60
    items: list[EzItem] = []
    for t in range(start, now, 60):
        hour = (t % 86400) / 3600
        # Traffic follows the day (peak mid-afternoon UTC) with a quieter weekend.
        weekday = (t // 86400 + 3) % 7
        load = (0.55 + 0.45 * math.sin((hour - 8) / 24 * 2 * math.pi)) * (0.6 if weekday >= 5 else 1.0)
        views = max(0, int(rng.gauss(40 * load, 4)))
        items.append(EzItem(stat="page views", count=views, t=t))
        if rng.random() < 0.08 * load + 0.01:
            items.append(EzItem(stat="signups", count=rng.choice((1, 1, 1, 2)), t=t))
        items.append(EzItem(stat="response time", value=round(max(8.0, rng.gauss(60 + 90 * load, 12)), 1), t=t))
        if t % 600 == 0:
            for city, (mean, swing, offset) in CITIES.items():
                local_hour = (hour + offset) % 24
                temp = mean + swing * math.sin((local_hour - 9) / 24 * 2 * math.pi) + rng.gauss(0, 0.4)
                items.append(EzItem(stat=f"temperature {city}", value=round(temp, 1), t=t))
    return items


def seed_demo(db, now: int) -> dict:
    """Create the demo account and its data once; later runs leave it as it is."""
    try:
        create_account(db, DEMO_EMAIL, DEMO_PASSWORD, now)
        created = True
    except Conflict:
        created = False
    if created:
        items = sample_items(now)
        for i in range(0, len(items), 5000):
            record_ez(db, DEMO_EMAIL, items[i:i + 5000], now, bulk=True)

        def set_units(tx):
            account = aq.account_by_email(tx, DEMO_EMAIL)
            for name, stat in sq.stats_by_names(tx, account["id"], list(UNITS)).items():
                sq.update_stat(tx, account["id"], stat["id"], unit=UNITS[name])

        db.run(set_units)
    return {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "created": created}
