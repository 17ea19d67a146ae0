"""Photos from the channel, or none on an optional step."""

from __future__ import annotations

from typing import Any

import pytest

from bot.procedures.parsers import (
    parse_photo,
)
from tests.procedures.parsers.helpers import (
    MB,
    TODAY,
    Refused,
    check,
)

# --- photo -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "optional", "expected"),
    [
        (
            {"content_type": "image/jpeg", "size": 2 * MB, "file_id": "abc"},
            False,
            {"content_type": "image/jpeg", "size": 2 * MB, "file_id": "abc"},
        ),
        (
            {"content_type": "image/png", "size": 10 * MB},
            False,
            {"content_type": "image/png", "size": 10 * MB},
        ),
        ({"content_type": "Image/HEIC"}, False, {"content_type": "image/heic"}),
        ({"content_type": "image/png", "size": 10 * MB + 1}, False, Refused("field_photo_size")),
        ({"content_type": "image/png", "size": 0}, False, Refused("field_photo_size")),
        ({"content_type": "application/pdf", "size": 100}, False, Refused("field_photo_type")),
        ({"content_type": "video/mp4", "size": 100}, False, Refused("field_photo_type")),
        ({"content_type": "image/svg+xml", "size": 100}, False, Refused("field_photo_type")),
        ({"content_type": "", "size": 100}, False, Refused("field_photo_type")),
        ("なし", True, None),
        ("ありません", True, None),
        ("スキップ", True, None),
        ("skip", True, None),
        ("なし", False, Refused("field_photo_missing")),
        ("写真はあとで", True, Refused("field_photo_missing")),
        ({"latitude": 43.77, "longitude": 142.36}, True, Refused("field_photo_missing")),
    ],
)
def test_photo(answer: Any, optional: bool, expected: Any) -> None:
    check(parse_photo(answer, today=TODAY, optional=optional), expected)


def test_photo_limit_can_be_lowered_and_is_named_in_the_re_ask() -> None:
    result = parse_photo(
        {"content_type": "image/jpeg", "size": 3 * MB}, today=TODAY, max_bytes=2 * MB
    )
    assert (result.error_key, dict(result.params)) == ("field_photo_size", {"max": "2 MB"})


def test_photo_keeps_only_plain_fields() -> None:
    payload = {"content_type": "image/jpeg", "size": MB, "file_id": "x", "data": b"\xff\xd8"}
    result = parse_photo(payload, today=TODAY)
    assert result.value == {"content_type": "image/jpeg", "size": MB, "file_id": "x"}
    assert result.display == "写真 1枚（1 MB）"
