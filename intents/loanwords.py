"""Loanwords typed in hiragana (そふぁ, ぺっとぼとる) read as their katakana form.

Sudachi knows ソファ and ペットボトル but splits そふぁ into particles and fragments, so a
kana-only message loses its topic. Before analysis, each hiragana run is scanned left to right
for the longest stretch whose katakana form is a dictionary loanword — a common noun whose
normalized form is itself katakana (ソファー, ボトル, not 新制 or 箪笥) — and which is not
also a native word in hiragana (いくら stays 幾ら, not イクラ).
"""

from __future__ import annotations

import re
from functools import lru_cache

from sudachipy import Dictionary

_HIRAGANA_RUN = re.compile(r"[\u3041-\u3096ー]{3,}")
_KATAKANA = re.compile(r"^[\u30a1-\u30faー]+$")
_SHIFT = 0x60
# Shorter stretches, and three-kana ones without a long vowel or small kana, are too often a
# piece of native words (しんせ in しんせい, のいえ in ははのいえ).
MIN_LENGTH = 3
PLAIN_LENGTH = 4
MAX_LENGTH = 12
_SYMBOLS = ("補助記号", "空白")
_LOAN_MARKS = re.compile(r"[ーぁぃぅぇぉっゃゅょゎ]")


def to_katakana(text: str) -> str:
    """Fold hiragana to katakana (そふぁ -> ソファ); other characters are kept."""
    return "".join(chr(ord(c) + _SHIFT) if "\u3041" <= c <= "\u3096" else c for c in text)


@lru_cache(maxsize=1)
def sudachi_dictionary() -> Dictionary:
    """The Sudachi core dictionary, loaded once for the analyzer and the loanword lookup."""
    return Dictionary(dict="core")


@lru_cache(maxsize=65536)
def _is_loanword(hiragana: str) -> bool:
    dictionary = sudachi_dictionary()
    loan = any(
        m.part_of_speech()[:2] == ("名詞", "普通名詞") and _KATAKANA.match(m.normalized_form())
        for m in dictionary.lookup(to_katakana(hiragana))
    )
    if not loan:
        return False
    native = (m for m in dictionary.lookup(hiragana) if m.part_of_speech()[0] not in _SYMBOLS)
    return not any(not _KATAKANA.match(m.normalized_form()) for m in native)


@lru_cache(maxsize=65536)
def _is_native(hiragana: str) -> bool:
    """A dictionary word written in hiragana that is not a loanword (びっくり, not ビック)."""
    found = sudachi_dictionary().lookup(hiragana)
    return any(
        m.part_of_speech()[0] not in _SYMBOLS and not _KATAKANA.match(m.normalized_form())
        for m in found
    )


def _inside_native(run: str, i: int, length: int) -> bool:
    """Whether a longer native word starts where the loanword would (びっく|り in びっくり)."""
    longest = min(MAX_LENGTH, len(run) - i)
    return any(_is_native(run[i : i + n]) for n in range(length + 1, longest + 1))


def _plausible(piece: str) -> bool:
    return piece[0] != "ー" and (len(piece) >= PLAIN_LENGTH or bool(_LOAN_MARKS.search(piece)))


@lru_cache(maxsize=65536)  # pure; the same kana runs (ので, ことは) come in every message
def _fold_run(run: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(run):
        for length in range(min(MAX_LENGTH, len(run) - i), MIN_LENGTH - 1, -1):
            piece = run[i : i + length]
            if _plausible(piece) and _is_loanword(piece) and not _inside_native(run, i, length):
                out.append(to_katakana(piece))
                i += length
                break
        else:
            out.append(run[i])
            i += 1
    return "".join(out)


def katakana_loanwords(text: str) -> str:
    """``text`` with hiragana loanwords written in katakana.

    >>> katakana_loanwords("そふぁすてたい ぺっとぼとる")
    'ソファすてたい ペットボトル'
    """
    return _HIRAGANA_RUN.sub(lambda m: _fold_run(m.group(0)), text)
