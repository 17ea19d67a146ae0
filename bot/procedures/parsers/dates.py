"""Dates: Western and era years, month/day, relative days and weekdays, in Japanese and English."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from japanera import ERA_DATA_GENERAL, Era

from bot.handoff.office_hours import OfficeHours
from bot.procedures.parsers.base import (
    Answer,
    Parsed,
    accept,
    refuse,
    text_of,
    texts_or_shipped,
)
from bot.procedures.parsers.numbers import kanji_digits
from intents.normalize import clean, to_hiragana
from knowledge.system import ParserTexts

_WEEKDAYS_JA = "月火水木金土日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EN_WEEKDAY = r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*"
_EN_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"

# First and last day of each era (an era year counts from its first day: 令和元年 = 2019).
# The eras a citizen may name, with their first and last days, from japanera's table (the era
# patterns below name the ones we read).
_ERAS: dict[str, Era] = {
    era.kanji: era for era in ERA_DATA_GENERAL if era.kanji in ("令和", "平成", "昭和")
}
_ERA_ALIAS = {
    "r": "令和",
    "h": "平成",
    "s": "昭和",
    "れいわ": "令和",
    "へいせい": "平成",
    "しょうわ": "昭和",
}
_READINGS = {  # kana spellings of the words the date patterns look for
    "さらいしゅう": "再来週",
    "らいしゅう": "来週",
    "こんしゅう": "今週",
    "せんせんしゅう": "先々週",
    "せんしゅう": "先週",
    "つぎの": "次の",
    "こんどの": "今度の",
} | {
    f"{reading}よう{suffix}": f"{kanji}曜{'日' if suffix else ''}"
    for reading, kanji in zip(
        ("げつ", "か", "すい", "もく", "きん", "ど", "にち"), "月火水木金土日", strict=True
    )
    for suffix in ("び", "")
}
_READING_RE = re.compile("|".join(sorted(_READINGS, key=len, reverse=True)))
_RELATIVE = {
    "今日": 0, "きょう": 0, "本日": 0, "ほんじつ": 0, "today": 0,
    "明日": 1, "あした": 1, "あす": 1, "tomorrow": 1,
    "明後日": 2, "あさって": 2, "dayaftertomorrow": 2, "thedayaftertomorrow": 2,
    "明明後日": 3, "明々後日": 3, "しあさって": 3,
    "昨日": -1, "きのう": -1, "さくじつ": -1, "yesterday": -1,
    "一昨日": -2, "おととい": -2, "おとつい": -2, "thedaybeforeyesterday": -2,
}  # fmt: skip
_REQUEST_ENDING = re.compile(
    r"(?:を?希望します|を?希望|で?お願いします|で?おねがいします|で?お願い|がいいです|でいいです"
    r"|がいい|でいい|です|頃|ごろ|くらい|ぐらい|で|に|の)$"
)
_STATED_WEEKDAY = re.compile(r"(?:\(([月火水木金土日])(?:曜日?)?\)|([月火水木金土日])曜日?)$")

_YMD = re.compile(r"^(\d{4})(?:[年/.\-](\d{1,2})[月/.\-](\d{1,2})日?|(\d{2})(\d{2}))$")
_ERA_YMD = re.compile(
    r"^(令和|平成|昭和|れいわ|へいせい|しょうわ|r|h|s)(\d{1,2}|元)[年/.\-](\d{1,2})[月/.\-](\d{1,2})日?$"
)
_MD = re.compile(r"^(\d{1,2})[月/](\d{1,2})日?$")
_DAY = re.compile(r"^(\d{1,2})日$")
_LATER = re.compile(r"^(\d{1,3})(日|週間)(後|前)$")
_JA_WEEKDAY = re.compile(r"^(今週|来週|再来週|先週|先々週|次|今度)?の?([月火水木金土日])曜日?$")
_EN_LATER = re.compile(r"^in (\d{1,3}) (day|week)s?()$|^(\d{1,3}) (day|week)s? (later|ago)$")
_EN_WEEKDAY_RE = re.compile(
    rf"^(?:(this|next|coming|this coming|last) )?{_EN_WEEKDAY}(?: (this|next|last) week)?$"
)
_EN_MDY = re.compile(
    rf"^(?:{_EN_WEEKDAY} )?{_EN_MONTH} (\d{{1,2}})(?:st|nd|rd|th)?(?: (\d{{4}}))?$"
)
_EN_DMY = re.compile(
    rf"^(?:{_EN_WEEKDAY} )?(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?{_EN_MONTH}(?: (\d{{4}}))?$"
)


_OFFICE = OfficeHours()  # weekdays_only: the days the city office is open


def format_date(day: dt.date, language: str = "ja", texts: ParserTexts | None = None) -> str:
    """``2026年12月5日（土）`` / ``Sat 5 Dec 2026``."""
    names = texts_or_shipped(texts)
    return names.echo(
        "date",
        language,
        year=day.year,
        month=day.month,
        day=day.day,
        weekday=names.weekdays.get(language)[day.weekday()],
        month_name=names.months.get(language)[day.month - 1],
    )


class _DateError(Exception):
    """A recognised date that cannot be (its ``key`` names why)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _make(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise _DateError("field_date_impossible") from None


def _nearest(today: dt.date, month: int | None, day: int, past: bool) -> dt.date:
    """The first date with this month (any month if ``None``) and day on or after today, or,
    looking into the ``past``, the last one on or before today."""
    step = -1 if past else 1
    start = today.year * 12 + today.month - 1
    for index in range(start, start + step * (12 * 8 + 1), step):  # 2/29: up to 8 years away
        year, month0 = divmod(index, 12)
        if month is not None and month0 + 1 != month:
            continue
        try:
            candidate = dt.date(year, month0 + 1, day)
        except ValueError:
            continue
        if (candidate <= today) if past else (candidate >= today):
            return candidate
    raise _DateError("field_date_impossible")


def _era_date(era: str, year_text: str, month: int, day: int) -> dt.date:
    name = _ERA_ALIAS.get(era, era)
    period = _ERAS[name]
    era_year = 1 if year_text == "元" else int(year_text)
    # An era year counts from its first day: 令和元年 = 2019 (so 令和0年 is no year at all).
    resolved = _make(period.relative_year_to_absolute_year(era_year), month, day)
    if era_year < 1 or resolved not in period:
        raise _DateError("field_date_era")
    return resolved


_WEEKS = {
    "今週": 0, "this week": 0, "来週": 1, "next week": 1, "再来週": 2,
    "先週": -1, "last week": -1, "先々週": -2,
}  # fmt: skip


def _weekday_date(today: dt.date, which: str | None, weekday: int, past: bool) -> dt.date:
    """今週/来週/先週… count weeks from Monday; 次/今度 or none is the next one after today (the
    last one before today when looking into the ``past``, or when said with "last")."""
    weeks = _WEEKS.get(which or "")
    if weeks is not None:
        monday = today - dt.timedelta(days=today.weekday())
        return monday + dt.timedelta(weeks=weeks, days=weekday)
    if past or which == "last":
        return today - dt.timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)
    return today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _en_index(word: str, names: Sequence[str]) -> int:
    return [name.lower() for name in names].index(word[:3])


def _japanese_date(s: str, today: dt.date, past: bool) -> dt.date | None:
    if m := _LATER.match(s):
        days = int(m[1]) * (7 if m[2] == "週間" else 1)
        return today + dt.timedelta(days=-days if m[3] == "前" else days)
    if m := _JA_WEEKDAY.match(s):
        return _weekday_date(today, m[1], _WEEKDAYS_JA.index(m[2]), past)
    if m := _YMD.match(s):
        month, day = (m[2], m[3]) if m[2] else (m[4], m[5])
        return _make(int(m[1]), int(month), int(day))
    if m := _ERA_YMD.match(s):
        return _era_date(m[1], m[2], int(m[3]), int(m[4]))
    if m := _MD.match(s):
        month, day = int(m[1]), int(m[2])
        _make(2000, month, day)  # 2/30 is refused; 2/29 exists in a leap year
        return _nearest(today, month, day, past)
    if m := _DAY.match(s):
        return _nearest(today, None, int(m[1]), past)
    return None


def _english_date(s: str, today: dt.date, past: bool) -> tuple[dt.date, int | None] | None:
    s = re.sub(r"[,.]", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    if (flat := s.replace(" ", "")) in _RELATIVE:
        return today + dt.timedelta(days=_RELATIVE[flat]), None
    if m := _EN_LATER.match(s):
        count, unit, ago = (m[1], m[2], m[3]) if m[1] else (m[4], m[5], m[6])
        days = int(count) * (7 if unit == "week" else 1)
        return today + dt.timedelta(days=-days if ago == "ago" else days), None
    if m := _EN_WEEKDAY_RE.match(s):
        which = f"{m[3]} week" if m[3] else "last" if m[1] == "last" else None
        return _weekday_date(today, which, _en_index(m[2], _WEEKDAYS_EN), past), None
    for pattern, month_at, day_at in ((_EN_MDY, 2, 3), (_EN_DMY, 3, 2)):
        if m := pattern.match(s):
            month, day = _en_index(m[month_at], _MONTHS_EN) + 1, int(m[day_at])
            stated = _en_index(m[1], _WEEKDAYS_EN) if m[1] else None
            if m[4]:
                return _make(int(m[4]), month, day), stated
            _make(2000, month, day)
            return _nearest(today, month, day, past), stated
    return None


def _resolve_date(raw: str, today: dt.date, past: bool) -> tuple[dt.date, int | None] | None:
    """The date an answer names and the weekday the citizen wrote beside it, if any."""
    text = re.sub(r"[。!?、]+$", "", to_hiragana(clean(raw)).strip())
    english = _english_date(text, today, past)
    if english is not None:
        return english
    s = _READING_RE.sub(lambda m: _READINGS[m.group()], re.sub(r"\s+", "", text))
    previous = None
    while previous != s:
        previous = s
        s = _REQUEST_ENDING.sub("", s)
    if s in _RELATIVE:  # before kanji numerals are made digits: 一昨日 is not 1昨日
        return today + dt.timedelta(days=_RELATIVE[s]), None
    s = kanji_digits(s)
    stated: int | None = None
    if (m := _STATED_WEEKDAY.search(s)) and re.search(r"\d", s[: m.start()]):
        stated = _WEEKDAYS_JA.index(m[1] or m[2])
        s = s[: m.start()]
    day = _japanese_date(s, today, past)
    return None if day is None else (day, stated)


def parse_date(
    text: Answer,
    *,
    today: dt.date,
    language: str = "ja",
    min_days_ahead: int | None = None,
    max_days_ahead: int | None = None,
    weekdays_only: bool = False,
    texts: ParserTexts | None = None,
) -> Parsed:
    """A calendar date as an ISO string, displayed with its weekday for confirmation.

    Understands 2026年12月5日, 2026/12/5, 令和8年12月5日, R8.12.5, 12/5 and 12月5日 (the next such
    date), 5日, 今日, 明日, あさって, 3日後, 来週の月曜, 今週の金曜, 次の火曜, 月曜, 昨日, 3日前,
    先週の金曜, and English (Dec 5, 5 December, tomorrow, next Monday, 3 days ago). Weeks start
    on Monday, so 来週の月曜 said on a Sunday is the next day. When the allowed dates lie in the
    past (``max_days_ahead`` <= 0: "when did it happen?"), 12/5 and 月曜 are the latest such
    day instead of the next.

    Args:
        min_days_ahead: the earliest allowed date, in days from today (0: today; ``None``: any).
        max_days_ahead: the latest allowed date, in days from today.
        weekdays_only: only days the city office is open (not weekends, public holidays or
            the year-end break).
    """
    raw = text_of(text)
    try:
        past = max_days_ahead is not None and max_days_ahead <= 0
        found = None if raw is None else _resolve_date(raw, today, past)
    except _DateError as exc:
        return refuse(exc.key)
    if found is None:
        return refuse("field_date_invalid")
    day, stated = found
    shown = format_date(day, language, texts)
    if stated is not None and stated != day.weekday():
        return refuse("field_date_weekday_mismatch", date=shown)
    if min_days_ahead is not None and day < today + dt.timedelta(days=min_days_ahead):
        earliest = format_date(today + dt.timedelta(days=min_days_ahead), language, texts)
        key = "field_date_past" if day < today else "field_date_too_soon"
        return refuse(key, date=shown, earliest=earliest)
    if max_days_ahead is not None and day > today + dt.timedelta(days=max_days_ahead):
        latest = format_date(today + dt.timedelta(days=max_days_ahead), language, texts)
        return refuse("field_date_too_far", date=shown, latest=latest)
    if weekdays_only and not _OFFICE.is_open_day(day):
        return refuse("field_date_closed", date=shown)
    return accept(day.isoformat(), shown)
