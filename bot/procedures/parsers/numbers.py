"""Whole numbers: digits, kanji numerals, counters (3個, 5点), kana counts and English words."""

from __future__ import annotations

import datetime as dt
import re

from kanjize import kanji2number

from bot.procedures.parsers.base import Answer, Parsed, accept, refuse, text_of, texts_or_shipped
from intents.normalize import clean, to_hiragana
from knowledge.system import ParserTexts

_KANJI_DIGITS = "〇一二三四五六七八九零壱"
KANJI_NUMBER = re.compile(f"[{_KANJI_DIGITS}十百千]+")
_SIDE_BY_SIDE = re.compile(f"[{_KANJI_DIGITS}]{{2}}")


def kanji_to_int(text: str) -> int | None:
    """``二十三`` -> 23, ``百五`` -> 105, ``三`` -> 3; ``None`` if not a kanji numeral.

    ``kanjize`` reads the numeral; digits side by side (二三) are refused first, since kanjize
    reads them digit by digit (23) where a citizen more likely meant "two or three".
    """
    if not text or KANJI_NUMBER.fullmatch(text) is None or _SIDE_BY_SIDE.search(text):
        return None
    try:
        return kanji2number(text)
    except ValueError:  # units out of order: 十百
        return None


def kanji_digits(text: str) -> str:
    """Kanji numerals inside a text written as digits (十二月五日 -> 12月5日)."""
    return KANJI_NUMBER.sub(lambda m: str(kanji_to_int(m.group()) or m.group()), text)


# fmt: off
_KANA_COUNTS = {
    word: n
    for n, word in enumerate((
        "ひとつ", "ふたつ", "みっつ", "よっつ", "いつつ", "むっつ", "ななつ", "やっつ", "ここのつ",
        "とお",
    ), start=1)
}
_ENGLISH_NUMBERS = {
    word: n
    for n, word in enumerate((
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
        "nineteen", "twenty",
    ))
}
# fmt: on
_APPROX = re.compile(r"^(?:約|だいたい|およそ|about|around)|(?:くらい|ぐらい|ほど|程度|です|位)+$")
_COUNTER = re.compile(
    r"(?:個|こ|つ|点|台|本|枚|人|名|匹|頭|箱|袋|件|回|箇所|か所|ゖ所|ヵ所|基|束|脚|棟|組|セット|せっと"
    r"|pcs|pc|pieces|piece|items|item|units|unit)$"
)


def _to_int(text: str) -> int | None:
    # Keep "." and "-": 3.5 and -1 are not the whole numbers 35 and 1.
    word = _APPROX.sub("", re.sub(r"[\s。、！？!?]+", "", to_hiragana(clean(text))))
    if word in _KANA_COUNTS:
        return _KANA_COUNTS[word]
    if word in _ENGLISH_NUMBERS:
        return _ENGLISH_NUMBERS[word]
    word = _COUNTER.sub("", word)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+|\d{1,9}", word):
        return int(word.replace(",", ""))
    return kanji_to_int(word)


def parse_number(
    text: Answer,
    *,
    today: dt.date,
    language: str = "ja",
    min_value: int | None = None,
    max_value: int | None = None,
    texts: ParserTexts | None = None,
) -> Parsed:
    """A whole number: ``3``, ``３``, ``三個``, ``3つ``, ``5点``, ``二十``, ``みっつ``, ``two``."""
    raw = text_of(text)
    number = None if raw is None else _to_int(raw)
    if number is None:
        return refuse("field_number_invalid")
    if min_value is not None and number < min_value:
        return refuse("field_number_too_small", min=str(min_value))
    if max_value is not None and number > max_value:
        return refuse("field_number_too_large", max=str(max_value))
    return accept(number, texts_or_shipped(texts).echo("number", language, number=number))
