"""Quiet hours: non-urgent notices wait until morning.

quiet = parse_quiet_hours("21:00-07:00", "Asia/Tokyo")
quiet.holds(now)      # True at 23:00 local
quiet.ends(now)       # the next 07:00 local, as aware UTC
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import SettingsError

DEFAULT_QUIET_HOURS = "21:00-07:00"
_SPAN = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class QuietHours:
    """A daily span of local time (it may cross midnight) when only urgent notices go out."""

    start: dt.time
    end: dt.time
    tz: dt.tzinfo

    def holds(self, now: dt.datetime) -> bool:
        local = now.astimezone(self.tz).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends(self, now: dt.datetime) -> dt.datetime:
        """When the quiet span around ``now`` ends (``now`` itself outside it), in UTC."""
        if not self.holds(now):
            return now
        local = now.astimezone(self.tz)
        end = dt.datetime.combine(local.date(), self.end, tzinfo=self.tz)
        if end <= local:
            end += dt.timedelta(days=1)
        return end.astimezone(dt.UTC)

    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_quiet_hours(value: str | None, timezone: str | None = None) -> QuietHours | None:
    """``"21:00-07:00"`` (the default when unset); an empty string turns quiet hours off.

    Raises:
        SettingsError: the span or the time zone is not valid (names the variable).
    """
    text = DEFAULT_QUIET_HOURS if value is None else value.strip()
    if not text:
        return None
    match = _SPAN.match(text)
    if match is None or match.group(1, 2) == match.group(3, 4):
        msg = f"CITYBOT_NOTIFY_QUIET_HOURS={text!r} must look like 21:00-07:00 (or be empty)"
        raise SettingsError(msg)
    try:
        tz = ZoneInfo(timezone or "Asia/Tokyo")
    except (ZoneInfoNotFoundError, ValueError):
        msg = f"CITYBOT_TIMEZONE={timezone!r} is not a known time zone"
        raise SettingsError(msg) from None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    return QuietHours(dt.time(h1, m1), dt.time(h2, m2), tz)
