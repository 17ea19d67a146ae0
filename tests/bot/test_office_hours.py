"""Office hours: when the city hall answers, with frozen times (Asia/Tokyo)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.errors import SettingsError
from bot.handoff.office_hours import OfficeHours, parse_office_hours
from bot.settings import Settings

JST = ZoneInfo("Asia/Tokyo")


def jst(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=JST)


@pytest.fixture(scope="module")
def hours() -> OfficeHours:
    return OfficeHours()


@pytest.mark.parametrize(
    ("at", "open_now"),
    [
        (jst(2026, 11, 24, 10, 0), True),  # Tuesday morning
        (jst(2026, 11, 24, 8, 44), False),  # a minute before opening
        (jst(2026, 11, 24, 8, 45), True),  # opening time
        (jst(2026, 11, 24, 17, 14), True),
        (jst(2026, 11, 24, 17, 15), False),  # closing time: closed
        (jst(2026, 11, 24, 20, 0), False),  # weekday evening
        (jst(2026, 11, 28, 10, 0), False),  # Saturday
        (jst(2026, 11, 29, 10, 0), False),  # Sunday
        (jst(2026, 11, 23, 10, 0), False),  # 勤労感謝の日 (a Monday)
        (jst(2026, 5, 6, 10, 0), False),  # 振替休日 after Constitution Day on a Sunday
        (jst(2027, 3, 22, 10, 0), False),  # 振替休日 after the vernal equinox on a Sunday
        (jst(2026, 9, 22, 10, 0), False),  # 国民の休日 between two holidays
        (jst(2026, 12, 28, 10, 0), True),  # last working day of the year
        (jst(2026, 12, 29, 10, 0), False),  # year-end break starts (a Tuesday)
        (jst(2026, 12, 31, 10, 0), False),
        (jst(2027, 1, 3, 10, 0), False),
        (jst(2027, 1, 4, 10, 0), True),  # first working day of the year
    ],
)
def test_is_open(hours: OfficeHours, at: dt.datetime, open_now: bool) -> None:
    assert hours.is_open(at) is open_now


def test_the_time_zone_is_the_office_s_not_the_caller_s(hours: OfficeHours) -> None:
    # 01:00 UTC is 10:00 in Asahikawa on the same Tuesday.
    assert hours.is_open(dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC))
    assert not hours.is_open(dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC))  # 19:00 JST


@pytest.mark.parametrize(
    ("at", "opening"),
    [
        (jst(2026, 11, 24, 7, 0), jst(2026, 11, 24, 8, 45)),  # early morning: today
        (jst(2026, 11, 24, 10, 0), jst(2026, 11, 25, 8, 45)),  # open now: the next one
        (jst(2026, 11, 24, 18, 0), jst(2026, 11, 25, 8, 45)),  # evening: tomorrow
        (jst(2026, 11, 20, 17, 15), jst(2026, 11, 24, 8, 45)),  # Friday close, holiday Monday
        (jst(2026, 11, 21, 10, 0), jst(2026, 11, 24, 8, 45)),  # Saturday of a long weekend
        (jst(2026, 5, 1, 18, 0), jst(2026, 5, 7, 8, 45)),  # across Golden Week
        (jst(2026, 12, 28, 18, 0), jst(2027, 1, 4, 8, 45)),  # across the year-end break
        (jst(2026, 12, 31, 10, 0), jst(2027, 1, 4, 8, 45)),
    ],
)
def test_next_opening(hours: OfficeHours, at: dt.datetime, opening: dt.datetime) -> None:
    found = hours.next_opening(at)
    assert found == opening
    assert found.tzinfo is not None
    assert found.utcoffset() == dt.timedelta(hours=9)


def test_a_naive_time_is_refused(hours: OfficeHours) -> None:
    with pytest.raises(ValueError, match="naive"):
        hours.is_open(dt.datetime(2026, 11, 24, 10, 0))


def test_settings_configure_days_hours_zone_and_extra_closed_dates() -> None:
    hours = parse_office_hours("mon,wed,fri 09:00-12:00", "Asia/Tokyo", "2026-11-25, 2026-11-27")
    assert hours.is_open(jst(2026, 11, 30, 9, 0))  # Monday
    assert not hours.is_open(jst(2026, 11, 24, 10, 0))  # Tuesday is not an open day
    assert not hours.is_open(jst(2026, 11, 30, 12, 0))
    assert not hours.is_open(jst(2026, 11, 25, 10, 0))  # an extra closed Wednesday
    assert hours.next_opening(jst(2026, 11, 24, 10, 0)) == jst(2026, 11, 30, 9, 0)


def test_settings_read_office_hours_from_the_environment(tmp_path: Path) -> None:
    base = {"CITYBOT_DATABASE_URL": "sqlite+aiosqlite:///./x.db", "CITYBOT_SECRET_KEY": "x" * 32}
    configured = {
        **base,
        "CITYBOT_OFFICE_HOURS": "mon-fri 09:00-17:00",
        "CITYBOT_EXTRA_CLOSED_DATES": "2026-11-24",
    }
    hours = Settings.from_env(configured, dotenv=tmp_path / "none.env").office_hours
    assert not hours.is_open(jst(2026, 11, 25, 8, 50))
    assert not hours.is_open(jst(2026, 11, 24, 10, 0))
    assert hours.is_open(jst(2026, 11, 25, 16, 59))
    default = Settings.from_env(base, dotenv=tmp_path / "none.env").office_hours
    assert default.is_open(jst(2026, 11, 24, 8, 45))
    with pytest.raises(SettingsError, match="CITYBOT_OFFICE_HOURS"):
        Settings.from_env({**base, "CITYBOT_OFFICE_HOURS": "always"}, dotenv=tmp_path / "n.env")


@pytest.mark.parametrize(
    ("spec", "timezone", "closed", "variable"),
    [
        ("weekdays 9-5", None, None, "CITYBOT_OFFICE_HOURS"),
        ("mon-fri 17:15-08:45", None, None, "CITYBOT_OFFICE_HOURS"),
        ("fri-mon 08:45-17:15", None, None, "CITYBOT_OFFICE_HOURS"),
        ("mon-fri 08:45-25:00", None, None, "CITYBOT_OFFICE_HOURS"),
        ("mon-fry 08:45-17:15", None, None, "CITYBOT_OFFICE_HOURS"),
        (None, "Asia/Asahikawa", None, "CITYBOT_TIMEZONE"),
        (None, None, "2026-13-01", "CITYBOT_EXTRA_CLOSED_DATES"),
        (None, None, "2026/12/28", "CITYBOT_EXTRA_CLOSED_DATES"),
    ],
)
def test_bad_settings_name_the_variable(
    spec: str | None, timezone: str | None, closed: str | None, variable: str
) -> None:
    with pytest.raises(SettingsError, match=variable):
        parse_office_hours(spec, timezone, closed)
