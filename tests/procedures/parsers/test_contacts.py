"""Phone numbers and email addresses."""

from __future__ import annotations

from typing import Any

import pytest

from bot.procedures.parsers import (
    parse_email,
    parse_phone,
)
from tests.procedures.parsers.helpers import (
    TODAY,
    Refused,
    check,
)

# --- phone -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("090-1234-5678", "090-1234-5678"),
        ("09012345678", "090-1234-5678"),
        ("080 1234 5678", "080-1234-5678"),
        ("070-1234-5678", "070-1234-5678"),
        ("０９０－１２３４－５６７８", "090-1234-5678"),
        ("+81 90 1234 5678", "090-1234-5678"),
        ("+81-90-1234-5678", "090-1234-5678"),
        ("+81 (0)90 1234 5678", "090-1234-5678"),
        ("0166-12-3456", "0166-12-3456"),
        ("0166123456", "0166-12-3456"),
        ("(0166)12-3456", "0166-12-3456"),
        ("+81-166-12-3456", "0166-12-3456"),
        ("電話：0166-12-3456", "0166-12-3456"),
        ("011-123-4567", "011-123-4567"),
        ("03-1234-5678", "03-1234-5678"),
        ("0312345678", "03-1234-5678"),
        ("0167-22-1234", "0167-22-1234"),
        ("0154-12-3456", "0154-12-3456"),
        ("0120-123-456", "0120-123-456"),
        ("050-1234-5678", "050-1234-5678"),
        ("090-1234-567", Refused("field_phone_invalid")),
        ("090123456789", Refused("field_phone_invalid")),
        ("0166-12-345", Refused("field_phone_invalid")),
        ("12-3456", Refused("field_phone_invalid")),
        ("110", Refused("field_phone_invalid")),
        ("00-1234-5678", Refused("field_phone_invalid")),
        ("090-1234-abcd", Refused("field_phone_invalid")),
        ("", Refused("field_phone_invalid")),
    ],
)
def test_phone(answer: str, expected: Any) -> None:
    check(parse_phone(answer, today=TODAY), expected)


# --- email -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("taro@example.jp", "taro@example.jp"),
        ("Taro.Yamada@Example.CO.JP", "Taro.Yamada@example.co.jp"),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "taro@example.jp"),
        ("  taro+city@example.jp  ", "taro+city@example.jp"),
        ("mailto:taro@example.jp", "taro@example.jp"),
        ("taro@mail-1.example.jp", "taro@mail-1.example.jp"),
        ("taro@example", Refused("field_email_invalid")),
        ("taro@@example.jp", Refused("field_email_invalid")),
        ("taro@ex@ample.jp", Refused("field_email_invalid")),
        ("taro yamada@example.jp", Refused("field_email_invalid")),
        ("taroexample.jp", Refused("field_email_invalid")),
        ("@example.jp", Refused("field_email_invalid")),
        ("taro@.example.jp", Refused("field_email_invalid")),
        (".taro@example.jp", Refused("field_email_invalid")),
        ("ta..ro@example.jp", Refused("field_email_invalid")),
        ("たろう@example.jp", Refused("field_email_invalid")),
        ("", Refused("field_email_invalid")),
    ],
)
def test_email(answer: str, expected: Any) -> None:
    check(parse_email(answer, today=TODAY), expected)
