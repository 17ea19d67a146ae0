"""Shared dates, options and the check of a parsed answer for the parser tests."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from bot.procedures.parsers import Parsed

MONDAY = dt.date(2026, 12, 28)
SUNDAY = dt.date(2026, 12, 27)
WEDNESDAY = dt.date(2026, 12, 2)
TODAY = MONDAY
MB = 1024 * 1024


@dataclass(frozen=True)
class Refused:
    """The answer is refused with this re-ask."""

    key: str


def check(result: Parsed, expected: Any) -> None:
    if isinstance(expected, Refused):
        assert not result.ok, result
        assert result.error_key == expected.key
        assert result.value is None
    else:
        assert result.ok, result
        assert result.error_key is None
        assert result.value == expected
        json.dumps(result.value)  # stored in the application as JSON


ITEMS = [
    ("sofa", "ソファ", "Sofa"),
    ("bed", "ベッド", "Bed", "ベット"),
    ("desk", "机", "Desk", "つくえ"),
    ("burnable", "燃えるごみ", "Burnable waste"),
    ("unburnable", "燃えないごみ", "Non-burnable waste"),
]

HALVES = [("morning", "午前", "Morning"), ("afternoon", "午後", "Afternoon")]
HOURS = [("early", "9時〜12時"), ("late", "13時〜16時"), ("any", "指定なし", "any time")]
