"""Time slots by label, number, period or hour."""

from __future__ import annotations

from typing import Any

import pytest

from bot.procedures.parsers import (
    parse_time_slot,
)
from tests.procedures.parsers.helpers import (
    HALVES,
    HOURS,
    TODAY,
    Refused,
    check,
)

# --- time slots --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "slots", "expected"),
    [
        ("午前", HALVES, "morning"),
        ("午前中", HALVES, "morning"),
        ("ごぜん", HALVES, "morning"),
        ("午後", HALVES, "afternoon"),
        ("ゴゴ", HALVES, "afternoon"),
        ("朝", HALVES, "morning"),
        ("朝一で", HALVES, "morning"),
        ("昼から", HALVES, "afternoon"),
        ("お昼過ぎ", HALVES, "afternoon"),
        ("昼前", HALVES, "morning"),
        ("AM", HALVES, "morning"),
        ("ＰＭ", HALVES, "afternoon"),
        ("Morning", HALVES, "morning"),
        ("10時", HALVES, "morning"),
        ("１０時", HALVES, "morning"),
        ("10:30", HALVES, "morning"),
        ("10am", HALVES, "morning"),
        ("14時", HALVES, "afternoon"),
        ("午後2時", HALVES, "afternoon"),
        ("2時", HALVES, "afternoon"),
        ("2pm", HALVES, "afternoon"),
        ("1", HALVES, "morning"),
        ("②", HALVES, "afternoon"),
        ("夕方", HALVES, "afternoon"),
        ("夜", HALVES, Refused("field_time_slot_invalid")),
        ("20時", HALVES, Refused("field_time_slot_invalid")),
        ("午前か午後", HALVES, Refused("field_time_slot_invalid")),
        ("どちらでも", HALVES, Refused("field_time_slot_invalid")),
        ("いつか", HALVES, Refused("field_time_slot_invalid")),
        ("10時", HOURS, "early"),
        ("13時", HOURS, "late"),
        ("午後", HOURS, "late"),
        ("12時半", HOURS, Refused("field_time_slot_invalid")),
        ("いつでも", HOURS, "any"),
        ("指定なし", HOURS, "any"),
    ],
)
def test_time_slot(answer: str, slots: list[tuple[str, ...]], expected: Any) -> None:
    check(parse_time_slot(answer, today=TODAY, slots=slots), expected)


def test_time_slot_is_echoed_by_its_label() -> None:
    assert parse_time_slot("10時", today=TODAY, slots=HALVES).display == "午前"
    assert parse_time_slot("10am", today=TODAY, language="en", slots=HALVES).display == "Morning"
