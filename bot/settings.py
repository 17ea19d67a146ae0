"""Settings, read once from the environment (and an optional ``.env`` file), typed.

A bad setting stops start-up with a message naming the variable. Secrets are wrapped in
:class:`Secret` so they never appear in logs or tracebacks.

| variable | default |
|---|---|
| CITYBOT_DATABASE_URL | ``sqlite+aiosqlite:///./var/citybot.db`` |
| CITYBOT_HOST / CITYBOT_PORT | 127.0.0.1 / 8000 |
| CITYBOT_SECRET_KEY | generated once, kept in ``./var/secret_key`` (with a warning) |
| CITYBOT_VAR_DIR | ``./var`` (the generated secret key, ``cache/`` for the built index) |
| CITYBOT_LINE_CHANNEL_SECRET, CITYBOT_LINE_CHANNEL_ACCESS_TOKEN | unset: LINE is off |
| CITYBOT_LINE_API_BASE | https://api.line.me |
| CITYBOT_TELEGRAM_TOKEN | unset: Telegram is off |
| CITYBOT_TELEGRAM_WEBHOOK_SECRET | unset: the webhook refuses every call (use polling) |
| CITYBOT_TELEGRAM_API_BASE | https://api.telegram.org/bot |
| CITYBOT_KNOWLEDGE_DIR | the shipped ``knowledge/data`` |
| CITYBOT_OFFICE_HOURS | ``mon-fri 08:45-17:15`` (closed on public holidays and 12/29-1/3) |
| CITYBOT_TIMEZONE | ``Asia/Tokyo`` |
| CITYBOT_EXTRA_CLOSED_DATES | none (comma-separated ``YYYY-MM-DD``) |
| CITYBOT_STAFF_IDLE_MINUTES / CITYBOT_STAFF_SESSION_HOURS | 480 / 12 (console sessions) |
| CITYBOT_ATTACHMENTS_DIR | ``./var/attachments`` (citizens' photos, never web-served) |
| CITYBOT_ATTACHMENTS_MAX_MB | 10 (largest photo accepted) |
| CITYBOT_RETENTION_DAYS | 365 (``citybot purge`` deletes older applications) |
| CITYBOT_LOG_FORMAT | ``text`` (or ``json``: one JSON object per line) |
| CITYBOT_NOTIFY_QUIET_HOURS | ``21:00-07:00`` local (empty: off); urgent notices ignore it |
| CITYBOT_NOTIFY_APPROVAL_THRESHOLD | 100 (sends to more people need a second member of staff) |
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import SettingsError
from bot.handoff.office_hours import OfficeHours, parse_office_hours
from bot.notify.quiet import QuietHours, parse_quiet_hours
from bot.procedures.attachments import DEFAULT_MAX_BYTES
from bot.storage.db import default_database_url

logger = logging.getLogger(__name__)

_SUPPORTED_DB = ("sqlite+aiosqlite://", "postgresql+asyncpg://")
DEFAULT_LINE_API = "https://api.line.me"
DEFAULT_TELEGRAM_API = "https://api.telegram.org/bot"


class Secret:
    """A string that does not print itself."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __str__(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and secrets.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self._value)

    def get(self) -> str:
        return self._value


def _read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            msg = f"{path}:{number}: expected KEY=VALUE"
            raise SettingsError(msg)
        values[key.strip()] = value.strip().strip("'\"")
    return values


def _http_url(name: str, value: str) -> str:
    if not value.startswith(("http://", "https://")):
        msg = f"{name}={value!r} must be an http:// or https:// URL"
        raise SettingsError(msg)
    return value.rstrip("/")


def _positive(name: str, get: Callable[[str], str | None], default: int) -> int:
    value = get(name)
    if value is None:
        return default
    if not value.isdigit() or int(value) == 0:
        msg = f"{name}={value!r} must be a positive whole number"
        raise SettingsError(msg)
    return int(value)


def _private_dir(name: str, path: Path) -> Path:
    """Create ``path`` (``0o700``) if needed and make sure we can write there."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"{name}={str(path)!r} cannot be created: {exc.strerror or exc}"
        raise SettingsError(msg) from None
    if not os.access(path, os.W_OK | os.X_OK):
        msg = f"{name}={str(path)!r} is not writable by this process"
        raise SettingsError(msg)
    return path


def _secret_key(value: str | None, var_dir: Path) -> Secret:
    if value:
        if len(value) < 16:
            msg = "CITYBOT_SECRET_KEY must be at least 16 characters"
            raise SettingsError(msg)
        return Secret(value)
    path = var_dir / "secret_key"
    if path.is_file():
        return Secret(path.read_text(encoding="utf-8").strip())
    var_dir.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_urlsafe(48)
    path.write_text(generated, encoding="utf-8")
    path.chmod(0o600)
    logger.warning(
        "CITYBOT_SECRET_KEY is not set: generated one and saved it in %s. Set it explicitly "
        "in production so that sessions survive a move to another machine.",
        path,
    )
    return Secret(generated)


@dataclass(frozen=True)
class Settings:
    database_url: str
    knowledge_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: Secret = field(default_factory=lambda: Secret(secrets.token_urlsafe(32)))
    line_channel_secret: Secret | None = None
    line_access_token: Secret | None = None
    line_api_base: str = DEFAULT_LINE_API
    telegram_token: Secret | None = None
    telegram_webhook_secret: Secret | None = None
    telegram_api_base: str = DEFAULT_TELEGRAM_API
    https: bool = False
    staff_idle_timeout: dt.timedelta = dt.timedelta(hours=8)
    staff_session_lifetime: dt.timedelta = dt.timedelta(hours=12)
    retention: dt.timedelta = dt.timedelta(days=365)  # applications older are purged
    office_hours: OfficeHours = field(default_factory=OfficeHours)
    attachments_dir: Path = field(default_factory=lambda: Path("var") / "attachments")
    attachments_max_bytes: int = DEFAULT_MAX_BYTES
    var_dir: Path | None = None  # the secret key and the index cache; None: no index cache
    log_format: str = "text"  # or "json"

    @property
    def index_cache_dir(self) -> Path | None:
        """Where the built matcher is kept between starts (``var/cache``)."""
        return self.var_dir / "cache" if self.var_dir is not None else None
    notify_quiet_hours: QuietHours | None = field(default_factory=lambda: parse_quiet_hours(None))
    notify_approval_threshold: int = 100

    @property
    def line_enabled(self) -> bool:
        return bool(self.line_channel_secret and self.line_access_token)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    def channel_report(self) -> list[str]:
        """One line per channel: on or off, and why."""
        lines = ["web chat: on"]
        if self.line_enabled:
            lines.append(f"LINE: on (API {self.line_api_base})")
        else:
            lines.append(
                "LINE: off (set CITYBOT_LINE_CHANNEL_SECRET and CITYBOT_LINE_CHANNEL_ACCESS_TOKEN)"
            )
        if not self.telegram_enabled:
            lines.append("Telegram: off (set CITYBOT_TELEGRAM_TOKEN)")
        elif not self.telegram_webhook_secret:
            lines.append(
                "Telegram: on for polling only "
                "(set CITYBOT_TELEGRAM_WEBHOOK_SECRET for the webhook)"
            )
        else:
            lines.append(f"Telegram: on (API {self.telegram_api_base})")
        return lines

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, dotenv: Path | None = None
    ) -> Settings:
        merged = _read_dotenv(dotenv or Path(".env"))
        merged.update(env if env is not None else os.environ)

        def get(name: str) -> str | None:
            value = merged.get(name, "").strip()
            return value or None

        url = get("CITYBOT_DATABASE_URL") or default_database_url()
        if not url.startswith(_SUPPORTED_DB):
            msg = (
                f"CITYBOT_DATABASE_URL={url!r} is not supported: use a URL starting with "
                + " or ".join(_SUPPORTED_DB)
            )
            raise SettingsError(msg)
        knowledge = get("CITYBOT_KNOWLEDGE_DIR")
        if knowledge and not Path(knowledge).is_dir():
            msg = f"CITYBOT_KNOWLEDGE_DIR={knowledge!r} is not a directory"
            raise SettingsError(msg)
        port_text = get("CITYBOT_PORT") or "8000"
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            msg = f"CITYBOT_PORT={port_text!r} must be a port number (1-65535)"
            raise SettingsError(msg)
        line_secret, line_token = (
            get("CITYBOT_LINE_CHANNEL_SECRET"),
            get("CITYBOT_LINE_CHANNEL_ACCESS_TOKEN"),
        )
        if bool(line_secret) != bool(line_token):
            missing = (
                "CITYBOT_LINE_CHANNEL_ACCESS_TOKEN"
                if line_secret
                else "CITYBOT_LINE_CHANNEL_SECRET"
            )
            msg = f"{missing} is not set: LINE needs both the channel secret and the access token"
            raise SettingsError(msg)
        telegram_token = get("CITYBOT_TELEGRAM_TOKEN")
        if telegram_token and ":" not in telegram_token:
            msg = "CITYBOT_TELEGRAM_TOKEN does not look like a bot token (expected '123456:ABC…')"
            raise SettingsError(msg)
        webhook_secret = get("CITYBOT_TELEGRAM_WEBHOOK_SECRET")
        if webhook_secret and not all(c.isalnum() or c in "_-" for c in webhook_secret):
            msg = "CITYBOT_TELEGRAM_WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and -"
            raise SettingsError(msg)
        var_dir = Path(get("CITYBOT_VAR_DIR") or "var")
        log_format = (get("CITYBOT_LOG_FORMAT") or "text").lower()
        if log_format not in ("text", "json"):
            msg = f"CITYBOT_LOG_FORMAT={log_format!r} must be text or json"
            raise SettingsError(msg)
        return cls(
            database_url=url,
            knowledge_dir=Path(knowledge) if knowledge else None,
            host=get("CITYBOT_HOST") or "127.0.0.1",
            port=int(port_text),
            secret_key=_secret_key(get("CITYBOT_SECRET_KEY"), var_dir),
            var_dir=var_dir,
            log_format=log_format,
            attachments_dir=_private_dir(
                "CITYBOT_ATTACHMENTS_DIR",
                Path(get("CITYBOT_ATTACHMENTS_DIR") or var_dir / "attachments"),
            ),
            attachments_max_bytes=_positive("CITYBOT_ATTACHMENTS_MAX_MB", get, 10) * 1024 * 1024,
            line_channel_secret=Secret(line_secret) if line_secret else None,
            line_access_token=Secret(line_token) if line_token else None,
            line_api_base=_http_url(
                "CITYBOT_LINE_API_BASE", get("CITYBOT_LINE_API_BASE") or DEFAULT_LINE_API
            ),
            telegram_token=Secret(telegram_token) if telegram_token else None,
            telegram_webhook_secret=Secret(webhook_secret) if webhook_secret else None,
            telegram_api_base=_http_url(
                "CITYBOT_TELEGRAM_API_BASE",
                get("CITYBOT_TELEGRAM_API_BASE") or DEFAULT_TELEGRAM_API,
            ),
            https=(get("CITYBOT_HTTPS") or "").lower() in ("1", "true", "yes"),
            staff_idle_timeout=dt.timedelta(
                minutes=_positive("CITYBOT_STAFF_IDLE_MINUTES", get, 480)
            ),
            staff_session_lifetime=dt.timedelta(
                hours=_positive("CITYBOT_STAFF_SESSION_HOURS", get, 12)
            ),
            retention=dt.timedelta(days=_positive("CITYBOT_RETENTION_DAYS", get, 365)),
            office_hours=parse_office_hours(
                get("CITYBOT_OFFICE_HOURS"),
                get("CITYBOT_TIMEZONE"),
                get("CITYBOT_EXTRA_CLOSED_DATES"),
            ),
            notify_quiet_hours=parse_quiet_hours(
                merged.get("CITYBOT_NOTIFY_QUIET_HOURS"), get("CITYBOT_TIMEZONE")
            ),
            notify_approval_threshold=_positive("CITYBOT_NOTIFY_APPROVAL_THRESHOLD", get, 100),
        )
