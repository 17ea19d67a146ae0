"""SQL implementations of the operations ports (:mod:`bot.storage.base_ops`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, func, insert, select

from bot.storage.base_ops import Backlog
from bot.storage.models import Escalation, Outbox, WebhookEvent
from bot.storage.models_ops import LoginFailure  # its table joins Base.metadata from here
from bot.storage.records import EscalationStatus, EventStatus, OutboxStatus
from bot.storage.sql_base import SqlRepo

__all__ = ["SqlBacklogRepo", "SqlLoginFailureRepo"]


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


class SqlLoginFailureRepo(SqlRepo):
    """Failed logins, one row per failure and key; read by ``(key, failed_at)``."""

    async def recent(
        self, keys: Sequence[str], since: dt.datetime
    ) -> dict[str, list[dt.datetime]]:
        found: dict[str, list[dt.datetime]] = {key: [] for key in keys}
        if not found:
            return found
        rows = await self._session.execute(
            select(LoginFailure.key, LoginFailure.failed_at)
            .where(LoginFailure.key.in_(list(found)), LoginFailure.failed_at > since)
            .order_by(LoginFailure.failed_at, LoginFailure.id)
        )
        for key, at in rows:
            found[key].append(at)
        return found

    async def add(self, keys: Sequence[str], at: dt.datetime) -> None:
        if keys:
            await self._session.execute(
                insert(LoginFailure), [{"key": key, "failed_at": at} for key in keys]
            )

    async def prune(self, before: dt.datetime) -> int:
        result = await self._session.execute(
            delete(LoginFailure).where(LoginFailure.failed_at <= before)
        )
        return int(getattr(result, "rowcount", 0) or 0)
