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
    # An unknown email is checked against a dummy hash: the same scrypt work, so the time taken
    # does not tell who has an account.
    ok = check_password(account["password_hash"] if account else None, password or "")
    if account is None or not ok:
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


# -- sign-in, password reset ------------------------------------------------------------------

RESET_SECONDS = 3600


def _reset_serializer(secret: str):
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(secret, salt="eyrie-password-reset")


def request_password_reset(db, config, email: str, now: int, base_url: str = "") -> bool:
    """Mail a reset link if the account exists. The caller answers the same either way, so the
    form never tells who has an account: the mail is rendered and sent off the request's thread
    (mail.send_soon), so the reply takes the same time too."""
    from app import emails, mail

    account = db.read(lambda tx: q.account_by_email(tx, (email or "").strip().lower()))
    if account is None:
        return False
    token = _reset_serializer(config.secret_key).dumps(
        {"a": account["id"], "h": account["password_hash"][-16:], "exp": now + RESET_SECONDS})
    link = f"{base_url or config.mail_base_url}/reset/{token}"
    to = account["email"]
    mail.send_soon(config, lambda: emails.render("password_reset", to, "Reset your Eyrie password",
                                                 email=to, link=link))
    return True


def check_reset_token(db, secret: str, token: str, now: int) -> dict:
    """The account a reset token is for; the token dies when it expires or the password changes."""
    from itsdangerous import BadSignature

    try:
        data = _reset_serializer(secret).loads(token)
    except BadSignature:
        raise Invalid("this reset link is not valid") from None
    if not isinstance(data, dict) or data.get("exp", 0) < now:
        raise Invalid("this reset link has expired: ask for a new one")
    account = db.read(lambda tx: q.account_by_id(tx, int(data.get("a", 0))))
    if account is None or account["password_hash"][-16:] != data.get("h"):
        raise Invalid("this reset link was already used")
    return account


def reset_password(db, secret: str, token: str, password: str, now: int) -> dict:
    account = check_reset_token(db, secret, token, now)
    if len(password or "") < 8:
        raise Invalid("the password needs at least 8 characters", field="password")
    pw_hash = hash_password(password)
    db.run(lambda tx: q.update_account(tx, account["id"], password_hash=pw_hash))
    return account


def change_password(db, account_id: int, current: str, new: str, confirm: str) -> dict:
    """A signed-in person's new password: the current one first. Answers the account as it now is."""
    account = get_account(db, account_id)
    if not check_password(account["password_hash"], current or ""):
        raise Invalid("the current password is not right", field="current_password")
    if len(new or "") < 8:
        raise Invalid("the new password needs at least 8 characters", field="new_password")
    if new != confirm:
        raise Invalid("the two new passwords differ", field="confirm")
    pw_hash = hash_password(new)
    db.run(lambda tx: q.update_account(tx, account_id, password_hash=pw_hash))
    return get_account(db, account_id)


def session_version(account: dict) -> str:
    """Stored in the session cookie: changing the password signs out every other session."""
    return account["password_hash"][-12:]


# -- settings ---------------------------------------------------------------------------------


def settings_view(db, account_id: int) -> dict:
    def tx_fn(tx):
        account = q.account_by_id(tx, account_id)
        if account is None:
            raise NotFound("no such account")
        return {
            "email": account["email"],
            "ukey": account["ukey"],
            "timezone": account["timezone"],
            "ez_enabled": bool(account["ez_enabled"]),
            "new_stat_email": bool(account["new_stat_email"]),
            "ezkeys": q.ezkeys(tx, account_id),
            "tokens": q.tokens(tx, account_id),
        }

    from app.interactors.listeners import metrics_token

    view = db.read(tx_fn)
    view["metrics_token"] = metrics_token(db, account_id)  # made on first view
    return view


def add_ezkey(db, account_id: int, ezkey: str, now: int) -> None:
    ezkey = (ezkey or "").strip()
    if not ezkey or len(ezkey) > 255 or any(ord(c) < 32 for c in ezkey):
        raise Invalid("an EZ key is 1 to 255 printable characters", field="ezkey")

    def tx_fn(tx):
        if q.account_by_ezkey(tx, ezkey):
            raise Conflict("that EZ key is taken", field="ezkey")
        q.insert_ezkey(tx, account_id, ezkey, now)

    try:
        db.run(tx_fn)
    except Exception as exc:
        if db.is_unique_violation(exc):
            raise Conflict("that EZ key is taken", field="ezkey") from None
        raise


def delete_ezkey(db, account_id: int, key_id: int) -> None:
    def tx_fn(tx):
        keys_ = q.ezkeys(tx, account_id)
        if not any(k["id"] == key_id for k in keys_):
            raise NotFound("no such EZ key")
        if len(keys_) == 1:
            raise Invalid("keep at least one EZ key (turn the EZ API off instead)")
        q.delete_ezkey(tx, account_id, key_id)

    db.run(tx_fn)


def create_token(db, account_id: int, name: str, now: int) -> str:
    name = (name or "").strip()[:100] or "token"
    token = keys.access_token()
    db.run(lambda tx: q.insert_token(tx, account_id, token, name, now))
    return token


def revoke_token(db, account_id: int, token_id: int) -> None:
    if db.run(lambda tx: q.delete_token(tx, account_id, token_id)) == 0:
        raise NotFound("no such access token")


def rotate_ukey(db, account_id: int) -> str:
    new = keys.ukey()
    db.run(lambda tx: q.update_account(tx, account_id, ukey=new))
    return new


def update_preferences(db, account_id: int, *, timezone: str | None = None, ez_enabled: bool | None = None,
                       new_stat_email: bool | None = None) -> None:
    from app.storage import points as pq
    from app.storage import stats as sq

    fields: dict = {}
    if ez_enabled is not None:
        fields["ez_enabled"] = 1 if ez_enabled else 0
    if new_stat_email is not None:
        fields["new_stat_email"] = 1 if new_stat_email else 0
    if timezone is not None:
        fields["timezone"] = check_timezone(timezone)

    def tx_fn(tx):
        account = q.account_by_id(tx, account_id)
        q.update_account(tx, account_id, **fields)
        if timezone is not None and timezone != account["timezone"]:
            # Day buckets follow the account's timezone: rebuild them from the hour buckets.
            for stat in sq.list_stats(tx, account_id) + sq.list_stats(tx, account_id, deleted=True):
                pq.rebuild_days(tx, stat["id"], timezone)

    db.run(tx_fn)
