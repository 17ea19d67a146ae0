"""Each bot turn leaves its outcome, entry and area in its first stored reply, and nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from sqlalchemy import select

from bot.engine import Engine
from bot.events import EventBus
from bot.handoff.escalation import EscalationService
from bot.knowledge_service import Knowledge
from bot.messages import Incoming
from bot.stats.record import read_record
from bot.storage import SqlStore, create_store, migrate
from bot.storage.models import Message

SNOW = "除雪車って何時ごろ来るの？"


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await migrate(url)
    store = create_store(url)
    yield store
    await store.close()


async def bot_payloads(store: SqlStore) -> list[dict[str, Any] | None]:
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            select(Message.payload).where(Message.author == "bot").order_by(Message.id)
        )
        return [row[0] for row in rows]


async def test_an_answer_and_a_hand_off_are_recorded_with_their_area(
    store: SqlStore, knowledge: Knowledge
) -> None:
    escalations = EscalationService(store, knowledge, EventBus())
    engine = Engine(knowledge, store, escalations=escalations)

    answer = await engine.handle(Incoming("web", "v1", text=f"山田です。{SNOW}"))
    first = await bot_payloads(store)
    handoff = await engine.handle(Incoming("web", "v1", text="職員と話したい"))
    both = await bot_payloads(store)

    assert answer.entry_id is not None
    entry = knowledge.entry(answer.entry_id)
    assert entry is not None
    turn = read_record(first[0])
    assert turn is not None
    assert (turn.outcome, turn.entry_id, turn.category) == ("answer", entry.id, entry.category)
    assert all(read_record(p) is None for p in first[1:])  # one record per turn
    later = both[len(first)]
    assert later is not None
    assert later["outcome"] == handoff.kind.value
    assert later["escalated"] is True
    assert later["category"] == entry.category  # filed where its escalation was routed
    assert "山田" not in str(both)
    assert set(later) <= {"outcome", "entry_id", "category", "escalated", "choices"}
