"""The staff console under test: the real app (SQLite file, lifespan) reached in process.

async def test_x(console: Console) -> None:
    await console.add_staff("tanaka", departments=["dept.roads"])
    client = await console.login("tanaka")             # a signed-in browser-like client
    escalation = await console.citizen_asks_for_staff(SNOW)   # routed to dept.roads
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from argon2 import PasswordHasher
from sqlalchemy import text as sql_text
from starlette.applications import Starlette

from bot.app import create_app
from bot.clock import FrozenClock
from bot.knowledge_service import Knowledge
from bot.messages import Incoming
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.db import SqlStore
from bot.storage.records import EscalationRecord, StaffRecord, StaffRole

BASE = "http://citybot.test"
PASSWORD = "correct horse battery staple"
SNOW = "除雪車って何時ごろ来るの？"  # a question the bot answers from dept.roads' FAQ
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # tests only
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


@dataclass
class Console:
    """The running app and ways to act on it as citizens and clerks."""

    asgi: Starlette
    runtime: Runtime
    clients: list[httpx.AsyncClient] = field(default_factory=list)
    citizens: int = 0

    def client(self, ip: str = "127.0.0.1", base_url: str = BASE) -> httpx.AsyncClient:
        """A new browser (its own cookies) at address ``ip``."""
        transport = httpx.ASGITransport(app=self.asgi, client=(ip, 50000))
        client = httpx.AsyncClient(transport=transport, base_url=base_url)
        self.clients.append(client)
        return client

    @property
    def clock(self) -> FrozenClock:
        clock = self.runtime.clock
        assert isinstance(clock, FrozenClock), "compose the app with a FrozenClock"
        return clock

    def freeze(self, at: dt.datetime) -> None:
        """Stop the bot's one clock at ``at``."""
        self.clock.set(at)

    def advance(self, **delta: float) -> None:
        self.clock.advance(**delta)

    async def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Read the database directly (what is really stored)."""
        store = self.runtime.store
        assert isinstance(store, SqlStore)
        async with store.engine.connect() as conn:
            return [tuple(row) for row in await conn.execute(sql_text(sql))]

    async def add_staff(
        self,
        username: str,
        *,
        role: StaffRole = "staff",
        departments: Sequence[str] = ("dept.roads",),
        password: str = PASSWORD,
    ) -> StaffRecord:
        async with self.runtime.store.unit() as unit:
            return await unit.staff.add(
                username, username.title(), _FAST.hash(password), role, list(departments)
            )

    async def login_response(
        self, client: httpx.AsyncClient, username: str, password: str = PASSWORD
    ) -> httpx.Response:
        form = await client.get("/staff/login")
        return await client.post(
            "/staff/login",
            data={"username": username, "password": password, "csrf": csrf_of(form.text)},
        )

    async def login(
        self, username: str, password: str = PASSWORD, ip: str = "127.0.0.1"
    ) -> httpx.AsyncClient:
        client = self.client(ip)
        response = await self.login_response(client, username, password)
        assert response.status_code == 303, response.text
        return client

    async def csrf(self, client: httpx.AsyncClient) -> str:
        return csrf_of((await client.get("/staff/")).text)

    async def citizen_says(self, user: str, *texts: str, channel: str = "web") -> None:
        for text in texts:
            await self.runtime.engine.handle(Incoming(channel, user, text=text))

    async def citizen_asks_for_staff(
        self, *texts: str, channel: str = "web", user: str | None = None
    ) -> EscalationRecord:
        """A new citizen writes ``texts`` and then asks for a person; returns the escalation."""
        self.citizens += 1
        user = user or f"citizen-{self.citizens}"
        await self.citizen_says(user, *texts, "職員と話したい", channel=channel)
        async with self.runtime.store.unit() as unit:
            [latest] = await unit.escalations.list(limit=1)
        return latest


def settings_for(database: Path, *, https: bool = False) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{database}", https=https)


@asynccontextmanager
async def running_console(settings: Settings, knowledge: Knowledge) -> AsyncIterator[Console]:
    app = create_app(settings, knowledge=knowledge, clock=FrozenClock())
    async with app.router.lifespan_context(app):
        running = Console(app, app.state.runtime)
        try:
            yield running
        finally:
            for client in running.clients:
                await client.aclose()


@pytest_asyncio.fixture
async def console(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[Console]:
    async with running_console(settings_for(tmp_path / "bot.db"), knowledge) as running:
        yield running
