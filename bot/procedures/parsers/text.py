"""Free text as typed, without control characters."""

from __future__ import annotations

import datetime as dt
import re

from bot.procedures.parsers.base import Answer, Parsed, accept, refuse, text_of
from knowledge.system import ParserTexts

_CONTROL = re.compile(r"[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\ufeff]")


def parse_text(
    text: Answer,
    *,
    today: dt.date,
    language: str = "ja",
    min_length: int = 1,
    max_length: int = 1000,
    texts: ParserTexts | None = None,
) -> Parsed:
    """Free text as typed, without control characters; line breaks are kept."""
    raw = text_of(text)
    if raw is None:
        return refuse("field_text_empty")
    value = re.sub(r"\n{3,}", "\n\n", _CONTROL.sub("", raw.replace("\r\n", "\n"))).strip()
    if not value:
        return refuse("field_text_empty")
    if len(value) < min_length:
        return refuse("field_text_too_short", min=str(min_length))
    if len(value) > max_length:
        return refuse("field_text_too_long", max=str(max_length), length=str(len(value)))
    return accept(value, value)


def parse_name(
    text: Answer,
    *,
    today: dt.date,
    language: str = "ja",
    max_length: int = 100,
    texts: ParserTexts | None = None,
) -> Parsed:
    """A person's name as typed (旭川 太郎); its own type so that a re-ask shows a name example."""
    return parse_text(text, today=today, language=language, max_length=max_length, texts=texts)
