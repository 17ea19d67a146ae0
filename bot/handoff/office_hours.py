"""When the city hall's counters are open, so that the bot can promise honestly when staff answer.

    hours = OfficeHours()                                  # weekdays 8:45-17:15, Asia/Tokyo
    hours.is_open(now)                                     # False on holidays and 12/29-1/3
    hours.next_opening(now)                                # aware datetime in the office's zone

Closed days are the weekend (or whatever ``open_days`` leaves out), Japanese public holidays
(including substitute and "sandwiched" holidays, from the maintained ``holidays`` package), the
city's year-end break (12/29 to 1/3) and any extra dates the city configures.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from bot.errors import SettingsError

DEFAULT_SPEC = "mon-fri 08:45-17:15"
DEFAULT_TIMEZONE = "Asia/Tokyo"
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
YEAR_END = ((12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3))
_SEARCH_DAYS = 60  # the longest closure we look across for the next opening
_SPEC = re.compile(
    r"^\s*(?P<days>[a-z,\-\s]+?)\s+(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})\s*$"
)


class OfficeHours:
    """Opening days and hours of the office, in its own time zone.

    Args:
        open_days: weekday numbers (Monday is 0) on which the office opens.
        opens: opening time (inclusive).
        closes: closing time (exclusive: at 17:15 sharp the office is closed).
        tz: the office's time zone.
        closed_dates: extra dates on which the office is closed.
        year_end: whether 12/29-1/3 is closed (the Japanese municipal year-end break).
    """

    def __init__(
        self,
        open_days: Iterable[int] = (0, 1, 2, 3, 4),
        opens: dt.time = dt.time(8, 45),
        closes: dt.time = dt.time(17, 15),
        tz: dt.tzinfo | str = DEFAULT_TIMEZONE,
        closed_dates: Iterable[dt.date] = (),
        *,
        year_end: bool = True,
    ) -> None:
        self.open_days = frozenset(open_days)
        if not self.open_days <= set(range(7)):
            msg = f"open_days must be weekday numbers 0-6, got {sorted(self.open_days)}"
            raise ValueError(msg)
        if opens >= closes:
            msg = f"the office must open before it closes ({opens:%H:%M} >= {closes:%H:%M})"
            raise ValueError(msg)
        self.opens = opens
        self.closes = closes
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.closed_dates = frozenset(closed_dates)
        self.year_end = year_end

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        # Years are filled in lazily as dates are looked up.
        return holidays.country_holidays("JP")

    def is_open_day(self, day: dt.date) -> bool:
        """Whether the office opens at all on this (local) date."""
        if day.weekday() not in self.open_days or day in self.closed_dates:
            return False
        if self.year_end and (day.month, day.day) in YEAR_END:
            return False
        return day not in self._holidays

    def is_open(self, at: dt.datetime) -> bool:
        """Whether the office is open at this moment (``at`` must be timezone-aware)."""
        local = self._local(at)
        return self.is_open_day(local.date()) and self.opens <= local.time() < self.closes

    def next_opening(self, at: dt.datetime) -> dt.datetime:
        """The next moment the office opens after ``at`` (aware, in the office's zone).

        While the office is open this is the next opening after today's.
        """
        local = self._local(at)
        day = local.date()
        if local.time() >= self.opens:
            day += dt.timedelta(days=1)
        for _ in range(_SEARCH_DAYS):
            if self.is_open_day(day):
                return dt.datetime.combine(day, self.opens, tzinfo=self.tz)
            day += dt.timedelta(days=1)
        msg = f"the office does not open within {_SEARCH_DAYS} days of {local:%Y-%m-%d}"
        raise ValueError(msg)

    def _local(self, at: dt.datetime) -> dt.datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            msg = "office hours need an aware datetime, got a naive one"
            raise ValueError(msg)
        return at.astimezone(self.tz)

    def __repr__(self) -> str:
        days = ",".join(DAY_NAMES[d] for d in sorted(self.open_days))
        return f"OfficeHours({days} {self.opens:%H:%M}-{self.closes:%H:%M} {self.tz})"


def parse_office_hours(
    spec: str | None, timezone: str | None = None, extra_closed: str | None = None
) -> OfficeHours:
    """Build office hours from the three settings; errors name the variable at fault.

    >>> parse_office_hours("mon-fri 08:45-17:15", "Asia/Tokyo", "2026-08-14,2026-08-15")
    """
    spec_text = (spec or DEFAULT_SPEC).strip().lower()
    found = _SPEC.match(spec_text)
    if found is None:
        msg = (
            f"CITYBOT_OFFICE_HOURS={spec!r} is not valid: expected days and times like "
            f"{DEFAULT_SPEC!r} or 'mon,wed,fri 09:00-12:00'"
        )
        raise SettingsError(msg)
    days = _days("CITYBOT_OFFICE_HOURS", found["days"])
    opens = _time("CITYBOT_OFFICE_HOURS", found["opens"])
    closes = _time("CITYBOT_OFFICE_HOURS", found["closes"])
    if opens >= closes:
        msg = f"CITYBOT_OFFICE_HOURS={spec!r}: the opening time must be before the closing time"
        raise SettingsError(msg)
    tz_name = (timezone or DEFAULT_TIMEZONE).strip()
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"CITYBOT_TIMEZONE={timezone!r} is not a known time zone (e.g. 'Asia/Tokyo')"
        raise SettingsError(msg) from exc
    closed: list[dt.date] = []
    for item in (extra_closed or "").split(","):
        if not item.strip():
            continue
        try:
            closed.append(dt.date.fromisoformat(item.strip()))
        except ValueError as exc:
            msg = f"CITYBOT_EXTRA_CLOSED_DATES: {item.strip()!r} is not a date (YYYY-MM-DD)"
            raise SettingsError(msg) from exc
    return OfficeHours(days, opens, closes, tz, closed)


def _days(name: str, text: str) -> set[int]:
    days: set[int] = set()
    for part in text.replace(" ", "").split(","):
        first, sep, last = part.partition("-")
        if first not in DAY_NAMES or (sep and last not in DAY_NAMES):
            msg = f"{name}: {part!r} is not a day or range of days (mon, tue … sun; mon-fri)"
            raise SettingsError(msg)
        start, end = DAY_NAMES.index(first), DAY_NAMES.index(last if sep else first)
        if end < start:
            msg = f"{name}: the day range {part!r} runs backwards"
            raise SettingsError(msg)
        days.update(range(start, end + 1))
    return days


def _time(name: str, text: str) -> dt.time:
    hours, _, minutes = text.partition(":")
    if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
        msg = f"{name}: {text!r} is not a time of day (HH:MM)"
        raise SettingsError(msg)
    return dt.time(int(hours), int(minutes))
