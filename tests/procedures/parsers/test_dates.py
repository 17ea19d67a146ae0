"""Dates: Western and era years, month/day, relative days, weekdays, limits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.procedures.parsers import (
    format_date,
    parse_date,
)
from tests.procedures.parsers.helpers import (
    MONDAY,
    SUNDAY,
    WEDNESDAY,
    Refused,
    check,
)

# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "today", "expected"),
    [
        # Western calendar
        ("2026年12月5日", WEDNESDAY, "2026-12-05"),
        ("2026/12/5", WEDNESDAY, "2026-12-05"),
        ("2026-12-05", WEDNESDAY, "2026-12-05"),
        ("２０２６／１２／５", WEDNESDAY, "2026-12-05"),
        ("2026.12.5", WEDNESDAY, "2026-12-05"),
        ("20261205", WEDNESDAY, "2026-12-05"),
        # Japanese eras and their boundaries
        ("令和8年12月5日", WEDNESDAY, "2026-12-05"),
        ("令和８年１２月５日", WEDNESDAY, "2026-12-05"),
        ("R8.12.5", WEDNESDAY, "2026-12-05"),
        ("r8/12/5", WEDNESDAY, "2026-12-05"),
        ("㋿8年12月5日", WEDNESDAY, "2026-12-05"),
        ("令和元年5月1日", WEDNESDAY, "2019-05-01"),
        ("令和1年5月1日", WEDNESDAY, "2019-05-01"),
        ("令和元年4月30日", WEDNESDAY, Refused("field_date_era")),
        ("令和0年5月1日", WEDNESDAY, Refused("field_date_era")),
        ("平成31年4月30日", WEDNESDAY, "2019-04-30"),
        ("H31.4.30", WEDNESDAY, "2019-04-30"),
        ("平成31年5月1日", WEDNESDAY, Refused("field_date_era")),
        ("平成元年1月8日", WEDNESDAY, "1989-01-08"),
        ("平成元年1月7日", WEDNESDAY, Refused("field_date_era")),
        ("昭和64年1月7日", WEDNESDAY, "1989-01-07"),
        ("平成30年12月31日", WEDNESDAY, "2018-12-31"),
        ("令和八年十二月五日", WEDNESDAY, "2026-12-05"),
        # month/day without a year: the next such date, rolling over the year end
        ("12/5", WEDNESDAY, "2026-12-05"),
        ("12月5日", WEDNESDAY, "2026-12-05"),
        ("１２月５日", WEDNESDAY, "2026-12-05"),
        ("十二月五日", WEDNESDAY, "2026-12-05"),
        ("12/2", WEDNESDAY, "2026-12-02"),
        ("12/1", WEDNESDAY, "2027-12-01"),
        ("1/5", MONDAY, "2027-01-05"),
        ("1月5日", MONDAY, "2027-01-05"),
        ("12/31", MONDAY, "2026-12-31"),
        ("2/29", MONDAY, "2028-02-29"),
        ("5日", MONDAY, "2027-01-05"),
        ("30日", MONDAY, "2026-12-30"),
        ("12月5日でお願いします", WEDNESDAY, "2026-12-05"),
        ("12月5日希望", WEDNESDAY, "2026-12-05"),
        ("12月5日(土)", WEDNESDAY, "2026-12-05"),
        ("12月5日（土曜日）", WEDNESDAY, "2026-12-05"),
        ("12月5日土曜", WEDNESDAY, "2026-12-05"),
        ("12月5日（金）", WEDNESDAY, Refused("field_date_weekday_mismatch")),
        # relative days
        ("今日", MONDAY, "2026-12-28"),
        ("本日", MONDAY, "2026-12-28"),
        ("明日", MONDAY, "2026-12-29"),
        ("あした", MONDAY, "2026-12-29"),
        ("アシタ", MONDAY, "2026-12-29"),
        ("あさって", MONDAY, "2026-12-30"),
        ("明後日", MONDAY, "2026-12-30"),
        ("しあさって", MONDAY, "2026-12-31"),
        ("3日後", MONDAY, "2026-12-31"),
        ("３日後", MONDAY, "2026-12-31"),
        ("10日後", MONDAY, "2027-01-07"),
        ("2週間後", MONDAY, "2027-01-11"),
        # weekdays: weeks run Monday to Sunday
        ("来週の月曜", SUNDAY, "2026-12-28"),
        ("来週の月曜", MONDAY, "2027-01-04"),
        ("来週月曜日", MONDAY, "2027-01-04"),
        ("らいしゅうのげつようび", MONDAY, "2027-01-04"),
        ("来週の金曜日", WEDNESDAY, "2026-12-11"),
        ("再来週の火曜", WEDNESDAY, "2026-12-15"),
        ("今週の金曜", WEDNESDAY, "2026-12-04"),
        ("今週の金曜", SUNDAY, "2026-12-25"),
        ("次の火曜", MONDAY, "2026-12-29"),
        ("今度の月曜", MONDAY, "2027-01-04"),
        ("月曜", MONDAY, "2027-01-04"),
        ("月曜日", SUNDAY, "2026-12-28"),
        ("水曜", WEDNESDAY, "2026-12-09"),
        ("金曜日に", WEDNESDAY, "2026-12-04"),
        # English
        ("today", MONDAY, "2026-12-28"),
        ("Tomorrow", MONDAY, "2026-12-29"),
        ("the day after tomorrow", MONDAY, "2026-12-30"),
        ("in 3 days", MONDAY, "2026-12-31"),
        ("next Monday", MONDAY, "2027-01-04"),
        ("next monday", SUNDAY, "2026-12-28"),
        ("Friday", WEDNESDAY, "2026-12-04"),
        ("monday next week", MONDAY, "2027-01-04"),
        ("Dec 5", WEDNESDAY, "2026-12-05"),
        ("December 5th", WEDNESDAY, "2026-12-05"),
        ("5 December", WEDNESDAY, "2026-12-05"),
        ("5th of Dec", WEDNESDAY, "2026-12-05"),
        ("Jan 5", MONDAY, "2027-01-05"),
        ("Sat, Dec 5, 2026", WEDNESDAY, "2026-12-05"),
        ("Fri, Dec 5, 2026", WEDNESDAY, Refused("field_date_weekday_mismatch")),
        # impossible and unreadable
        ("2月30日", MONDAY, Refused("field_date_impossible")),
        ("2/30", MONDAY, Refused("field_date_impossible")),
        ("2027年2月29日", MONDAY, Refused("field_date_impossible")),
        ("13月1日", MONDAY, Refused("field_date_impossible")),
        ("4月31日", MONDAY, Refused("field_date_impossible")),
        ("Feb 30", MONDAY, Refused("field_date_impossible")),
        ("32日", MONDAY, Refused("field_date_impossible")),
        ("そのうち", MONDAY, Refused("field_date_invalid")),
        ("来週", MONDAY, Refused("field_date_invalid")),
        ("5", MONDAY, Refused("field_date_invalid")),
        ("", MONDAY, Refused("field_date_invalid")),
        ({"content_type": "image/png"}, MONDAY, Refused("field_date_invalid")),
    ],
)
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


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("12/5", "2026-12-05"),
        ("12月28日", "2026-12-28"),
        ("1/5", "2026-01-05"),
        ("5日", "2026-12-05"),
        ("月曜", "2026-12-21"),
        ("金曜日", "2026-12-25"),
        ("昨日", "2026-12-27"),
        ("きのう", "2026-12-27"),
        ("一昨日", "2026-12-26"),
        ("おととい", "2026-12-26"),
        ("3日前", "2026-12-25"),
        ("1週間前", "2026-12-21"),
        ("先週の金曜", "2026-12-25"),
        ("先週の月曜", "2026-12-21"),
        ("yesterday", "2026-12-27"),
        ("3 days ago", "2026-12-25"),
        ("last Friday", "2026-12-25"),
        ("今日", "2026-12-28"),
        ("明日", Refused("field_date_too_far")),
        ("2025/12/1", Refused("field_date_past")),
    ],
)
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
