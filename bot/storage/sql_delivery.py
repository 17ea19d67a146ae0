"""SQL repositories of delivery: stored webhook events (the inbox) and the outbox."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, exists, select, update

from bot.storage.checks import (
    check_channel,
    check_limit,
)
from bot.storage.convert import (
    event_record,
    outbox_record,
)
from bot.storage.errors import RecordNotFoundError
from bot.storage.models import (
    Message,
    Outbox,
    WebhookEvent,
)
from bot.storage.records import (
    Channel,
    EventRecord,
    EventStatus,
    OutboxRecord,
    OutboxStatus,
)
from bot.storage.sql_base import SqlRepo, insert_for, load
from bot.storage.types import require_aware

__all__ = ["SqlOutboxRepo", "SqlWebhookEventRepo"]

outbox_table = cast(Table, Outbox.__table__)


class SqlWebhookEventRepo(SqlRepo):
    """Webhook events in SQL."""

    async def record(self, channel: Channel, event_id: str, payload: dict[str, Any]) -> bool:
        """Store the event; ``True`` only the first time.

        ``ON CONFLICT DO NOTHING RETURNING id`` returns a row only to the inserting transaction,
        so of any number of concurrent duplicate deliveries exactly one sees ``True``.
        """
        check_channel(channel)
        stmt = (
            insert_for(self._session, WebhookEvent)
            .values(
                channel=channel,
                event_id=event_id,
                payload=copy.deepcopy(payload),
                status=EventStatus.PENDING,
                attempts=0,
                received_at=self._now(),
            )
            .on_conflict_do_nothing(index_elements=["channel", "event_id"])
            .returning(WebhookEvent.id)
        )
        return (await self._session.execute(stmt)).scalar_one_or_none() is not None

    async def _set(self, channel: Channel, event_id: str, **values: Any) -> None:
        stmt = (
            update(WebhookEvent)
            .where(WebhookEvent.channel == channel, WebhookEvent.event_id == event_id)
            .values(**values)
            .returning(WebhookEvent.id)
            .execution_options(synchronize_session="fetch")
        )
        if (await self._session.execute(stmt)).scalar_one_or_none() is None:
            raise RecordNotFoundError(WebhookEvent.__tablename__, (channel, event_id))

    async def mark_done(self, channel: Channel, event_id: str) -> None:
        """Mark the event processed and drop its payload (the citizen's message is stored with
        the conversation; the id alone keeps redeliveries out)."""
        await self._set(
            channel,
            event_id,
            payload={},
            status=EventStatus.DONE,
            attempts=WebhookEvent.attempts + 1,
            processed_at=self._now(),
        )

    async def mark_failed(self, channel: Channel, event_id: str, error: str) -> None:
        """Mark the event failed, keeping the error and counting the attempt."""
        await self._set(
            channel,
            event_id,
            status=EventStatus.FAILED,
            attempts=WebhookEvent.attempts + 1,
            processed_at=self._now(),
            last_error=error,
        )

    async def pending(self, limit: int = 100) -> list[EventRecord]:
        """Return unprocessed events, oldest first."""
        check_limit(limit)
        rows = await self._session.scalars(
            select(WebhookEvent)
            .where(WebhookEvent.status == EventStatus.PENDING)
            .order_by(WebhookEvent.received_at, WebhookEvent.id)
            .limit(limit)
        )
        return [event_record(row) for row in rows]


class SqlOutboxRepo(SqlRepo):
    """Outbox in SQL."""

    async def enqueue(
        self,
        channel: Channel,
        recipient: str,
        payload: dict[str, Any],
        message_id: int | None = None,
        available_at: dt.datetime | None = None,
    ) -> int:
        """Queue a message, due at ``available_at`` (default now); return its id."""
        check_channel(channel)
        if message_id is not None:
            await load(self._session, Message, message_id)
        now = self._now()
        due_at = require_aware(available_at, "available_at") if available_at else now
        row = Outbox(
            channel=channel,
            recipient=recipient,
            payload=copy.deepcopy(payload),
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=due_at,
            created_at=now,
            message_id=message_id,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def for_messages(self, message_ids: Sequence[int]) -> dict[int, OutboxRecord]:
        """Return ``message id -> its delivery`` (the latest one if a message has several)."""
        if not message_ids:
            return {}
        rows = await self._session.scalars(
            select(Outbox).where(Outbox.message_id.in_(list(message_ids))).order_by(Outbox.id)
        )
        return {row.message_id: outbox_record(row) for row in rows if row.message_id is not None}

    async def due(self, now: dt.datetime, limit: int = 50) -> list[OutboxRecord]:
        """Return pending messages whose ``next_attempt_at <= now``, earliest first."""
        now = require_aware(now, "now")
        check_limit(limit)
        rows = await self._session.scalars(
            select(Outbox)
            .where(Outbox.status == OutboxStatus.PENDING, Outbox.next_attempt_at <= now)
            .order_by(Outbox.next_attempt_at, Outbox.id)
            .limit(limit)
        )
        return [outbox_record(row) for row in rows]

    async def claim(
        self, now: dt.datetime, lease_until: dt.datetime, limit: int = 50
    ) -> list[OutboxRecord]:
        """Take due messages: one UPDATE … RETURNING, so concurrent claims never overlap."""
        now = require_aware(now, "now")
        lease_until = require_aware(lease_until, "lease_until")
        check_limit(limit)
        row = outbox_table.alias("o")
        earlier = outbox_table.alias("earlier")
        due_ids = (
            select(row.c.id)
            .where(
                row.c.status == OutboxStatus.PENDING,
                row.c.next_attempt_at <= now,
                # one citizen's answers leave in order: not past an earlier one still pending
                ~exists().where(
                    earlier.c.citizen_key == row.c.citizen_key,
                    earlier.c.status == OutboxStatus.PENDING,
                    earlier.c.id < row.c.id,
                ),
            )
            .order_by(row.c.next_attempt_at, row.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=row)
            .scalar_subquery()
        )
        rows = await self._session.scalars(
            update(Outbox)
            .where(
                Outbox.id.in_(due_ids),
                Outbox.status == OutboxStatus.PENDING,
                Outbox.next_attempt_at <= now,
            )
            .values(next_attempt_at=lease_until)
            .returning(Outbox),
            execution_options={"synchronize_session": False},
        )
        return sorted((outbox_record(row) for row in rows), key=lambda o: o.id)

    async def mark_sent(self, outbox_id: int) -> None:
        """Mark the message sent."""
        row = await load(self._session, Outbox, outbox_id)
        row.status = OutboxStatus.SENT
        row.attempts = Outbox.attempts + 1  # in SQL: concurrent counts are not lost
        row.sent_at = self._now()
        await self._session.flush()

    async def retry_later(self, outbox_id: int, error: str, next_attempt_at: dt.datetime) -> None:
        """Count a failed attempt and schedule the next one."""
        next_attempt_at = require_aware(next_attempt_at, "next_attempt_at")
        row = await load(self._session, Outbox, outbox_id)
        row.attempts = Outbox.attempts + 1
        row.last_error = error
        row.next_attempt_at = next_attempt_at
        await self._session.flush()

    async def give_up(self, outbox_id: int, error: str) -> None:
        """Count a failed attempt and stop retrying (status failed)."""
        row = await load(self._session, Outbox, outbox_id)
        row.status = OutboxStatus.FAILED
        row.attempts = Outbox.attempts + 1
        row.last_error = error
        await self._session.flush()
