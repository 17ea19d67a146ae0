"""What every answer parser shares: the outcome, accept/refuse, and text folding helpers."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from intents.normalize import clean, has_japanese, to_hiragana
from knowledge.system import ParserTexts, shipped_parser_texts

Answer = str | Mapping[str, Any]  # text, or a channel's location/photo/postback payload
Option = tuple[str, list[str]]  # a choice's stored value and the labels that name it

# fmt: off
ERROR_KEYS = frozenset({
    "field_yes_no_invalid", "field_yes_no_unclear",
    "field_choice_invalid", "field_choice_ambiguous",
    "field_text_empty", "field_text_too_short", "field_text_too_long",
    "field_number_invalid", "field_number_too_small", "field_number_too_large",
    "field_date_invalid", "field_date_impossible", "field_date_era",
    "field_date_weekday_mismatch", "field_date_past", "field_date_too_soon",
    "field_date_too_far", "field_date_closed",
    "field_time_slot_invalid",
    "field_postal_invalid", "field_postal_outside",
    "field_phone_invalid",
    "field_email_invalid",
    "field_address_invalid", "field_address_incomplete", "field_address_too_long",
    "field_address_outside",
    "field_location_invalid", "field_location_outside",
    "field_photo_missing", "field_photo_type", "field_photo_size", "field_photo_download",
})
# fmt: on


@dataclass(frozen=True)
class Parsed:
    """The outcome of parsing one answer.

    Attributes:
        ok: whether the answer was understood and passed the step's checks.
        value: the answer as stored (JSON-serialisable); ``None`` when refused or skipped.
        display: how the bot echoes the answer back for confirmation, in the asked language.
        error_key: the ``flow_messages.yaml`` key of the re-ask when refused.
        params: values for the re-ask's placeholders (besides ``{example}``).
    """

    ok: bool
    value: Any = None
    display: str = ""
    error_key: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)


def accept(value: Any, display: str) -> Parsed:
    return Parsed(ok=True, value=value, display=display)


def refuse(error_key: str, **params: str) -> Parsed:
    return Parsed(ok=False, error_key=error_key, params=params)


def text_of(answer: Answer) -> str | None:
    """The typed text of an answer; a payload counts only when it carries ``text``."""
    if isinstance(answer, str):
        return answer
    text = answer.get("text")
    return text if isinstance(text, str) else None


PUNCT = re.compile(r"[\s、。，,．.!！?？・「」『』()（）\[\]【】~〜～ー\-]+")


def texts_or_shipped(texts: ParserTexts | None) -> ParserTexts:
    """The echo texts to use: the ones passed in (the running knowledge) or the shipped ones."""
    return texts if texts is not None else shipped_parser_texts()


def fold_key(text: str) -> str:
    """Width-, case- and kana-folded text without spaces or punctuation (for word tables)."""
    return PUNCT.sub("", to_hiragana(clean(text)))


def words(text: str) -> list[str]:
    return [w for w in PUNCT.split(to_hiragana(clean(text))) if w]


def english(language: str) -> bool:
    return language == "en"


def get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def label_texts(label: Any) -> list[str]:
    if isinstance(label, str):
        return [label]
    return [t for t in (get(label, "ja"), get(label, "en")) if isinstance(t, str)]


def option(choice: Any) -> Option:
    """``(value, labels)`` of a choice given as ``"v"``, ``("v", "label", …)`` or a mapping/object
    with ``value``, ``label`` (a string or ``{ja, en}``) and optional ``labels``/``keywords``."""
    if isinstance(choice, str):
        return choice, [choice]
    if isinstance(choice, Sequence):
        value, *labels = (str(item) for item in choice)
        return value, labels or [value]
    value = str(get(choice, "value"))
    labels = label_texts(get(choice, "label"))
    for extra in ("labels", "keywords"):
        items = get(choice, extra)
        if isinstance(items, Sequence) and not isinstance(items, str):
            labels.extend(str(item) for item in items)
    return value, labels or [value]


def pick_label(labels: Sequence[str], language: str) -> str:
    """The first label written in the asked language's script (labels are ``ja, en, …``)."""
    for label in labels:
        if has_japanese(label) != english(language):
            return label
    return labels[0]


DASHES = "\\-‐‑‒–—―−ー－─━"
