"""Places: postal codes, addresses (Asahikawa's 条・丁目 included) and map locations."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from bot.procedures.parsers.base import (
    DASHES,
    Answer,
    Parsed,
    accept,
    refuse,
    text_of,
    texts_or_shipped,
)
from bot.procedures.parsers.numbers import KANJI_NUMBER, kanji_to_int
from intents.normalize import clean, has_japanese
from knowledge.system import ParserTexts


def parse_postal_code(
    text: Answer,
    *,
    today: dt.date,
    language: str = "ja",
    asahikawa_only: bool = False,
    texts: ParserTexts | None = None,
) -> Parsed:
    """``〒070-0031``, ``0700031``, ``０７０－００３１`` -> ``070-0031``.

    Args:
        asahikawa_only: refuse codes that cannot be Asahikawa's (they all begin 070-079; so do
            some neighbouring towns', which this check cannot tell apart).
    """
    raw = text_of(text)
    said = "" if raw is None else re.sub(r"[\s〒]|郵便番号|postal|code|zip|:", "", clean(raw))
    m = re.fullmatch(rf"(\d{{3}})[{DASHES}]?(\d{{4}})", said)
    if m is None:
        return refuse("field_postal_invalid")
    code = f"{m[1]}-{m[2]}"
    if asahikawa_only and not code.startswith("07"):
        return refuse("field_postal_outside")
    return accept(code, texts_or_shipped(texts).echo("postal_code", language, code=code))


_ADDRESS_MARK = re.compile(r"\d|条|丁目|番|号|線")
_NEIGHBOURS = ("鷹栖町", "東神楽町", "東川町", "当麻町", "比布町", "美瑛町", "愛別町", "上川町")
# Another prefecture, district or city at the start ("札幌市…"); 市 followed by 場/役所/… is a
# word inside an Asahikawa address ("末広市場").
_OUTSIDE = re.compile(
    r"^(?:東京都|大阪府|京都府|[^\d]{2,3}県|[^\d]{1,4}郡|(?!旭川)[^\d]{1,5}?市(?![場役民内街営立電])|"
    + "|".join(_NEIGHBOURS)
    + ")"
)
_KANJI_BEFORE_UNIT = re.compile(rf"{KANJI_NUMBER.pattern}(?=条|丁目|番|号|線)")
MAX_ADDRESS_LENGTH = 200


def parse_address(
    text: Answer,
    *,
    today: dt.date,
    language: str = "ja",
    asahikawa_only: bool = False,
    max_length: int = MAX_ADDRESS_LENGTH,
    texts: ParserTexts | None = None,
) -> Parsed:
    """Something that looks like a Japanese address, as ``旭川市…`` when it is in the city.

    北海道 and 旭川市 are optional (an address naming no other municipality is taken to be in
    Asahikawa); widths, dashes and kanji block numbers are normalised (四条西二丁目１－１ ->
    4条西2丁目1-1). There is no street database to check against: an address must name a place
    and a 条/丁目/番/号/線 or a number.

    Args:
        asahikawa_only: refuse an address that begins with another city, district, town or
            prefecture (札幌市…, 上川郡…, 東京都…).
        max_length: the longest address accepted, in characters.
    """
    raw = text_of(text)
    said = "" if raw is None else unicodedata.normalize("NFKC", raw).strip()
    said = re.sub(rf"^〒?\s*\d{{3}}[{DASHES}]?\d{{4}}\s*", "", said)
    if not said:
        return refuse("field_address_invalid")
    if len(said) > max_length:
        return refuse("field_address_too_long", max=str(max_length))
    if not has_japanese(said):
        return _english_address(said)
    s = re.sub(r"\s+", "", said)
    s = re.sub(rf"(?<=\d)(?:[{DASHES}]+|の)(?=\d)", "-", s)
    s = _KANJI_BEFORE_UNIT.sub(lambda m: str(kanji_to_int(m.group()) or m.group()), s)
    in_city = re.sub(r"^北海道", "", s)
    if in_city.startswith("旭川"):
        rest = re.sub(r"^旭川市?", "", in_city)
        address = f"旭川市{rest}"
    elif _OUTSIDE.match(in_city):
        if asahikawa_only:
            return refuse("field_address_outside")
        rest = address = s
    else:
        rest, address = in_city, f"旭川市{in_city}"
    if not has_japanese(rest) or not _ADDRESS_MARK.search(rest):
        return refuse("field_address_incomplete")
    return accept(address, address)


def _english_address(said: str) -> Parsed:
    """A romanised address: kept as written, once it has a number."""
    s = re.sub(r"\s+", " ", said)
    if not re.search(r"\d", s) or not re.search(r"[A-Za-z]{2}", s):
        return refuse("field_address_incomplete")
    return accept(s, s)


LATITUDE_RANGE = (43.6, 43.9)  # a generous box around Asahikawa
LONGITUDE_RANGE = (142.2, 142.6)


def _coordinate(payload: Mapping[str, Any], *names: str) -> float | None:
    for name in names:
        raw = payload.get(name)
        if isinstance(raw, bool) or raw is None:
            continue
        try:
            number = float(raw)
        except (TypeError, ValueError):
            return None
        return number if math.isfinite(number) else None
    return None


def parse_location(
    text: Answer,
    *,
    today: dt.date,
    language: str = "ja",
    asahikawa_only: bool = False,
    texts: ParserTexts | None = None,
) -> Parsed:
    """A map location from the channel (``{latitude, longitude, address?}``), or a typed address.

    The value is ``{"latitude", "longitude", "address"}``; a typed address has no coordinates.

    Args:
        asahikawa_only: refuse a point outside a generous box around the city, or a typed
            address in another municipality.
    """
    if isinstance(text, str) or not any(k in text for k in ("latitude", "lat")):
        raw = text_of(text)
        if raw is None:
            return refuse("field_location_invalid")
        typed = parse_address(
            raw, today=today, language=language, asahikawa_only=asahikawa_only, texts=texts
        )
        if not typed.ok:
            return typed
        return accept({"latitude": None, "longitude": None, "address": typed.value}, typed.display)
    lat = _coordinate(text, "latitude", "lat")
    lon = _coordinate(text, "longitude", "lon", "lng")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return refuse("field_location_invalid")
    inside = not asahikawa_only or (
        LATITUDE_RANGE[0] <= lat <= LATITUDE_RANGE[1]
        and LONGITUDE_RANGE[0] <= lon <= LONGITUDE_RANGE[1]
    )
    if not inside:
        return refuse("field_location_outside")
    address = text.get("address")
    address = address.strip() if isinstance(address, str) and address.strip() else None
    point = f"{lat:.5f}, {lon:.5f}"
    shown = address or (texts_or_shipped(texts).echo("map_location", language, point=point))
    value = {"latitude": round(lat, 6), "longitude": round(lon, 6), "address": address}
    return accept(value, shown)
