"""Choices: one or several options named by label, number (2, ②, 2番) or a close spelling."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from typing import Any

from rapidfuzz import fuzz

from bot.procedures.parsers.base import (
    Answer,
    Option,
    Parsed,
    accept,
    fold_key,
    option,
    pick_label,
    refuse,
    text_of,
    texts_or_shipped,
)
from bot.procedures.parsers.numbers import kanji_digits
from intents.normalize import clean, normalize
from knowledge.system import ParserTexts

FUZZY_THRESHOLD = 85


_ORDINAL = re.compile(r"^(\d{1,2})(?:番目?|つ目|個目|\.|\)|番の?)?$")


def _fold_labels(labels: Sequence[str]) -> list[str]:
    """Normalized labels and their parts (ベッド・マットレス is also ベッド and マットレス)."""
    parts = [part for label in labels for part in re.split(r"[・/／、,]", label) if part]
    return [normalize(label) for label in (*labels, *parts)]


def match_choice(raw: str, options: list[Option]) -> int | str:
    """Index of the option the answer names, or an error key."""
    said = normalize(raw)
    if not said:
        return "field_choice_invalid"
    folded = [_fold_labels(labels) for _, labels in options]
    exact = {i for i, (value, _) in enumerate(options) if said in (*folded[i], value.lower())}
    if len(exact) == 1:
        return exact.pop()
    number = _ORDINAL.match(kanji_digits(fold_key(raw)))
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


def _match_many(raw: str, options: list[Option]) -> list[int] | str:
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
        one = match_choice(token, options)
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
    texts: ParserTexts | None = None,
) -> Parsed:
    """One of ``choices``: by label, by number (2, ２, ②, 2番), or by a close spelling.

    Args:
        choices: ``(value, label, label…)`` tuples (labels ``ja`` first, then ``en``, then other
            ways of saying it), or mappings/objects with ``value``, ``label`` (text or
            ``{ja, en}``) and optional ``keywords``.
        multiple: several may be named (1と3, ソファとベッド); the value is then a list.
    """
    raw = text_of(text)
    options = [option(choice) for choice in choices]
    if raw is None or not options:
        return refuse("field_choice_invalid")
    found = _match_many(raw, options) if multiple else match_choice(raw, options)
    if isinstance(found, str):
        return refuse(found)
    if isinstance(found, int):
        value, labels = options[found]
        return accept(value, pick_label(labels, language))
    shown = [pick_label(options[i][1], language) for i in found]
    echoes = texts_or_shipped(texts)
    return accept(
        [options[i][0] for i in found],
        functools.reduce(lambda a, b: echoes.echo("list", language, first=a, next=b), shown),
    )
