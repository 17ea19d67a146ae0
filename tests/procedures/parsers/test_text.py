"""Free-text answers."""

from __future__ import annotations

from typing import Any

import pytest

from bot.procedures.parsers import (
    parse_text,
)
from tests.procedures.parsers.helpers import (
    TODAY,
    Refused,
    check,
)

# --- free text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "options", "expected"),
    [
        ("街路灯が消えています", {}, "街路灯が消えています"),
        ("  前後の空白  ", {}, "前後の空白"),
        ("ベル\x07が\x00混入", {}, "ベルが混入"),
        ("一行目\r\n二行目", {}, "一行目\n二行目"),
        ("上\n\n\n\n\n下", {}, "上\n\n下"),
        ("", {}, Refused("field_text_empty")),
        ("   \u3000 ", {}, Refused("field_text_empty")),
        ("\x00\x1b", {}, Refused("field_text_empty")),
        ("短い", {"min_length": 5}, Refused("field_text_too_short")),
        ("ちょうど五字", {"min_length": 5}, "ちょうど五字"),
        ("あ" * 21, {"max_length": 20}, Refused("field_text_too_long")),
        ("あ" * 20, {"max_length": 20}, "あ" * 20),
        ({"content_type": "image/jpeg", "size": 10}, {}, Refused("field_text_empty")),
    ],
)
def test_text(answer: Any, options: dict[str, Any], expected: Any) -> None:
    check(parse_text(answer, today=TODAY, **options), expected)


def test_too_long_text_says_the_limit_and_the_length() -> None:
    result = parse_text("あ" * 30, today=TODAY, max_length=20)
    assert dict(result.params) == {"max": "20", "length": "30"}
