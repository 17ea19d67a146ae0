"""Contact details: Japanese phone numbers and email addresses."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence

import phonenumbers

from bot.procedures.parsers.base import DASHES, Answer, Parsed, accept, refuse, text_of
from intents.normalize import clean
from knowledge.system import ParserTexts

# Grouping for a number the numbering plan does not list (yet): by area code where it is known,
# otherwise the citizen's own grouping.
_AREA_GROUPS = (("0166", (4, 2, 4)), ("011", (3, 3, 4)), ("03", (2, 4, 4)), ("06", (2, 4, 4)))


def _group(digits: str, sizes: Sequence[int]) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(digits[at : at + size])
        at += size
    return "-".join(parts)


def _citizens_grouping(digits: str, groups: Sequence[str]) -> str | None:
    if len(groups) == 3 and 2 <= len(groups[0]) <= 5 and groups[0].startswith("0"):
        return _group(digits, [len(g) for g in groups])
    return None


def _unlisted(digits: str, groups: Sequence[str]) -> str | None:
    """A ten-digit fixed-line shaped number in a block the metadata does not list."""
    if len(digits) != 10 or re.match(r"0[5789]0|0120", digits):
        return None
    sizes = next((sizes for area, sizes in _AREA_GROUPS if digits.startswith(area)), None)
    if sizes is not None:
        return _group(digits, sizes)
    return _citizens_grouping(digits, groups) or _group(
        digits, (4, 2, 4) if digits.startswith("01") else (3, 3, 4)
    )


def phone_kind(number: str) -> str:
    """``mobile``, ``fixed_line``, ``toll_free``, ``ip`` or ``other`` for a parsed number."""
    kind = phonenumbers.number_type(phonenumbers.parse(number, "JP"))
    return _KINDS.get(kind, "other")


_KINDS = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_line",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line",
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll_free",
    phonenumbers.PhoneNumberType.VOIP: "ip",
}


def parse_phone(
    text: Answer, *, today: dt.date, language: str = "ja", texts: ParserTexts | None = None
) -> Parsed:
    """A Japanese phone number in national format: ``090-1234-5678``, ``0166-12-3456``.

    Accepts hyphens, spaces, brackets, full-width digits and ``+81``. The numbering plan comes
    from ``phonenumbers``: a listed number is echoed in its national format (a fixed line as
    the citizen grouped it, since they know their area code); a ten-digit fixed-line number in
    a block the metadata does not list is still accepted, as it may be newer than the metadata.
    """
    raw = text_of(text)
    said = "" if raw is None else clean(raw).strip()
    said = re.sub(r"^(?:tel|電話番号|電話)[:\s]*", "", said)
    said = re.sub(r"^\+?81[\s\-]*(?:\(0\))?[\s\-]*", "0", said)
    if not re.fullmatch(rf"[\d\s{DASHES}()]+", said):  # no letters: no vanity numbers
        return refuse("field_phone_invalid")
    groups = [g for g in re.split(rf"[\s{DASHES}()]+", said) if g]
    digits = "".join(groups)
    if not digits.startswith("0") or digits.startswith("00") or len(digits) > 11:
        return refuse("field_phone_invalid")
    number = phonenumbers.parse(digits, "JP")
    if phonenumbers.is_valid_number(number):
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        fixed = _KINDS.get(phonenumbers.number_type(number)) == "fixed_line"
        formatted = (_citizens_grouping(digits, groups) if fixed else None) or national
        return accept(formatted, formatted)
    unlisted = _unlisted(digits, groups)
    if unlisted is None:
        return refuse("field_phone_invalid")
    return accept(unlisted, unlisted)


_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$"
)


def parse_email(
    text: Answer, *, today: dt.date, language: str = "ja", texts: ParserTexts | None = None
) -> Parsed:
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
