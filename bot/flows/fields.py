"""Parsers for the answers to guided-flow steps: what the citizen typed in, a checked value out.

Each step of a flow asks for one thing of a type. The citizen answers in free text (or sends a
LINE/Telegram location or photo, or taps a choice button) and the parser for that type turns the
answer into a JSON-serialisable value plus the text the bot echoes back for confirmation::

    parse_date("来週の月曜", today=dt.date(2026, 12, 27))
    # Parsed(ok=True, value="2026-12-28", display="2026年12月28日（月）", error_key=None)

Every parser has the same shape, ``parse_<type>(answer, *, today, language="ja", **options)``,
and never raises on what a citizen sends: a refusal is ``ok=False`` with the ``error_key`` of a
re-ask in ``knowledge/system/flow_messages.yaml``. A re-ask is filled with
``example=example(type, language)`` and the refusal's ``params`` (e.g. ``{max}`` of a too long
text, ``{earliest}`` of a too early date). The options a type takes are ``option_names(type)``.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from bot.handoff.office_hours import OfficeHours
from intents.normalize import clean, has_japanese, normalize, to_hiragana

Answer = str | Mapping[str, Any]  # text, or a channel's location/photo/postback payload

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


def _accept(value: Any, display: str) -> Parsed:
    return Parsed(ok=True, value=value, display=display)


def _refuse(error_key: str, **params: str) -> Parsed:
    return Parsed(ok=False, error_key=error_key, params=params)


def _text_of(answer: Answer) -> str | None:
    """The typed text of an answer; a payload counts only when it carries ``text``."""
    if isinstance(answer, str):
        return answer
    text = answer.get("text")
    return text if isinstance(text, str) else None


_PUNCT = re.compile(r"[\s、。，,．.!！?？・「」『』()（）\[\]【】~〜～ー\-]+")


def _key(text: str) -> str:
    """Width-, case- and kana-folded text without spaces or punctuation (for word tables)."""
    return _PUNCT.sub("", to_hiragana(clean(text)))


def _words(text: str) -> list[str]:
    return [w for w in _PUNCT.split(to_hiragana(clean(text))) if w]


def _english(language: str) -> bool:
    return language == "en"


# --- yes / no ----------------------------------------------------------------------------------

# fmt: off
_YES = frozenset(map(_key, (
    "はい", "はーい", "うん", "ええ", "そう", "そうです", "お願いします", "お願いいたします",
    "お願い", "おねがいします", "よろしくお願いします", "同意", "同意します", "同意する",
    "了解", "了解です",
    "りょうかい", "承知しました", "わかりました", "分かりました", "いいよ", "いいです", "大丈夫",
    "大丈夫です", "だいじょうぶ", "ある", "あります", "あり", "する", "します", "yes", "y", "yeah",
    "yep", "ok", "okay", "おk", "オッケー", "オーケー", "sure", "agree", "i agree", "of course",
)))
_NO = frozenset(map(_key, (
    "いいえ", "いえ", "いや", "いいや", "ううん", "結構です", "けっこうです", "結構", "けっこう",
    "いらない", "いらないです", "いりません", "不要", "不要です", "なし", "無し", "ない",
    "ないです", "ありません",
    "しない", "しません", "だめ", "同意しない", "同意しません", "違います", "ちがいます", "違う",
    "ちがう", "やめておきます", "no", "n", "nope", "nah", "disagree", "i disagree",
)))
# Said alone these can mean either ("大丈夫です" is often a polite refusal); a consent step asks
# again instead of guessing.
_UNCLEAR = frozenset(map(_key, (
    "大丈夫", "大丈夫です", "だいじょうぶ", "だいじょうぶです", "いいです", "結構", "結構です",
    "けっこう", "けっこうです",
)))
# An answer that opens with one of these means it, whatever follows (いいえ、大丈夫です).
_LEADING = frozenset(map(_key, ("はい", "いいえ", "うん", "ううん", "いや", "いえ", "yes", "no")))
# fmt: on


def _yes_no_word(word: str, strict: bool) -> bool | str | None:
    if strict and word in _UNCLEAR:
        return "unclear"
    if word in _YES:
        return True
    if word in _NO:
        return False
    return None


def parse_yes_no(
    text: Answer, *, today: dt.date, language: str = "ja", strict: bool = False
) -> Parsed:
    """はい/いいえ, うん, お願いします, 結構です, yes/no/ok … as ``True``/``False``.

    Args:
        strict: refuse words that can mean either (大丈夫, 結構です) — for consent steps.
    """
    raw = _text_of(text)
    if raw is None:
        return _refuse("field_yes_no_invalid")
    verdict = _yes_no_word(_key(raw), strict)
    words = _words(raw)
    if verdict is None and words and _key(words[0]) in _LEADING:
        verdict = _yes_no_word(_key(words[0]), strict=False)
    if verdict is None:  # "お願いします、はい", "yes please"; "同意、しない" is unclear
        verdicts = {_yes_no_word(w, strict) for w in words} - {None}
        verdict = verdicts.pop() if len(verdicts) == 1 else ("unclear" if verdicts else None)
    if verdict == "unclear":
        return _refuse("field_yes_no_unclear")
    if verdict is None:
        return _refuse("field_yes_no_invalid")
    answer = bool(verdict)
    labels = ("Yes", "No") if _english(language) else ("はい", "いいえ")
    return _accept(answer, labels[0] if answer else labels[1])


# --- choice ------------------------------------------------------------------------------------

FUZZY_THRESHOLD = 85


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def _label_texts(label: Any) -> list[str]:
    if isinstance(label, str):
        return [label]
    return [t for t in (_get(label, "ja"), _get(label, "en")) if isinstance(t, str)]


def _option(choice: Any) -> tuple[str, list[str]]:
    """``(value, labels)`` of a choice given as ``"v"``, ``("v", "label", …)`` or a mapping/object
    with ``value``, ``label`` (a string or ``{ja, en}``) and optional ``labels``/``keywords``."""
    if isinstance(choice, str):
        return choice, [choice]
    if isinstance(choice, Sequence):
        value, *labels = (str(item) for item in choice)
        return value, labels or [value]
    value = str(_get(choice, "value"))
    labels = _label_texts(_get(choice, "label"))
    for extra in ("labels", "keywords"):
        items = _get(choice, extra)
        if isinstance(items, Sequence) and not isinstance(items, str):
            labels.extend(str(item) for item in items)
    return value, labels or [value]


def _pick_label(labels: Sequence[str], language: str) -> str:
    """The first label written in the asked language's script (labels are ``ja, en, …``)."""
    for label in labels:
        if has_japanese(label) != _english(language):
            return label
    return labels[0]


_ORDINAL = re.compile(r"^(\d{1,2})(?:番目?|つ目|個目|\.|\)|番の?)?$")


def _fold_labels(labels: Sequence[str]) -> list[str]:
    """Normalized labels and their parts (ベッド・マットレス is also ベッド and マットレス)."""
    parts = [part for label in labels for part in re.split(r"[・/／、,]", label) if part]
    return [normalize(label) for label in (*labels, *parts)]


def _match_choice(raw: str, options: list[tuple[str, list[str]]]) -> int | str:
    """Index of the option the answer names, or an error key."""
    said = normalize(raw)
    if not said:
        return "field_choice_invalid"
    folded = [_fold_labels(labels) for _, labels in options]
    exact = {i for i, (value, _) in enumerate(options) if said in (*folded[i], value.lower())}
    if len(exact) == 1:
        return exact.pop()
    number = _ORDINAL.match(_kanji_digits(_key(raw)))
    if number and 1 <= int(number.group(1)) <= len(options):
        return int(number.group(1)) - 1
    # "ソファを1つ" names the sofa; when labels nest ("ごみ" in "燃えるごみ") the longest wins.
    contained = [
        (len(label), i)
        for i, labels in enumerate(folded)
        for label in labels
        if len(label) >= 2 and label in said
    ]
    if contained:
        longest = max(length for length, _ in contained)
        best = {i for length, i in contained if length == longest}
        return best.pop() if len(best) == 1 else "field_choice_ambiguous"
    scores = [max(fuzz.ratio(said, label) for label in labels) for labels in folded]
    close = [i for i, score in enumerate(scores) if score >= FUZZY_THRESHOLD]
    if len(close) > 1:
        return "field_choice_ambiguous"
    return close[0] if close else "field_choice_invalid"


_NUMBER_LIST = re.compile(r"\d{1,2}(?:(?:[、,/・\s&]|と|and)+\d{1,2})+")
_LIST_SEPARATOR = re.compile(r"[、,，/／&]+|\s+|と|および|\band\b")
# What may be left of a list once the named options are taken out ("…を出したいです").
_LIST_FILLER = re.compile(
    r"[、,，/／&・\s]|と|および|and|を|が|も|の|です|ます|お願い(?:し)?|おねがい(?:し)?|ください"
    r"|出したい|出し|捨てたい|捨て|全部|両方|please"
)


def _match_many(raw: str, options: list[tuple[str, list[str]]]) -> list[int] | str:
    """Indices of every option the answer names (1と3, ①③, ソファとベッド), or an error key."""
    listed = clean(re.sub("[\u2460-\u2473]", lambda m: f"{m.group()} ", raw)).strip()
    listed = re.sub(r"(?:番|です)$", "", listed)
    if _NUMBER_LIST.fullmatch(listed):
        numbers = [int(n) for n in re.findall(r"\d+", listed)]
        if all(1 <= n <= len(options) for n in numbers):
            return sorted({n - 1 for n in numbers})
        return "field_choice_invalid"
    said = normalize(raw)
    named = [
        (i, label)
        for i, (_, labels) in enumerate(options)
        for label in _fold_labels(labels)
        if len(label) >= 2 and label in said
    ]
    # A label inside another option's named label does not count (ごみ in 燃えるごみ).
    named = [(i, a) for i, a in named if not any(a in b and i != j for j, b in named)]
    if named:
        # Anything else named ("ソファと冷蔵庫") is not silently dropped: the citizen is re-asked.
        rest = said
        for _, label in sorted(named, key=lambda item: len(item[1]), reverse=True):
            rest = rest.replace(label, " ")
        found = sorted({i for i, _ in named})
        return found if len(_LIST_FILLER.sub("", rest)) <= 1 else "field_choice_invalid"
    picked: set[int] = set()
    for token in filter(None, _LIST_SEPARATOR.split(said)):
        one = _match_choice(token, options)
        if isinstance(one, str):
            return one
        picked.add(one)
    return sorted(picked) if picked else "field_choice_invalid"


def parse_choice(
    text: Answer,
    *,
    today: dt.date,
    language: str = "ja",
    choices: Sequence[Any],
    multiple: bool = False,
) -> Parsed:
    """One of ``choices``: by label, by number (2, ２, ②, 2番), or by a close spelling.

    Args:
        choices: ``(value, label, label…)`` tuples (labels ``ja`` first, then ``en``, then other
            ways of saying it), or mappings/objects with ``value``, ``label`` (text or
            ``{ja, en}``) and optional ``keywords``.
        multiple: several may be named (1と3, ソファとベッド); the value is then a list.
    """
    raw = _text_of(text)
    options = [_option(choice) for choice in choices]
    if raw is None or not options:
        return _refuse("field_choice_invalid")
    found = _match_many(raw, options) if multiple else _match_choice(raw, options)
    if isinstance(found, str):
        return _refuse(found)
    if isinstance(found, int):
        value, labels = options[found]
        return _accept(value, _pick_label(labels, language))
    shown = [_pick_label(options[i][1], language) for i in found]
    return _accept(
        [options[i][0] for i in found], (", " if _english(language) else "、").join(shown)
    )


# --- free text ---------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\ufeff]")


def parse_text(
    text: Answer,
    *,
    today: dt.date,
    language: str = "ja",
    min_length: int = 1,
    max_length: int = 1000,
) -> Parsed:
    """Free text as typed, without control characters; line breaks are kept."""
    raw = _text_of(text)
    if raw is None:
        return _refuse("field_text_empty")
    value = re.sub(r"\n{3,}", "\n\n", _CONTROL.sub("", raw.replace("\r\n", "\n"))).strip()
    if not value:
        return _refuse("field_text_empty")
    if len(value) < min_length:
        return _refuse("field_text_too_short", min=str(min_length))
    if len(value) > max_length:
        return _refuse("field_text_too_long", max=str(max_length), length=str(len(value)))
    return _accept(value, value)


# --- numbers -----------------------------------------------------------------------------------

_KANJI_DIGIT = dict(zip("〇一二三四五六七八九", range(10), strict=True)) | {"零": 0, "壱": 1}
_KANJI_UNIT = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUMBER = re.compile(f"[{''.join(_KANJI_DIGIT)}{''.join(_KANJI_UNIT)}]+")


def kanji_to_int(text: str) -> int | None:
    """``二十三`` -> 23, ``百五`` -> 105, ``三`` -> 3; ``None`` if not a kanji numeral."""
    if not text or _KANJI_NUMBER.fullmatch(text) is None:
        return None
    total, digit, last_unit = 0, None, 10_000
    for ch in text:
        if ch in _KANJI_DIGIT:
            if digit is not None:
                return None  # 二三: digits side by side are not a number here
            digit = _KANJI_DIGIT[ch]
        else:
            unit = _KANJI_UNIT[ch]
            if unit >= last_unit:
                return None
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
    return total + (digit or 0)


def _kanji_digits(text: str) -> str:
    """Kanji numerals inside a text written as digits (十二月五日 -> 12月5日)."""
    return _KANJI_NUMBER.sub(lambda m: str(kanji_to_int(m.group()) or m.group()), text)


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
) -> Parsed:
    """A whole number: ``3``, ``３``, ``三個``, ``3つ``, ``5点``, ``二十``, ``みっつ``, ``two``."""
    raw = _text_of(text)
    number = None if raw is None else _to_int(raw)
    if number is None:
        return _refuse("field_number_invalid")
    if min_value is not None and number < min_value:
        return _refuse("field_number_too_small", min=str(min_value))
    if max_value is not None and number > max_value:
        return _refuse("field_number_too_large", max=str(max_value))
    return _accept(number, f"{number:,}")


# --- dates -------------------------------------------------------------------------------------

_WEEKDAYS_JA = "月火水木金土日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EN_WEEKDAY = r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*"
_EN_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"

# First and last day of each era (an era year counts from its first day: 令和元年 = 2019).
_ERAS: dict[str, tuple[dt.date, dt.date | None]] = {
    "令和": (dt.date(2019, 5, 1), None),
    "平成": (dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
    "昭和": (dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
}
_ERA_ALIAS = {
    "r": "令和",
    "h": "平成",
    "s": "昭和",
    "れいわ": "令和",
    "へいせい": "平成",
    "しょうわ": "昭和",
}
_READINGS = {  # kana spellings of the words the date patterns look for
    "さらいしゅう": "再来週",
    "らいしゅう": "来週",
    "こんしゅう": "今週",
    "せんせんしゅう": "先々週",
    "せんしゅう": "先週",
    "つぎの": "次の",
    "こんどの": "今度の",
} | {
    f"{reading}よう{suffix}": f"{kanji}曜{'日' if suffix else ''}"
    for reading, kanji in zip(
        ("げつ", "か", "すい", "もく", "きん", "ど", "にち"), "月火水木金土日", strict=True
    )
    for suffix in ("び", "")
}
_READING_RE = re.compile("|".join(sorted(_READINGS, key=len, reverse=True)))
_RELATIVE = {
    "今日": 0, "きょう": 0, "本日": 0, "ほんじつ": 0, "today": 0,
    "明日": 1, "あした": 1, "あす": 1, "tomorrow": 1,
    "明後日": 2, "あさって": 2, "dayaftertomorrow": 2, "thedayaftertomorrow": 2,
    "明明後日": 3, "明々後日": 3, "しあさって": 3,
    "昨日": -1, "きのう": -1, "さくじつ": -1, "yesterday": -1,
    "一昨日": -2, "おととい": -2, "おとつい": -2, "thedaybeforeyesterday": -2,
}  # fmt: skip
_REQUEST_ENDING = re.compile(
    r"(?:を?希望します|を?希望|で?お願いします|で?おねがいします|で?お願い|がいいです|でいいです"
    r"|がいい|でいい|です|頃|ごろ|くらい|ぐらい|で|に|の)$"
)
_STATED_WEEKDAY = re.compile(r"(?:\(([月火水木金土日])(?:曜日?)?\)|([月火水木金土日])曜日?)$")

_YMD = re.compile(r"^(\d{4})(?:[年/.\-](\d{1,2})[月/.\-](\d{1,2})日?|(\d{2})(\d{2}))$")
_ERA_YMD = re.compile(
    r"^(令和|平成|昭和|れいわ|へいせい|しょうわ|r|h|s)(\d{1,2}|元)[年/.\-](\d{1,2})[月/.\-](\d{1,2})日?$"
)
_MD = re.compile(r"^(\d{1,2})[月/](\d{1,2})日?$")
_DAY = re.compile(r"^(\d{1,2})日$")
_LATER = re.compile(r"^(\d{1,3})(日|週間)(後|前)$")
_JA_WEEKDAY = re.compile(r"^(今週|来週|再来週|先週|先々週|次|今度)?の?([月火水木金土日])曜日?$")
_EN_LATER = re.compile(r"^in (\d{1,3}) (day|week)s?()$|^(\d{1,3}) (day|week)s? (later|ago)$")
_EN_WEEKDAY_RE = re.compile(
    rf"^(?:(this|next|coming|this coming|last) )?{_EN_WEEKDAY}(?: (this|next|last) week)?$"
)
_EN_MDY = re.compile(
    rf"^(?:{_EN_WEEKDAY} )?{_EN_MONTH} (\d{{1,2}})(?:st|nd|rd|th)?(?: (\d{{4}}))?$"
)
_EN_DMY = re.compile(
    rf"^(?:{_EN_WEEKDAY} )?(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?{_EN_MONTH}(?: (\d{{4}}))?$"
)


_OFFICE = OfficeHours()  # weekdays_only: the days the city office is open


def format_date(day: dt.date, language: str = "ja") -> str:
    """``2026年12月5日（土）`` / ``Sat 5 Dec 2026``."""
    if _english(language):
        return f"{_WEEKDAYS_EN[day.weekday()]} {day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日（{_WEEKDAYS_JA[day.weekday()]}）"


class _DateError(Exception):
    """A recognised date that cannot be (its ``key`` names why)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _make(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise _DateError("field_date_impossible") from None


def _nearest(today: dt.date, month: int | None, day: int, past: bool) -> dt.date:
    """The first date with this month (any month if ``None``) and day on or after today, or,
    looking into the ``past``, the last one on or before today."""
    step = -1 if past else 1
    start = today.year * 12 + today.month - 1
    for index in range(start, start + step * (12 * 8 + 1), step):  # 2/29: up to 8 years away
        year, month0 = divmod(index, 12)
        if month is not None and month0 + 1 != month:
            continue
        try:
            candidate = dt.date(year, month0 + 1, day)
        except ValueError:
            continue
        if (candidate <= today) if past else (candidate >= today):
            return candidate
    raise _DateError("field_date_impossible")


def _era_date(era: str, year_text: str, month: int, day: int) -> dt.date:
    name = _ERA_ALIAS.get(era, era)
    first, last = _ERAS[name]
    era_year = 1 if year_text == "元" else int(year_text)
    resolved = _make(first.year + era_year - 1, month, day)
    if era_year < 1 or resolved < first or (last is not None and resolved > last):
        raise _DateError("field_date_era")
    return resolved


_WEEKS = {
    "今週": 0, "this week": 0, "来週": 1, "next week": 1, "再来週": 2,
    "先週": -1, "last week": -1, "先々週": -2,
}  # fmt: skip


def _weekday_date(today: dt.date, which: str | None, weekday: int, past: bool) -> dt.date:
    """今週/来週/先週… count weeks from Monday; 次/今度 or none is the next one after today (the
    last one before today when looking into the ``past``, or when said with "last")."""
    weeks = _WEEKS.get(which or "")
    if weeks is not None:
        monday = today - dt.timedelta(days=today.weekday())
        return monday + dt.timedelta(weeks=weeks, days=weekday)
    if past or which == "last":
        return today - dt.timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)
    return today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _en_index(word: str, names: Sequence[str]) -> int:
    return [name.lower() for name in names].index(word[:3])


def _japanese_date(s: str, today: dt.date, past: bool) -> dt.date | None:
    if m := _LATER.match(s):
        days = int(m[1]) * (7 if m[2] == "週間" else 1)
        return today + dt.timedelta(days=-days if m[3] == "前" else days)
    if m := _JA_WEEKDAY.match(s):
        return _weekday_date(today, m[1], _WEEKDAYS_JA.index(m[2]), past)
    if m := _YMD.match(s):
        month, day = (m[2], m[3]) if m[2] else (m[4], m[5])
        return _make(int(m[1]), int(month), int(day))
    if m := _ERA_YMD.match(s):
        return _era_date(m[1], m[2], int(m[3]), int(m[4]))
    if m := _MD.match(s):
        month, day = int(m[1]), int(m[2])
        _make(2000, month, day)  # 2/30 is refused; 2/29 exists in a leap year
        return _nearest(today, month, day, past)
    if m := _DAY.match(s):
        return _nearest(today, None, int(m[1]), past)
    return None


def _english_date(s: str, today: dt.date, past: bool) -> tuple[dt.date, int | None] | None:
    s = re.sub(r"[,.]", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    if (flat := s.replace(" ", "")) in _RELATIVE:
        return today + dt.timedelta(days=_RELATIVE[flat]), None
    if m := _EN_LATER.match(s):
        count, unit, ago = (m[1], m[2], m[3]) if m[1] else (m[4], m[5], m[6])
        days = int(count) * (7 if unit == "week" else 1)
        return today + dt.timedelta(days=-days if ago == "ago" else days), None
    if m := _EN_WEEKDAY_RE.match(s):
        which = f"{m[3]} week" if m[3] else "last" if m[1] == "last" else None
        return _weekday_date(today, which, _en_index(m[2], _WEEKDAYS_EN), past), None
    for pattern, month_at, day_at in ((_EN_MDY, 2, 3), (_EN_DMY, 3, 2)):
        if m := pattern.match(s):
            month, day = _en_index(m[month_at], _MONTHS_EN) + 1, int(m[day_at])
            stated = _en_index(m[1], _WEEKDAYS_EN) if m[1] else None
            if m[4]:
                return _make(int(m[4]), month, day), stated
            _make(2000, month, day)
            return _nearest(today, month, day, past), stated
    return None


def _resolve_date(raw: str, today: dt.date, past: bool) -> tuple[dt.date, int | None] | None:
    """The date an answer names and the weekday the citizen wrote beside it, if any."""
    text = re.sub(r"[。!?、]+$", "", to_hiragana(clean(raw)).strip())
    english = _english_date(text, today, past)
    if english is not None:
        return english
    s = _READING_RE.sub(lambda m: _READINGS[m.group()], re.sub(r"\s+", "", text))
    previous = None
    while previous != s:
        previous = s
        s = _REQUEST_ENDING.sub("", s)
    if s in _RELATIVE:  # before kanji numerals are made digits: 一昨日 is not 1昨日
        return today + dt.timedelta(days=_RELATIVE[s]), None
    s = _kanji_digits(s)
    stated: int | None = None
    if (m := _STATED_WEEKDAY.search(s)) and re.search(r"\d", s[: m.start()]):
        stated = _WEEKDAYS_JA.index(m[1] or m[2])
        s = s[: m.start()]
    day = _japanese_date(s, today, past)
    return None if day is None else (day, stated)


def parse_date(
    text: Answer,
    *,
    today: dt.date,
    language: str = "ja",
    min_days_ahead: int | None = None,
    max_days_ahead: int | None = None,
    weekdays_only: bool = False,
) -> Parsed:
    """A calendar date as an ISO string, displayed with its weekday for confirmation.

    Understands 2026年12月5日, 2026/12/5, 令和8年12月5日, R8.12.5, 12/5 and 12月5日 (the next such
    date), 5日, 今日, 明日, あさって, 3日後, 来週の月曜, 今週の金曜, 次の火曜, 月曜, 昨日, 3日前,
    先週の金曜, and English (Dec 5, 5 December, tomorrow, next Monday, 3 days ago). Weeks start
    on Monday, so 来週の月曜 said on a Sunday is the next day. When the allowed dates lie in the
    past (``max_days_ahead`` <= 0: "when did it happen?"), 12/5 and 月曜 are the latest such
    day instead of the next.

    Args:
        min_days_ahead: the earliest allowed date, in days from today (0: today; ``None``: any).
        max_days_ahead: the latest allowed date, in days from today.
        weekdays_only: only days the city office is open (not weekends, public holidays or
            the year-end break).
    """
    raw = _text_of(text)
    try:
        past = max_days_ahead is not None and max_days_ahead <= 0
        found = None if raw is None else _resolve_date(raw, today, past)
    except _DateError as exc:
        return _refuse(exc.key)
    if found is None:
        return _refuse("field_date_invalid")
    day, stated = found
    shown = format_date(day, language)
    if stated is not None and stated != day.weekday():
        return _refuse("field_date_weekday_mismatch", date=shown)
    if min_days_ahead is not None and day < today + dt.timedelta(days=min_days_ahead):
        earliest = format_date(today + dt.timedelta(days=min_days_ahead), language)
        key = "field_date_past" if day < today else "field_date_too_soon"
        return _refuse(key, date=shown, earliest=earliest)
    if max_days_ahead is not None and day > today + dt.timedelta(days=max_days_ahead):
        latest = format_date(today + dt.timedelta(days=max_days_ahead), language)
        return _refuse("field_date_too_far", date=shown, latest=latest)
    if weekdays_only and not _OFFICE.is_open_day(day):
        return _refuse("field_date_closed", date=shown)
    return _accept(day.isoformat(), shown)


# --- time slots --------------------------------------------------------------------------------

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
        if any(w in _key(label) for label in (value, *labels) for w in words):
            return hours
    return None


def _hour_of(raw: str) -> int | None:
    said = _key(raw)
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
    text: Answer, *, today: dt.date, language: str = "ja", slots: Sequence[Any]
) -> Parsed:
    """One of ``slots`` (given like choices): by label, number, 午前/午後/朝/昼から/AM/PM or 10時.

    A slot's hours come from its label (``9時〜12時``) or from its name (morning/午前 before
    noon, afternoon/午後 from noon to 18, evening/夜 after 18).
    """
    raw = _text_of(text)
    options = [_option(slot) for slot in slots]
    if raw is None or not options:
        return _refuse("field_time_slot_invalid")
    found: int | str = _match_choice(raw, options)
    if isinstance(found, str) and any(w in _key(raw) for w in _ANY_WORDS):
        anytime = [
            i
            for i, (value, labels) in enumerate(options)
            if any(w in _key(x) for x in (value, *labels) for w in _ANY_WORDS)
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
            return _refuse("field_time_slot_invalid")
        found = covering[0]
    value, labels = options[found]
    return _accept(value, _pick_label(labels, language))


# --- postal code, phone, email -----------------------------------------------------------------

_DASHES = "\\-‐‑‒–—―−ー－─━"


def parse_postal_code(
    text: Answer, *, today: dt.date, language: str = "ja", asahikawa_only: bool = False
) -> Parsed:
    """``〒070-0031``, ``0700031``, ``０７０－００３１`` -> ``070-0031``.

    Args:
        asahikawa_only: refuse codes that cannot be Asahikawa's (they all begin 070-079; so do
            some neighbouring towns', which this check cannot tell apart).
    """
    raw = _text_of(text)
    said = "" if raw is None else re.sub(r"[\s〒]|郵便番号|postal|code|zip|:", "", clean(raw))
    m = re.fullmatch(rf"(\d{{3}})[{_DASHES}]?(\d{{4}})", said)
    if m is None:
        return _refuse("field_postal_invalid")
    code = f"{m[1]}-{m[2]}"
    if asahikawa_only and not code.startswith("07"):
        return _refuse("field_postal_outside")
    return _accept(code, code if _english(language) else f"〒{code}")


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
    raw = _text_of(text)
    said = "" if raw is None else clean(raw).strip()
    said = re.sub(r"^(?:tel|電話番号|電話)[:\s]*", "", said)
    said = re.sub(r"^\+?81[\s\-]*(?:\(0\))?[\s\-]*", "0", said)
    if not re.fullmatch(rf"[\d\s{_DASHES}()]+", said):
        return _refuse("field_phone_invalid")
    groups = [g for g in re.split(rf"[\s{_DASHES}()]+", said) if g]
    digits = "".join(groups)
    if not digits.startswith("0") or digits.startswith("00"):
        return _refuse("field_phone_invalid")
    if re.fullmatch(r"0[5789]0\d{8}", digits):  # mobile, IP phone
        return _accept(_group(digits, (3, 4, 4)), _group(digits, (3, 4, 4)))
    if re.fullmatch(r"0120\d{6}", digits):
        return _accept(_group(digits, (4, 3, 3)), _group(digits, (4, 3, 3)))
    if len(digits) != 10 or re.match(r"0[5789]0", digits):
        return _refuse("field_phone_invalid")
    sizes: tuple[int, ...] | None = next(
        (sizes for area, sizes in _AREA_GROUPS if digits.startswith(area)), None
    )
    if sizes is None and len(groups) == 3 and 2 <= len(groups[0]) <= 5:
        sizes = tuple(len(g) for g in groups)
    formatted = _group(digits, sizes or ((4, 2, 4) if digits.startswith("01") else (3, 3, 4)))
    return _accept(formatted, formatted)


_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$"
)


def parse_email(text: Answer, *, today: dt.date, language: str = "ja") -> Parsed:
    """A plausible email address (one @, a dotted domain, no spaces); the domain lowercased."""
    raw = _text_of(text)
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
        return _refuse("field_email_invalid")
    address = f"{local}@{domain.lower()}"
    return _accept(address, address)


# --- address, location, photo ------------------------------------------------------------------

_ADDRESS_MARK = re.compile(r"\d|条|丁目|番|号|線")
_NEIGHBOURS = ("鷹栖町", "東神楽町", "東川町", "当麻町", "比布町", "美瑛町", "愛別町", "上川町")
# Another prefecture, district or city at the start ("札幌市…"); 市 followed by 場/役所/… is a
# word inside an Asahikawa address ("末広市場").
_OUTSIDE = re.compile(
    r"^(?:東京都|大阪府|京都府|[^\d]{2,3}県|[^\d]{1,4}郡|(?!旭川)[^\d]{1,5}?市(?![場役民内街営立電])|"
    + "|".join(_NEIGHBOURS)
    + ")"
)
_KANJI_BEFORE_UNIT = re.compile(rf"{_KANJI_NUMBER.pattern}(?=条|丁目|番|号|線)")
MAX_ADDRESS_LENGTH = 200


def parse_address(
    text: Answer,
    *,
    today: dt.date,
    language: str = "ja",
    asahikawa_only: bool = False,
    max_length: int = MAX_ADDRESS_LENGTH,
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
    raw = _text_of(text)
    said = "" if raw is None else unicodedata.normalize("NFKC", raw).strip()
    said = re.sub(rf"^〒?\s*\d{{3}}[{_DASHES}]?\d{{4}}\s*", "", said)
    if not said:
        return _refuse("field_address_invalid")
    if len(said) > max_length:
        return _refuse("field_address_too_long", max=str(max_length))
    if not has_japanese(said):
        return _english_address(said)
    s = re.sub(r"\s+", "", said)
    s = re.sub(rf"(?<=\d)(?:[{_DASHES}]+|の)(?=\d)", "-", s)
    s = _KANJI_BEFORE_UNIT.sub(lambda m: str(kanji_to_int(m.group()) or m.group()), s)
    in_city = re.sub(r"^北海道", "", s)
    if in_city.startswith("旭川"):
        rest = re.sub(r"^旭川市?", "", in_city)
        address = f"旭川市{rest}"
    elif _OUTSIDE.match(in_city):
        if asahikawa_only:
            return _refuse("field_address_outside")
        rest = address = s
    else:
        rest, address = in_city, f"旭川市{in_city}"
    if not has_japanese(rest) or not _ADDRESS_MARK.search(rest):
        return _refuse("field_address_incomplete")
    return _accept(address, address)


def _english_address(said: str) -> Parsed:
    """A romanised address: kept as written, once it has a number."""
    s = re.sub(r"\s+", " ", said)
    if not re.search(r"\d", s) or not re.search(r"[A-Za-z]{2}", s):
        return _refuse("field_address_incomplete")
    return _accept(s, s)


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
    text: Answer, *, today: dt.date, language: str = "ja", asahikawa_only: bool = False
) -> Parsed:
    """A map location from the channel (``{latitude, longitude, address?}``), or a typed address.

    The value is ``{"latitude", "longitude", "address"}``; a typed address has no coordinates.

    Args:
        asahikawa_only: refuse a point outside a generous box around the city, or a typed
            address in another municipality.
    """
    if isinstance(text, str) or not any(k in text for k in ("latitude", "lat")):
        raw = _text_of(text)
        if raw is None:
            return _refuse("field_location_invalid")
        typed = parse_address(raw, today=today, language=language, asahikawa_only=asahikawa_only)
        if not typed.ok:
            return typed
        return _accept(
            {"latitude": None, "longitude": None, "address": typed.value}, typed.display
        )
    lat = _coordinate(text, "latitude", "lat")
    lon = _coordinate(text, "longitude", "lon", "lng")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return _refuse("field_location_invalid")
    inside = not asahikawa_only or (
        LATITUDE_RANGE[0] <= lat <= LATITUDE_RANGE[1]
        and LONGITUDE_RANGE[0] <= lon <= LONGITUDE_RANGE[1]
    )
    if not inside:
        return _refuse("field_location_outside")
    address = text.get("address")
    address = address.strip() if isinstance(address, str) and address.strip() else None
    point = f"{lat:.5f}, {lon:.5f}"
    shown = address or (
        f"Map location ({point})" if _english(language) else f"地図の位置（{point}）"
    )
    value = {"latitude": round(lat, 6), "longitude": round(lon, 6), "address": address}
    return _accept(value, shown)


MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Images a browser would run as a document: never accepted as a photo.
_UNSAFE_IMAGE_TYPES = frozenset({"image/svg+xml"})
_SKIP = frozenset(map(_key, (
    "なし", "無し", "ない", "ないです", "ありません", "なしです", "なしで", "不要", "いらない",
    "いいえ", "スキップ", "パス", "skip", "none", "no", "nothing", "pass", "n/a",
)))  # fmt: skip


def is_skip(text: str) -> bool:
    """Whether an answer declines an optional step (なし, スキップ, skip, none …)."""
    return _key(text) in _SKIP


def _megabytes(size: int) -> str:
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.0f} MB" if megabytes == int(megabytes) else f"{megabytes:.1f} MB"


def parse_photo(
    text: Answer,
    *,
    today: dt.date,
    language: str = "ja",
    optional: bool = False,
    max_bytes: int = MAX_PHOTO_BYTES,
    max_count: int = 1,
) -> Parsed:
    """One photo from the channel (``{content_type, size, …}``); なし/skip when ``optional``.

    The value is the payload's plain fields (content type, size, the channel's file reference);
    the attachment store checks the real bytes again when it saves them.

    Args:
        max_count: how many photos the step takes; each arrives as its own message and is
            parsed alone, so the counting is the flow runner's (accepted here so that a step's
            validation options can be passed as they are).
    """
    en = _english(language)
    if isinstance(text, str) or "content_type" not in text:
        raw = _text_of(text)
        if optional and raw is not None and is_skip(raw):
            return _accept(None, "No photo" if en else "写真なし")
        return _refuse("field_photo_missing")
    content_type = str(text.get("content_type") or "").split(";")[0].strip().lower()
    if not content_type.startswith("image/") or content_type in _UNSAFE_IMAGE_TYPES:
        return _refuse("field_photo_type")
    raw_size = text.get("size")
    size = raw_size if isinstance(raw_size, int) and not isinstance(raw_size, bool) else None
    if size is not None and not 0 < size <= max_bytes:
        return _refuse("field_photo_size", max=_megabytes(max_bytes))
    value = {
        k: v
        for k, v in text.items()
        if isinstance(k, str) and (v is None or isinstance(v, str | int | float | bool))
    }
    value["content_type"] = content_type
    if size is None:
        return _accept(value, "1 photo" if en else "写真 1枚")
    return _accept(
        value, f"1 photo ({_megabytes(size)})" if en else f"写真 1枚（{_megabytes(size)}）"
    )


# --- the registry ------------------------------------------------------------------------------

PARSERS: dict[str, Callable[..., Parsed]] = {
    "yes_no": parse_yes_no,
    "choice": parse_choice,
    "text": parse_text,
    "number": parse_number,
    "date": parse_date,
    "time_slot": parse_time_slot,
    "postal_code": parse_postal_code,
    "phone": parse_phone,
    "email": parse_email,
    "address": parse_address,
    "location": parse_location,
    "photo": parse_photo,
}

_COMMON_PARAMETERS = frozenset({"text", "today", "language"})


def option_names(field_type: str) -> frozenset[str]:
    """The options a step of this type may set (for validating flow data when it loads).

    Raises:
        KeyError: for an unknown type.
    """
    parameters = inspect.signature(PARSERS[field_type]).parameters
    return frozenset(parameters) - _COMMON_PARAMETERS


_EXAMPLES: dict[str, tuple[str, str]] = {  # (ja, en)
    "yes_no": ("「はい」か「いいえ」でお答えください。", 'Please answer "yes" or "no".'),
    "choice": (
        "例：1（番号）、またはボタンを押してください。",
        "e.g. 1 (the number), or tap a button.",
    ),
    "text": (
        "例：6条通9丁目の歩道の街路灯が消えています",
        "e.g. The street light on the pavement is out",
    ),
    "number": ("例：3、三つ", "e.g. 3"),
    "date": ("例：12月5日、来週の月曜", "e.g. Dec 5, next Monday"),
    "time_slot": ("例：午前、午後、10時", "e.g. morning, afternoon, 10am"),
    "postal_code": ("例：070-0031", "e.g. 070-0031"),
    "phone": ("例：090-1234-5678、0166-XX-XXXX", "e.g. 090-1234-5678, 0166-XX-XXXX"),
    "email": ("例：taro@example.jp", "e.g. taro@example.jp"),
    "address": (
        "例：旭川市6条通9丁目、神居3条1丁目、末広5-2-3",
        "e.g. 旭川市6条通9丁目, 6-jo-dori 9-chome",
    ),
    "location": (
        "例：位置情報を送る、または「旭川市4条西2丁目」のように住所を入力",
        "e.g. share your location, or type an address such as 4-jo Nishi 2-chome",
    ),
    "photo": (
        "例：スマートフォンで撮った写真を1枚送る",
        "e.g. send one photo taken with your phone",
    ),
}


def example(field_type: str, language: str = "ja") -> str:
    """A short example answer for a re-ask, e.g. ``例：12月5日、来週の月曜``.

    Raises:
        KeyError: for an unknown type.
    """
    ja, en = _EXAMPLES[field_type]
    return en if _english(language) else ja
