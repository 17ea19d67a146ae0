"""Answer parsers of the guided procedures: what a citizen typed or sent, a checked value out.

Each step of a flow asks for one thing of a type; the parser for that type turns the answer into
a JSON-serialisable value plus the echo shown back for confirmation::

    parse_date("来週の月曜", today=dt.date(2026, 12, 27))
    # Parsed(ok=True, value="2026-12-28", display="2026年12月28日（月）", error_key=None)

Every parser has the same shape, ``parse_<type>(answer, *, today, language="ja", **options)``,
and never raises on what a citizen sends: a refusal is ``ok=False`` with the ``error_key`` of a
re-ask in ``knowledge/system/flow_messages.yaml``, filled with the step's example and the
refusal's ``params``. Echo formats and default examples live in
``knowledge/system/parsers.yaml``.
"""

from bot.procedures.parsers.base import ERROR_KEYS, Answer, Parsed
from bot.procedures.parsers.choices import parse_choice
from bot.procedures.parsers.contacts import parse_email, parse_phone
from bot.procedures.parsers.dates import format_date, parse_date
from bot.procedures.parsers.numbers import kanji_to_int, parse_number
from bot.procedures.parsers.photos import parse_photo
from bot.procedures.parsers.places import parse_address, parse_location, parse_postal_code
from bot.procedures.parsers.registry import PARSERS, example, option_names
from bot.procedures.parsers.slots import parse_time_slot
from bot.procedures.parsers.text import parse_name, parse_text
from bot.procedures.parsers.yes_no import is_skip, parse_yes_no

__all__ = [
    "ERROR_KEYS",
    "PARSERS",
    "Answer",
    "Parsed",
    "example",
    "format_date",
    "is_skip",
    "kanji_to_int",
    "option_names",
    "parse_address",
    "parse_choice",
    "parse_date",
    "parse_email",
    "parse_location",
    "parse_name",
    "parse_number",
    "parse_phone",
    "parse_photo",
    "parse_postal_code",
    "parse_text",
    "parse_time_slot",
    "parse_yes_no",
]
