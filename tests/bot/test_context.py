"""Replies in context: what a citizen types after the bot asked something, as transcripts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.context import load_cases, run
from bot.choices import decode
from bot.clock import FrozenClock
from bot.engine import Engine
from bot.knowledge_service import Knowledge
from bot.messages import Incoming, Kind, Outcome, OutcomeKind
from bot.storage.db import create_store, migrate
from handlers.acts import act_in
from handlers.base import Turn
from handlers.context import read_reply
from handlers.render import followups
from intents.decide import Decision, Verdict
from intents.matcher import Candidate

BY_MAIL = "住民票を郵送で取りたい"  # answered, with "did this help?" and related entries
VAGUE = "証明書"  # three entries offered as choices


@pytest.fixture(autouse=True)
def _monday_noon(clock: FrozenClock) -> None:
    clock.set(dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC))


async def say(engine: Engine, text: str, kind: Kind = Kind.TEXT, **payload: str) -> Outcome:
    return await engine.handle(
        Incoming("terminal", "u1", text=text, kind=kind, payload=payload or None)
    )


def entries_offered(outcome: Outcome) -> list[str]:
    values = [decode(c.value) for c in outcome.choices]
    return [v.argument for v in values if v is not None and v.action == "e"]


# --- "did this help?" ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["はい", "はい！", "うん", "そうです", "👍", "ありがとうございます"]
)
async def test_a_typed_yes_to_did_this_help_thanks_and_records_it(
    engine: Engine, knowledge: Knowledge, typed: str
) -> None:
    answer = await say(engine, BY_MAIL)
    assert answer.kind is OutcomeKind.ANSWER
    assert "この回答はお役に立ちましたか" in answer.text
    reply = await say(engine, typed)
    assert reply.text == knowledge.system.text("feedback_yes", "ja")
    assert reply.choices == ()  # no topics offered for a はい
    async with engine.store.unit() as unit:
        assert await unit.feedback.tally() == {answer.entry_id: (1, 0)}


@pytest.mark.parametrize("typed", ["いいえ", "違う", "ちがいます", "ううん", "いいえ、違います"])
async def test_a_typed_no_does_what_the_no_button_does(
    engine: Engine, knowledge: Knowledge, typed: str
) -> None:
    answer = await say(engine, BY_MAIL)
    reply = await say(engine, typed)
    assert reply.text.startswith("お役に立てず申し訳ありません")
    labels = [c.label for c in reply.choices]
    assert labels[-1] == "職員と話す"  # a person, after other guides of the same topic
    assert "証明書のコンビニ交付" in labels
    async with engine.store.unit() as unit:
        assert await unit.feedback.tally() == {answer.entry_id: (0, 1)}


async def test_the_open_question_is_kept_in_the_database_not_in_the_process(
    knowledge: Knowledge, clock: FrozenClock, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await migrate(url)
    store = create_store(url, clock=clock)
    try:
        answer = await say(Engine(knowledge, store, clock=clock), BY_MAIL)
        other_process = Engine(knowledge, store, clock=clock)
        reply = await say(other_process, "うん")
        assert reply.text == knowledge.system.text("feedback_yes", "ja")
        async with store.unit() as unit:
            assert await unit.feedback.tally() == {answer.entry_id: (1, 0)}
    finally:
        await store.close()


async def test_yes_in_english_is_thanked_in_english(engine: Engine) -> None:
    await say(engine, "How can I get a residence certificate at a convenience store?")
    reply = await say(engine, "yes")
    assert reply.language == "en"
    assert reply.text.startswith("Thank you")


async def test_a_no_followed_by_a_new_question_is_the_new_question(engine: Engine) -> None:
    await say(engine, BY_MAIL)
    reply = await say(engine, "いいえ、除雪車に塀を壊されました")
    assert reply.kind is OutcomeKind.ANSWER
    assert "除雪" in reply.text


# --- choices -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "position"),
    [
        ("2", 1),
        ("２", 1),
        ("②", 1),
        ("二", 1),
        ("2番", 1),
        ("2番目", 1),
        ("最初の", 0),
        ("一番上", 0),
        ("最後の", -1),
        ("3つ目でお願いします", 2),
    ],
)
async def test_a_typed_number_or_position_picks_that_choice(
    engine: Engine, typed: str, position: int
) -> None:
    offered = await say(engine, VAGUE)
    assert offered.kind is OutcomeKind.CHOICES
    wanted = entries_offered(offered)[position]
    picked = await say(engine, typed)
    assert picked.kind is OutcomeKind.ANSWER
    assert picked.entry_id == wanted


async def test_a_typed_label_even_misspelt_picks_that_choice(engine: Engine) -> None:
    offered = await say(engine, VAGUE)
    label = offered.choices[1].label
    wanted = entries_offered(offered)[1]
    assert (await say(engine, label)).entry_id == wanted
    await say(engine, VAGUE)
    typo = label[:-1] + ("球" if label[-1] != "球" else "玉")  # 郵送請求 -> 郵送請球
    assert (await say(engine, typo)).entry_id == wanted


async def test_the_question_lapses_after_a_while(engine: Engine, clock: FrozenClock) -> None:
    await say(engine, VAGUE)
    clock.advance(hours=2)
    late = await say(engine, "2")
    assert late.kind is not OutcomeKind.ANSWER  # "2" alone means nothing any more


async def test_the_question_lapses_with_the_next_reply(engine: Engine) -> None:
    await say(engine, VAGUE)
    await say(engine, "ありがとう")  # the bot answers with no choices
    again = await say(engine, "2")
    assert again.kind is not OutcomeKind.ANSWER


# --- conversation acts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "act"),
    [
        ("ありがとう", "thanks"),
        ("ありがとうございました！", "thanks"),
        ("助かりました", "thanks"),
        ("thank you", "thanks"),
        ("了解です", "ok"),
        ("OK!", "ok"),
        ("わかりました", "ok"),
        ("はい", "yes_no"),
        ("笑", "laughter"),
        ("www", "laughter"),
        ("ｗｗ", "laughter"),
        ("草", "laughter"),
        ("lol", "laughter"),
        ("👍", "emoji"),
        ("😊😊", "emoji"),
    ],
)
async def test_conversation_acts_are_never_matched_against_the_knowledge(
    engine: Engine, typed: str, act: str
) -> None:
    await say(engine, VAGUE)  # even right after choices were offered
    reply = await say(engine, typed)
    assert reply.kind is OutcomeKind.INFO
    assert reply.extra.get("act") == act
    assert entries_offered(reply) == []
    assert reply.entry_id is None


async def test_laughter_and_ok_do_not_switch_the_reply_to_english(engine: Engine) -> None:
    for typed in ("www", "OK", "lol"):
        reply = await say(engine, typed)
        assert reply.language == "ja", typed


async def test_thanks_in_english_is_answered_in_english(engine: Engine) -> None:
    reply = await say(engine, "Thanks a lot!")
    assert (reply.extra.get("act"), reply.language) == ("thanks", "en")
    assert reply.text.startswith("You are welcome")


async def test_a_sticker_gets_a_short_reply(engine: Engine) -> None:
    await say(engine, VAGUE)
    reply = await say(engine, "", Kind.OTHER, type="sticker")
    assert reply.extra.get("act") == "sticker"
    assert reply.text.startswith("スタンプありがとうございます")
    assert reply.choices == ()


async def test_a_second_hello_is_short(engine: Engine) -> None:
    first = await say(engine, "こんにちは")
    assert "旭川市役所" in first.text
    assert len(first.choices) >= 5  # the menu
    second = await say(engine, "おはようございます")
    assert second.text == "こんにちは。ご質問をどうぞ。"
    assert second.choices == ()


# --- follow-ups ----------------------------------------------------------------------------


async def test_an_answer_offers_related_entries_and_a_typed_one_opens_it(
    engine: Engine, knowledge: Knowledge
) -> None:
    answer = await say(engine, BY_MAIL)
    related = entries_offered(answer)
    assert 1 <= len(related) <= 3
    assert "proc.konbini_certificates" in related
    labels = [c.label for c in answer.choices]
    assert labels[:2] == ["はい", "いいえ"]  # typed 1 and 2 still answer "did this help?"
    assert "関連するご案内です。" in answer.text
    opened = await say(engine, "証明書のコンビニ交付")
    assert opened.kind is OutcomeKind.ANSWER
    assert opened.entry_id == "proc.konbini_certificates"


async def test_an_entry_without_related_entries_shows_no_follow_ups(
    engine: Engine, knowledge: Knowledge
) -> None:
    lonely = next(
        e
        for e in knowledge.kb
        if e.kind == "faq"
        and not e.related
        and not any(e.id in other.related for other in knowledge.kb)
    )
    outcome = await say(engine, f"e:{lonely.id}", Kind.CHOICE)
    assert outcome.entry_id == lonely.id
    assert entries_offered(outcome) == []
    assert "関連するご案内" not in outcome.text


def test_follow_ups_carried_by_the_matchers_decision_come_first(knowledge: Knowledge) -> None:
    @dataclass(frozen=True)
    class DecisionWithFollowups(Decision):  # the shape intents.decide is moving to
        followups: tuple[Candidate, ...] = ()

    entry = knowledge.entry("proc.juminhyo_by_mail")
    assert entry is not None
    decision = DecisionWithFollowups(
        Verdict.ANSWER,
        (Candidate(entry.id, 0.9),),
        followups=(Candidate("faq.registry.proxy_letter", 0.5),),
    )
    turn = Turn(
        incoming=Incoming("terminal", "u1", text=BY_MAIL),
        text=BY_MAIL,
        normalized=BY_MAIL,
        language="ja",
        state={},
        status="bot",
        knowledge=knowledge,
        decision=decision,
    )
    assert [e.id for e in followups(turn, entry)] == ["faq.registry.proxy_letter"]
    turn.decision = Decision(Verdict.ANSWER, (Candidate(entry.id, 0.9),))  # today's shape
    assert [e.id for e in followups(turn, entry)][:2] == list(entry.related)[:2]


@pytest.mark.parametrize("typed", ["申し込みたい", "申請したいです", "手続きしたい"])
async def test_wanting_to_apply_after_an_answer_starts_its_flow(
    engine: Engine, typed: str
) -> None:
    await say(engine, "粗大ごみの収集を申し込みたい")
    started = await say(engine, typed)
    assert started.extra.get("flow") == "flow.bulky_waste"
    assert "受付を始めます" in started.text


async def test_a_flow_reads_its_own_yes_no_questions(engine: Engine) -> None:
    await say(engine, "粗大ごみの収集を申し込みたい")
    started = await say(engine, "このチャットで申し込む")  # the button's label, typed
    assert started.extra.get("flow") == "flow.bulky_waste"
    reply = await say(engine, "はい")  # the flow's own question, not "did this help?"
    assert reply.extra.get("flow") == "flow.bulky_waste"
    assert reply.extra.get("refused") is None


# --- the reader itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("はい", "y:x"),
        ("はいっ", "y:x"),
        ("Yes!", "y:x"),
        ("n", "n:x"),
        ("1番", "y:x"),
        ("③", "c:staff"),
        ("職員と話す", "c:staff"),
        ("しょくいんとはなす", None),  # a reading is not the label
        ("はい、いいえ", None),
        ("4", None),
        ("ごみの出し方", None),
    ],
)
def test_read_reply_names_a_choice_or_nothing(
    knowledge: Knowledge, typed: str, expected: str | None
) -> None:
    choices = [("はい", "y:x"), ("いいえ", "n:x"), ("職員と話す", "c:staff")]
    assert read_reply(knowledge.system.acts, typed, choices) == expected


@pytest.mark.parametrize(
    ("typed", "act"),
    [
        ("はい、ありがとうございます", "thanks"),
        ("了解ですw", "ok"),
        ("ありがとう笑", "thanks"),
        ("ごみの出し方ありがとう", None),
        ("wifi", None),
        ("ありがとう、職員と話したい", None),
    ],
)
def test_act_in_a_whole_message(knowledge: Knowledge, typed: str, act: str | None) -> None:
    assert act_in(knowledge.system.acts, typed) == act


async def test_every_frozen_context_case_is_understood(knowledge: Knowledge) -> None:
    results = await run(knowledge, load_cases())
    assert len(results) >= 30
    misses = [f"{r.case.first} -> {r.case.reply}: {r.why}" for r in results if not r.understood]
    assert not misses, misses
