"""Messages in kana only and in English find the entry a citizen means."""

from __future__ import annotations

import pytest

from bot.knowledge_service import Knowledge
from intents.analyzer import Analyzer, Synonyms, Vocabulary
from intents.kana_words import load_kana_words, written_kana_words
from intents.loanwords import katakana_loanwords


def top3(knowledge: Knowledge, text: str) -> list[str]:
    return [c.entry_id for c in knowledge.rank(text, k=3)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("そふぁ捨てたい", "proc.bulky_waste_request"),
        ("べっど すてたい", "proc.bulky_waste_request"),
        ("はろーとれーにんぐ　もうしこみ", "faq.employment.vocational_training"),
        ("じゅうみんぜい いくら", "faq.tax.resident_tax_basics"),
        ("でんち どこにすてる", "faq.environment.hazardous_items"),
    ],
)
def test_a_word_typed_in_kana_is_among_the_first_three(
    knowledge: Knowledge, text: str, expected: str
) -> None:
    assert expected in top3(knowledge, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("そふぁすてたい", "ソファすてたい"),
        ("ぺっとぼとる　だしかた", "ペットボトル　だしかた"),
        ("まいなんばーかーど しんせい", "マイナンバーカード しんせい"),
        # native words stay as typed: いくら is 幾ら, not イクラ; しんせ is not シンセ
        ("じゅうみんぜい いくら", "じゅうみんぜい いくら"),
        ("ははのいえ ありがとうございます", "ははのいえ ありがとうございます"),
        # nor is the start of a longer native word: びっくり is not ビック+り
        ("びっくりしました", "びっくりしました"),
        ("もらえなかったんだけど", "もらえなかったんだけど"),
    ],
)
def test_only_loanwords_are_read_in_katakana(text: str, expected: str) -> None:
    assert katakana_loanwords(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("じょせつ こない", "除雪 こない"),
        ("でんちどこにすてる", "電池どこにすてる"),
        ("てんしゅつとどけ だしたい", "転出とどけ だしたい"),
        # a run after kanji is okurigana and particles, not a word: して|い|ない, not 指定ない
        ("相談していない", "相談していない"),
        ("していない", "していない"),
        # when the rest of the run is not a particle or a verb, the word may be longer
        ("じゅうみんぜい いくら", "じゅうみんぜい いくら"),
    ],
)
def test_a_knowledge_word_typed_in_hiragana_is_read_as_written(text: str, expected: str) -> None:
    assert written_kana_words(text, load_kana_words()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("moving in registration", "faq.registry.moving_in"),
        ("how to seperate garbage", "faq.environment.sorting"),
        ("i want throw away big sofa", "proc.bulky_waste_request"),
        # Japanese names of procedures typed in Latin letters
        ("sodai gomi how to throw", "proc.bulky_waste_request"),
        ("zairyu card address", "faq.registry.foreign_resident_address"),
        ("juminzei how much", "faq.tax.resident_tax_basics"),
        ("hoikuen application", "proc.nursery_application"),
        ("hokensho", "faq.insurance_pension.myna_hokensho"),
        ("boshi techo", "faq.health.maternal_handbook"),
        ("my grandmother passed away, what paperwork", "faq.registry.after_death_procedures"),
    ],
)
def test_an_english_question_ranks_its_entry_first(
    knowledge: Knowledge, text: str, expected: str
) -> None:
    assert top3(knowledge, text)[0] == expected


def test_moving_out_is_not_answered_with_moving_in(knowledge: Knowledge) -> None:
    ranked = top3(knowledge, "moving out to Sapporo notification")
    assert ranked[0] in {"faq.registry.moving_out", "proc.move_out_online"}
    assert "faq.registry.moving_out" in ranked
    assert ranked[0] != "faq.registry.moving_in"


def test_moving_in_and_moving_out_are_different_words() -> None:
    analyzer = Analyzer(vocabulary=Vocabulary(phrases=("move in", "move out")))
    moving_in = analyzer.analyze("moving in").english
    moving_out = analyzer.analyze("Moving out of the city").english
    assert "move_in" in moving_in
    assert "move_out" not in moving_in
    assert "move_out" in moving_out
    assert "move_in" not in moving_out
    assert analyzer.analyze("moving into the house").english == ("move", "hous")


def test_an_english_synonym_replaces_whole_words_only() -> None:
    synonyms = Synonyms([["certificate", "cert"], ["elderly", "aged"]])
    assert synonyms.apply("cert of residence") == "certificate of residence"
    assert synonyms.apply("certificate of residence") == "certificate of residence"
    assert synonyms.apply("my car was damaged") == "my car was damaged"


@pytest.mark.parametrize(
    "text",
    ["I’m moving, I don’t know what to do", "Hi, I'm moving, I don't know what to do"],
)
def test_contractions_and_greetings_are_not_topic_words(text: str) -> None:
    assert Analyzer().analyze(text).english == ("move",)


@pytest.mark.parametrize(
    "text",
    ["そうなんだ", "なるほど", "うんうん", "すみません", "失礼します", "よろしくお願いいたします"],
)
def test_a_kana_reply_still_has_no_content(knowledge: Knowledge, text: str) -> None:
    assert knowledge.rank(text) == []


def test_what_happened_and_when_are_secondary_words_of_a_message() -> None:
    analyzer = Analyzer()
    text = "64歳の会社員です。先月の夜中に熱が出ました。介護保険料は変わりますか"
    secondary = analyzer.analyze_query(text).secondary
    assert set(secondary) == {"歳", "先月", "夜中", "出る", "変わる"}
    assert analyzer.analyze(text).secondary == ()  # knowledge texts do not keep them


def test_the_kana_word_list_covers_the_shipped_knowledge() -> None:
    """A noun the knowledge uses, typed in hiragana, is found: the generated list is current
    (after editing knowledge files: ``python -m bench.kana_words --write``)."""
    from bench.kana_words import kana_words

    assert load_kana_words() == kana_words()
