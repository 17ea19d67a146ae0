"""Live updates reach every listener: in one process, and across processes on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bot.events import EventBus, PostgresEventBus, event_bus
from tests.storage.conftest import throwaway_postgres


async def test_an_event_reaches_every_local_listener() -> None:
    bus = EventBus()
    async with bus.subscribe() as first, bus.subscribe() as second:
        bus.publish("escalation", {"id": 7, "action": "opened"})
        assert first.get_nowait() == {"kind": "escalation", "id": 7, "action": "opened"}
        assert second.get_nowait() == {"kind": "escalation", "id": 7, "action": "opened"}


async def test_a_stalled_listener_loses_old_events_but_never_blocks() -> None:
    bus = EventBus()
    async with bus.subscribe() as queue:
        for number in range(150):
            bus.publish("tick", {"n": number})
        assert queue.qsize() == 100
        assert queue.get_nowait()["n"] == 50


def test_sqlite_keeps_events_in_the_process() -> None:
    assert type(event_bus("sqlite+aiosqlite:///var/x.db")) is EventBus
    assert isinstance(event_bus("postgresql+asyncpg://postgres@127.0.0.1/x"), PostgresEventBus)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


@pytest.mark.postgres
async def test_an_event_published_in_one_process_reaches_a_listener_of_another(
    postgres_url: str,
) -> None:
    publisher, listener = PostgresEventBus(postgres_url), PostgresEventBus(postgres_url)
    await publisher.start()
    await listener.start()
    try:
        async with listener.subscribe() as far, publisher.subscribe() as near:
            publisher.publish("escalation", {"id": 3, "summary": "除雪の要望"})
            event = await asyncio.wait_for(far.get(), timeout=5)
            assert event == {"kind": "escalation", "id": 3, "summary": "除雪の要望"}
            # the publishing process hears its own event through the database too
            assert await asyncio.wait_for(near.get(), timeout=5) == event
    finally:
        await publisher.stop()
        await listener.stop()


@pytest.mark.postgres
async def test_a_payload_too_large_for_notify_still_tells_listeners_what_changed(
    postgres_url: str,
) -> None:
    bus = PostgresEventBus(postgres_url)
    await bus.start()
    try:
        async with bus.subscribe() as queue:
            bus.publish("escalation", {"id": 9, "summary": "長" * 5000})
            assert await asyncio.wait_for(queue.get(), timeout=5) == {
                "kind": "escalation",
                "id": 9,
            }
    finally:
        await bus.stop()
