"""Dates: Western and era years, month/day, relative days, weekdays, limits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.procedures.parsers import (
    format_date,
    parse_date,
)
from tests.procedures.parsers.date_cases import DATE_CASES, LOOK_BACK_CASES
from tests.procedures.parsers.helpers import (
    MONDAY,
    WEDNESDAY,
    Refused,
    check,
)

# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("answer", "today", "expected"), DATE_CASES)
def test_date(answer: Any, today: dt.date, expected: Any) -> None:
    check(parse_date(answer, today=today), expected)


@pytest.mark.parametrize(
    ("answer", "language", "display"),
    [
        ("2026/12/5", "ja", "2026年12月5日（土）"),
        ("2026/12/5", "en", "Sat 5 Dec 2026"),
        ("来週の月曜", "ja", "2027年1月4日（月）"),
        ("next Monday", "en", "Mon 4 Jan 2027"),
        ("1/5", "en", "Tue 5 Jan 2027"),
    ],
)
def test_date_is_echoed_with_its_weekday(answer: str, language: str, display: str) -> None:
    assert parse_date(answer, today=MONDAY, language=language).display == display


@pytest.mark.parametrize(
    ("answer", "options", "expected"),
    [
        ("今日", {"min_days_ahead": 0}, "2026-12-28"),
        ("今日", {"min_days_ahead": 1}, Refused("field_date_too_soon")),
        ("明日", {"min_days_ahead": 1}, "2026-12-29"),
        ("あさって", {"min_days_ahead": 3}, Refused("field_date_too_soon")),
        ("2026/12/1", {"min_days_ahead": 0}, Refused("field_date_past")),
        ("今週の月曜", {"min_days_ahead": 0}, "2026-12-28"),
        ("2027/1/27", {"max_days_ahead": 30}, "2027-01-27"),
        ("2027/1/28", {"max_days_ahead": 30}, Refused("field_date_too_far")),
        ("12/1", {"max_days_ahead": 60}, Refused("field_date_too_far")),
        ("2026/12/1", {}, "2026-12-01"),
        # weekdays_only: the office's working days
        ("明日", {"weekdays_only": True}, Refused("field_date_closed")),  # 12/29, year-end break
        ("1/2", {"weekdays_only": True}, Refused("field_date_closed")),  # Saturday, year-end
        ("1/4", {"weekdays_only": True}, "2027-01-04"),
        ("1/9", {"weekdays_only": True}, Refused("field_date_closed")),  # Saturday
        ("1/11", {"weekdays_only": True}, Refused("field_date_closed")),  # 成人の日
        ("1/12", {"weekdays_only": True}, "2027-01-12"),
    ],
)
def test_date_limits(answer: str, options: dict[str, Any], expected: Any) -> None:
    check(parse_date(answer, today=MONDAY, **options), expected)


@pytest.mark.parametrize(("answer", "expected"), LOOK_BACK_CASES)
def test_when_did_it_happen_dates_look_back(answer: str, expected: Any) -> None:
    check(parse_date(answer, today=MONDAY, min_days_ahead=-365, max_days_ahead=0), expected)


def test_too_soon_date_names_the_earliest_date_allowed() -> None:
    result = parse_date("明日", today=MONDAY, min_days_ahead=3)
    assert result.params["earliest"] == "2026年12月31日（木）"
    assert result.params["date"] == "2026年12月29日（火）"


def test_weekday_mismatch_shows_the_date_as_it_is() -> None:
    result = parse_date("12月5日（金）", today=WEDNESDAY)
    assert result.params["date"] == "2026年12月5日（土）"


@pytest.mark.parametrize("day", [dt.date(2026, 12, 5), dt.date(2027, 1, 1), dt.date(2024, 2, 29)])
def test_displayed_dates_read_back_as_the_same_date(day: dt.date) -> None:
    shown = format_date(day, "ja").split("（")[0]
    assert parse_date(shown, today=MONDAY).value == day.isoformat()
