"""A small seeded history for the published figures, written straight into the tables.

The clock stands at Tuesday 2026-12-15 12:00 in Asahikawa. November holds 20 questions
(7 answered, 5 with choices, 6 handed to staff, 2 the bot could not place), December 7
(5 answered, 2 unanswered), and one answer from a year ago falls outside the period.
Ten hand-offs in November: five opened in office hours (replies after 10…50 minutes), five on
a Saturday (60…300 minutes), and one still waiting. Six applications for one procedure came
in November; five were completed in December.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from sqlalchemy import insert

from bot.engine import shipped_flows
from bot.knowledge_service import Knowledge
from bot.storage import SqlStore, create_store, migrate
from bot.storage.models import Application, Conversation, Escalation, Message, User
from tests.storage.conftest import throwaway_postgres

JST = ZoneInfo("Asia/Tokyo")
NOW = dt.datetime(2026, 12, 15, 12, 0, tzinfo=JST)


T0 = dt.datetime(2025, 1, 6, 0, 0, tzinfo=dt.UTC)  # when the seeded citizen first wrote


def jst(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=JST).astimezone(dt.UTC)  # type: ignore[misc]


@dataclass(frozen=True)
class Seeded:
    store: SqlStore
    entry_id: str  # the snow entry every answer is about
    choices_category: str
    flow_id: str


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'stats.db'}"
    else:
        with throwaway_postgres() as url:
            yield url


@pytest_asyncio.fixture
async def seeded(database_url: str, knowledge: Knowledge) -> AsyncIterator[Seeded]:
    await migrate(database_url)
    store = create_store(database_url)
    entry = next(e for e in knowledge.kb if e.kind == "faq" and e.category == "snow")
    flow_id = sorted(shipped_flows(knowledge.kb).flows)[0]
    seeded = Seeded(store, entry.id, "environment", flow_id)
    try:
        await _seed(store, seeded)
        yield seeded
    finally:
        await store.close()


async def _seed(store: SqlStore, seeded: Seeded) -> None:
    answer = {"outcome": "answer", "entry_id": seeded.entry_id, "category": "snow"}
    choices = {"outcome": "choices", "category": seeded.choices_category, "choices": [["a", "b"]]}
    handoff = {"outcome": "handoff", "escalated": True}
    fallback = {"outcome": "fallback"}
    replies: list[tuple[dt.datetime, dict[str, Any]]] = [
        *((jst(2026, 11, 3, 10, i), answer) for i in range(7)),
        *((jst(2026, 11, 4, 10, i), choices) for i in range(5)),
        *((jst(2026, 11, 5, 10, i), handoff) for i in range(6)),
        *((jst(2026, 11, 6, 10, i), fallback) for i in range(2)),
        *((jst(2026, 12, 1, 9, i), answer) for i in range(5)),
        *((jst(2026, 12, 8, 9, i), fallback) for i in range(2)),
        (jst(2025, 11, 20, 9, 0), answer),  # a year ago: outside the period
        (jst(2026, 11, 3, 11, 0), {"choices": [["a", "b"]]}),  # a later reply of a turn
        (jst(2026, 11, 3, 11, 1), {"outcome": "info"}),  # a greeting is no question
    ]
    async with store.engine.begin() as conn:
        user = (
            await conn.execute(
                insert(User)
                .values(channel="web", external_id="v1", created_at=T0, last_seen_at=T0)
                .returning(User.id)
            )
        ).scalar_one()
        convo = (
            await conn.execute(
                insert(Conversation)
                .values(user_id=user, created_at=T0, updated_at=T0)
                .returning(Conversation.id)
            )
        ).scalar_one()
        await conn.execute(
            insert(Message),
            [
                {
                    "conversation_id": convo,
                    "direction": "out",
                    "author": "bot",
                    "kind": "text",
                    "text": "…",
                    "payload": payload,
                    "created_at": at,
                }
                for at, payload in replies
            ],
        )
        office = [jst(2026, 11, 10, 10, 0) for _ in range(5)]  # a Tuesday morning
        weekend = [jst(2026, 11, 14, 10, 0) for _ in range(5)]  # a Saturday
        escalations = [(at, 10 * (i + 1)) for i, at in enumerate(office)]
        escalations += [(at, 60 * (i + 1)) for i, at in enumerate(weekend)]
        escalations.append((jst(2026, 11, 20, 10, 0), None))
        for opened, minutes in escalations:
            # each hand-off is its own conversation, so first replies do not mix
            own = (
                await conn.execute(
                    insert(Conversation)
                    .values(user_id=user, created_at=T0, updated_at=T0)
                    .returning(Conversation.id)
                )
            ).scalar_one()
            await conn.execute(
                insert(Escalation).values(
                    conversation_id=own,
                    user_id=user,
                    channel="web",
                    reason="requested",
                    department="dept.roads",
                    summary="…",
                    transcript={},
                    created_at=opened,
                    updated_at=opened,
                    last_activity_at=opened,
                )
            )
            if minutes is not None:
                replied = opened + dt.timedelta(minutes=minutes)
                for extra in (0, 5):  # the first reply counts, not the second
                    await conn.execute(
                        insert(Message).values(
                            conversation_id=own,
                            direction="out",
                            author="staff",
                            kind="text",
                            text="…",
                            created_at=replied + dt.timedelta(minutes=extra),
                        )
                    )
        for i in range(6):
            created = jst(2026, 11, 11, 10, i)
            done = i < 5
            await conn.execute(
                insert(Application).values(
                    reference=f"R-{i}",
                    user_id=user,
                    conversation_id=convo,
                    channel="web",
                    flow_id=seeded.flow_id,
                    department="dept.roads",
                    status="done" if done else "new",
                    answers={},
                    summary="…",
                    created_at=created,
                    updated_at=created,
                    status_changed_at=created,
                    closed_at=jst(2026, 12, 2, 10, i) if done else None,
                )
            )
