"""The published figures' reads in SQL: Core selects of the needed columns, streamed.

Months and weeks are bounded by the caller (in the office's time zone) and asked for one at a
time, so the queries use no dialect-specific date functions and run the same on SQLite and
PostgreSQL; turns are counted in the database, hand-offs and applications streamed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.base_stats import ApplicationFact, EscalationFact, TurnCount
from bot.storage.models import Application, Escalation, Message
from bot.storage.models_stats import MESSAGES_BY_TIME  # noqa: F401  (the index joins the metadata)
from bot.storage.types import require_aware

BATCH = 1000  # rows fetched at a time


class SqlStatsRepo:
    """Read-only streams for the published figures."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside ``session``."""
        self._session = session

    async def turn_counts(self, since: dt.datetime, until: dt.datetime) -> list[TurnCount]:
        """Bot turns in the period, counted in the database by their record's keys.

        Only those keys are read from the payload (``JSON_EXTRACT`` on SQLite, ``->>`` on
        PostgreSQL): the text and the offered choices never leave the database. The keys are
        grouped through a subquery, so PostgreSQL sees one expression, not two bound copies.
        """
        since, until = require_aware(since, "since"), require_aware(until, "until")
        outcome = Message.payload["outcome"].as_string()
        turns = (
            select(
                outcome.label("outcome"),
                Message.payload["entry_id"].as_string().label("entry_id"),
                Message.payload["category"].as_string().label("category"),
                Message.payload["escalated"].as_boolean().label("escalated"),
            )
            .where(
                Message.direction == "out",
                Message.author == "bot",
                Message.created_at >= since,
                Message.created_at < until,
                outcome.is_not(None),
            )
            .subquery()
        )
        keys = (turns.c.outcome, turns.c.entry_id, turns.c.category, turns.c.escalated)
        rows = await self._session.execute(select(*keys, func.count()).group_by(*keys))
        return [
            TurnCount(kind, entry_id, category, bool(escalated), int(count))
            for kind, entry_id, category, escalated, count in rows
        ]

    async def escalations(
        self, since: dt.datetime, until: dt.datetime
    ) -> AsyncIterator[EscalationFact]:
        """Escalations opened in the period, each with the first staff reply before it closed."""
        since, until = require_aware(since, "since"), require_aware(until, "until")
        first_reply = (
            select(func.min(Message.created_at))
            .where(
                Message.conversation_id == Escalation.conversation_id,
                Message.direction == "out",
                Message.author == "staff",
                Message.created_at >= Escalation.created_at,
                or_(
                    Escalation.resolved_at.is_(None), Message.created_at <= Escalation.resolved_at
                ),
            )
            .correlate(Escalation)
            .scalar_subquery()
        )
        stmt = (
            select(
                Escalation.created_at,
                first_reply,
                Escalation.reason,
                Escalation.category,
                Escalation.department,
            )
            .where(Escalation.created_at >= since, Escalation.created_at < until)
            .order_by(Escalation.id)
            .execution_options(yield_per=BATCH)
        )
        result = await self._session.stream(stmt)
        async for rows in result.partitions(BATCH):
            for created, replied, reason, category, department in rows:
                yield EscalationFact(created, replied, reason, category, department)

    async def applications(
        self, since: dt.datetime, until: dt.datetime
    ) -> AsyncIterator[ApplicationFact]:
        """Applications created or closed in the period, oldest first."""
        since, until = require_aware(since, "since"), require_aware(until, "until")
        stmt = (
            select(
                Application.flow_id,
                Application.department,
                Application.status,
                Application.created_at,
                Application.closed_at,
            )
            .where(
                or_(
                    and_(Application.created_at >= since, Application.created_at < until),
                    and_(Application.closed_at >= since, Application.closed_at < until),
                )
            )
            .order_by(Application.id)
            .execution_options(yield_per=BATCH)
        )
        result = await self._session.stream(stmt)
        async for rows in result.partitions(BATCH):
            for flow_id, department, status, created, closed in rows:
                yield ApplicationFact(flow_id, department, str(status), created, closed)
