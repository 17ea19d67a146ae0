"""``GET /metrics``: what an operator's Prometheus sees after citizens chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from bot.app import create_app
from bot.knowledge_service import Knowledge
from bot.runtime import Runtime
from bot.settings import Settings


@dataclass
class Server:
    runtime: Runtime
    client: httpx.AsyncClient

    async def chat(self, text: str) -> str:
        response = await self.client.post("/api/chat", json={"text": text})
        assert response.status_code == 200
        return str(response.json()["outcome"])

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        response = await self.client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        }


@pytest_asyncio.fixture
async def server(tmp_path: Path, knowledge: Knowledge) -> AsyncIterator[Server]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db")
    app = create_app(settings, knowledge=knowledge)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Server(app.state.runtime, client)


async def test_metrics_count_chat_outcomes_and_read_the_backlog(server: Server) -> None:
    before = await server.metrics()
    assert before[("citybot_inbox_backlog", ())] == 0
    assert before[("citybot_escalations_open", ())] == 0
    outcomes = [await server.chat("ごみの出し方"), await server.chat("ごみの出し方")]
    outcomes.append(await server.chat("職員と話したい"))
    assert "handoff" in outcomes
    await server.runtime.inbox.accept("line", "stored-not-processed", {"type": "message"})
    seen = await server.metrics()
    for outcome in set(outcomes):
        key = ("citybot_messages_total", (("channel", "web"), ("outcome", outcome)))
        assert seen[key] == outcomes.count(outcome)
    assert seen[("citybot_turn_seconds_count", (("channel", "web"),))] == 3
    assert seen[("citybot_events_received_total", (("channel", "line"),))] == 1
    assert seen[("citybot_inbox_backlog", ())] == 1
    assert seen[("citybot_escalations_open", ())] == 1
    assert seen[("citybot_outbox_pending", ())] == 0


async def test_two_apps_keep_their_own_counts(tmp_path: Path, knowledge: Knowledge) -> None:
    apps = [
        create_app(
            Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/{n}.db"), knowledge=knowledge
        )
        for n in ("a", "b")
    ]
    apps[0].state.runtime.metrics.turn("web", "answer", 0.1)
    labels = {"channel": "web", "outcome": "answer"}
    counts = [
        app.state.runtime.metrics.registry.get_sample_value("citybot_messages_total", labels)
        for app in apps
    ]
    assert counts == [1.0, None]
