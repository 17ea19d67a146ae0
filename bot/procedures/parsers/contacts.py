"""Contact details: Japanese phone numbers and email addresses."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence

from bot.procedures.parsers.base import DASHES, Answer, Parsed, accept, refuse, text_of
from intents.normalize import clean

# Hyphenation where the area code is known; otherwise the citizen's own grouping is kept.
_AREA_GROUPS = (("0166", (4, 2, 4)), ("011", (3, 3, 4)), ("03", (2, 4, 4)), ("06", (2, 4, 4)))


def _group(digits: str, sizes: Sequence[int]) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(digits[at : at + size])
        at += size
    return "-".join(parts)


def parse_phone(text: Answer, *, today: dt.date, language: str = "ja") -> Parsed:
    """A Japanese phone number in national format: ``090-1234-5678``, ``0166-12-3456``.

    Accepts hyphens, spaces, brackets, full-width digits and ``+81``.
    """
    raw = text_of(text)
    said = "" if raw is None else clean(raw).strip()
    said = re.sub(r"^(?:tel|電話番号|電話)[:\s]*", "", said)
    said = re.sub(r"^\+?81[\s\-]*(?:\(0\))?[\s\-]*", "0", said)
    if not re.fullmatch(rf"[\d\s{DASHES}()]+", said):
        return refuse("field_phone_invalid")
    groups = [g for g in re.split(rf"[\s{DASHES}()]+", said) if g]
    digits = "".join(groups)
    if not digits.startswith("0") or digits.startswith("00"):
        return refuse("field_phone_invalid")
    if re.fullmatch(r"0[5789]0\d{8}", digits):  # mobile, IP phone
        return accept(_group(digits, (3, 4, 4)), _group(digits, (3, 4, 4)))
    if re.fullmatch(r"0120\d{6}", digits):
        return accept(_group(digits, (4, 3, 3)), _group(digits, (4, 3, 3)))
    if len(digits) != 10 or re.match(r"0[5789]0", digits):
        return refuse("field_phone_invalid")
    sizes: tuple[int, ...] | None = next(
        (sizes for area, sizes in _AREA_GROUPS if digits.startswith(area)), None
    )
    if sizes is None and len(groups) == 3 and 2 <= len(groups[0]) <= 5:
        sizes = tuple(len(g) for g in groups)
    formatted = _group(digits, sizes or ((4, 2, 4) if digits.startswith("01") else (3, 3, 4)))
    return accept(formatted, formatted)


_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$"
)


def parse_email(text: Answer, *, today: dt.date, language: str = "ja") -> Parsed:
    """A plausible email address (one @, a dotted domain, no spaces); the domain lowercased."""
    raw = text_of(text)
    said = "" if raw is None else unicodedata.normalize("NFKC", raw).strip()
    said = re.sub(r"^mailto:", "", said, flags=re.IGNORECASE)
    local, _, domain = said.partition("@")
    if (
        not _EMAIL.match(said)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or len(said) > 254
    ):
        return refuse("field_email_invalid")
    address = f"{local}@{domain.lower()}"
    return accept(address, address)
