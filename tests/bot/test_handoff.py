"""Hand-off to staff, through the engine: what the citizen is told and what the queue records.

Each desk is the engine with an escalation service, a frozen clock, an event bus and a fake
messaging channel, on a migrated SQLite file whose store runs on the same clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from bot.channels.base import Recipient
from bot.choices import encode_command, encode_entry
from bot.clock import FrozenClock
from bot.delivery.outbox import Delivery
from bot.engine import Engine
from bot.errors import ChannelError
from bot.events import EventBus
from bot.handoff.escalation import EscalationConflict, EscalationNotFound, EscalationService
from bot.knowledge_service import Knowledge
from bot.messages import Incoming, Kind, Outcome, OutcomeKind, Reply
from bot.storage import SqlStore, Store
from bot.storage.records import (
    ConversationStatus,
    EscalationRecord,
    EscalationStatus,
    OutboxStatus,
)

JST = ZoneInfo("Asia/Tokyo")
TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=JST)


class FakeChannel:
    """A messaging channel that records what it was asked to send (or fails on purpose)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[tuple[str, list[str]]] = []
        self.failure: str | None = None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def parse_event(self, payload: Mapping[str, Any]) -> list[tuple[Incoming, Recipient]]:
        return []

    async def send(self, recipient: Recipient, replies: Sequence[Reply]) -> None:
        if self.failure is not None:
            raise ChannelError(self.failure)
        self.sent.append((recipient.user_id, [r.text for r in replies]))


@dataclass
class Desk:
    engine: Engine
    service: EscalationService
    store: Store
    channel: FakeChannel
    clock: FrozenClock
    knowledge: Knowledge
    events: asyncio.Queue[dict[str, Any]]

    async def say(
        self, text: str, user: str = "U1", kind: Kind = Kind.TEXT, channel: str = "line"
    ) -> Outcome:
        return await self.engine.handle(Incoming(channel, user, text=text, kind=kind))

    async def escalations(self) -> list[EscalationRecord]:
        async with self.store.unit() as unit:
            return await unit.escalations.list()

    async def only_escalation(self) -> EscalationRecord:
        [record] = await self.escalations()
        return record

    async def status(self, outcome: Outcome) -> ConversationStatus:
        async with self.store.unit() as unit:
            convo = await unit.conversations.get(outcome.conversation_id or 0)
        assert convo is not None
        return convo.status

    async def clerk(self, username: str = "yamada") -> int:
        async with self.store.unit() as unit:
            staff = await unit.staff.add(
                username, "山田 太郎", "$argon2id$x", "staff", ["dept.roads"]
            )
        return staff.id

    def published(self) -> list[dict[str, Any]]:
        events = []
        while not self.events.empty():
            events.append(self.events.get_nowait())
        return events

    def text(self, key: str, language: str = "ja", **values: str) -> str:
        return self.knowledge.system.text(key, language, **values)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(TUESDAY_10)


async def _desk(knowledge: Knowledge, store: SqlStore, clock: FrozenClock) -> AsyncIterator[Desk]:
    channel = FakeChannel("line")
    bus = EventBus()
    delivery = Delivery(store, {"line": channel, "telegram": FakeChannel("telegram")})
    service = EscalationService(store, knowledge, bus, delivery, clock=clock)
    engine = Engine(knowledge, store, escalations=service)
    async with bus.subscribe() as queue:
        yield Desk(engine, service, store, channel, clock, knowledge, queue)


@pytest_asyncio.fixture
async def desk(
    knowledge: Knowledge, sqlite_store: SqlStore, clock: FrozenClock
) -> AsyncIterator[Desk]:
    async for made in _desk(knowledge, sqlite_store, clock):
        yield made


@pytest.fixture
def any_desk(desk: Desk) -> Desk:
    return desk


# -- triggers ----------------------------------------------------------------------------------


async def test_asking_for_a_person_queues_one_case_routed_by_the_last_answer(
    any_desk: Desk,
) -> None:
    desk = any_desk
    snow = await desk.say("除雪の基準を教えて")
    assert snow.kind is OutcomeKind.ANSWER
    assert (await desk.say("明日の競馬の予想を教えて")).kind is OutcomeKind.FALLBACK
    handoff = await desk.say("職員と話したい")

    assert handoff.kind is OutcomeKind.HANDOFF
    assert handoff.text.startswith(desk.text("handoff"))
    assert desk.text("staff_soon") in handoff.text
    assert await desk.status(handoff) is ConversationStatus.WAITING
    record = await desk.only_escalation()
    assert record.reason == "requested"
    assert record.department == "dept.roads"
    assert record.category == "snow"
    assert record.status is EscalationStatus.OPEN
    assert record.channel == "line"
    assert record.summary.startswith("[職員希望] 除雪の基準を教えて")
    assert "職員と話したい" not in record.summary  # steering words say nothing of the question
    said = [m["text"] for m in record.transcript["messages"]]
    assert said[0] == "除雪の基準を教えて"
    assert "職員と話したい" in said
    assert said[-1] == handoff.text  # the bot's own hand-off reply is part of the snapshot
    [event] = desk.published()
    assert event == {
        "kind": "escalation",
        "id": record.id,
        "status": "open",
        "action": "escalated",
        "conversation_id": record.conversation_id,
        "department": "dept.roads",
        "priority": 0,
        "unread": 0,
    }


async def test_two_failures_in_a_row_hand_over_without_being_asked(desk: Desk) -> None:
    first = await desk.say("明日の競馬の予想を教えて")
    assert not await desk.escalations()
    second = await desk.say("おいしいラーメン屋はどこ")

    assert second.kind is OutcomeKind.FALLBACK
    assert second.text.startswith(desk.text("handoff_failed"))
    assert second.text != first.text
    assert await desk.status(second) is ConversationStatus.WAITING
    record = await desk.only_escalation()
    assert record.reason == "failed_twice"
    assert record.department == "dept.general_info"  # nothing says which office
    assert record.summary == "[回答できず] 明日の競馬の予想を教えて / おいしいラーメン屋はどこ"


async def test_the_staff_button_under_an_answer_that_needs_staff_records_why(
    desk: Desk, knowledge: Knowledge
) -> None:
    entry = knowledge.entry("faq.tax.cannot_pay")
    assert entry is not None
    assert entry.needs_staff
    answer = await desk.say(encode_entry(entry.id), kind=Kind.CHOICE)
    staff_button = encode_command("staff")
    assert staff_button in [c.value for c in answer.choices]  # the button stays on offer

    await desk.say(staff_button, kind=Kind.CHOICE)
    record = await desk.only_escalation()
    assert record.reason == "needs_staff"
    assert record.category == "tax"
    assert record.department == "dept.tax"


async def test_the_staff_button_after_some_other_reply_is_a_plain_request(desk: Desk) -> None:
    await desk.say(encode_entry("faq.tax.cannot_pay"), kind=Kind.CHOICE)
    await desk.say("除雪の基準を教えて")  # a later answer that does not need staff
    await desk.say("/staff")
    record = await desk.only_escalation()
    assert record.reason == "requested"
    assert record.department == "dept.roads"


@pytest.mark.parametrize(
    "text", ["窓口の対応が悪い、納得できない", "クレームを入れたい", "I want to make a complaint"]
)
async def test_a_complaint_is_apologised_for_and_handed_over(desk: Desk, text: str) -> None:
    outcome = await desk.say(text)
    language = "en" if text.isascii() else "ja"
    assert outcome.kind is OutcomeKind.HANDOFF
    assert outcome.text.startswith(desk.text("complaint", language))
    assert await desk.status(outcome) is ConversationStatus.WAITING
    record = await desk.only_escalation()
    assert record.reason == "complaint"
    assert record.summary.startswith("[苦情]")


async def test_a_noise_report_is_answered_not_treated_as_a_complaint(desk: Desk) -> None:
    outcome = await desk.say("騒音の苦情はどこに相談すればいいですか")
    assert outcome.kind in (OutcomeKind.ANSWER, OutcomeKind.CHOICES)
    assert not await desk.escalations()


async def test_an_emergency_is_flagged_urgent_but_never_queued(any_desk: Desk) -> None:
    desk = any_desk
    outcome = await desk.say("火事です！")
    assert outcome.kind is OutcomeKind.EMERGENCY
    assert outcome.text == desk.text("emergency")
    assert await desk.status(outcome) is ConversationStatus.BOT
    record = await desk.only_escalation()
    assert (record.reason, record.priority) == ("emergency", 1)
    assert record.summary == "[緊急] 火事です！"
    [event] = desk.published()
    assert (event["id"], event["priority"]) == (record.id, 1)

    later = await desk.say("ごみの分け方を教えて")  # the bot keeps answering
    assert later.kind in (OutcomeKind.ANSWER, OutcomeKind.CHOICES)
    touched = await desk.only_escalation()
    assert touched.unread == record.unread + 1  # staff see the citizen is still writing
    assert [e["action"] for e in desk.published()] == ["message"]


async def test_an_emergency_while_waiting_raises_the_waiting_case_to_urgent(desk: Desk) -> None:
    await desk.say("職員と話したい")
    outcome = await desk.say("人が倒れています")
    assert outcome.kind is OutcomeKind.EMERGENCY  # answered even while staff have the chat
    record = await desk.only_escalation()
    assert (record.reason, record.priority) == ("requested", 1)


async def test_without_a_service_hand_off_still_answers(
    knowledge: Knowledge, sqlite_store: SqlStore
) -> None:
    store = sqlite_store
    engine = Engine(knowledge, store)
    outcome = await engine.handle(Incoming("terminal", "me", text="職員と話したい"))
    assert outcome.kind is OutcomeKind.HANDOFF
    async with store.unit() as unit:
        convo = await unit.conversations.get(outcome.conversation_id or 0)
        assert convo is not None
        assert convo.status is ConversationStatus.WAITING
        assert await unit.escalations.list() == []


# -- while staff have the chat -----------------------------------------------------------------


async def test_quiet_while_waiting_but_every_message_reaches_the_case(any_desk: Desk) -> None:
    desk = any_desk
    await desk.say("職員と話したい")
    opened = await desk.only_escalation()
    desk.published()
    desk.clock.at += dt.timedelta(minutes=5)

    first = await desk.say("家の前に雪が積まれて出られません")
    second = await desk.say("住所は旭川市1条1丁目です")

    assert first.kind is OutcomeKind.QUIET
    assert first.replies == second.replies == ()
    record = await desk.only_escalation()  # still exactly one case
    assert record.id == opened.id
    assert record.unread == opened.unread + 2
    assert record.last_activity_at == desk.clock.at
    assert [e["action"] for e in desk.published()] == ["message", "message"]
    async with desk.store.unit() as unit:
        texts = [m.text for m in await unit.messages.recent(record.conversation_id)]
    assert texts[-2:] == ["家の前に雪が積まれて出られません", "住所は旭川市1条1丁目です"]


async def test_the_citizen_going_back_to_the_bot_closes_the_case(any_desk: Desk) -> None:
    desk = any_desk
    await desk.say("職員と話したい")
    back = await desk.say("ボットに戻る")
    assert back.text == desk.text("bot_back")
    assert await desk.status(back) is ConversationStatus.BOT
    record = await desk.only_escalation()
    assert record.status is EscalationStatus.RESOLVED
    async with desk.store.unit() as unit:
        notes = await unit.notes.for_escalation(record.id)
    assert [(n.kind, n.text, n.author_id) for n in notes] == [
        ("system", "citizen returned to the bot", None)
    ]
    again = await desk.say("除雪の基準を教えて")
    assert again.kind is OutcomeKind.ANSWER


async def test_staff_hand_back_tells_the_citizen_and_the_bot_answers_again(desk: Desk) -> None:
    await desk.say("職員と話したい")
    record = await desk.only_escalation()
    clerk = await desk.clerk()

    await desk.service.hand_back(record.id, clerk, ip="192.0.2.1")

    assert desk.channel.sent == [("U1", [desk.text("handoff_returned")])]
    done = await desk.only_escalation()
    assert done.status is EscalationStatus.RESOLVED
    async with desk.store.unit() as unit:
        [audit] = await unit.audit.list()
    assert (audit.staff_id, audit.action, audit.target, audit.ip) == (
        clerk,
        "escalation.hand_back",
        f"escalation:{record.id}",
        "192.0.2.1",
    )
    answer = await desk.say("除雪の基準を教えて")
    assert answer.kind is OutcomeKind.ANSWER
    assert await desk.status(answer) is ConversationStatus.BOT


async def test_a_case_resolved_but_not_handed_back_reopens_when_the_citizen_writes(
    desk: Desk,
) -> None:
    await desk.say("職員と話したい")
    first = await desk.only_escalation()
    await desk.service.resolve(first.id, await desk.clerk())
    quiet = await desk.say("まだ返事がありません")
    assert quiet.kind is OutcomeKind.QUIET
    active = [r for r in await desk.escalations() if r.status is not EscalationStatus.RESOLVED]
    assert len(active) == 1
    assert active[0].id != first.id  # nothing the citizen writes is lost


# -- office hours ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "language", "expected"),
    [
        (TUESDAY_10, "ja", None),
        (dt.datetime(2026, 11, 28, 10, 0, tzinfo=JST), "ja", "11月30日（月）8:45"),  # Saturday
        (dt.datetime(2026, 11, 23, 10, 0, tzinfo=JST), "ja", "11月24日（火）8:45"),  # holiday
        (dt.datetime(2026, 12, 31, 10, 0, tzinfo=JST), "ja", "1月4日（月）8:45"),  # year-end
        (dt.datetime(2026, 11, 24, 19, 30, tzinfo=JST), "ja", "11月25日（水）8:45"),
        (dt.datetime(2026, 11, 28, 10, 0, tzinfo=JST), "en", "8:45 on Monday, November 30"),
    ],
)
async def test_the_citizen_is_told_honestly_when_staff_will_answer(
    desk: Desk, now: dt.datetime, language: str, expected: str | None
) -> None:
    desk.clock.at = now
    outcome = await desk.say("talk to a person" if language == "en" else "人と話せますか")
    assert outcome.language == language
    if expected is None:
        assert desk.text("staff_soon", language) in outcome.text
    else:
        assert desk.text("staff_after_hours", language, when=expected) in outcome.text
    assert desk.text("handoff_hint", language) in outcome.text
    assert (await desk.only_escalation()).status is EscalationStatus.OPEN  # waits in the queue


# -- the console's actions ---------------------------------------------------------------------


async def test_a_staff_reply_reaches_the_citizen_on_their_channel(any_desk: Desk) -> None:
    desk = any_desk
    await desk.say("職員と話したい", user="U77")
    record = await desk.only_escalation()
    clerk = await desk.clerk()
    desk.published()

    sent = await desk.service.reply(record.id, clerk, "担当の山田です。ご用件を伺います。")

    assert sent.delivered
    assert desk.channel.sent == [("U77", ["担当の山田です。ご用件を伺います。"])]
    assert (sent.message.author, sent.message.direction) == ("staff", "out")
    assert sent.escalation.status is EscalationStatus.WAITING
    assert sent.escalation.assignee_id == clerk  # the clerk who answers owns the case
    assert sent.escalation.unread == 0
    async with desk.store.unit() as unit:
        convo = await unit.conversations.get(record.conversation_id)
        delivery = await unit.outbox.for_messages([sent.message.id])
    assert convo is not None
    assert convo.status is ConversationStatus.STAFF
    assert delivery[sent.message.id].status is OutboxStatus.SENT
    [event] = desk.published()
    assert (event["action"], event["status"]) == ("replied", "waiting")

    answer = await desk.say("ありがとうございます。住所は1条1丁目です", user="U77")
    assert answer.kind is OutcomeKind.QUIET
    back = await desk.only_escalation()
    assert back.status is EscalationStatus.ASSIGNED  # the citizen answered: staff's turn
    assert back.unread == 1


async def test_a_failing_channel_keeps_the_reply_pending_with_the_error(any_desk: Desk) -> None:
    desk = any_desk
    await desk.say("職員と話したい")
    record = await desk.only_escalation()
    desk.channel.failure = "LINE API 500: internal error"

    sent = await desk.service.reply(record.id, await desk.clerk(), "お待たせしました。")

    assert not sent.delivered
    async with desk.store.unit() as unit:
        row = (await unit.outbox.for_messages([sent.message.id]))[sent.message.id]
        transcript = [m.text for m in await unit.messages.recent(record.conversation_id)]
    assert row.status is OutboxStatus.PENDING
    assert row.last_error == "LINE API 500: internal error"
    assert row.attempts == 1
    assert "お待たせしました。" in transcript  # stored, and retried by the outbox worker


async def test_a_transfer_tells_the_citizen_in_their_language(desk: Desk) -> None:
    await desk.say("talk to staff please", user="U5")
    record = await desk.only_escalation()
    clerk = await desk.clerk()
    await desk.service.assign(record.id, clerk, clerk)

    moved = await desk.service.transfer(record.id, clerk, "dept.water", "水道料金の件です")

    assert (moved.department, moved.assignee_id) == ("dept.water", None)
    assert moved.status is EscalationStatus.OPEN
    water = desk.knowledge.entry("dept.water")
    assert water is not None
    notice = desk.text("handoff_transferred", "en", department=water.title.en)
    assert desk.channel.sent == [("U5", [notice])]
    assert "do not need to repeat" in notice
    async with desk.store.unit() as unit:
        notes = await unit.notes.for_escalation(record.id)
        actions = [a.action for a in await unit.audit.list()]
    assert [(n.kind, n.text) for n in notes] == [
        ("transfer", "dept.general_info → dept.water: 水道料金の件です")
    ]
    assert actions == ["escalation.transfer", "escalation.assign"]  # newest first


async def test_notes_stay_internal_and_reopen_needs_a_resolved_case(desk: Desk) -> None:
    await desk.say("職員と話したい")
    record = await desk.only_escalation()
    clerk = await desk.clerk()
    await desk.service.add_note(record.id, clerk, "折り返し電話を希望")
    assert desk.channel.sent == []
    with pytest.raises(EscalationConflict):
        await desk.service.reopen(record.id, clerk)
    await desk.service.resolve(record.id, clerk)
    with pytest.raises(EscalationConflict):
        await desk.service.reply(record.id, clerk, "hello")
    reopened = await desk.service.reopen(record.id, clerk)
    assert reopened.status is EscalationStatus.OPEN
    with pytest.raises(EscalationNotFound):
        await desk.service.resolve(9999, clerk)


async def test_concurrent_console_actions_all_land(any_desk: Desk) -> None:
    desk = any_desk
    await desk.say("職員と話したい")
    record = await desk.only_escalation()
    clerk = await desk.clerk()
    colleague = await desk.clerk("suzuki")

    await asyncio.gather(
        desk.service.reply(record.id, clerk, "一通目"),
        desk.service.reply(record.id, colleague, "二通目"),
        desk.service.add_note(record.id, colleague, "メモ"),
        desk.service.assign(record.id, clerk, colleague),
    )

    assert sorted(text for _, [text] in desk.channel.sent) == ["一通目", "二通目"]
    async with desk.store.unit() as unit:
        assert len(await unit.audit.list()) == 4
        staff_messages = [
            m for m in await unit.messages.recent(record.conversation_id) if m.author == "staff"
        ]
    assert len(staff_messages) == 2
