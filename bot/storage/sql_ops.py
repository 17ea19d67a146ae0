"""SQL implementations of the operations ports (:mod:`bot.storage.base_ops`)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.storage.base_ops import Backlog
from bot.storage.models import Escalation, Outbox, WebhookEvent
from bot.storage.records import EscalationStatus, EventStatus, OutboxStatus
from bot.storage.sql_base import SqlRepo

__all__ = ["SqlBacklogRepo"]


class SqlBacklogRepo(SqlRepo):
    """Backlog counts: three indexed ``COUNT(*)`` queries."""

    async def counts(self) -> Backlog:
        events = select(func.count()).select_from(WebhookEvent)
        outbox = select(func.count()).select_from(Outbox)
        escalations = select(func.count()).select_from(Escalation)
        row = (
            await self._session.execute(
                select(
                    events.where(WebhookEvent.status == EventStatus.PENDING).scalar_subquery(),
                    outbox.where(Outbox.status == OutboxStatus.PENDING).scalar_subquery(),
                    escalations.where(
                        Escalation.status != EscalationStatus.RESOLVED
                    ).scalar_subquery(),
                )
            )
        ).one()
        return Backlog(inbox=int(row[0]), outbox=int(row[1]), escalations=int(row[2]))
