"""Request bodies read as JSON, the one way every channel does it: refused, never a crash.

    try:
        document = read_json(await request.body())
    except BadJSON as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)

What comes back is safe to store: nesting is bounded, numbers are finite, and every string
(keys too) holds neither lone surrogates nor NUL characters (both replaced by U+FFFD), which
SQLite's UTF-8 encoder and PostgreSQL's text and JSON types refuse.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32  # LINE events and Telegram updates nest about 6 levels deep

_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


class BadJSON(ValueError):
    """The body is not a JSON document we accept; the message says why."""


def clean_text(text: str) -> str:
    """``text`` with lone surrogates and NUL characters replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def _finite(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        msg = f"number out of range: {literal[:20]}"
        raise BadJSON(msg)
    return number


def _constant(name: str) -> Any:
    msg = f"{name} is not JSON"
    raise BadJSON(msg)


def read_json(body: bytes | str) -> Any:
    """Parse a request body.

    Raises:
        BadJSON: not UTF-8 JSON, nested deeper than :data:`MAX_DEPTH`, or holding a number
            that is not finite (``NaN``, ``1e999``).
    """
    try:
        document = json.loads(body, parse_float=_finite, parse_constant=_constant)
    except RecursionError:  # the C scanner's own limit, far past ours
        msg = f"JSON nested more than {MAX_DEPTH} levels deep"
        raise BadJSON(msg) from None
    except BadJSON:
        raise
    except ValueError:  # includes UnicodeDecodeError and too many integer digits
        msg = "the body is not valid JSON (UTF-8)"
        raise BadJSON(msg) from None
    return clean(document)


def clean(document: Any) -> Any:
    """A parsed document made safe to store, as :func:`read_json` returns it (for payloads that
    arrive already parsed, such as Telegram updates fetched by polling).

    Raises:
        BadJSON: nested deeper than :data:`MAX_DEPTH`.
    """
    return _clean(document, 0)


def _clean(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        msg = f"JSON nested more than {MAX_DEPTH} levels deep"
        raise BadJSON(msg)
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {clean_text(key): _clean(item, depth + 1) for key, item in value.items()}
    return value
