"""Choices: one or several options by label, number or a close spelling."""

from __future__ import annotations

from typing import Any

import pytest

from bot.procedures.parsers import (
    parse_choice,
    parse_time_slot,
)
from knowledge.flow_schema import Option
from tests.procedures.parsers.helpers import (
    ITEMS,
    TODAY,
    Refused,
    check,
)

# --- choice ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("ソファ", "sofa"),
        ("ｿﾌｧ", "sofa"),
        ("そふぁ", "sofa"),
        ("ソファです", "sofa"),
        ("ソファー", "sofa"),
        ("Sofa", "sofa"),
        ("sofa", "sofa"),
        ("ベット", "bed"),
        ("つくえ", "desk"),
        ("2", "bed"),
        ("２", "bed"),
        ("②", "bed"),
        ("2番", "bed"),
        ("二番", "bed"),
        ("3.", "desk"),
        ("燃えないごみ", "unburnable"),
        ("燃えるごみです", "burnable"),
        ("もえないごみ", Refused("field_choice_invalid")),
        ("Non burnable waste", "unburnable"),
        ("6", Refused("field_choice_invalid")),
        ("0", Refused("field_choice_invalid")),
        ("冷蔵庫", Refused("field_choice_invalid")),
        ("ソファとベッド", Refused("field_choice_ambiguous")),
        ("", Refused("field_choice_invalid")),
    ],
)
def test_choice(answer: str, expected: Any) -> None:
    check(parse_choice(answer, today=TODAY, choices=ITEMS), expected)


BULKY = [
    {"value": "sofa", "label": {"ja": "ソファ", "en": "Sofa"}},
    {"value": "bed", "label": {"ja": "ベッド・マットレス", "en": "Bed or mattress"}},
    {"value": "table", "label": {"ja": "テーブル・机", "en": "Table or desk"}},
    {"value": "chair", "label": {"ja": "いす", "en": "Chair"}},
    {"value": "futon", "label": {"ja": "布団", "en": "Futon"}},
    {"value": "other", "label": {"ja": "その他", "en": "Something else"}},
]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("ソファ", ["sofa"]),
        ("マットレス", ["bed"]),
        ("2", ["bed"]),
        ("ソファとベッド", ["sofa", "bed"]),
        ("ベッドとソファ", ["sofa", "bed"]),
        ("ソファ、いす、布団", ["sofa", "chair", "futon"]),
        ("ソファとベッドをお願いします", ["sofa", "bed"]),
        ("1と3", ["sofa", "table"]),
        ("1,3", ["sofa", "table"]),
        ("１、３", ["sofa", "table"]),
        ("①③", ["sofa", "table"]),
        ("3 1 3", ["sofa", "table"]),
        ("sofa and chair", ["sofa", "chair"]),
        ("その他", ["other"]),
        ("ソファと冷蔵庫", Refused("field_choice_invalid")),
        ("1と7", Refused("field_choice_invalid")),
        ("なんでも", Refused("field_choice_invalid")),
    ],
)
def test_multiple_choice(answer: str, expected: Any) -> None:
    check(parse_choice(answer, today=TODAY, choices=BULKY, multiple=True), expected)


def test_multiple_choice_echoes_every_label() -> None:
    result = parse_choice("1と4", today=TODAY, language="en", choices=BULKY, multiple=True)
    assert result.display == "Sofa, Chair"
    assert (
        parse_choice("1と4", today=TODAY, choices=BULKY, multiple=True).display == "ソファ、いす"
    )


def test_choice_reads_the_options_of_a_flow_step() -> None:
    options = [Option.model_validate(choice) for choice in BULKY]
    result = parse_choice("ソファとマットレス", today=TODAY, choices=options, multiple=True)
    assert (result.value, result.display) == (["sofa", "bed"], "ソファ、ベッド・マットレス")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("10時", "morning"), ("昼から", "afternoon"), ("どちらでも", "any"), ("いつでも", "any")],
)
def test_time_slot_reads_the_options_of_a_flow_step(answer: str, expected: str) -> None:
    slots = [
        Option.model_validate({"value": "morning", "label": {"ja": "午前", "en": "Morning"}}),
        Option.model_validate({"value": "afternoon", "label": {"ja": "午後", "en": "Afternoon"}}),
        Option.model_validate({"value": "any", "label": {"ja": "いつでもよい", "en": "Any time"}}),
    ]
    check(parse_time_slot(answer, today=TODAY, slots=slots), expected)


def test_choice_close_to_two_labels_is_ambiguous() -> None:
    choices = [("main", "旭川市役所本庁舎"), ("annex", "旭川市役所総合庁舎")]
    result = parse_choice("旭川市役所庁舎", today=TODAY, choices=choices)
    check(result, Refused("field_choice_ambiguous"))


@pytest.mark.parametrize(
    ("choices", "language", "display"),
    [
        (ITEMS, "ja", "ベッド"),
        (ITEMS, "en", "Bed"),
        ([{"value": "bed", "label": {"ja": "ベッド", "en": "Bed"}}], "en", "Bed"),
        ([{"value": "bed", "label": "ベッド", "keywords": ["bed"]}], "ja", "ベッド"),
        (["bed"], "ja", "bed"),
    ],
)
def test_choice_echoes_the_label_in_the_citizens_language(
    choices: list[Any], language: str, display: str
) -> None:
    result = parse_choice("bed", today=TODAY, language=language, choices=choices)
    assert (result.value, result.display) == ("bed", display)
