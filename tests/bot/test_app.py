"""The server as an operator sees it: health, limits, JSON errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio

from bot.app import create_app
from bot.knowledge_service import Knowledge
from bot.settings import Settings


@pytest_asyncio.fixture
async def client(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db")
    app = create_app(settings, knowledge=knowledge)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


async def test_health_reports_database_and_knowledge(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] is True
    assert body["knowledge_entries"] > 300
    assert body["channels"] == ["web"]  # no LINE/Telegram settings


async def test_oversize_body_is_refused_with_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/chat", content=b"x" * (1024 * 1024 + 1), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]


async def test_unknown_api_route_answers_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nothing-here")
    assert response.status_code == 404
    assert "error" in response.json()


async def test_webhooks_of_disabled_channels_are_not_found(client: httpx.AsyncClient) -> None:
    for path in ("/webhooks/line", "/webhooks/telegram"):
        response = await client.post(path, content=b"{}")
        assert response.status_code == 404, path
        assert "error" in response.json()
