"""The parser of each step type, its options, examples and re-asks."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.procedures.parsers import (
    ERROR_KEYS,
    PARSERS,
    Parsed,
    example,
    option_names,
    parse_address,
    parse_date,
    parse_number,
    parse_photo,
    parse_text,
)
from knowledge.flow_schema import VALIDATION_FOR
from knowledge.schema import Text
from tests.procedures.parsers.helpers import (
    HALVES,
    ITEMS,
    MB,
    MONDAY,
    TODAY,
    WEDNESDAY,
)

# --- the registry, examples and re-asks --------------------------------------------------------
FLOW_MESSAGES = Path(__file__).resolve().parents[3] / "knowledge/system/flow_messages.yaml"

TYPE_OPTIONS: dict[str, dict[str, Any]] = {
    "choice": {"choices": ITEMS},
    "time_slot": {"slots": HALVES},
}
ODD_ANSWERS: list[Any] = ["", " ", "\x00", "？？？", "あ" * 5000, {}, {"text": 5}, {"size": "x"}]


@pytest.mark.parametrize("field_type", sorted(PARSERS))
@pytest.mark.parametrize("answer", ODD_ANSWERS)
def test_no_answer_makes_a_parser_fail(field_type: str, answer: Any) -> None:
    result = PARSERS[field_type](answer, today=TODAY, **TYPE_OPTIONS.get(field_type, {}))
    assert result.ok is False or field_type in ("text", "name")  # free text takes anything
    assert result.error_key is None or result.error_key in ERROR_KEYS


@pytest.mark.parametrize("field_type", sorted(PARSERS))
@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_type_has_an_example_in_both_languages(field_type: str, language: str) -> None:
    text = example(field_type, language)
    assert text
    assert ("例" in text) == (language == "ja") or field_type == "yes_no"


def test_options_of_each_type_are_listed() -> None:
    assert option_names("date") == {"min_days_ahead", "max_days_ahead", "weekdays_only"}
    assert option_names("choice") == {"choices", "multiple"}
    assert option_names("photo") == {"optional", "max_bytes", "max_count"}
    assert option_names("phone") == frozenset()


@pytest.mark.parametrize("field_type", sorted(VALIDATION_FOR))
def test_every_validation_a_flow_may_set_is_an_option(field_type: str) -> None:
    assert VALIDATION_FOR[field_type] <= option_names(field_type)


def _flow_messages() -> dict[str, Text]:
    data = yaml.safe_load(FLOW_MESSAGES.read_text(encoding="utf-8"))
    assert set(data) == {"messages"}
    return {key: Text.model_validate(value) for key, value in data["messages"].items()}


def test_every_re_ask_has_japanese_and_english_text() -> None:
    assert set(_flow_messages()) == ERROR_KEYS


REFUSALS = [
    parse_text("あ" * 30, today=TODAY, max_length=20),
    parse_text("あ", today=TODAY, min_length=5),
    parse_number("0", today=TODAY, min_value=1),
    parse_number("99", today=TODAY, max_value=10),
    parse_address("あ" * 30, today=TODAY, max_length=20),
    parse_date("2026/12/1", today=MONDAY, min_days_ahead=0),
    parse_date("明日", today=MONDAY, min_days_ahead=3),
    parse_date("2027/6/1", today=MONDAY, max_days_ahead=30),
    parse_date("明日", today=MONDAY, weekdays_only=True),
    parse_date("12月5日（金）", today=WEDNESDAY),
    parse_photo({"content_type": "image/png", "size": 20 * MB}, today=TODAY),
]


@pytest.mark.parametrize("result", REFUSALS, ids=lambda r: r.error_key)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_re_asks_fill_in_every_placeholder(result: Parsed, language: str) -> None:
    assert result.error_key is not None
    template = _flow_messages()[result.error_key].get(language)
    text = template.format(example="", **result.params)
    assert "{" not in text
    for name in _placeholders(template) - {"example"}:
        assert result.params[name] in text


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_re_asks_use_only_known_placeholders() -> None:
    known = {"example", "min", "max", "length", "date", "earliest", "latest"}
    for key, text in _flow_messages().items():
        for language in ("ja", "en"):
            assert _placeholders(text.get(language)) <= known, key
