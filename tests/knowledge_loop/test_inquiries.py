"""Grouping unanswered questions for review, with personal data masked."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.knowledge_loop.inquiries import group
from bot.knowledge_loop.masking import mask
from bot.storage.base_knowledge import InquiryRecord
from intents.normalize import normalize

T0 = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)


def record(
    number: int, text: str, department: str = "dept.roads", **flags: object
) -> InquiryRecord:
    values: dict[str, object] = {
        "outcome": "fallback",
        "entry_id": None,
        "chosen_entry_id": None,
        "not_helpful": False,
        "handed_off": False,
        **flags,
    }
    return InquiryRecord(
        id=number,
        conversation_id=number,
        text=text,
        normalized=normalize(text),
        department=department,
        status="open",
        created_at=T0 - dt.timedelta(minutes=number),
        **values,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("090-1234-5678に折り返してください", "＊＊＊に折り返してください"),
        ("taro@example.jp まで", "＊＊＊ まで"),
        ("〒070-8525の住所です", "〒＊＊＊の住所です"),
        ("受付番号 A-20261130-7KQ4 の状況", "受付番号 A-＊＊＊KQ4 の状況"),
        ("ごみは3日に出せますか", "ごみは3日に出せますか"),
    ],
)
def test_numbers_and_addresses_are_masked(text: str, shown: str) -> None:
    assert mask(text) == shown


def test_similar_questions_group_per_department_newest_first() -> None:
    records = [
        record(1, "除雪車が来ない"),
        record(2, "除雪車が来ないです", outcome="choices", chosen_entry_id="faq.snow.a"),
        record(3, "除雪車がこない！", not_helpful=True, entry_id="faq.snow.a"),
        record(4, "犬の登録を変えたい"),
        record(5, "除雪車が来ない", department="dept.tax"),
    ]
    groups = group(records)
    assert [(g.text, g.department, g.count) for g in groups] == [
        ("除雪車が来ない", "dept.roads", 3),
        ("犬の登録を変えたい", "dept.roads", 1),
        ("除雪車が来ない", "dept.tax", 1),
    ]
    snow = groups[0]
    assert snow.newest == T0 - dt.timedelta(minutes=1)
    assert snow.suggested_entry == "faq.snow.a"
    assert dict(snow.reasons) == {"fallback": 2, "choices": 1, "not_helpful": 1}


def test_a_phone_number_never_shows_in_a_group() -> None:
    [only] = group([record(1, "電話は011-222-3333です、除雪の件")])
    assert "011" not in only.text
    assert all("011" not in text for text in only.texts)
