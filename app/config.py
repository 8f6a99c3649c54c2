"""Settings from environment variables; the defaults give a working SQLite install under var/."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

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
    verbose_replies: bool = False
    # Requests per minute per key; 0 = no limit (StatHat documented none).
    ingest_rate_limit: int = 0
    max_body_bytes: int = 4 * 1024 * 1024
    retention: Retention = field(default_factory=Retention)
    # How often live pages (the stat page) redraw themselves, in seconds.
    live_refresh: int = 60
    dev: bool = False
    testing: bool = False

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
            verbose_replies=_bool(env.get("EYRIE_VERBOSE_REPLIES")),
            ingest_rate_limit=_int(env.get("EYRIE_INGEST_RATE_LIMIT"), 0),
            retention=Retention(
                minute_days=_int(env.get("EYRIE_RETAIN_MINUTE_DAYS"), 31),
                hour_days=_int(env.get("EYRIE_RETAIN_HOUR_DAYS"), 800),
                day_days=_int(env.get("EYRIE_RETAIN_DAY_DAYS"), 0),
            ),
        )
        values.update(overrides)
        return cls(**values)

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
