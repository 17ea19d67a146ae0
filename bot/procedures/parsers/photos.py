"""Photos sent from the channel, or declining an optional photo step."""

from __future__ import annotations

import datetime as dt

from bot.procedures.parsers.base import (
    Answer,
    Parsed,
    accept,
    refuse,
    text_of,
    texts_or_shipped,
)
from bot.procedures.parsers.yes_no import is_skip
from knowledge.system import ParserTexts

MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Images a browser would run as a document: never accepted as a photo.
_UNSAFE_IMAGE_TYPES = frozenset({"image/svg+xml"})


def _megabytes(size: int) -> str:
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.0f} MB" if megabytes == int(megabytes) else f"{megabytes:.1f} MB"


def parse_photo(
    text: Answer,
    *,
    today: dt.date,
    language: str = "ja",
    optional: bool = False,
    max_bytes: int = MAX_PHOTO_BYTES,
    max_count: int = 1,
    texts: ParserTexts | None = None,
) -> Parsed:
    """One photo from the channel (``{content_type, size, …}``); なし/skip when ``optional``.

    The value is the payload's plain fields (content type, size, the channel's file reference);
    the attachment store checks the real bytes again when it saves them.

    Args:
        max_count: how many photos the step takes; each arrives as its own message and is
            parsed alone, so the counting is the flow runner's (accepted here so that a step's
            validation options can be passed as they are).
    """
    shown = texts_or_shipped(texts)
    if isinstance(text, str) or "content_type" not in text:
        raw = text_of(text)
        if optional and raw is not None and is_skip(raw):
            return accept(None, shown.echo("no_photo", language))
        return refuse("field_photo_missing")
    content_type = str(text.get("content_type") or "").split(";")[0].strip().lower()
    if not content_type.startswith("image/") or content_type in _UNSAFE_IMAGE_TYPES:
        return refuse("field_photo_type")
    raw_size = text.get("size")
    size = raw_size if isinstance(raw_size, int) and not isinstance(raw_size, bool) else None
    if size is not None and not 0 < size <= max_bytes:
        return refuse("field_photo_size", max=_megabytes(max_bytes))
    value = {
        k: v
        for k, v in text.items()
        if isinstance(k, str) and (v is None or isinstance(v, str | int | float | bool))
    }
    value["content_type"] = content_type
    if size is None:
        return accept(value, shown.echo("photo", language))
    return accept(value, shown.echo("photo_with_size", language, size=_megabytes(size)))
