"""Inbox claims and flow deadlines on SQLite and PostgreSQL: one citizen's events in order."""

from __future__ import annotations

import datetime as dt

from bot.storage.base import Store
from bot.storage.base_inbox import OutboxItem

NOW = dt.datetime(2031, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
LEASE = NOW + dt.timedelta(seconds=60)


async def _record(store: Store, event_id: str, citizen: str) -> int:
    async with store.unit() as unit:
        row = await unit.inbox.record("line", event_id, {"n": event_id}, citizen)
    assert row is not None
    return row


async def _claim(store: Store, now: dt.datetime = NOW) -> list[str]:
    async with store.unit() as unit:
        claimed = await unit.inbox.claim(now, now + dt.timedelta(seconds=60), 10)
    return [e.event_id for e in claimed]


async def test_a_repeat_is_not_stored_twice(store: Store) -> None:
    await _record(store, "e1", "line:U1")
    async with store.unit() as unit:
        assert await unit.inbox.record("line", "e1", {}, "line:U1") is None
        assert await unit.inbox.backlog() == 1


async def test_one_citizen_at_a_time_oldest_first_and_after_the_answer_is_sent(
    store: Store,
) -> None:
    first = await _record(store, "a1", "line:UA")
    await _record(store, "a2", "line:UA")
    await _record(store, "b1", "line:UB")

    assert await _claim(store) == ["a1", "b1"]  # a2 waits for a1
    assert await _claim(store) == []  # both held

    async with store.unit() as unit:  # a1 answered: its reply queued, the event done
        item = OutboxItem("line", "UA", {"replies": []}, "line:UA", LEASE)
        [outbox_id] = await unit.inbox.enqueue([item], NOW)
        await unit.inbox.done(first, NOW)
    assert await _claim(store) == []  # a2 waits until a1's answer is sent

    async with store.unit() as unit:
        await unit.inbox.sent([outbox_id], NOW)
    assert await _claim(store) == ["a2"]
    async with store.unit() as unit:
        assert await unit.inbox.backlog() == 2  # a2 and b1: claimed is not processed


async def test_a_dead_workers_claim_is_taken_over_after_its_lease(store: Store) -> None:
    await _record(store, "c1", "line:UC")
    assert await _claim(store) == ["c1"]
    assert await _claim(store, NOW + dt.timedelta(seconds=30)) == []
    assert await _claim(store, NOW + dt.timedelta(seconds=61)) == ["c1"]


async def test_a_passed_flow_deadline_is_taken_once(store: Store) -> None:
    async with store.unit() as unit:
        user = await unit.users.get_or_create("line", "UF")
        convo = await unit.conversations.open_for(user.id)
        await unit.deadlines.set(convo.id, NOW - dt.timedelta(minutes=1))
    async with store.unit() as unit:
        assert await unit.deadlines.due(NOW) == [convo.id]
        assert await unit.deadlines.take(convo.id, NOW)
    async with store.unit() as unit:
        assert not await unit.deadlines.take(convo.id, NOW)
        assert await unit.deadlines.due(NOW) == []


async def test_a_passing_fault_retries_later_in_order_then_gives_up(store: Store) -> None:
    first = await _record(store, "r1", "line:UR")
    await _record(store, "r2", "line:UR")
    assert await _claim(store) == ["r1"]
    later = NOW + dt.timedelta(seconds=2)
    async with store.unit() as unit:
        assert await unit.inbox.retry_later(first, "OperationalError: locked", NOW, later, 2)
    assert await _claim(store) == []  # not before its time, and r2 still waits behind it
    assert await _claim(store, later) == ["r1"]
    async with store.unit() as unit:  # the second try was the last: failed for good
        assert not await unit.inbox.retry_later(first, "OperationalError: locked", later, later, 2)
        assert await unit.inbox.backlog() == 1
    assert await _claim(store, later) == ["r2"]  # the citizen's next message goes on
