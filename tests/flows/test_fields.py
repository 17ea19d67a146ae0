"""What a citizen's answer to a flow step becomes: the value stored, the echo, or the re-ask."""

from __future__ import annotations

import datetime as dt
import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.flows.fields import (
    ERROR_KEYS,
    PARSERS,
    Parsed,
    example,
    format_date,
    is_skip,
    kanji_to_int,
    option_names,
    parse_address,
    parse_choice,
    parse_date,
    parse_email,
    parse_location,
    parse_number,
    parse_phone,
    parse_photo,
    parse_postal_code,
    parse_text,
    parse_time_slot,
    parse_yes_no,
)
from knowledge.flow_schema import VALIDATION_FOR, Option
from knowledge.schema import Text

MONDAY = dt.date(2026, 12, 28)
SUNDAY = dt.date(2026, 12, 27)
WEDNESDAY = dt.date(2026, 12, 2)
TODAY = MONDAY
FLOW_MESSAGES = Path(__file__).resolve().parents[2] / "knowledge/system/flow_messages.yaml"


@dataclass(frozen=True)
class Refused:
    """The answer is refused with this re-ask."""

    key: str


def check(result: Parsed, expected: Any) -> None:
    if isinstance(expected, Refused):
        assert not result.ok, result
        assert result.error_key == expected.key
        assert result.value is None
    else:
        assert result.ok, result
        assert result.error_key is None
        assert result.value == expected
        json.dumps(result.value)  # stored in the application as JSON


# --- yes / no ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("はい", True),
        ("ハイ", True),
        ("ﾊｲ", True),
        ("はい。", True),
        ("は〜い", True),
        ("うん", True),
        ("ええ", True),
        ("お願いします", True),
        ("おねがいします", True),
        ("はい、お願いします", True),
        ("大丈夫です", True),
        ("同意します", True),
        ("yes", True),
        ("Ｙｅｓ", True),
        ("y", True),
        ("OK", True),
        ("ｏｋ！", True),
        ("オッケー", True),
        ("yes please", True),
        ("いいえ", False),
        ("イイエ", False),
        ("いや", False),
        ("結構です", False),
        ("いらないです", False),
        ("いりません", False),
        ("No", False),
        ("n", False),
        ("no thanks", False),
        ("いいえ、大丈夫です", False),
        ("いや、結構です", False),
        ("はい、大丈夫です", True),
        ("ok, no", Refused("field_yes_no_unclear")),
        ("たぶん", Refused("field_yes_no_invalid")),
        ("", Refused("field_yes_no_invalid")),
        ({"latitude": 43.7, "longitude": 142.3}, Refused("field_yes_no_invalid")),
    ],
)
def test_yes_no(answer: Any, expected: Any) -> None:
    check(parse_yes_no(answer, today=TODAY), expected)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("はい", True),
        ("同意します", True),
        ("いいえ", False),
        ("大丈夫です", Refused("field_yes_no_unclear")),
        ("結構です", Refused("field_yes_no_unclear")),
        ("いいです", Refused("field_yes_no_unclear")),
        ("はい、大丈夫です", True),
        ("いいえ、結構です", False),
    ],
)
def test_consent_does_not_guess_words_that_mean_either(answer: str, expected: Any) -> None:
    check(parse_yes_no(answer, today=TODAY, strict=True), expected)


@pytest.mark.parametrize(
    ("answer", "language", "display"),
    [
        ("うん", "ja", "はい"),
        ("結構です", "ja", "いいえ"),
        ("ok", "en", "Yes"),
        ("nope", "en", "No"),
    ],
)
def test_yes_no_is_echoed_plainly(answer: str, language: str, display: str) -> None:
    assert parse_yes_no(answer, today=TODAY, language=language).display == display


# --- choice ------------------------------------------------------------------------------------

ITEMS = [
    ("sofa", "ソファ", "Sofa"),
    ("bed", "ベッド", "Bed", "ベット"),
    ("desk", "机", "Desk", "つくえ"),
    ("burnable", "燃えるごみ", "Burnable waste"),
    ("unburnable", "燃えないごみ", "Non-burnable waste"),
]


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


# --- free text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "options", "expected"),
    [
        ("街路灯が消えています", {}, "街路灯が消えています"),
        ("  前後の空白  ", {}, "前後の空白"),
        ("ベル\x07が\x00混入", {}, "ベルが混入"),
        ("一行目\r\n二行目", {}, "一行目\n二行目"),
        ("上\n\n\n\n\n下", {}, "上\n\n下"),
        ("", {}, Refused("field_text_empty")),
        ("   \u3000 ", {}, Refused("field_text_empty")),
        ("\x00\x1b", {}, Refused("field_text_empty")),
        ("短い", {"min_length": 5}, Refused("field_text_too_short")),
        ("ちょうど五字", {"min_length": 5}, "ちょうど五字"),
        ("あ" * 21, {"max_length": 20}, Refused("field_text_too_long")),
        ("あ" * 20, {"max_length": 20}, "あ" * 20),
        ({"content_type": "image/jpeg", "size": 10}, {}, Refused("field_text_empty")),
    ],
)
def test_text(answer: Any, options: dict[str, Any], expected: Any) -> None:
    check(parse_text(answer, today=TODAY, **options), expected)


def test_too_long_text_says_the_limit_and_the_length() -> None:
    result = parse_text("あ" * 30, today=TODAY, max_length=20)
    assert dict(result.params) == {"max": "20", "length": "30"}


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("3", 3),
        ("３", 3),
        ("三", 3),
        ("十", 10),
        ("二十", 20),
        ("二十三", 23),
        ("百二十", 120),
        ("三個", 3),
        ("３個", 3),
        ("3つ", 3),
        ("一つ", 1),
        ("みっつ", 3),
        ("ミッツ", 3),
        ("5点", 5),
        ("2台", 2),
        ("約3個", 3),
        ("3個くらい", 3),
        ("1,000", 1000),
        ("three", 3),
        ("3 pieces", 3),
        ("0", 0),
        ("3.5", Refused("field_number_invalid")),
        ("-1", Refused("field_number_invalid")),
        ("二三", Refused("field_number_invalid")),
        ("十百", Refused("field_number_invalid")),
        ("3〜4個", Refused("field_number_invalid")),
        ("たくさん", Refused("field_number_invalid")),
        ("", Refused("field_number_invalid")),
    ],
)
def test_number(answer: str, expected: Any) -> None:
    check(parse_number(answer, today=TODAY), expected)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("1", 1),
        ("10", 10),
        ("0", Refused("field_number_too_small")),
        ("十一", Refused("field_number_too_large")),
    ],
)
def test_number_limits(answer: str, expected: Any) -> None:
    check(parse_number(answer, today=TODAY, min_value=1, max_value=10), expected)


@pytest.mark.parametrize(
    ("kanji", "number"), [("一", 1), ("十五", 15), ("三千五百", 3500), ("〇", 0), ("九十九", 99)]
)
def test_kanji_numerals(kanji: str, number: int) -> None:
    assert kanji_to_int(kanji) == number


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "today", "expected"),
    [
        # Western calendar
        ("2026年12月5日", WEDNESDAY, "2026-12-05"),
        ("2026/12/5", WEDNESDAY, "2026-12-05"),
        ("2026-12-05", WEDNESDAY, "2026-12-05"),
        ("２０２６／１２／５", WEDNESDAY, "2026-12-05"),
        ("2026.12.5", WEDNESDAY, "2026-12-05"),
        ("20261205", WEDNESDAY, "2026-12-05"),
        # Japanese eras and their boundaries
        ("令和8年12月5日", WEDNESDAY, "2026-12-05"),
        ("令和８年１２月５日", WEDNESDAY, "2026-12-05"),
        ("R8.12.5", WEDNESDAY, "2026-12-05"),
        ("r8/12/5", WEDNESDAY, "2026-12-05"),
        ("㋿8年12月5日", WEDNESDAY, "2026-12-05"),
        ("令和元年5月1日", WEDNESDAY, "2019-05-01"),
        ("令和1年5月1日", WEDNESDAY, "2019-05-01"),
        ("令和元年4月30日", WEDNESDAY, Refused("field_date_era")),
        ("令和0年5月1日", WEDNESDAY, Refused("field_date_era")),
        ("平成31年4月30日", WEDNESDAY, "2019-04-30"),
        ("H31.4.30", WEDNESDAY, "2019-04-30"),
        ("平成31年5月1日", WEDNESDAY, Refused("field_date_era")),
        ("平成元年1月8日", WEDNESDAY, "1989-01-08"),
        ("平成元年1月7日", WEDNESDAY, Refused("field_date_era")),
        ("昭和64年1月7日", WEDNESDAY, "1989-01-07"),
        ("平成30年12月31日", WEDNESDAY, "2018-12-31"),
        ("令和八年十二月五日", WEDNESDAY, "2026-12-05"),
        # month/day without a year: the next such date, rolling over the year end
        ("12/5", WEDNESDAY, "2026-12-05"),
        ("12月5日", WEDNESDAY, "2026-12-05"),
        ("１２月５日", WEDNESDAY, "2026-12-05"),
        ("十二月五日", WEDNESDAY, "2026-12-05"),
        ("12/2", WEDNESDAY, "2026-12-02"),
        ("12/1", WEDNESDAY, "2027-12-01"),
        ("1/5", MONDAY, "2027-01-05"),
        ("1月5日", MONDAY, "2027-01-05"),
        ("12/31", MONDAY, "2026-12-31"),
        ("2/29", MONDAY, "2028-02-29"),
        ("5日", MONDAY, "2027-01-05"),
        ("30日", MONDAY, "2026-12-30"),
        ("12月5日でお願いします", WEDNESDAY, "2026-12-05"),
        ("12月5日希望", WEDNESDAY, "2026-12-05"),
        ("12月5日(土)", WEDNESDAY, "2026-12-05"),
        ("12月5日（土曜日）", WEDNESDAY, "2026-12-05"),
        ("12月5日土曜", WEDNESDAY, "2026-12-05"),
        ("12月5日（金）", WEDNESDAY, Refused("field_date_weekday_mismatch")),
        # relative days
        ("今日", MONDAY, "2026-12-28"),
        ("本日", MONDAY, "2026-12-28"),
        ("明日", MONDAY, "2026-12-29"),
        ("あした", MONDAY, "2026-12-29"),
        ("アシタ", MONDAY, "2026-12-29"),
        ("あさって", MONDAY, "2026-12-30"),
        ("明後日", MONDAY, "2026-12-30"),
        ("しあさって", MONDAY, "2026-12-31"),
        ("3日後", MONDAY, "2026-12-31"),
        ("３日後", MONDAY, "2026-12-31"),
        ("10日後", MONDAY, "2027-01-07"),
        ("2週間後", MONDAY, "2027-01-11"),
        # weekdays: weeks run Monday to Sunday
        ("来週の月曜", SUNDAY, "2026-12-28"),
        ("来週の月曜", MONDAY, "2027-01-04"),
        ("来週月曜日", MONDAY, "2027-01-04"),
        ("らいしゅうのげつようび", MONDAY, "2027-01-04"),
        ("来週の金曜日", WEDNESDAY, "2026-12-11"),
        ("再来週の火曜", WEDNESDAY, "2026-12-15"),
        ("今週の金曜", WEDNESDAY, "2026-12-04"),
        ("今週の金曜", SUNDAY, "2026-12-25"),
        ("次の火曜", MONDAY, "2026-12-29"),
        ("今度の月曜", MONDAY, "2027-01-04"),
        ("月曜", MONDAY, "2027-01-04"),
        ("月曜日", SUNDAY, "2026-12-28"),
        ("水曜", WEDNESDAY, "2026-12-09"),
        ("金曜日に", WEDNESDAY, "2026-12-04"),
        # English
        ("today", MONDAY, "2026-12-28"),
        ("Tomorrow", MONDAY, "2026-12-29"),
        ("the day after tomorrow", MONDAY, "2026-12-30"),
        ("in 3 days", MONDAY, "2026-12-31"),
        ("next Monday", MONDAY, "2027-01-04"),
        ("next monday", SUNDAY, "2026-12-28"),
        ("Friday", WEDNESDAY, "2026-12-04"),
        ("monday next week", MONDAY, "2027-01-04"),
        ("Dec 5", WEDNESDAY, "2026-12-05"),
        ("December 5th", WEDNESDAY, "2026-12-05"),
        ("5 December", WEDNESDAY, "2026-12-05"),
        ("5th of Dec", WEDNESDAY, "2026-12-05"),
        ("Jan 5", MONDAY, "2027-01-05"),
        ("Sat, Dec 5, 2026", WEDNESDAY, "2026-12-05"),
        ("Fri, Dec 5, 2026", WEDNESDAY, Refused("field_date_weekday_mismatch")),
        # impossible and unreadable
        ("2月30日", MONDAY, Refused("field_date_impossible")),
        ("2/30", MONDAY, Refused("field_date_impossible")),
        ("2027年2月29日", MONDAY, Refused("field_date_impossible")),
        ("13月1日", MONDAY, Refused("field_date_impossible")),
        ("4月31日", MONDAY, Refused("field_date_impossible")),
        ("Feb 30", MONDAY, Refused("field_date_impossible")),
        ("32日", MONDAY, Refused("field_date_impossible")),
        ("そのうち", MONDAY, Refused("field_date_invalid")),
        ("来週", MONDAY, Refused("field_date_invalid")),
        ("5", MONDAY, Refused("field_date_invalid")),
        ("", MONDAY, Refused("field_date_invalid")),
        ({"content_type": "image/png"}, MONDAY, Refused("field_date_invalid")),
    ],
)
def test_date(answer: Any, today: dt.date, expected: Any) -> None:
    check(parse_date(answer, today=today), expected)


@pytest.mark.parametrize(
    ("answer", "language", "display"),
    [
        ("2026/12/5", "ja", "2026年12月5日（土）"),
        ("2026/12/5", "en", "Sat 5 Dec 2026"),
        ("来週の月曜", "ja", "2027年1月4日（月）"),
        ("next Monday", "en", "Mon 4 Jan 2027"),
        ("1/5", "en", "Tue 5 Jan 2027"),
    ],
)
def test_date_is_echoed_with_its_weekday(answer: str, language: str, display: str) -> None:
    assert parse_date(answer, today=MONDAY, language=language).display == display


@pytest.mark.parametrize(
    ("answer", "options", "expected"),
    [
        ("今日", {"min_days_ahead": 0}, "2026-12-28"),
        ("今日", {"min_days_ahead": 1}, Refused("field_date_too_soon")),
        ("明日", {"min_days_ahead": 1}, "2026-12-29"),
        ("あさって", {"min_days_ahead": 3}, Refused("field_date_too_soon")),
        ("2026/12/1", {"min_days_ahead": 0}, Refused("field_date_past")),
        ("今週の月曜", {"min_days_ahead": 0}, "2026-12-28"),
        ("2027/1/27", {"max_days_ahead": 30}, "2027-01-27"),
        ("2027/1/28", {"max_days_ahead": 30}, Refused("field_date_too_far")),
        ("12/1", {"max_days_ahead": 60}, Refused("field_date_too_far")),
        ("2026/12/1", {}, "2026-12-01"),
        # weekdays_only: the office's working days
        ("明日", {"weekdays_only": True}, Refused("field_date_closed")),  # 12/29, year-end break
        ("1/2", {"weekdays_only": True}, Refused("field_date_closed")),  # Saturday, year-end
        ("1/4", {"weekdays_only": True}, "2027-01-04"),
        ("1/9", {"weekdays_only": True}, Refused("field_date_closed")),  # Saturday
        ("1/11", {"weekdays_only": True}, Refused("field_date_closed")),  # 成人の日
        ("1/12", {"weekdays_only": True}, "2027-01-12"),
    ],
)
def test_date_limits(answer: str, options: dict[str, Any], expected: Any) -> None:
    check(parse_date(answer, today=MONDAY, **options), expected)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("12/5", "2026-12-05"),
        ("12月28日", "2026-12-28"),
        ("1/5", "2026-01-05"),
        ("5日", "2026-12-05"),
        ("月曜", "2026-12-21"),
        ("金曜日", "2026-12-25"),
        ("昨日", "2026-12-27"),
        ("きのう", "2026-12-27"),
        ("一昨日", "2026-12-26"),
        ("おととい", "2026-12-26"),
        ("3日前", "2026-12-25"),
        ("1週間前", "2026-12-21"),
        ("先週の金曜", "2026-12-25"),
        ("先週の月曜", "2026-12-21"),
        ("yesterday", "2026-12-27"),
        ("3 days ago", "2026-12-25"),
        ("last Friday", "2026-12-25"),
        ("今日", "2026-12-28"),
        ("明日", Refused("field_date_too_far")),
        ("2025/12/1", Refused("field_date_past")),
    ],
)
def test_when_did_it_happen_dates_look_back(answer: str, expected: Any) -> None:
    check(parse_date(answer, today=MONDAY, min_days_ahead=-365, max_days_ahead=0), expected)


def test_too_soon_date_names_the_earliest_date_allowed() -> None:
    result = parse_date("明日", today=MONDAY, min_days_ahead=3)
    assert result.params["earliest"] == "2026年12月31日（木）"
    assert result.params["date"] == "2026年12月29日（火）"


def test_weekday_mismatch_shows_the_date_as_it_is() -> None:
    result = parse_date("12月5日（金）", today=WEDNESDAY)
    assert result.params["date"] == "2026年12月5日（土）"


@pytest.mark.parametrize("day", [dt.date(2026, 12, 5), dt.date(2027, 1, 1), dt.date(2024, 2, 29)])
def test_displayed_dates_read_back_as_the_same_date(day: dt.date) -> None:
    shown = format_date(day, "ja").split("（")[0]
    assert parse_date(shown, today=MONDAY).value == day.isoformat()


# --- time slots --------------------------------------------------------------------------------

HALVES = [("morning", "午前", "Morning"), ("afternoon", "午後", "Afternoon")]
HOURS = [("early", "9時〜12時"), ("late", "13時〜16時"), ("any", "指定なし", "any time")]


@pytest.mark.parametrize(
    ("answer", "slots", "expected"),
    [
        ("午前", HALVES, "morning"),
        ("午前中", HALVES, "morning"),
        ("ごぜん", HALVES, "morning"),
        ("午後", HALVES, "afternoon"),
        ("ゴゴ", HALVES, "afternoon"),
        ("朝", HALVES, "morning"),
        ("朝一で", HALVES, "morning"),
        ("昼から", HALVES, "afternoon"),
        ("お昼過ぎ", HALVES, "afternoon"),
        ("昼前", HALVES, "morning"),
        ("AM", HALVES, "morning"),
        ("ＰＭ", HALVES, "afternoon"),
        ("Morning", HALVES, "morning"),
        ("10時", HALVES, "morning"),
        ("１０時", HALVES, "morning"),
        ("10:30", HALVES, "morning"),
        ("10am", HALVES, "morning"),
        ("14時", HALVES, "afternoon"),
        ("午後2時", HALVES, "afternoon"),
        ("2時", HALVES, "afternoon"),
        ("2pm", HALVES, "afternoon"),
        ("1", HALVES, "morning"),
        ("②", HALVES, "afternoon"),
        ("夕方", HALVES, "afternoon"),
        ("夜", HALVES, Refused("field_time_slot_invalid")),
        ("20時", HALVES, Refused("field_time_slot_invalid")),
        ("午前か午後", HALVES, Refused("field_time_slot_invalid")),
        ("どちらでも", HALVES, Refused("field_time_slot_invalid")),
        ("いつか", HALVES, Refused("field_time_slot_invalid")),
        ("10時", HOURS, "early"),
        ("13時", HOURS, "late"),
        ("午後", HOURS, "late"),
        ("12時半", HOURS, Refused("field_time_slot_invalid")),
        ("いつでも", HOURS, "any"),
        ("指定なし", HOURS, "any"),
    ],
)
def test_time_slot(answer: str, slots: list[tuple[str, ...]], expected: Any) -> None:
    check(parse_time_slot(answer, today=TODAY, slots=slots), expected)


def test_time_slot_is_echoed_by_its_label() -> None:
    assert parse_time_slot("10時", today=TODAY, slots=HALVES).display == "午前"
    assert parse_time_slot("10am", today=TODAY, language="en", slots=HALVES).display == "Morning"


# --- postal code -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "asahikawa_only", "expected"),
    [
        ("070-0031", True, "070-0031"),
        ("〒070-0031", True, "070-0031"),
        ("〒 070-0031", True, "070-0031"),
        ("0700031", True, "070-0031"),
        ("０７０－００３１", True, "070-0031"),
        ("〒０７０ー００３１", True, "070-0031"),
        ("070−0031", True, "070-0031"),
        ("078-8201", True, "078-8201"),
        ("060-0001", True, Refused("field_postal_outside")),
        ("060-0001", False, "060-0001"),
        ("100-0001", True, Refused("field_postal_outside")),
        ("070-003", True, Refused("field_postal_invalid")),
        ("0700-031", True, Refused("field_postal_invalid")),
        ("07000311", True, Refused("field_postal_invalid")),
        ("旭川", True, Refused("field_postal_invalid")),
        ("", True, Refused("field_postal_invalid")),
    ],
)
def test_postal_code(answer: str, asahikawa_only: bool, expected: Any) -> None:
    check(parse_postal_code(answer, today=TODAY, asahikawa_only=asahikawa_only), expected)


def test_postal_code_is_echoed_with_the_mark_in_japanese() -> None:
    assert parse_postal_code("0700031", today=TODAY).display == "〒070-0031"
    assert parse_postal_code("0700031", today=TODAY, language="en").display == "070-0031"


# --- phone -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("090-1234-5678", "090-1234-5678"),
        ("09012345678", "090-1234-5678"),
        ("080 1234 5678", "080-1234-5678"),
        ("070-1234-5678", "070-1234-5678"),
        ("０９０－１２３４－５６７８", "090-1234-5678"),
        ("+81 90 1234 5678", "090-1234-5678"),
        ("+81-90-1234-5678", "090-1234-5678"),
        ("+81 (0)90 1234 5678", "090-1234-5678"),
        ("0166-12-3456", "0166-12-3456"),
        ("0166123456", "0166-12-3456"),
        ("(0166)12-3456", "0166-12-3456"),
        ("+81-166-12-3456", "0166-12-3456"),
        ("電話：0166-12-3456", "0166-12-3456"),
        ("011-123-4567", "011-123-4567"),
        ("03-1234-5678", "03-1234-5678"),
        ("0312345678", "03-1234-5678"),
        ("0167-22-1234", "0167-22-1234"),
        ("0154-12-3456", "0154-12-3456"),
        ("0120-123-456", "0120-123-456"),
        ("050-1234-5678", "050-1234-5678"),
        ("090-1234-567", Refused("field_phone_invalid")),
        ("090123456789", Refused("field_phone_invalid")),
        ("0166-12-345", Refused("field_phone_invalid")),
        ("12-3456", Refused("field_phone_invalid")),
        ("110", Refused("field_phone_invalid")),
        ("00-1234-5678", Refused("field_phone_invalid")),
        ("090-1234-abcd", Refused("field_phone_invalid")),
        ("", Refused("field_phone_invalid")),
    ],
)
def test_phone(answer: str, expected: Any) -> None:
    check(parse_phone(answer, today=TODAY), expected)


# --- email -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("taro@example.jp", "taro@example.jp"),
        ("Taro.Yamada@Example.CO.JP", "Taro.Yamada@example.co.jp"),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "taro@example.jp"),
        ("  taro+city@example.jp  ", "taro+city@example.jp"),
        ("mailto:taro@example.jp", "taro@example.jp"),
        ("taro@mail-1.example.jp", "taro@mail-1.example.jp"),
        ("taro@example", Refused("field_email_invalid")),
        ("taro@@example.jp", Refused("field_email_invalid")),
        ("taro@ex@ample.jp", Refused("field_email_invalid")),
        ("taro yamada@example.jp", Refused("field_email_invalid")),
        ("taroexample.jp", Refused("field_email_invalid")),
        ("@example.jp", Refused("field_email_invalid")),
        ("taro@.example.jp", Refused("field_email_invalid")),
        (".taro@example.jp", Refused("field_email_invalid")),
        ("ta..ro@example.jp", Refused("field_email_invalid")),
        ("たろう@example.jp", Refused("field_email_invalid")),
        ("", Refused("field_email_invalid")),
    ],
)
def test_email(answer: str, expected: Any) -> None:
    check(parse_email(answer, today=TODAY), expected)


# --- address -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("旭川市6条通9丁目", "旭川市6条通9丁目"),
        ("北海道旭川市6条通9丁目", "旭川市6条通9丁目"),
        ("旭川6条通9丁目", "旭川市6条通9丁目"),
        ("4条西2丁目1-1", "旭川市4条西2丁目1-1"),
        ("４条西２丁目１－１", "旭川市4条西2丁目1-1"),
        ("4条西2丁目1ー1", "旭川市4条西2丁目1-1"),
        ("4条西2丁目1の1", "旭川市4条西2丁目1-1"),
        ("四条西二丁目", "旭川市4条西2丁目"),
        ("北海道旭川市六条通九丁目", "旭川市6条通9丁目"),
        ("神居3条1丁目", "旭川市神居3条1丁目"),
        ("東光1条2丁目3番4号", "旭川市東光1条2丁目3番4号"),
        ("末広5-2-3", "旭川市末広5-2-3"),
        ("旭川市 末広 5-2-3", "旭川市末広5-2-3"),
        ("〒070-0031 旭川市6条通9丁目", "旭川市6条通9丁目"),
        ("旭川市東旭川町共栄1", "旭川市東旭川町共栄1"),
        ("末広市場1-2", "旭川市末広市場1-2"),
        ("6-jo-dori 9-chome, Asahikawa", "6-jo-dori 9-chome, Asahikawa"),
        ("札幌市中央区北1条西2丁目", Refused("field_address_outside")),
        ("北海道札幌市北区北8条西5丁目", Refused("field_address_outside")),
        ("東京都千代田区丸の内1-1", Refused("field_address_outside")),
        ("大阪府大阪市北区1-1", Refused("field_address_outside")),
        ("上川郡東神楽町南1条西1丁目", Refused("field_address_outside")),
        ("東川町東町1丁目", Refused("field_address_outside")),
        ("旭川市", Refused("field_address_incomplete")),
        ("神居", Refused("field_address_incomplete")),
        ("旭川駅の近く", Refused("field_address_incomplete")),
        ("5-2-3", Refused("field_address_incomplete")),
        ("Asahikawa", Refused("field_address_incomplete")),
        ("", Refused("field_address_invalid")),
        ("   ", Refused("field_address_invalid")),
    ],
)
def test_address_in_asahikawa(answer: str, expected: Any) -> None:
    check(parse_address(answer, today=TODAY, asahikawa_only=True), expected)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("札幌市中央区北1条西2丁目", "札幌市中央区北1条西2丁目"),
        ("北海道札幌市北区北８条西５丁目", "北海道札幌市北区北8条西5丁目"),
        ("東京都千代田区丸の内1-1", "東京都千代田区丸の内1-1"),
        ("4条西2丁目", "旭川市4条西2丁目"),
        ("札幌市", Refused("field_address_incomplete")),
        ("あ" * 201, Refused("field_address_too_long")),
    ],
)
def test_address_anywhere_when_the_step_allows_it(answer: str, expected: Any) -> None:
    check(parse_address(answer, today=TODAY), expected)


# --- location ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            {"latitude": 43.7706, "longitude": 142.3649},
            {"latitude": 43.7706, "longitude": 142.3649, "address": None},
        ),
        (
            {"latitude": "43.77", "longitude": "142.36", "address": "旭川市6条通9丁目"},
            {"latitude": 43.77, "longitude": 142.36, "address": "旭川市6条通9丁目"},
        ),
        (
            {"lat": 43.6, "lng": 142.6},
            {"latitude": 43.6, "longitude": 142.6, "address": None},
        ),
        ({"latitude": 43.0621, "longitude": 141.3544}, Refused("field_location_outside")),
        ({"latitude": 35.68, "longitude": 139.76}, Refused("field_location_outside")),
        ({"latitude": 43.95, "longitude": 142.4}, Refused("field_location_outside")),
        ({"latitude": "north", "longitude": 142.4}, Refused("field_location_invalid")),
        ({"latitude": float("nan"), "longitude": 142.4}, Refused("field_location_invalid")),
        ({"latitude": 43.77}, Refused("field_location_invalid")),
        (
            "神居3条1丁目",
            {"latitude": None, "longitude": None, "address": "旭川市神居3条1丁目"},
        ),
        (
            {"text": "末広5-2-3"},
            {"latitude": None, "longitude": None, "address": "旭川市末広5-2-3"},
        ),
        ("札幌市北区北8条西5丁目", Refused("field_address_outside")),
        ("どこか", Refused("field_address_incomplete")),
        ({"content_type": "image/jpeg"}, Refused("field_location_invalid")),
    ],
)
def test_location_in_asahikawa(answer: Any, expected: Any) -> None:
    check(parse_location(answer, today=TODAY, asahikawa_only=True), expected)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            {"latitude": 43.0621, "longitude": 141.3544},
            {"latitude": 43.0621, "longitude": 141.3544, "address": None},
        ),
        ({"latitude": 95.0, "longitude": 141.3}, Refused("field_location_invalid")),
        (
            "札幌市北区北8条西5丁目",
            {"latitude": None, "longitude": None, "address": "札幌市北区北8条西5丁目"},
        ),
    ],
)
def test_location_anywhere_when_the_step_allows_it(answer: Any, expected: Any) -> None:
    check(parse_location(answer, today=TODAY), expected)


@pytest.mark.parametrize(
    ("answer", "language", "display"),
    [
        (
            {"latitude": 43.77, "longitude": 142.36, "address": "旭川市6条通9丁目"},
            "ja",
            "旭川市6条通9丁目",
        ),
        ({"latitude": 43.77, "longitude": 142.36}, "ja", "地図の位置（43.77000, 142.36000）"),
        ({"latitude": 43.77, "longitude": 142.36}, "en", "Map location (43.77000, 142.36000)"),
    ],
)
def test_location_is_echoed_by_address_or_point(
    answer: dict[str, Any], language: str, display: str
) -> None:
    assert parse_location(answer, today=TODAY, language=language).display == display


# --- photo -------------------------------------------------------------------------------------

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("answer", "optional", "expected"),
    [
        (
            {"content_type": "image/jpeg", "size": 2 * MB, "file_id": "abc"},
            False,
            {"content_type": "image/jpeg", "size": 2 * MB, "file_id": "abc"},
        ),
        (
            {"content_type": "image/png", "size": 10 * MB},
            False,
            {"content_type": "image/png", "size": 10 * MB},
        ),
        ({"content_type": "Image/HEIC"}, False, {"content_type": "image/heic"}),
        ({"content_type": "image/png", "size": 10 * MB + 1}, False, Refused("field_photo_size")),
        ({"content_type": "image/png", "size": 0}, False, Refused("field_photo_size")),
        ({"content_type": "application/pdf", "size": 100}, False, Refused("field_photo_type")),
        ({"content_type": "video/mp4", "size": 100}, False, Refused("field_photo_type")),
        ({"content_type": "image/svg+xml", "size": 100}, False, Refused("field_photo_type")),
        ({"content_type": "", "size": 100}, False, Refused("field_photo_type")),
        ("なし", True, None),
        ("ありません", True, None),
        ("スキップ", True, None),
        ("skip", True, None),
        ("なし", False, Refused("field_photo_missing")),
        ("写真はあとで", True, Refused("field_photo_missing")),
        ({"latitude": 43.77, "longitude": 142.36}, True, Refused("field_photo_missing")),
    ],
)
def test_photo(answer: Any, optional: bool, expected: Any) -> None:
    check(parse_photo(answer, today=TODAY, optional=optional), expected)


def test_photo_limit_can_be_lowered_and_is_named_in_the_re_ask() -> None:
    result = parse_photo(
        {"content_type": "image/jpeg", "size": 3 * MB}, today=TODAY, max_bytes=2 * MB
    )
    assert (result.error_key, dict(result.params)) == ("field_photo_size", {"max": "2 MB"})


def test_photo_keeps_only_plain_fields() -> None:
    payload = {"content_type": "image/jpeg", "size": MB, "file_id": "x", "data": b"\xff\xd8"}
    result = parse_photo(payload, today=TODAY)
    assert result.value == {"content_type": "image/jpeg", "size": MB, "file_id": "x"}
    assert result.display == "写真 1枚（1 MB）"


@pytest.mark.parametrize(
    ("text", "skip"), [("なし", True), ("ナシ", True), ("None", True), ("ある", False)]
)
def test_is_skip(text: str, skip: bool) -> None:
    assert is_skip(text) is skip


# --- the registry, examples and re-asks --------------------------------------------------------

TYPE_OPTIONS: dict[str, dict[str, Any]] = {
    "choice": {"choices": ITEMS},
    "time_slot": {"slots": HALVES},
}
ODD_ANSWERS: list[Any] = ["", " ", "\x00", "？？？", "あ" * 5000, {}, {"text": 5}, {"size": "x"}]


@pytest.mark.parametrize("field_type", sorted(PARSERS))
@pytest.mark.parametrize("answer", ODD_ANSWERS)
def test_no_answer_makes_a_parser_fail(field_type: str, answer: Any) -> None:
    result = PARSERS[field_type](answer, today=TODAY, **TYPE_OPTIONS.get(field_type, {}))
    assert result.ok is False or field_type == "text"
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
