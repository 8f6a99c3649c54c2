"""Accounts and their keys."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app import keys
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.passwords import check_password, hash_password
from app.rollups import zone
from app.storage import accounts as q

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class NewAccount:
    id: int
    email: str
    ezkey: str
    ukey: str
    access_token: str

    def as_dict(self) -> dict:
        return dict(id=self.id, email=self.email, ezkey=self.ezkey, ukey=self.ukey, access_token=self.access_token)


def check_timezone(tz: str) -> str:
    try:
        zone(tz)
    except Exception:
        raise Invalid(f"unknown timezone {tz!r}") from None
    return tz


def create_account(db, email: str, password: str, now: int, timezone: str = "UTC") -> NewAccount:
    email = (email or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 255:
        raise Invalid("enter a valid email address", field="email")
    if len(password or "") < 8:
        raise Invalid("the password needs at least 8 characters", field="password")
    check_timezone(timezone)
    pw_hash = hash_password(password)  # slow on purpose: keep it outside the transaction
    ukey, token = keys.ukey(), keys.access_token()

    def tx_fn(tx):
        if q.account_by_email(tx, email):
            raise Conflict("an account with this email already exists", field="email")
        if q.account_by_ezkey(tx, email):
            raise Conflict("this email is already in use as an EZ key", field="email")
        account_id = q.insert_account(tx, email, pw_hash, ukey, timezone, now)
        q.insert_ezkey(tx, account_id, email, now)  # the EZ key is the email by default
        q.insert_token(tx, account_id, token, "default", now)
        return account_id

    try:
        account_id = db.run(tx_fn)
    except Exception as exc:
        if db.is_unique_violation(exc):
            raise Conflict("an account with this email already exists", field="email") from None
        raise
    return NewAccount(account_id, email, email, ukey, token)


def authenticate(db, email: str, password: str) -> dict:
    account = db.read(lambda tx: q.account_by_email(tx, (email or "").strip().lower()))
    if account is None or not check_password(account["password_hash"], password or ""):
        raise Forbidden("wrong email or password")
    return account


def account_by_token(db, token: str) -> dict:
    account = db.read(lambda tx: q.account_by_token(tx, token or ""))
    if account is None:
        raise NotFound("invalid access token")
    return account


def get_account(db, account_id: int) -> dict:
    account = db.read(lambda tx: q.account_by_id(tx, account_id))
    if account is None:
        raise NotFound("no such account")
    return account
