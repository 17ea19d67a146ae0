"""Postal codes, addresses and map locations."""

from __future__ import annotations

from typing import Any

import pytest

from bot.procedures.parsers import (
    parse_address,
    parse_location,
    parse_postal_code,
)
from tests.procedures.parsers.helpers import (
    TODAY,
    Refused,
    check,
)

# --- postal code -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "asahikawa_only", "expected"),
    [
        ("070-0031", True, "070-0031"),
        ("〒070-0031", True, "070-0031"),
        ("〒 070-0031", True, "070-0031"),
        ("0700031", True, "070-0031"),
        ("０７０－００３１", True, "070-0031"),
        ("〒０７０ー００３１", True, "070-0031"),
        ("070−0031", True, "070-0031"),
        ("078-8201", True, "078-8201"),
        ("060-0001", True, Refused("field_postal_outside")),
        ("060-0001", False, "060-0001"),
        ("100-0001", True, Refused("field_postal_outside")),
        ("070-003", True, Refused("field_postal_invalid")),
        ("0700-031", True, Refused("field_postal_invalid")),
        ("07000311", True, Refused("field_postal_invalid")),
        ("旭川", True, Refused("field_postal_invalid")),
        ("", True, Refused("field_postal_invalid")),
    ],
)
def test_postal_code(answer: str, asahikawa_only: bool, expected: Any) -> None:
    check(parse_postal_code(answer, today=TODAY, asahikawa_only=asahikawa_only), expected)


def test_postal_code_is_echoed_with_the_mark_in_japanese() -> None:
    assert parse_postal_code("0700031", today=TODAY).display == "〒070-0031"
    assert parse_postal_code("0700031", today=TODAY, language="en").display == "070-0031"


# --- address -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("旭川市6条通9丁目", "旭川市6条通9丁目"),
        ("北海道旭川市6条通9丁目", "旭川市6条通9丁目"),
        ("旭川6条通9丁目", "旭川市6条通9丁目"),
        ("4条西2丁目1-1", "旭川市4条西2丁目1-1"),
        ("４条西２丁目１－１", "旭川市4条西2丁目1-1"),
        ("4条西2丁目1ー1", "旭川市4条西2丁目1-1"),
        ("4条西2丁目1の1", "旭川市4条西2丁目1-1"),
        ("四条西二丁目", "旭川市4条西2丁目"),
        ("北海道旭川市六条通九丁目", "旭川市6条通9丁目"),
        ("神居3条1丁目", "旭川市神居3条1丁目"),
        ("東光1条2丁目3番4号", "旭川市東光1条2丁目3番4号"),
        ("末広5-2-3", "旭川市末広5-2-3"),
        ("旭川市 末広 5-2-3", "旭川市末広5-2-3"),
        ("〒070-0031 旭川市6条通9丁目", "旭川市6条通9丁目"),
        ("旭川市東旭川町共栄1", "旭川市東旭川町共栄1"),
        ("末広市場1-2", "旭川市末広市場1-2"),
        ("6-jo-dori 9-chome, Asahikawa", "6-jo-dori 9-chome, Asahikawa"),
        ("札幌市中央区北1条西2丁目", Refused("field_address_outside")),
        ("北海道札幌市北区北8条西5丁目", Refused("field_address_outside")),
        ("東京都千代田区丸の内1-1", Refused("field_address_outside")),
        ("大阪府大阪市北区1-1", Refused("field_address_outside")),
        ("上川郡東神楽町南1条西1丁目", Refused("field_address_outside")),
        ("東川町東町1丁目", Refused("field_address_outside")),
        ("旭川市", Refused("field_address_incomplete")),
        ("神居", Refused("field_address_incomplete")),
        ("旭川駅の近く", Refused("field_address_incomplete")),
        ("5-2-3", Refused("field_address_incomplete")),
        ("Asahikawa", Refused("field_address_incomplete")),
        ("", Refused("field_address_invalid")),
        ("   ", Refused("field_address_invalid")),
    ],
)
def test_address_in_asahikawa(answer: str, expected: Any) -> None:
    check(parse_address(answer, today=TODAY, asahikawa_only=True), expected)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("札幌市中央区北1条西2丁目", "札幌市中央区北1条西2丁目"),
        ("北海道札幌市北区北８条西５丁目", "北海道札幌市北区北8条西5丁目"),
        ("東京都千代田区丸の内1-1", "東京都千代田区丸の内1-1"),
        ("4条西2丁目", "旭川市4条西2丁目"),
        ("札幌市", Refused("field_address_incomplete")),
        ("あ" * 201, Refused("field_address_too_long")),
    ],
)
def test_address_anywhere_when_the_step_allows_it(answer: str, expected: Any) -> None:
    check(parse_address(answer, today=TODAY), expected)


# --- location ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            {"latitude": 43.7706, "longitude": 142.3649},
            {"latitude": 43.7706, "longitude": 142.3649, "address": None},
        ),
        (
            {"latitude": "43.77", "longitude": "142.36", "address": "旭川市6条通9丁目"},
            {"latitude": 43.77, "longitude": 142.36, "address": "旭川市6条通9丁目"},
        ),
        (
            {"lat": 43.6, "lng": 142.6},
            {"latitude": 43.6, "longitude": 142.6, "address": None},
        ),
        ({"latitude": 43.0621, "longitude": 141.3544}, Refused("field_location_outside")),
        ({"latitude": 35.68, "longitude": 139.76}, Refused("field_location_outside")),
        ({"latitude": 43.95, "longitude": 142.4}, Refused("field_location_outside")),
        ({"latitude": "north", "longitude": 142.4}, Refused("field_location_invalid")),
        ({"latitude": float("nan"), "longitude": 142.4}, Refused("field_location_invalid")),
        ({"latitude": 43.77}, Refused("field_location_invalid")),
        (
            "神居3条1丁目",
            {"latitude": None, "longitude": None, "address": "旭川市神居3条1丁目"},
        ),
        (
            {"text": "末広5-2-3"},
            {"latitude": None, "longitude": None, "address": "旭川市末広5-2-3"},
        ),
        ("札幌市北区北8条西5丁目", Refused("field_address_outside")),
        ("どこか", Refused("field_address_incomplete")),
        ({"content_type": "image/jpeg"}, Refused("field_location_invalid")),
    ],
)
def test_location_in_asahikawa(answer: Any, expected: Any) -> None:
    check(parse_location(answer, today=TODAY, asahikawa_only=True), expected)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            {"latitude": 43.0621, "longitude": 141.3544},
            {"latitude": 43.0621, "longitude": 141.3544, "address": None},
        ),
        ({"latitude": 95.0, "longitude": 141.3}, Refused("field_location_invalid")),
        (
            "札幌市北区北8条西5丁目",
            {"latitude": None, "longitude": None, "address": "札幌市北区北8条西5丁目"},
        ),
    ],
)
def test_location_anywhere_when_the_step_allows_it(answer: Any, expected: Any) -> None:
    check(parse_location(answer, today=TODAY), expected)


@pytest.mark.parametrize(
    ("answer", "language", "display"),
    [
        (
            {"latitude": 43.77, "longitude": 142.36, "address": "旭川市6条通9丁目"},
            "ja",
            "旭川市6条通9丁目",
        ),
        ({"latitude": 43.77, "longitude": 142.36}, "ja", "地図の位置（43.77000, 142.36000）"),
        ({"latitude": 43.77, "longitude": 142.36}, "en", "Map location (43.77000, 142.36000)"),
    ],
)
def test_location_is_echoed_by_address_or_point(
    answer: dict[str, Any], language: str, display: str
) -> None:
    assert parse_location(answer, today=TODAY, language=language).display == display
