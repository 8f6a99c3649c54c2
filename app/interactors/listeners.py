"""Use cases of the StatsD/Graphite listeners: which account a metric is for, and storing a flush
through the ingest interactors (the same validation and bounds as the EZ API's bulk posts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from app import keys
from app.errors import NotFound
from app.ingest_rules import DEFAULT_LIMITS, Limits
from app.interactors.ingest import EzItem, record_for_accounts
from app.listeners.routing import split_token
from app.storage import accounts as aq


def metrics_token(db, account_id: int) -> str:
    """The account's metrics prefix token, made on first use."""
    token = db.read(lambda tx: aq.metrics_token(tx, account_id))
    if token:
        return token
    db.run(lambda tx: aq.set_metrics_token(tx, account_id, keys.metrics_token(), only_if_unset=True))
    return db.read(lambda tx: aq.metrics_token(tx, account_id))


def rotate_metrics_token(db, account_id: int) -> str:
    """A new token; metrics sent with the old one are dropped from the next flush on."""
    token = keys.metrics_token()
    db.run(lambda tx: aq.set_metrics_token(tx, account_id, token))
    return token


def listener_account(db, email: str) -> dict:
    account = db.read(lambda tx: aq.account_by_email(tx, (email or "").strip().lower()))
    if account is None:
        raise NotFound(f"no account {email!r}")
    return account


@dataclass
class FlushReport:
    stored: int = 0  # data points committed
    unknown_token: int = 0  # metrics dropped: no account has that prefix token (or no token)
    rejected: int = 0  # refused by the ingest rules
    reasons: list[str] = field(default_factory=list)  # the first few, "name: reason"

    def as_dict(self) -> dict:
        return {"stored": self.stored, "unknown_token": self.unknown_token, "rejected": self.rejected}


def store_flush(db, metrics: list[tuple[str, str, float, int]], now: int, account: dict | None = None,
                limits: Limits = DEFAULT_LIMITS) -> FlushReport:
    """metrics: (name, "counter"|"value", number, unix seconds). With `account`, every metric is
    that account's; without, the name's first part is an account's metrics token."""
    report = FlushReport()
    if not metrics:
        return report
    by_token: dict[str, list[tuple]] = {}
    if account is not None:
        groups = [(account, metrics)]
    else:
        for name, kind, number, t in metrics:
            split = split_token(name)
            if split is None:
                report.unknown_token += 1
                continue
            by_token.setdefault(split[0], []).append((split[1], kind, number, t))
        accounts = db.read(lambda tx: aq.accounts_by_metrics_tokens(tx, list(by_token)))
        groups = []
        for token, items in by_token.items():
            if token in accounts:
                groups.append((accounts[token], items))
            else:
                report.unknown_token += len(items)
    ez_groups = []
    for acct, items in groups:
        ez = [EzItem(name, count=number, t=t) if kind == "counter" else EzItem(name, value=number, t=t)
              for name, kind, number, t in items]
        ez_groups.append((acct, ez))
    results = record_for_accounts(db, ez_groups, now, limits=limits)
    for (_, ez), result in zip(ez_groups, results, strict=True):
        report.stored += result.accepted
        report.rejected += result.rejected_count
        report.reasons += [f"{str(ez[r['index']].stat)[:80]}: {r['msg']}" for r in result.rejected[:5]]
    return report
