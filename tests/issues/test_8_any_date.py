"""The time-sensitive behaviour, with the bot's one clock set far from today.

Each test runs at three moments: one minute before the year changes (inside the city's year-end
break, 12/29-1/3), the first working morning of that break, and a date years ahead. Everything
that stamps or compares times (sessions, hand-offs, flows, references, the outbox, retention)
must follow the clock, so these pass whatever the real date is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from bot.channels.base import Recipient
from bot.delivery.outbox import Delivery
from bot.errors import ChannelError
from bot.knowledge_service import Knowledge
from bot.messages import Incoming, OutcomeKind, Reply
from bot.procedures.retention import purge, purge_plan
from bot.storage.records import ApplicationRecord
from handlers.flows.state import FLOW_KEY
from tests.flows.conftest import Chat
from tests.flows.test_runner import start_bulky
from tests.staff.conftest import Console, running_console, settings_for

JST = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class Moment:
    at: dt.datetime
    opening: str  # what a hand-off promises: the next opening of the office


MOMENTS = {
    # Thursday 31 December 2026, 23:59: closed for the year-end break; next open Monday 4 Jan.
    "year-change": Moment(dt.datetime(2026, 12, 31, 23, 59, tzinfo=JST), "1月4日（月）8:45"),
    # Tuesday 29 December 2026, 10:00: a weekday morning, but the break has begun.
    "year-end-break": Moment(dt.datetime(2026, 12, 29, 10, 0, tzinfo=JST), "1月4日（月）8:45"),
    # Monday 3 June 2041, 20:00: after hours, years from now.
    "years-ahead": Moment(dt.datetime(2041, 6, 3, 20, 0, tzinfo=JST), "6月4日（火）8:45"),
}


@pytest.fixture(params=list(MOMENTS), ids=list(MOMENTS))
def moment(request: pytest.FixtureRequest) -> Moment:
    return MOMENTS[request.param]


@pytest_asyncio.fixture
async def console(tmp_path: Path, knowledge: Knowledge, moment: Moment) -> AsyncIterator[Console]:
    settings = replace(settings_for(tmp_path / "bot.db"), attachments_dir=tmp_path / "files")
    async with running_console(settings, knowledge) as running:
        running.freeze(moment.at)
        yield running


def day(at: dt.datetime) -> str:
    return at.astimezone(JST).strftime("%Y%m%d")


async def new_application(console: Console) -> ApplicationRecord:
    async with console.runtime.store.unit() as unit:
        user = await unit.users.get_or_create("web", "citizen")
        convo = await unit.conversations.open_for(user.id)
        return await unit.applications.create(
            "A", user.id, convo.id, "web", "bulky_waste", "dept.environment", {}, "粗大ごみ"
        )


async def test_a_staff_session_ends_after_idle_hours_and_after_twelve_hours(
    console: Console,
) -> None:
    await console.add_staff("tanaka")
    idle = await console.login("tanaka")
    console.advance(hours=7, minutes=59)
    assert (await idle.get("/staff/")).status_code == 200
    console.advance(hours=8, minutes=1)  # 8 h without activity
    assert (await idle.get("/staff/api/queue")).status_code == 401

    busy = await console.login("tanaka")
    for _ in range(11):
        console.advance(hours=1)
        assert (await busy.get("/staff/api/queue")).status_code == 200
    console.advance(hours=1, seconds=1)  # 12 h after sign-in, however active
    assert (await busy.get("/staff/api/queue")).status_code == 401


async def test_a_hand_off_out_of_hours_promises_the_next_opening(
    console: Console, moment: Moment
) -> None:
    outcome = await console.runtime.engine.handle(Incoming("web", "c1", text="職員と話したい"))
    assert outcome.kind is OutcomeKind.HANDOFF
    assert f"職員のお返事は{moment.opening}以降になります" in outcome.text
    async with console.runtime.store.unit() as unit:
        [case] = await unit.escalations.list()
    assert case.created_at == moment.at


async def test_a_flow_left_alone_expires_after_its_time(console: Console) -> None:
    rt = console.runtime
    chat = Chat(rt.engine, rt.store, rt.attachments, console.clock, channel="web")
    await start_bulky(chat)
    await chat.say("ソファ")
    console.advance(minutes=29)
    assert await rt.engine.sweep_flows() == 0  # still within its time
    assert FLOW_KEY in await chat.state()
    console.advance(minutes=2)
    late = await chat.say("タンス")
    assert "中止し、途中までの内容は削除しました" in late.text
    assert FLOW_KEY not in await chat.state()


async def test_a_reference_number_carries_the_clocks_date_in_asahikawa(
    console: Console, moment: Moment
) -> None:
    first = await new_application(console)
    assert first.reference.startswith(f"A-{day(moment.at)}-")
    assert first.created_at == moment.at
    console.advance(minutes=1)
    second = await new_application(console)
    assert second.reference.startswith(f"A-{day(moment.at + dt.timedelta(minutes=1))}-")


class FlakyChannel:
    """Fails while ``failing``; while sending, records what the outbox says is due."""

    name = "line"

    def __init__(self, console: Console, lease: float) -> None:
        self.console = console
        self.lease = dt.timedelta(seconds=lease)
        self.failing = True
        self.due_while_sending: list[tuple[int, int]] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def parse_event(self, payload: Any) -> list[tuple[Incoming, Recipient]]:
        return []

    async def send(self, recipient: Recipient, replies: Sequence[Reply]) -> None:
        now = self.console.clock()
        async with self.console.runtime.store.unit() as unit:
            before = len(await unit.outbox.due(now + self.lease - dt.timedelta(seconds=1)))
            after = len(await unit.outbox.due(now + self.lease))
        self.due_while_sending.append((before, after))
        if self.failing:
            raise ChannelError("LINE push failed: HTTP 500")


async def test_outbox_retries_and_leases_follow_the_clock(
    console: Console, moment: Moment
) -> None:
    channel = FlakyChannel(console, lease=120)
    delivery = Delivery(console.runtime.store, {"line": channel}, first_delay=2.0, lease=120)
    sent = await delivery.deliver("line", Recipient("U1"), [Reply("お待たせしました")])
    assert not sent
    retry = moment.at + dt.timedelta(seconds=2)
    async with console.runtime.store.unit() as unit:
        assert await unit.outbox.due(retry - dt.timedelta(seconds=1)) == []
        [row] = await unit.outbox.due(retry)
    assert (row.attempts, row.next_attempt_at, row.created_at) == (1, retry, moment.at)

    assert await delivery.flush() == 0  # not due yet
    console.advance(seconds=2)
    channel.failing = False
    assert await delivery.flush() == 1
    # While a message is being sent it is leased: due again only when the lease runs out.
    assert channel.due_while_sending == [(0, 1), (0, 1)]
    async with console.runtime.store.unit() as unit:
        assert await unit.outbox.due(moment.at + dt.timedelta(days=1)) == []


async def test_purge_deletes_applications_only_once_past_retention(console: Console) -> None:
    rt = console.runtime
    created = await new_application(console)
    retention = rt.settings.retention
    console.advance(days=retention.days, seconds=-1)
    plan = await purge_plan(rt.store, console.clock(), retention)
    assert plan.applications == []
    console.advance(seconds=2)
    plan = await purge_plan(rt.store, console.clock(), retention)
    assert [a.id for a in plan.applications] == [created.id]
    report = await purge(rt.store, rt.attachments, plan)
    assert report.applications == 1
    async with rt.store.unit() as unit:
        assert await unit.applications.get(created.id) is None
