"""Life events: a few questions, then every procedure in one reply, counters in order."""

from __future__ import annotations

from bot.messages import OutcomeKind
from tests.flows.conftest import Chat


async def test_moving_in_lists_the_counters_in_order_after_a_few_questions(chat: Chat) -> None:
    first = await chat.say("引っ越しの手続き")
    assert "どのような引っ越し" in first.text
    assert {"市外から旭川市へ", "スキップ", "一覧を見る"} <= set(chat.labels())
    await chat.press("市外から旭川市へ")
    await chat.press("はい")  # national health insurance
    for _ in range(5):  # children, school, care, dog, car: all "no"
        if chat.last is not None and chat.last.kind is OutcomeKind.ANSWER:
            break
        await chat.press("いいえ")
    plan = chat.last
    assert plan is not None
    assert plan.kind is OutcomeKind.ANSWER
    text = plan.text
    assert "転入届" in text
    assert "国民健康保険の加入" in text
    assert text.index("1. 市民課") < text.index("2. 国民健康保険")
    assert "・転出届（" not in text  # moving out does not apply
    assert "児童手当" not in text  # no children
    assert "持ち物" in text
    assert plan.choices  # entries to drill into


async def test_questions_that_no_longer_matter_are_not_asked(chat: Chat) -> None:
    await chat.say("引っ越しの手続き")
    await chat.press("旭川市から市外へ")
    asked: list[str] = []
    while chat.last is not None and chat.last.kind is not OutcomeKind.ANSWER:
        asked.append(chat.last.text.splitlines()[0])
        await chat.press("いいえ")
    assert not any("要介護" in q for q in asked)  # only matters when moving in
    assert "転出届" in chat.last.text  # type: ignore[union-attr]
    assert "マイナポータル" in chat.last.text  # type: ignore[union-attr]


async def test_skipped_questions_keep_what_may_apply(chat: Chat) -> None:
    await chat.say("引っ越しの手続き")
    await chat.press("市外から旭川市へ")
    while chat.last is not None and chat.last.kind is not OutcomeKind.ANSWER:
        await chat.press("スキップ")
    assert "国民健康保険の加入" in chat.last.text  # type: ignore[union-attr]
    assert "児童手当" in chat.last.text  # type: ignore[union-attr]


async def test_the_list_can_be_shown_at_once_and_drilled_into(
    chat: Chat,
) -> None:
    outcome = await chat.say("子どもが生まれた")
    assert outcome.extra.get("life_event") == "life.birth"
    shown = await chat.press("一覧を見る")
    assert shown.kind is OutcomeKind.ANSWER
    assert "出生届" in shown.text
    entry = await chat.press(shown.choices[0].label)
    assert entry.kind is OutcomeKind.ANSWER
    assert entry.entry_id is not None


async def test_answers_can_be_typed_instead_of_pressed(chat: Chat) -> None:
    await chat.say("引っ越しの手続の一覧を見たい")
    await chat.say("旭川市内で")
    assert chat.last.extra["question"] == "school"  # type: ignore[union-attr]
    await chat.say("いいえ")
    assert chat.last.extra.get("question") != "school"  # type: ignore[union-attr]
    moved_on = await chat.say("ごみの収集日を知りたい")
    assert moved_on.extra.get("life_event") is None
