"""Which district a citizen is in: chosen from the list, typed, an address or a map location.

The address parser is the procedures' one, imported here only (it is moving to
``bot/procedures/parsers/``; this import is the one line to change).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from bot.procedures.parsers.places import parse_address
from knowledge.notify import District, NotifyKnowledge

__all__ = ["district_by_label", "district_of_address", "district_of_point", "parse_address"]


def _fold(text: str) -> str:
    return re.sub(r"[\s・、,()（）]", "", unicodedata.normalize("NFKC", text)).lower()


def district_by_label(notify: NotifyKnowledge, said: str) -> District | None:
    """A district named by the citizen (its label in either language, or its id)."""
    wanted = _fold(said)
    if not wanted:
        return None
    for district in notify.districts.districts:
        names = (district.id, district.label.ja, district.label.en)
        if any(wanted == _fold(name) for name in names):
            return district
    for district in notify.districts.districts:  # "東光です", "豊岡に住んでいます"
        short = _fold(re.split(r"[（(]", district.label.ja)[0])
        if short and wanted.startswith(short):
            return district
    return None


def district_of_address(notify: NotifyKnowledge, text: str, today: dt.date) -> District | None:
    """The district whose address pattern matches a typed Asahikawa address."""
    parsed = parse_address(text, today=today, asahikawa_only=True)
    if not parsed.ok or not isinstance(parsed.value, str):
        return None
    rest = re.sub(r"^旭川市", "", parsed.value)
    for district in notify.districts.districts:
        if any(re.search(pattern, rest) for pattern in district.patterns):
            return district
    return None


def looks_like_address(text: str, today: dt.date) -> bool:
    return parse_address(text, today=today).ok


def district_of_point(notify: NotifyKnowledge, payload: Mapping[str, Any]) -> District | None:
    """The district with the nearest centre to a shared location (sample data: no polygons)."""
    try:
        lat = float(payload.get("latitude", payload.get("lat")))
        lon = float(payload.get("longitude", payload.get("lon")))
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None

    def distance(district: District) -> float:
        dlat = district.centre.lat - lat
        dlon = (district.centre.lon - lon) * math.cos(math.radians(lat))
        return dlat * dlat + dlon * dlon

    nearest = min(notify.districts.districts, key=distance)
    return nearest if distance(nearest) < 0.15**2 else None  # ~15 km: outside the city
