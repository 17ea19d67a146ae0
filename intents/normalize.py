"""Japanese text normalization: pure, table-driven ``str -> str`` functions.

>>> normalize("ｺﾞﾐの収集日ですか？")
'ごみの収集日'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Katakana (ァ U+30A1 … ヶ U+30F6) sits exactly 0x60 above the hiragana it matches.
_KATA_START, _KATA_END, _KANA_SHIFT = 0x30A1, 0x30F6, 0x60

_SMALL_KANA = str.maketrans("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ")

# Long-vowel marks and dashes people type after kana, all folded to ー.
_DASHES = re.compile(r"(?<=[\u3041-\u30ff])[\-‐‑‒–—―−─━~〜～]")

# Politeness and request endings that carry no topic; longest first (matched at the end).
_ENDINGS = (
    "を教えていただけないでしょうか",
    "を教えていただけますか",
    "を教えていただきたいです",
    "について教えてください",
    "について知りたいです",
    "について知りたい",
    "を教えてください",
    "を教えて下さい",
    "を知りたいのですが",
    "したいのですが",
    "したいんですが",
    "したいんだけど",
    "したいんですけど",
    "したいです",
    "したい",
    "教えてください",
    "教えて下さい",
    "教えて",
    "でしょうか",
    "ですか",
    "ますか",
    "のですが",
    "んですが",
    "んですけど",
    "んだけど",
    "ください",
    "下さい",
    "ですが",
    "ですけど",
    "です",
    "ます",
    "かな",
    "よね",
    "ね",
)
_ENDING_RE = re.compile("(?:" + "|".join(map(re.escape, _ENDINGS)) + r")$")

_PUNCT_RE = re.compile(r"[\s\u3000!-/:-@\[-`{-~、。・「」『』【】（）〔〕［］｛｝〈〉《》…‥！？]+")
_CONTROL_RE = re.compile(r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\ufeff]")
_ASCII_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)*")
_JAPANESE_RE = re.compile(r"[\u3041-\u30ff\u3400-\u9fff\uf900-\ufaff]")


_APOSTROPHES = str.maketrans("\u2019\u2018\u02bc", "'''")
_TO_HIRAGANA = {code: code - _KANA_SHIFT for code in range(_KATA_START, _KATA_END + 1)}


def to_hiragana(text: str) -> str:
    """Fold katakana to hiragana (ゴミ -> ごみ); other characters are kept."""
    return text.translate(_TO_HIRAGANA)


def fold_small_kana(text: str) -> str:
    """Fold small kana to their full-size form (しゃ and しや compare equal)."""
    return text.translate(_SMALL_KANA)


def clean(text: str) -> str:
    """NFKC, lowercase, control characters dropped, dashes after kana made ー, typographic
    apostrophes made ' (phones type I’m and don’t)."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL_RE.sub(" ", text).lower().translate(_APOSTROPHES)
    return _DASHES.sub("ー", text)


def strip_endings(text: str) -> str:
    """Remove trailing politeness/request endings, repeatedly (…したいのですが -> …)."""
    previous = None
    while previous != text:
        previous = text
        text = _ENDING_RE.sub("", text).rstrip()
    return text


@lru_cache(maxsize=4096)  # pure; the same trigger phrases are compared on every message
def normalize(text: str) -> str:
    """Canonical form used for rules and display keys.

    NFKC + lowercase + kana folded to hiragana + punctuation to single spaces + politeness
    endings removed.
    """
    text = to_hiragana(clean(text))
    parts = [strip_endings(p) for p in _PUNCT_RE.split(text)]
    return " ".join(p for p in parts if p)


def ascii_words(text: str) -> list[str]:
    """Lowercase ASCII words of a (cleaned) text."""
    return _ASCII_WORD_RE.findall(text)


def has_japanese(text: str) -> bool:
    return _JAPANESE_RE.search(text) is not None


def looks_english(text: str) -> bool:
    """True when a message is written in English (letters, no Japanese script)."""
    cleaned = clean(text)
    return not has_japanese(cleaned) and len(ascii_words(cleaned)) >= 1
