from __future__ import annotations

import pytest

from intents.normalize import (
    fold_small_kana,
    looks_english,
    normalize,
    strip_endings,
    to_hiragana,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ｺﾞﾐの収集日ですか？", "ごみの収集日"),
        ("ゴミ", "ごみ"),
        ("ＭＹナンバー　カード", "myなんばー かーど"),
        ("粗大ごみを出したいのですが", "粗大ごみを出"),
        ("住民票を教えてください！", "住民票"),
        ("ｼｭｰｼｭｰﾋﾞ", "しゅーしゅーび"),
        ("じょせつ〜", "じょせつー"),
        ("tab\there\x00x", "tab here x"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_kana_folding_is_reversible_in_meaning() -> None:
    assert to_hiragana("マイナンバーカード") == "まいなんばーかーど"
    assert fold_small_kana("しゃっきん") == "しやつきん"


def test_endings_are_removed_repeatedly() -> None:
    assert strip_endings("申し込みしたいのですが") == "申し込み"


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("How do I sort garbage?", True),
        ("ごみの分け方", False),
        ("マイナンバー card", False),
        ("123", False),
    ],
)
def test_looks_english(text: str, english: bool) -> None:
    assert looks_english(text) is english
