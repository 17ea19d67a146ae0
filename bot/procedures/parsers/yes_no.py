"""Yes/no answers (はい, うん, 結構です, yes, ok …) and declining an optional step."""

from __future__ import annotations

import datetime as dt

from bot.procedures.parsers.base import (
    Answer,
    Parsed,
    accept,
    fold_key,
    refuse,
    text_of,
    texts_or_shipped,
    words,
)
from knowledge.system import ParserTexts

# fmt: off
_YES = frozenset(map(fold_key, (
    "はい", "はーい", "うん", "ええ", "そう", "そうです", "お願いします", "お願いいたします",
    "お願い", "おねがいします", "よろしくお願いします", "同意", "同意します", "同意する",
    "了解", "了解です",
    "りょうかい", "承知しました", "わかりました", "分かりました", "いいよ", "いいです", "大丈夫",
    "大丈夫です", "だいじょうぶ", "ある", "あります", "あり", "する", "します", "yes", "y", "yeah",
    "yep", "ok", "okay", "おk", "オッケー", "オーケー", "sure", "agree", "i agree", "of course",
)))
_NO = frozenset(map(fold_key, (
    "いいえ", "いえ", "いや", "いいや", "ううん", "結構です", "けっこうです", "結構", "けっこう",
    "いらない", "いらないです", "いりません", "不要", "不要です", "なし", "無し", "ない",
    "ないです", "ありません",
    "しない", "しません", "だめ", "同意しない", "同意しません", "違います", "ちがいます", "違う",
    "ちがう", "やめておきます", "no", "n", "nope", "nah", "disagree", "i disagree",
)))
# Said alone these can mean either ("大丈夫です" is often a polite refusal); a consent step asks
# again instead of guessing.
_UNCLEAR = frozenset(map(fold_key, (
    "大丈夫", "大丈夫です", "だいじょうぶ", "だいじょうぶです", "いいです", "結構", "結構です",
    "けっこう", "けっこうです",
)))
# An answer that opens with one of these means it, whatever follows (いいえ、大丈夫です).
_LEADING = frozenset(map(fold_key, (
    "はい", "いいえ", "うん", "ううん", "いや", "いえ", "yes", "no",
)))
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
    text: Answer,
    *,
    today: dt.date,
    language: str = "ja",
    strict: bool = False,
    texts: ParserTexts | None = None,
) -> Parsed:
    """はい/いいえ, うん, お願いします, 結構です, yes/no/ok … as ``True``/``False``.

    Args:
        strict: refuse words that can mean either (大丈夫, 結構です) — for consent steps.
    """
    raw = text_of(text)
    if raw is None:
        return refuse("field_yes_no_invalid")
    verdict = _yes_no_word(fold_key(raw), strict)
    said = words(raw)
    if verdict is None and said and fold_key(said[0]) in _LEADING:
        verdict = _yes_no_word(fold_key(said[0]), strict=False)
    if verdict is None:  # "お願いします、はい", "yes please"; "同意、しない" is unclear
        verdicts = {_yes_no_word(w, strict) for w in said} - {None}
        verdict = verdicts.pop() if len(verdicts) == 1 else ("unclear" if verdicts else None)
    if verdict == "unclear":
        return refuse("field_yes_no_unclear")
    if verdict is None:
        return refuse("field_yes_no_invalid")
    answer = bool(verdict)
    labels = [texts_or_shipped(texts).echo(word, language) for word in ("yes", "no")]
    return accept(answer, labels[0] if answer else labels[1])


_SKIP = frozenset(map(fold_key, (
    "なし", "無し", "ない", "ないです", "ありません", "なしです", "なしで", "不要", "いらない",
    "いいえ", "スキップ", "パス", "skip", "none", "no", "nothing", "pass", "n/a",
)))  # fmt: skip


def is_skip(text: str) -> bool:
    """Whether an answer declines an optional step (なし, スキップ, skip, none …)."""
    return fold_key(text) in _SKIP
