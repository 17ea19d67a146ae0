"""The parser of each step type, the options each takes, and example answers for re-asks."""

from __future__ import annotations

import inspect
from collections.abc import Callable

from bot.procedures.parsers.base import Parsed, texts_or_shipped
from bot.procedures.parsers.choices import parse_choice
from bot.procedures.parsers.contacts import parse_email, parse_phone
from bot.procedures.parsers.dates import parse_date
from bot.procedures.parsers.numbers import parse_number
from bot.procedures.parsers.photos import parse_photo
from bot.procedures.parsers.places import parse_address, parse_location, parse_postal_code
from bot.procedures.parsers.slots import parse_time_slot
from bot.procedures.parsers.text import parse_name, parse_text
from bot.procedures.parsers.yes_no import parse_yes_no
from knowledge.system import ParserTexts

PARSERS: dict[str, Callable[..., Parsed]] = {
    "yes_no": parse_yes_no,
    "choice": parse_choice,
    "text": parse_text,
    "name": parse_name,
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

_COMMON_PARAMETERS = frozenset({"text", "today", "language", "texts"})


def option_names(field_type: str) -> frozenset[str]:
    """The options a step of this type may set (for validating flow data when it loads).

    Raises:
        KeyError: for an unknown type.
    """
    parameters = inspect.signature(PARSERS[field_type]).parameters
    return frozenset(parameters) - _COMMON_PARAMETERS


def example(field_type: str, language: str = "ja", texts: ParserTexts | None = None) -> str:
    """The default example answer of a type for a re-ask, e.g. ``例：12月5日、来週の月曜``.

    The texts are ``examples`` in ``knowledge/system/parsers.yaml``; a flow step's own
    ``example`` comes first (the flow runner's choice).

    Raises:
        KeyError: for an unknown type.
    """
    return texts_or_shipped(texts).example(field_type, language)
