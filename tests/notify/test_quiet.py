"""Quiet hours: parsing the setting, and when a held notice may go."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.errors import SettingsError
from bot.notify.quiet import parse_quiet_hours
from bot.settings import Settings

JST = dt.timezone(dt.timedelta(hours=9))


@pytest.mark.parametrize(
    ("local", "held", "until"),
    [
        (dt.datetime(2026, 12, 1, 20, 59, tzinfo=JST), False, None),
        (
            dt.datetime(2026, 12, 1, 21, 0, tzinfo=JST),
            True,
            dt.datetime(2026, 12, 2, 7, 0, tzinfo=JST),
        ),
        (
            dt.datetime(2026, 12, 2, 3, 0, tzinfo=JST),
            True,
            dt.datetime(2026, 12, 2, 7, 0, tzinfo=JST),
        ),
        (dt.datetime(2026, 12, 2, 7, 0, tzinfo=JST), False, None),
    ],
)
def test_default_quiet_hours_cross_midnight(
    local: dt.datetime, held: bool, until: dt.datetime | None
) -> None:
    quiet = parse_quiet_hours(None, "Asia/Tokyo")
    assert quiet is not None
    assert quiet.holds(local) is held
    assert quiet.ends(local) == (until or local)


@pytest.mark.parametrize("value", ["21:00", "25:00-07:00", "21:00-21:00", "night"])
def test_a_bad_setting_stops_start_up_by_name(value: str) -> None:
    with pytest.raises(SettingsError, match="CITYBOT_NOTIFY_QUIET_HOURS"):
        Settings.from_env({"CITYBOT_NOTIFY_QUIET_HOURS": value, "CITYBOT_SECRET_KEY": "x" * 20})


def test_empty_turns_quiet_hours_off_and_the_threshold_is_read() -> None:
    settings = Settings.from_env(
        {
            "CITYBOT_NOTIFY_QUIET_HOURS": "",
            "CITYBOT_NOTIFY_APPROVAL_THRESHOLD": "250",
            "CITYBOT_SECRET_KEY": "x" * 20,
        }
    )
    assert settings.notify_quiet_hours is None
    assert settings.notify_approval_threshold == 250
    with pytest.raises(SettingsError, match="CITYBOT_NOTIFY_APPROVAL_THRESHOLD"):
        Settings.from_env(
            {"CITYBOT_NOTIFY_APPROVAL_THRESHOLD": "lots", "CITYBOT_SECRET_KEY": "x" * 20}
        )
