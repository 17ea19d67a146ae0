"""Yes/no answers: the value stored, the echo, or the re-ask."""

from __future__ import annotations

from typing import Any

import pytest

from bot.procedures.parsers import (
    is_skip,
    parse_yes_no,
)
from tests.procedures.parsers.helpers import (
    TODAY,
    Refused,
    check,
)

# --- yes / no ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("はい", True),
        ("ハイ", True),
        ("ﾊｲ", True),
        ("はい。", True),
        ("は〜い", True),
        ("うん", True),
        ("ええ", True),
        ("お願いします", True),
        ("おねがいします", True),
        ("はい、お願いします", True),
        ("大丈夫です", True),
        ("同意します", True),
        ("yes", True),
        ("Ｙｅｓ", True),
        ("y", True),
        ("OK", True),
        ("ｏｋ！", True),
        ("オッケー", True),
        ("yes please", True),
        ("いいえ", False),
        ("イイエ", False),
        ("いや", False),
        ("結構です", False),
        ("いらないです", False),
        ("いりません", False),
        ("No", False),
        ("n", False),
        ("no thanks", False),
        ("いいえ、大丈夫です", False),
        ("いや、結構です", False),
        ("はい、大丈夫です", True),
        ("ok, no", Refused("field_yes_no_unclear")),
        ("たぶん", Refused("field_yes_no_invalid")),
        ("", Refused("field_yes_no_invalid")),
        ({"latitude": 43.7, "longitude": 142.3}, Refused("field_yes_no_invalid")),
    ],
)
def test_yes_no(answer: Any, expected: Any) -> None:
    check(parse_yes_no(answer, today=TODAY), expected)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("はい", True),
        ("同意します", True),
        ("いいえ", False),
        ("大丈夫です", Refused("field_yes_no_unclear")),
        ("結構です", Refused("field_yes_no_unclear")),
        ("いいです", Refused("field_yes_no_unclear")),
        ("はい、大丈夫です", True),
        ("いいえ、結構です", False),
    ],
)
def test_consent_does_not_guess_words_that_mean_either(answer: str, expected: Any) -> None:
    check(parse_yes_no(answer, today=TODAY, strict=True), expected)


@pytest.mark.parametrize(
    ("answer", "language", "display"),
    [
        ("うん", "ja", "はい"),
        ("結構です", "ja", "いいえ"),
        ("ok", "en", "Yes"),
        ("nope", "en", "No"),
    ],
)
def test_yes_no_is_echoed_plainly(answer: str, language: str, display: str) -> None:
    assert parse_yes_no(answer, today=TODAY, language=language).display == display


@pytest.mark.parametrize(
    ("text", "skip"), [("なし", True), ("ナシ", True), ("None", True), ("ある", False)]
)
def test_is_skip(text: str, skip: bool) -> None:
    assert is_skip(text) is skip
