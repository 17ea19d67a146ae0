"""Conversations as a citizen sees them, through the one engine."""

from __future__ import annotations

import pytest

from bot.choices import decode
from bot.engine import Engine
from bot.knowledge_service import Knowledge
from bot.messages import Incoming, Kind, OutcomeKind
from bot.storage import SqlStore
from handlers.base import Response, Turn


async def say(engine: Engine, text: str, user: str = "u1", kind: Kind = Kind.TEXT):  # type: ignore[no-untyped-def]
    return await engine.handle(Incoming("terminal", user, text=text, kind=kind))


async def test_follow_greets_with_what_the_bot_can_do_and_a_privacy_note(engine: Engine) -> None:
    outcome = await say(engine, "", kind=Kind.FOLLOW)
    assert outcome.kind is OutcomeKind.INFO
    assert "職員" in outcome.text
    assert "個人情報" in outcome.text
    assert len(outcome.choices) >= 5  # the menu


async def test_confident_answer_asks_for_feedback_and_records_it(engine: Engine) -> None:
    outcome = await say(engine, "粗大ごみの収集を申し込みたい")
    assert outcome.kind is OutcomeKind.ANSWER
    assert outcome.entry_id == "proc.bulky_waste_request"
    assert "粗大ごみ" in outcome.text
    labels = [c.label for c in outcome.choices]
    assert labels[:2] == ["はい", "いいえ"]
    thanks = await say(engine, "1")  # a typed number picks the first option
    assert thanks.kind is OutcomeKind.INFO
    async with engine.store.unit() as unit:
        assert await unit.feedback.tally() == {"proc.bulky_waste_request": (1, 0)}


async def test_procedure_answer_lists_the_guide_sections(engine: Engine) -> None:
    outcome = await say(engine, "戸籍謄本を郵送で請求したい")
    assert outcome.entry_id == "proc.koseki_by_mail"
    for heading in ("【対象】", "【来庁せずにできる方法】", "【必要なもの】", "【手数料】"):
        assert heading in outcome.text


async def test_english_question_gets_an_english_answer(engine: Engine) -> None:
    outcome = await say(engine, "How can I get a residence certificate at a convenience store?")
    assert outcome.language == "en"
    assert outcome.kind in (OutcomeKind.ANSWER, OutcomeKind.CHOICES)
    assert "residence" in outcome.text.lower() or "certificate" in outcome.text.lower()


async def test_unclear_question_offers_choices_that_can_be_picked(engine: Engine) -> None:
    outcome = await say(engine, "証明書")
    assert outcome.kind is OutcomeKind.CHOICES
    assert 2 <= len(outcome.choices) <= 3
    value = decode(outcome.choices[0].value)
    assert value is not None
    picked = await say(engine, outcome.choices[0].value, kind=Kind.CHOICE)
    assert picked.kind is OutcomeKind.ANSWER
    assert picked.entry_id == value.argument


async def test_out_of_scope_falls_back_honestly_then_offers_a_person(engine: Engine) -> None:
    first = await say(engine, "明日の競馬の予想を教えて")
    assert first.kind is OutcomeKind.FALLBACK
    assert "職員" in first.text or any("職員" in c.label for c in first.choices)
    second = await say(engine, "おいしいラーメン屋はどこ")
    assert second.kind is OutcomeKind.FALLBACK
    assert second.extra["failures"] == 2
    assert second.handoff  # two failures in a row: a person takes over
    assert second.text != first.text


async def test_handoff_makes_the_bot_quiet_until_the_citizen_asks_for_it_back(
    engine: Engine,
) -> None:
    handoff = await say(engine, "職員と話したいです")
    assert handoff.kind is OutcomeKind.HANDOFF
    assert handoff.handoff
    quiet = await say(engine, "ごみの分け方")
    assert quiet.kind is OutcomeKind.QUIET
    assert quiet.replies == ()
    back = await say(engine, "ボットに戻る")
    assert back.kind is OutcomeKind.INFO
    again = await say(engine, "スプレー缶の捨て方")
    assert again.kind in (OutcomeKind.ANSWER, OutcomeKind.CHOICES)
    async with engine.store.unit() as unit:  # the quiet message was still stored
        convo = await unit.conversations.get(handoff.conversation_id or 0)
        assert convo is not None
        texts = [m.text for m in await unit.messages.recent(convo.id)]
    assert "ごみの分け方" in texts


@pytest.mark.parametrize(
    "text", ["火事です！", "救急車を呼んでください", "人が倒れています", "Fire!"]
)
async def test_emergencies_are_told_to_call_119_or_110(engine: Engine, text: str) -> None:
    outcome = await say(engine, text)
    assert outcome.kind is OutcomeKind.EMERGENCY
    assert "119" in outcome.text
    assert "110" in outcome.text


async def test_asking_about_ambulances_is_not_an_emergency(engine: Engine) -> None:
    outcome = await say(engine, "救急車を呼ぶべきか迷ったときはどうすればいいですか")
    assert outcome.kind is not OutcomeKind.EMERGENCY


async def test_language_switch_is_remembered(engine: Engine) -> None:
    switched = await say(engine, "English")
    assert switched.language == "en"
    menu = await say(engine, "/menu")
    assert menu.language == "en"
    assert "topics" in menu.text.lower()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😀😀😀",
        "\x00\x07\x1b[31m",
        "あ" * 10_000,
        "ごみ" + "x" * 9_998,
        "ｺﾞﾐ garbage 除雪 ☃",
    ],
)
async def test_bad_input_gets_a_sensible_reply(engine: Engine, text: str) -> None:
    outcome = await say(engine, text)
    assert outcome.replies, "every message gets an answer"
    assert outcome.text.strip()


async def test_every_message_is_stored_before_it_is_answered(
    knowledge: Knowledge, sqlite_store: SqlStore
) -> None:
    class Broken:
        name = "broken"

        async def accepts(self, turn: Turn) -> bool:
            return True

        async def handle(self, turn: Turn, found: bool) -> Response:
            raise RuntimeError("boom")

    store = sqlite_store
    engine = Engine(knowledge, store, handlers=[Broken()])
    outcome = await say(engine, "住民票がほしい")
    assert outcome.kind is OutcomeKind.FALLBACK
    assert "職員" in outcome.text  # apology and the offer of a person
    async with store.unit() as unit:
        messages = await unit.messages.recent(outcome.conversation_id or 0)
    assert (messages[0].direction, messages[0].text) == ("in", "住民票がほしい")
