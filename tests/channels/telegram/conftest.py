"""The Telegram channel under test: the real app, talking to a fake Bot API on a real port.

Test modules here run in one event loop per module (the fake server is shared):
``pytestmark = pytest.mark.asyncio(loop_scope="module")``.

async def test_x(bot: TelegramBot, telegram_api: FakeTelegram) -> None:
    await bot.post(updates.text("ごみの出し方"))
    await bot.settle()                      # wait until the update has been answered
    assert [c.params["text"] for c in telegram_api.delivered()] == [...]
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from bot.app import create_app
from bot.knowledge_service import Knowledge
from bot.runtime import Runtime
from bot.settings import Secret, Settings
from bot.storage.db import SqlStore
from bot.storage.models import Outbox, User
from tests.fakes.server import serve
from tests.fakes.telegram_api import TOKEN, FakeTelegram

SECRET = "webhook-secret_for-tests-0123456789"


@dataclass
class TelegramBot:
    """The running app as Telegram's servers see it."""

    runtime: Runtime
    client: httpx.AsyncClient

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
        """Deliver one update as Telegram does: a JSON POST with the secret token header."""
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        return await self.client.post("/webhooks/telegram", json=update, headers=headers)

    async def settle(self) -> None:
        """Wait until every accepted update has been processed and answered."""
        await self.runtime.inbox.drain()

    async def count(self, model: type[Any]) -> int:
        """Rows of one table (webhook events, outbox, users)."""
        store = self.runtime.store
        assert isinstance(store, SqlStore)
        async with store.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(model))).scalar_one())

    async def outbox_statuses(self) -> list[str]:
        store = self.runtime.store
        assert isinstance(store, SqlStore)
        async with store.engine.connect() as conn:
            rows = await conn.execute(select(Outbox.status).order_by(Outbox.id))
            return [str(status) for status in rows.scalars()]

    async def users(self) -> dict[str, bool]:
        """Telegram citizens as stored: id -> still active."""
        store = self.runtime.store
        assert isinstance(store, SqlStore)
        async with store.engine.connect() as conn:
            query = select(User.external_id, User.active).where(User.channel == "telegram")
            return {external_id: active for external_id, active in await conn.execute(query)}


def telegram_settings(database: Path, api: FakeTelegram, secret: str | None = SECRET) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{database}",
        telegram_token=Secret(TOKEN),
        telegram_webhook_secret=Secret(secret) if secret else None,
        telegram_api_base=f"{api.base_url}/bot",
        attachments_dir=database.parent / "attachments",
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def telegram_server() -> AsyncIterator[FakeTelegram]:
    """One fake Bot API per module; ``telegram_api`` hands it out clean to each test."""
    fake = FakeTelegram()
    async with serve(fake.app) as base:
        fake.base_url = base
        yield fake


@pytest_asyncio.fixture(loop_scope="module")
async def telegram_api(telegram_server: FakeTelegram) -> AsyncIterator[FakeTelegram]:
    telegram_server.reset()
    yield telegram_server
    telegram_server.reset()


@pytest.fixture
def settings(tmp_path: Path, telegram_api: FakeTelegram) -> Settings:
    return telegram_settings(tmp_path / "bot.db", telegram_api)


@asynccontextmanager
async def running_bot(settings: Settings, knowledge: Knowledge) -> AsyncIterator[TelegramBot]:
    """The app with its lifespan, reached in process as Telegram would reach it over HTTP."""
    app = create_app(settings, knowledge=knowledge)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="https://citybot.test") as client,
    ):
        yield TelegramBot(app.state.runtime, client)


@pytest_asyncio.fixture(loop_scope="module")
async def bot(settings: Settings, knowledge: Knowledge) -> AsyncIterator[TelegramBot]:
    async with running_bot(settings, knowledge) as running:
        yield running
