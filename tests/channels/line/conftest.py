"""The LINE channel under test: the real app on a real port, talking to a fake LINE API.

async def test_x(bot: LineBot, line_api: FakeLineApi) -> None:
    await bot.post(message_event("ごみの出し方"))
    await bot.settle()                      # wait until the event has been answered
    assert line_api.texts("reply") == [...]
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
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
from bot.storage.models import WebhookEvent
from tests.fakes.line_api import FakeLineApi
from tests.fakes.server import serve

SECRET = "line-channel-secret-for-tests"
TOKEN = "line-access-token-for-tests"
USER = "U4af4980629c0d8e2b7f2d0e1a3c5b7d9"
_ids = itertools.count(1)


def sign(body: bytes, secret: str = SECRET) -> str:
    """X-Line-Signature as LINE computes it."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def line_event(
    event_type: str,
    *,
    user: str = USER,
    event_id: str | None = None,
    redelivery: bool = False,
    age_seconds: float = 0.0,
    **fields: Any,
) -> dict[str, Any]:
    """One webhook event in LINE's documented shape."""
    number = next(_ids)
    event: dict[str, Any] = {
        "type": event_type,
        "mode": "active",
        "timestamp": int((time.time() - age_seconds) * 1000),
        "source": {"type": "user", "userId": user},
        "webhookEventId": event_id or f"01HTESTEVENT{number:014d}",
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if event_type not in ("unfollow", "leave"):
        event["replyToken"] = f"replytoken{number:022d}"
    event.update(fields)
    return event


def text_event(text: str, **kwargs: Any) -> dict[str, Any]:
    message = {"id": str(500000 + next(_ids)), "type": "text", "text": text, "quoteToken": "q"}
    return line_event("message", message=message, **kwargs)


def webhook_body(*events: dict[str, Any]) -> bytes:
    document = {"destination": "Ubot0000000000000000000000000000", "events": list(events)}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


@dataclass
class LineBot:
    """The running app as LINE's platform sees it."""

    runtime: Runtime
    client: httpx.AsyncClient

    async def post(self, *events: dict[str, Any]) -> httpx.Response:
        """Deliver events as LINE does: one signed POST."""
        body = webhook_body(*events)
        return await self.post_raw(body, sign(body))

    async def post_raw(self, body: bytes, signature: str | None) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Line-Signature"] = signature
        return await self.client.post("/webhooks/line", content=body, headers=headers)

    async def settle(self) -> None:
        """Wait until every accepted event has been processed and answered."""
        await self.runtime.inbox.drain()

    async def stored_events(self) -> int:
        store = self.runtime.store
        assert isinstance(store, SqlStore)
        async with store.engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(WebhookEvent))).scalar_one()
            )


def line_settings(database: Path, api_base: str) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{database}",
        line_channel_secret=Secret(SECRET),
        line_access_token=Secret(TOKEN),
        line_api_base=api_base,
        attachments_dir=database.parent / "attachments",
    )


@asynccontextmanager
async def running_bot(settings: Settings, knowledge: Knowledge) -> AsyncIterator[LineBot]:
    """The app with its lifespan (database, LINE client, outbox worker) and a client for it."""
    app = create_app(settings, knowledge=knowledge)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://citybot.test") as client,
    ):
        yield LineBot(app.state.runtime, client)


# One fake LINE API for the whole package (a real server: the SDK's aiohttp needs a socket),
# emptied before each test. Test modules run in the package's event loop for it.
@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def _served_line_api() -> AsyncIterator[FakeLineApi]:
    fake = FakeLineApi(token=TOKEN)
    async with serve(fake.app) as base:
        fake.base_url = base
        yield fake


@pytest.fixture
def line_api(_served_line_api: FakeLineApi) -> FakeLineApi:
    _served_line_api.reset()
    return _served_line_api


@pytest.fixture
def settings(tmp_path: Path, line_api: FakeLineApi) -> Settings:
    return line_settings(tmp_path / "bot.db", line_api.base_url)


@pytest_asyncio.fixture(loop_scope="package")
async def bot(settings: Settings, knowledge: Knowledge) -> AsyncIterator[LineBot]:
    async with running_bot(settings, knowledge) as running:
        yield running
