"""Settings from environment variables; the defaults give a working SQLite install under var/."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from app.ingest_rules import Limits

ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


@dataclass(frozen=True)
class Retention:
    """How long each rollup resolution is kept, in days; 0 keeps it forever."""

    minute_days: int = 31
    hour_days: int = 800
    day_days: int = 0


@dataclass(frozen=True)
class Config:
    database_url: str
    secret_key: str
    var_dir: Path
    # EYRIE_BASE_URL as set, or "" when unset: pages then use the request's own host (behind a
    # proxy, as corrected from its trusted forwarded headers) and mail uses `mail_base_url`.
    base_url: str = ""
    # The port this install serves on (EYRIE_PORT or PORT): links in mail the worker sends, when
    # EYRIE_BASE_URL is unset, point here rather than at a port nobody listens on.
    port: int = 8000
    host: str = "127.0.0.1"
    smtp_url: str = ""
    mail_from: str = "eyrie@localhost"
    # StatHat's verbose `200 {"status":200,"msg":"ok"}` is the default reply (clients parse it);
    # terse answers its later bodiless 204 instead, unless a post asks for vb=1.
    terse_replies: bool = False
    # Requests per minute per key; 0 = no limit (StatHat documented none).
    ingest_rate_limit: int = 0
    max_body_bytes: int = 4 * 1024 * 1024
    # Alert webhooks may go to loopback and private networks (off: public addresses only; app/webhooks.py).
    webhook_allow_private: bool = False
    # Ingest bounds (see app.ingest_rules.Limits): how far back a `t` may go, stats per account.
    max_backdate_days: int = 1096
    max_stats: int = 10_000
    retention: Retention = field(default_factory=Retention)
    # How often live pages (the stat page) redraw themselves, in seconds.
    live_refresh: int = 60
    dev: bool = False
    testing: bool = False
    # Replicas the web role reads from (EYRIE_DATABASE_READ_URL, comma-separated); empty = primary only.
    database_read_urls: tuple[str, ...] = ()
    # Proxies in front of Eyrie whose X-Forwarded-For/-Proto/-Host are believed (EYRIE_PROXY_HOPS);
    # 0 = none: the headers are ignored, since any client could send them.
    proxy_hops: int = 0
    # EYRIE_SELF_MONITOR=EMAIL: every process records its own figures as stats of that account.
    self_monitor: str = ""
    self_monitor_every: int = 30

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> Config:
        env = dict(os.environ if env is None else env)
        var_dir = Path(env.get("EYRIE_VAR_DIR") or ROOT / "var")
        values = dict(
            database_url=env.get("EYRIE_DATABASE_URL") or f"sqlite:///{var_dir / 'eyrie.db'}",
            secret_key=env.get("EYRIE_SECRET_KEY") or "",
            var_dir=var_dir,
            base_url=(env.get("EYRIE_BASE_URL") or "").strip().rstrip("/"),
            port=_int(env.get("EYRIE_PORT") or env.get("PORT"), 8000),
            host=(env.get("EYRIE_HOST") or "127.0.0.1").strip(),
            live_refresh=max(1, _int(env.get("EYRIE_LIVE_REFRESH_SECONDS"), 60)),
            smtp_url=env.get("EYRIE_SMTP_URL", ""),
            mail_from=env.get("EYRIE_MAIL_FROM", "eyrie@localhost"),
            terse_replies=_bool(env.get("EYRIE_TERSE_REPLIES")),
            max_backdate_days=max(1, _int(env.get("EYRIE_MAX_BACKDATE_DAYS"), 1096)),
            max_stats=max(0, _int(env.get("EYRIE_MAX_STATS"), 10_000)),
            ingest_rate_limit=_int(env.get("EYRIE_INGEST_RATE_LIMIT"), 0),
            webhook_allow_private=_bool(env.get("EYRIE_WEBHOOK_ALLOW_PRIVATE")),
            database_read_urls=tuple(u.strip() for u in (env.get("EYRIE_DATABASE_READ_URL") or "").split(",")
                                     if u.strip()),
            proxy_hops=max(0, _int(env.get("EYRIE_PROXY_HOPS"), 0)),
            self_monitor=(env.get("EYRIE_SELF_MONITOR") or "").strip(),
            self_monitor_every=_int(env.get("EYRIE_SELF_MONITOR_EVERY"), 30),
            retention=Retention(
                minute_days=_int(env.get("EYRIE_RETAIN_MINUTE_DAYS"), 31),
                hour_days=_int(env.get("EYRIE_RETAIN_HOUR_DAYS"), 800),
                day_days=_int(env.get("EYRIE_RETAIN_DAY_DAYS"), 0),
            ),
        )
        values.update(overrides)
        return cls(**values)

    @property
    def limits(self) -> Limits:
        return Limits(max_backdate_days=self.max_backdate_days, max_stats=self.max_stats)

    @property
    def mail_base_url(self) -> str:
        """The address links in mail start with: EYRIE_BASE_URL, or this host and port."""
        if self.base_url:
            return self.base_url
        host = self.host if self.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        return f"http://{host}:{self.port}"

    def with_secret(self) -> Config:
        """Fill in a secret key: from the config, or one generated once and kept in var/."""
        if self.secret_key:
            return self
        path = self.var_dir / "secret_key"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        from dataclasses import replace

        return replace(self, secret_key=path.read_text().strip())
