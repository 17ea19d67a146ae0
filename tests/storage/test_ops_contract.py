"""The operations repositories on SQLite and PostgreSQL: backlog counts and login failures."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.storage.base import Store

T0 = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Only the SQL stores keep these (the in-memory store is going away)."""
    name: str = request.param
    return name


async def test_login_failures_are_counted_per_key_within_the_window(store: Store) -> None:
    async with store.unit() as unit:
        assert await unit.login_failures.recent(["a", "b"], T0) == {"a": [], "b": []}
        for minute in range(3):
            await unit.login_failures.add(["a", "b"], T0 + dt.timedelta(minutes=minute))
        await unit.login_failures.add(["a"], T0 + dt.timedelta(minutes=5))
    async with store.unit() as unit:  # another transaction (another process) sees them
        recent = await unit.login_failures.recent(["a", "b", "c"], T0 + dt.timedelta(minutes=1))
    assert recent == {
        "a": [T0 + dt.timedelta(minutes=2), T0 + dt.timedelta(minutes=5)],
        "b": [T0 + dt.timedelta(minutes=2)],
        "c": [],
    }
    assert all(at.tzinfo is not None for at in recent["a"])
    async with store.unit() as unit:
        assert await unit.login_failures.prune(T0 + dt.timedelta(minutes=2)) == 6
        left = await unit.login_failures.recent(["a", "b"], T0 - dt.timedelta(days=1))
    assert left == {"a": [T0 + dt.timedelta(minutes=5)], "b": []}


async def test_backlog_counts_pending_work(store: Store) -> None:
    async with store.unit() as unit:
        assert (await unit.backlog.counts()).inbox == 0
        await unit.events.record("line", "e1", {"x": 1})
        await unit.events.record("line", "e2", {"x": 2})
        await unit.events.record("telegram", "e3", {"x": 3})
        await unit.events.mark_done("line", "e2")
        await unit.outbox.enqueue("line", "U1", {"replies": []})
        user = await unit.users.get_or_create("line", "U1")
        convo = await unit.conversations.open_for(user.id)
        opened = [
            await unit.escalations.open(
                convo.id, user.id, "line", "requested", "dept.general", "summary", {}
            )
            for _ in range(2)
        ]
    async with store.unit() as unit:
        await unit.escalations.resolve(opened[0].id, T0)
        backlog = await unit.backlog.counts()
    assert (backlog.inbox, backlog.outbox, backlog.escalations) == (2, 1, 1)
