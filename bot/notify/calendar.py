"""Garbage days from a district's calendar: which kinds on a date, the next collection day."""

from __future__ import annotations

import datetime as dt

from knowledge.notify import WEEKDAYS, Collection, GarbageFile

LOOKAHEAD_DAYS = 62  # how far "the next garbage day" is searched


def _matches(item: Collection, day: dt.date) -> bool:
    if day in item.dates:
        return True
    if WEEKDAYS[day.weekday()] not in item.weekdays:
        return False
    week_of_month = (day.day - 1) // 7 + 1  # the 2nd Wednesday is in days 8-14
    return not item.nth or week_of_month in item.nth


def kinds_on(calendar: GarbageFile, district: str, day: dt.date) -> list[str]:
    """The kinds collected in ``district`` on ``day`` (none on closed days)."""
    if day.strftime("%m-%d") in calendar.closed or day in calendar.skip:
        return []
    found: list[str] = []
    for item in calendar.districts.get(district, []):
        if _matches(item, day) and item.kind not in found:
            found.append(item.kind)
    return found


def next_collection(
    calendar: GarbageFile, district: str, start: dt.date
) -> tuple[dt.date, list[str]] | None:
    """The first collection day on or after ``start``, and its kinds."""
    for offset in range(LOOKAHEAD_DAYS):
        day = start + dt.timedelta(days=offset)
        kinds = kinds_on(calendar, district, day)
        if kinds:
            return day, kinds
    return None
