"""Whole numbers, kanji numerals and counters."""

from __future__ import annotations

from typing import Any

import pytest

from bot.procedures.parsers import (
    kanji_to_int,
    parse_number,
)
from tests.procedures.parsers.helpers import (
    TODAY,
    Refused,
    check,
)

# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("3", 3),
        ("３", 3),
        ("三", 3),
        ("十", 10),
        ("二十", 20),
        ("二十三", 23),
        ("百二十", 120),
        ("三個", 3),
        ("３個", 3),
        ("3つ", 3),
        ("一つ", 1),
        ("みっつ", 3),
        ("ミッツ", 3),
        ("5点", 5),
        ("2台", 2),
        ("約3個", 3),
        ("3個くらい", 3),
        ("1,000", 1000),
        ("three", 3),
        ("3 pieces", 3),
        ("0", 0),
        ("3.5", Refused("field_number_invalid")),
        ("-1", Refused("field_number_invalid")),
        ("二三", Refused("field_number_invalid")),
        ("十百", Refused("field_number_invalid")),
        ("3〜4個", Refused("field_number_invalid")),
        ("たくさん", Refused("field_number_invalid")),
        ("", Refused("field_number_invalid")),
    ],
)
def test_number(answer: str, expected: Any) -> None:
    check(parse_number(answer, today=TODAY), expected)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("1", 1),
        ("10", 10),
        ("0", Refused("field_number_too_small")),
        ("十一", Refused("field_number_too_large")),
    ],
)
def test_number_limits(answer: str, expected: Any) -> None:
    check(parse_number(answer, today=TODAY, min_value=1, max_value=10), expected)


@pytest.mark.parametrize(
    ("kanji", "number"), [("一", 1), ("十五", 15), ("三千五百", 3500), ("〇", 0), ("九十九", 99)]
)
def test_kanji_numerals(kanji: str, number: int) -> None:
    assert kanji_to_int(kanji) == number
