"""Citizens subscribing through the engine, on a migrated SQLite file, with a frozen clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.clock import FrozenClock
from bot.engine import Engine
from bot.knowledge_service import Knowledge
from bot.messages import Incoming, Kind, Outcome
from bot.storage import SqlStore, create_store, migrate

# Tuesday 1 December 2026, 10:00 in Asahikawa.
NOW = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)


@dataclass
class Citizen:
    engine: Engine
    channel: str
    user: str

    async def says(self, text: str) -> Outcome:
        return await self.engine.handle(Incoming(self.channel, self.user, text))

    async def presses(self, value: str) -> Outcome:
        return await self.engine.handle(Incoming(self.channel, self.user, value, Kind.CHOICE))

    async def shares(self, latitude: float, longitude: float) -> Outcome:
        payload: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        return await self.engine.handle(
            Incoming(self.channel, self.user, kind=Kind.LOCATION, payload=payload)
        )


@dataclass
class World:
    store: SqlStore
    engine: Engine
    clock: FrozenClock
    url: str

    def citizen(self, user: str, channel: str = "line") -> Citizen:
        return Citizen(self.engine, channel, user)


@pytest_asyncio.fixture
async def world(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[World]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'citybot.db'}"
    await migrate(url)
    store = create_store(url)
    clock = FrozenClock(NOW)
    engine = Engine(knowledge, store, clock=clock)
    try:
        yield World(store, engine, clock, url)
    finally:
        await store.close()
