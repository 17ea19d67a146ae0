"""Application reference numbers: ``A-20261130-7KQ4``.

A reference is the flow's one-letter prefix, the Asia/Tokyo date of submission and four
characters drawn with :mod:`secrets` from an alphabet without look-alikes (no 0/O, 1/I). The
random part is what makes a reference unguessable from another citizen's: knowing
``A-20261130-7KQ4`` tells nothing about the next one (28**4 ≈ 615,000 per prefix and day).

Citizens retype references by hand, so :func:`normalize_reference` accepts full-width
characters, lower case, spaces and any kind of dash.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from zoneinfo import ZoneInfo

from bot.storage.types import require_aware

__all__ = [
    "REFERENCE_ALPHABET",
    "REFERENCE_TIMEZONE",
    "check_prefix",
    "find_reference",
    "new_reference",
    "normalize_reference",
]

#: Characters of the random part: digits and capitals without 0, 1, I and O.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#: The date in a reference is the city's date, not UTC.
REFERENCE_TIMEZONE = ZoneInfo("Asia/Tokyo")

_RANDOM_LENGTH = 4
# Everything a phone keyboard or IME may produce for "-" once NFKC has run.
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−ー﹣⁃", "-"))
_BODY = rf"([A-Z])\s*-?\s*(\d{{8}})\s*-?\s*([{REFERENCE_ALPHABET}]{{{_RANDOM_LENGTH}}})"
_EXACT = re.compile(rf"{_BODY}")
_INSIDE = re.compile(rf"(?<![A-Z0-9]){_BODY}(?![A-Z0-9])")


def check_prefix(prefix: str) -> str:
    """Return ``prefix`` if it is one capital letter A-Z.

    Raises:
        ValueError: anything else; the message names the value.
    """
    if len(prefix) != 1 or not ("A" <= prefix <= "Z"):
        msg = f"reference prefix must be one letter A-Z; got {prefix!r}"
        raise ValueError(msg)
    return prefix


def new_reference(prefix: str, now: dt.datetime) -> str:
    """Return a fresh reference for an application submitted at ``now``.

    Uniqueness is the caller's job (draw again on a clash); the random part comes from
    :func:`secrets.choice`.
    """
    check_prefix(prefix)
    day = require_aware(now, "now").astimezone(REFERENCE_TIMEZONE).strftime("%Y%m%d")
    tail = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(_RANDOM_LENGTH))
    return f"{prefix}-{day}-{tail}"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_DASHES).upper()


def normalize_reference(text: str) -> str | None:
    """Return the canonical form of a typed reference, or ``None`` if it is not one.

    ``"ａ－２０２６１１３０ー７ｋｑ４"`` and ``" a 20261130 7kq4 "`` both give
    ``"A-20261130-7KQ4"``.
    """
    match = _EXACT.fullmatch(_fold(text).strip())
    return None if match is None else "-".join(match.groups())


def find_reference(text: str) -> str | None:
    """Return the first reference inside free text, canonical, or ``None``.

    ``find_reference("受付番号 a-20261130-7kq4 の状況は？") == "A-20261130-7KQ4"``
    """
    match = _INSIDE.search(_fold(text))
    return None if match is None else "-".join(match.groups())
