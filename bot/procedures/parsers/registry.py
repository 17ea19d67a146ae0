"""The parser of each step type, the options each takes, and example answers for re-asks."""

from __future__ import annotations

import inspect
from collections.abc import Callable

from bot.procedures.parsers.base import Parsed, english
from bot.procedures.parsers.choices import parse_choice
from bot.procedures.parsers.contacts import parse_email, parse_phone
from bot.procedures.parsers.dates import parse_date
from bot.procedures.parsers.numbers import parse_number
from bot.procedures.parsers.photos import parse_photo
from bot.procedures.parsers.places import parse_address, parse_location, parse_postal_code
from bot.procedures.parsers.slots import parse_time_slot
from bot.procedures.parsers.text import parse_text
from bot.procedures.parsers.yes_no import parse_yes_no

PARSERS: dict[str, Callable[..., Parsed]] = {
    "yes_no": parse_yes_no,
    "choice": parse_choice,
    "text": parse_text,
    "number": parse_number,
    "date": parse_date,
    "time_slot": parse_time_slot,
    "postal_code": parse_postal_code,
    "phone": parse_phone,
    "email": parse_email,
    "address": parse_address,
    "location": parse_location,
    "photo": parse_photo,
}

_COMMON_PARAMETERS = frozenset({"text", "today", "language"})


def option_names(field_type: str) -> frozenset[str]:
    """The options a step of this type may set (for validating flow data when it loads).

    Raises:
        KeyError: for an unknown type.
    """
    parameters = inspect.signature(PARSERS[field_type]).parameters
    return frozenset(parameters) - _COMMON_PARAMETERS


_EXAMPLES: dict[str, tuple[str, str]] = {  # (ja, en)
    "yes_no": ("「はい」か「いいえ」でお答えください。", 'Please answer "yes" or "no".'),
    "choice": (
        "例：1（番号）、またはボタンを押してください。",
        "e.g. 1 (the number), or tap a button.",
    ),
    "text": (
        "例：6条通9丁目の歩道の街路灯が消えています",
        "e.g. The street light on the pavement is out",
    ),
    "number": ("例：3、三つ", "e.g. 3"),
    "date": ("例：12月5日、来週の月曜", "e.g. Dec 5, next Monday"),
    "time_slot": ("例：午前、午後、10時", "e.g. morning, afternoon, 10am"),
    "postal_code": ("例：070-0031", "e.g. 070-0031"),
    "phone": ("例：090-1234-5678、0166-XX-XXXX", "e.g. 090-1234-5678, 0166-XX-XXXX"),
    "email": ("例：taro@example.jp", "e.g. taro@example.jp"),
    "address": (
        "例：旭川市6条通9丁目、神居3条1丁目、末広5-2-3",
        "e.g. 旭川市6条通9丁目, 6-jo-dori 9-chome",
    ),
    "location": (
        "例：位置情報を送る、または「旭川市4条西2丁目」のように住所を入力",
        "e.g. share your location, or type an address such as 4-jo Nishi 2-chome",
    ),
    "photo": (
        "例：スマートフォンで撮った写真を1枚送る",
        "e.g. send one photo taken with your phone",
    ),
}


def example(field_type: str, language: str = "ja") -> str:
    """A short example answer for a re-ask, e.g. ``例：12月5日、来週の月曜``.

    Raises:
        KeyError: for an unknown type.
    """
    ja, en = _EXAMPLES[field_type]
    return en if english(language) else ja
