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
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str = ""
    mail_from: str = "eyrie@localhost"
    # StatHat's verbose `200 {"status":200,"msg":"ok"}` is the default reply (clients parse it);
    # terse answers its later bodiless 204 instead, unless a post asks for vb=1.
    terse_replies: bool = False
    # Requests per minute per key; 0 = no limit (StatHat documented none).
    ingest_rate_limit: int = 0
    max_body_bytes: int = 4 * 1024 * 1024
    # Ingest bounds (see app.ingest_rules.Limits): how far back a `t` may go, stats per account.
    max_backdate_days: int = 1096
    max_stats: int = 10_000
    retention: Retention = field(default_factory=Retention)
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
            base_url=(env.get("EYRIE_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
            smtp_url=env.get("EYRIE_SMTP_URL", ""),
            mail_from=env.get("EYRIE_MAIL_FROM", "eyrie@localhost"),
            terse_replies=_bool(env.get("EYRIE_TERSE_REPLIES")),
            max_backdate_days=max(1, _int(env.get("EYRIE_MAX_BACKDATE_DAYS"), 1096)),
            max_stats=max(0, _int(env.get("EYRIE_MAX_STATS"), 10_000)),
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
    def limits(self) -> Limits:
        return Limits(max_backdate_days=self.max_backdate_days, max_stats=self.max_stats)

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
