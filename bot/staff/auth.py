"""Console sign-in: sessions, CSRF tokens and login throttling.

The session cookie ``citybot_staff`` holds a random token; the database keeps only its SHA-256,
the CSRF token and the expiry (idle and absolute limits from the settings). After
:data:`MAX_FAILURES` failed logins within :data:`FAILURE_WINDOW` for one username or from one
address further attempts are refused with 429. Both counts are kept in the database (an
account's on its row, addresses and unknown usernames in ``login_failures``), so every server
process refuses alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request

from bot.settings import Settings
from bot.staff.passwords import verify_password
from bot.storage.base import Store, Unit
from bot.storage.records import SessionRecord, StaffRecord

logger = logging.getLogger(__name__)

COOKIE = "citybot_staff"
LOGIN_COOKIE = "citybot_staff_login"  # double-submit token for the login form
COOKIE_PATH = "/staff"
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
TOUCH_EVERY = dt.timedelta(minutes=1)  # refresh the idle expiry at most this often


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class StaffUser:
    """The signed-in member of staff, for one request."""

    id: int
    username: str
    display_name: str
    role: str
    departments: tuple[str, ...]
    session_id: int
    csrf: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_see(self, department: str) -> bool:
        return self.is_admin or department in self.departments

    @property
    def visible_departments(self) -> list[str] | None:
        """Departments to filter queues by; ``None`` means all (admin)."""
        return None if self.is_admin else list(self.departments)


class LoginThrottle:
    """Failed logins per key (an address, an unknown username) in a sliding window, kept in the
    database through ``unit.login_failures`` (keys are stored as SHA-256 digests)."""

    def __init__(self, limit: int = MAX_FAILURES, window: dt.timedelta = FAILURE_WINDOW) -> None:
        self.limit = limit
        self.window = window

    @staticmethod
    def _digest(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

    async def wait(self, unit: Unit, keys: list[str], now: dt.datetime) -> dt.timedelta | None:
        """How long the most throttled of ``keys`` must wait before trying again, or ``None``."""
        recent = await unit.login_failures.recent(
            [self._digest(k) for k in keys], now - self.window
        )
        waits = [
            times[-self.limit] + self.window - now
            for times in recent.values()
            if len(times) >= self.limit
        ]
        return max(waits, default=None)

    async def failed(self, unit: Unit, keys: list[str], now: dt.datetime) -> None:
        """Count a failure against each key (and forget failures past the window)."""
        await unit.login_failures.prune(now - self.window)
        await unit.login_failures.add([self._digest(k) for k in keys], now)


THROTTLE = LoginThrottle()


@dataclass(frozen=True)
class LoginResult:
    """``token``/``csrf`` on success; else ``wait`` when throttled (and nothing when wrong)."""

    token: str | None = None
    csrf: str | None = None
    wait: dt.timedelta | None = None
    staff_id: int | None = None


def _account_wait(staff: StaffRecord, now: dt.datetime) -> dt.timedelta | None:
    last = staff.last_failed_at
    if staff.failed_logins < MAX_FAILURES or last is None or last + FAILURE_WINDOW <= now:
        return None
    return last + FAILURE_WINDOW - now


async def _count_failure(unit: Unit, staff: StaffRecord, now: dt.datetime) -> None:
    last = staff.last_failed_at
    if last is not None and last + FAILURE_WINDOW <= now:
        await unit.staff.reset_failed_logins(staff.id)  # an old streak does not count
    await unit.staff.record_failed_login(staff.id, now)


async def login(
    store: Store,
    settings: Settings,
    username: str,
    password: str,
    ip: str,
    now: dt.datetime,
    throttle: LoginThrottle = THROTTLE,
) -> LoginResult:
    """Check the credentials and open a session; never says which of the two was wrong.

    ``now`` is the console's clock: the throttle window and the session expiry follow it.
    """
    name = username.strip().lower()
    async with store.unit() as unit:
        staff = await unit.staff.by_username(name) if name else None
        keys = [f"ip:{ip}"] if staff else [f"ip:{ip}", f"user:{name}"]
        waits = [await throttle.wait(unit, keys, now)]
    if staff is not None:
        waits.append(_account_wait(staff, now))
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        logger.warning("staff login refused: too many failures (account %s)", staff and staff.id)
        return LoginResult(wait=wait)
    matches = await verify_password(staff.password_hash if staff else None, password)
    if staff is None or not matches or not staff.active:
        async with store.unit() as unit:
            await throttle.failed(unit, keys, now)
            if staff is not None:
                await _count_failure(unit, staff, now)
            await unit.audit.add(
                staff.id if staff else None,
                "login_failed",
                detail={"disabled": bool(staff and matches and not staff.active)},
                ip=ip,
            )
        logger.info("staff login failed (account %s)", staff.id if staff else "unknown")
        return LoginResult()
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + min(settings.staff_idle_timeout, settings.staff_session_lifetime)
    async with store.unit() as unit:
        await unit.staff.reset_failed_logins(staff.id)
        await unit.sessions.create(staff.id, token_hash(token), csrf, expires, now)
        await unit.audit.add(staff.id, "login", ip=ip)
    logger.info("staff %s signed in", staff.id)
    return LoginResult(token=token, csrf=csrf, staff_id=staff.id)


def _expiry(session: SessionRecord, settings: Settings, now: dt.datetime) -> dt.datetime:
    return min(
        now + settings.staff_idle_timeout, session.created_at + settings.staff_session_lifetime
    )


async def authenticate(
    store: Store, settings: Settings, token: str | None, now: dt.datetime
) -> StaffUser | None:
    """The member of staff whose session ``token`` is, while it is valid and they are active."""
    if not token:
        return None
    async with store.unit() as unit:
        session = await unit.sessions.by_token_hash(token_hash(token))
        if session is None:
            return None
        if session.expires_at <= now:
            await unit.sessions.delete(session.id)
            logger.info("staff %s: session expired", session.staff_id)
            return None
        staff = await unit.staff.get(session.staff_id)
        if staff is None or not staff.active:
            await unit.sessions.delete_for_staff(session.staff_id)
            return None
        if now - session.last_seen_at >= TOUCH_EVERY:
            await unit.sessions.touch(session.id, now, _expiry(session, settings, now))
    return StaffUser(
        id=staff.id,
        username=staff.username,
        display_name=staff.display_name,
        role=staff.role,
        departments=tuple(staff.departments),
        session_id=session.id,
        csrf=session.csrf_token,
    )


async def logout(store: Store, staff: StaffUser, ip: str | None) -> None:
    async with store.unit() as unit:
        await unit.sessions.delete(staff.session_id)
        await unit.audit.add(staff.id, "logout", ip=ip)


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def same_origin(request: Request) -> bool:
    """Refuse a cross-site request: the Origin (or Referer) must name this host when sent."""
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc == host
    referer = request.headers.get("referer")
    if referer is not None:
        return urlsplit(referer).netloc == host
    return True


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
