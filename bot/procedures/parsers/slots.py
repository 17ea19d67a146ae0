"""Time slots: a slot by label or number, or by 午前/午後/朝/AM/PM or an hour such as 10時."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from bot.procedures.parsers.base import (
    Answer,
    Parsed,
    accept,
    fold_key,
    option,
    pick_label,
    refuse,
    text_of,
)
from bot.procedures.parsers.choices import match_choice
from intents.normalize import clean
from knowledge.system import ParserTexts

_PERIODS = {  # period -> (hours it covers, words for it, an hour typical of it)
    "morning": (
        range(12),
        ("午前", "ごぜん", "朝", "あさ", "昼前", "ひるまえ", "am", "morning"),
        10,
    ),
    "afternoon": (range(12, 18), ("午後", "ごご", "昼", "ひる", "pm", "afternoon"), 14),
    "late_afternoon": (range(16, 19), ("夕方", "ゆうがた"), 17),
    "evening": (range(18, 24), ("夜", "よる", "evening", "night"), 19),
}
_ANY_WORDS = ("いつでも", "どちらでも", "どれでも", "指定なし", "何時でも", "any", "either")
_HOUR = re.compile(
    r"^(午前|午後|am|pm)?(\d{1,2})(?:時|:\d{2}|時半|時\d{1,2}分)?(am|pm)?(?:頃|ごろ|から|以降|すぎ|過ぎ)*$"
)
_SLOT_RANGE = re.compile(r"(\d{1,2})(?::\d{2}|時)?\s*(?:〜|~|-|から|–)\s*(\d{1,2})(?::\d{2}|時)?")


def _slot_hours(value: str, labels: Sequence[str]) -> range | None:
    for label in (value, *labels):
        if m := _SLOT_RANGE.search(clean(label)):
            return range(int(m[1]), int(m[2]))
    for hours, words, _ in _PERIODS.values():
        if any(w in fold_key(label) for label in (value, *labels) for w in words):
            return hours
    return None


def _hour_of(raw: str) -> int | None:
    said = fold_key(raw)
    if m := _HOUR.match(said):
        hour = int(m[2])
        marker = m[1] or m[3]
        if marker in ("午後", "pm") and hour < 12:
            hour += 12
        elif marker is None and 1 <= hour <= 7:
            hour += 12  # "2時" for a visit or pickup means the afternoon
        return hour if hour < 24 else None
    # The longest word said wins (昼前 is the morning, 昼 the afternoon); 午前か午後 is unclear.
    found = [
        (len(w), typical) for _, words, typical in _PERIODS.values() for w in words if w in said
    ]
    longest = max((length for length, _ in found), default=0)
    typicals = {typical for length, typical in found if length == longest}
    return typicals.pop() if len(typicals) == 1 else None


def parse_time_slot(
    text: Answer,
    *,
    today: dt.date,
    language: str = "ja",
    slots: Sequence[Any],
    texts: ParserTexts | None = None,
) -> Parsed:
    """One of ``slots`` (given like choices): by label, number, 午前/午後/朝/昼から/AM/PM or 10時.

    A slot's hours come from its label (``9時〜12時``) or from its name (morning/午前 before
    noon, afternoon/午後 from noon to 18, evening/夜 after 18).
    """
    raw = text_of(text)
    options = [option(slot) for slot in slots]
    if raw is None or not options:
        return refuse("field_time_slot_invalid")
    found: int | str = match_choice(raw, options)
    if isinstance(found, str) and any(w in fold_key(raw) for w in _ANY_WORDS):
        anytime = [
            i
            for i, (value, labels) in enumerate(options)
            if any(w in fold_key(x) for x in (value, *labels) for w in _ANY_WORDS)
        ]
        found = anytime[0] if len(anytime) == 1 else found
    if isinstance(found, str):
        hour = _hour_of(raw)
        covering = [
            i
            for i, (value, labels) in enumerate(options)
            if hour is not None and hour in (_slot_hours(value, labels) or ())
        ]
        if len(covering) != 1:
            return refuse("field_time_slot_invalid")
        found = covering[0]
    value, labels = options[found]
    return accept(value, pick_label(labels, language))
