"""SQL inbox claims and flow deadlines, in SQLAlchemy Core (the hot path of every event).

A claim is one ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING``: on
PostgreSQL concurrent workers in any number of processes skip each other's rows; on SQLite (one
process) the clause is dropped and the single writer serialises claims.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    Integer,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.base_inbox import ClaimedEvent, OutboxItem
from bot.storage.models import Conversation, Outbox, WebhookEvent
from bot.storage.records import Channel, EventStatus, OutboxStatus
from bot.storage.sql_base import SqlRepo, insert_for

__all__ = ["SqlFlowDeadlineRepo", "SqlInboxRepo"]

_events = cast(Table, WebhookEvent.__table__)
_outbox = cast(Table, Outbox.__table__)
_conversations = cast(Table, Conversation.__table__)


def _claim_statement() -> Any:
    """Per citizen, the oldest pending event, if no answer of theirs is still being sent."""
    now = bindparam("now", type_=_events.c.claimed_until.type)
    event = _events.alias("e")
    earlier = _events.alias("earlier")
    claimable = and_(
        event.c.status == EventStatus.PENDING,
        or_(event.c.claimed_until.is_(None), event.c.claimed_until <= now),
    )
    ids = (
        select(event.c.id)
        .where(
            claimable,
            ~exists().where(
                earlier.c.citizen_key == event.c.citizen_key,
                earlier.c.status == EventStatus.PENDING,
                earlier.c.id < event.c.id,
            ),
            ~exists().where(
                _outbox.c.citizen_key == event.c.citizen_key,
                _outbox.c.status == OutboxStatus.PENDING,
            ),
        )
        .order_by(event.c.id)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True, of=event)
        .scalar_subquery()
    )
    return (
        update(_events)
        .where(
            _events.c.id.in_(ids),
            _events.c.status == EventStatus.PENDING,
            or_(_events.c.claimed_until.is_(None), _events.c.claimed_until <= now),
        )
        .values(claimed_until=bindparam("lease_until", type_=_events.c.claimed_until.type))
        .returning(
            _events.c.id,
            _events.c.channel,
            _events.c.event_id,
            _events.c.payload,
            _events.c.citizen_key,
        )
    )


# Built once: the statements of every event are only executed, never rebuilt (SQLAlchemy
# then finds their compiled form by a cache key computed once, too).
_CLAIM = _claim_statement()
_DONE = (
    update(_events)
    .where(_events.c.id == bindparam("row_id"))
    .values(
        payload={},
        status=EventStatus.DONE,
        attempts=_events.c.attempts + 1,
        processed_at=bindparam("now", type_=_events.c.processed_at.type),
        claimed_until=None,
    )
)
_ENQUEUE = (
    insert(_outbox)
    .values(
        channel=bindparam("channel"),
        recipient=bindparam("recipient"),
        payload=bindparam("payload", type_=_outbox.c.payload.type),
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=bindparam("next_attempt_at", type_=_outbox.c.next_attempt_at.type),
        created_at=bindparam("created_at", type_=_outbox.c.created_at.type),
        citizen_key=bindparam("citizen_key"),
    )
    .returning(_outbox.c.id)
)
_SENT = (
    update(_outbox)
    .where(
        _outbox.c.id.in_(bindparam("ids", expanding=True)),
        _outbox.c.status == OutboxStatus.PENDING,
    )
    .values(
        status=OutboxStatus.SENT,
        attempts=_outbox.c.attempts + 1,
        sent_at=bindparam("now", type_=_outbox.c.sent_at.type),
    )
)

_WAITING_UNSTORED: dict[str, Any] = {}
_RECORD: dict[str, Any] = {}


def _record(session: AsyncSession) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id`` of an event, built once per database."""
    name = session.get_bind().dialect.name
    stmt = _RECORD.get(name)
    if stmt is None:
        stmt = _RECORD[name] = (
            insert_for(session, _events)
            .values(
                channel=bindparam("channel"),
                event_id=bindparam("event_id"),
                payload=bindparam("payload", type_=_events.c.payload.type),
                status=EventStatus.PENDING,
                attempts=0,
                received_at=bindparam("received_at", type_=_events.c.received_at.type),
                citizen_key=bindparam("citizen_key"),
            )
            .on_conflict_do_nothing(index_elements=["channel", "event_id"])
            .returning(_events.c.id)
        )
    return stmt


class SqlInboxRepo(SqlRepo):
    """Stored events claimed per citizen; outbox rows written and marked sent in bulk."""

    async def record(
        self, channel: Channel, event_id: str, payload: dict[str, Any], citizen_key: str | None
    ) -> int | None:
        params = {
            "channel": channel,
            "event_id": event_id,
            "payload": payload,
            "received_at": self._now(),
            "citizen_key": citizen_key,
        }
        result = await self._session.execute(_record(self._session), params)
        row_id: int | None = result.scalar_one_or_none()
        return row_id

    async def waiting_unstored(self, citizen_key: str, stored_key: str) -> bool:
        """Whether the citizen has a pending event whose payload lacks ``stored_key``."""
        stmt = _WAITING_UNSTORED.get(stored_key)
        if stmt is None:
            stmt = _WAITING_UNSTORED[stored_key] = (
                select(_events.c.id)
                .where(
                    _events.c.status == EventStatus.PENDING,
                    _events.c.citizen_key == bindparam("citizen_key"),
                    _events.c.payload[stored_key].as_string().is_(None),
                )
                .limit(1)
            )
        found = await self._session.scalar(stmt, {"citizen_key": citizen_key})
        return found is not None

    async def claim(
        self, now: dt.datetime, lease_until: dt.datetime, limit: int
    ) -> list[ClaimedEvent]:
        params = {"now": now, "lease_until": lease_until, "limit": limit}
        rows = (await self._session.execute(_CLAIM, params)).all()
        claimed = [
            ClaimedEvent(row[0], cast(Channel, row[1]), row[2], dict(row[3] or {}), row[4])
            for row in rows
        ]
        return sorted(claimed, key=lambda e: e.id)

    async def done(self, event_row_id: int, now: dt.datetime) -> None:
        await self._session.execute(_DONE, {"row_id": event_row_id, "now": now})

    async def failed(self, event_row_id: int, error: str, now: dt.datetime) -> None:
        await self._session.execute(
            update(_events)
            .where(_events.c.id == event_row_id)
            .values(
                status=EventStatus.FAILED,
                attempts=_events.c.attempts + 1,
                processed_at=now,
                claimed_until=None,
                last_error=error,
            )
        )

    async def retry_later(
        self, event_row_id: int, error: str, now: dt.datetime, at: dt.datetime, attempts: int
    ) -> bool:
        last = _events.c.attempts + 1 >= attempts
        result = await self._session.execute(
            update(_events)
            .where(_events.c.id == event_row_id, _events.c.status == EventStatus.PENDING)
            .values(
                status=case((last, EventStatus.FAILED), else_=EventStatus.PENDING),
                processed_at=case((last, now), else_=None),
                claimed_until=case((last, None), else_=at),
                attempts=_events.c.attempts + 1,
                last_error=error,
            )
            .returning(_events.c.status)
        )
        row = result.first()
        return row is not None and row[0] == EventStatus.PENDING

    async def release(self, now: dt.datetime) -> int:
        result = await self._session.execute(
            update(_events)
            .where(_events.c.status == EventStatus.PENDING, _events.c.claimed_until.is_not(None))
            .values(claimed_until=None)
            .returning(_events.c.id)
        )
        released = len(result.all())
        await self._session.execute(
            update(_outbox)
            .where(_outbox.c.status == OutboxStatus.PENDING, _outbox.c.next_attempt_at > now)
            .values(next_attempt_at=now)
        )
        return released

    async def backlog(self) -> int:
        count = await self._session.scalar(
            select(func.count())
            .select_from(_events)
            .where(_events.c.status == EventStatus.PENDING)
        )
        return int(count or 0)

    async def enqueue(self, items: Sequence[OutboxItem], now: dt.datetime) -> list[int]:
        ids: list[int] = []
        for item in items:  # one by one: ids in order on both databases
            params = {
                "channel": item.channel,
                "recipient": item.recipient,
                "payload": item.payload,
                "next_attempt_at": item.available_at,
                "created_at": now,
                "citizen_key": item.citizen_key,
            }
            ids.append(int((await self._session.execute(_ENQUEUE, params)).scalar_one()))
        return ids

    async def sent(self, outbox_ids: Sequence[int], now: dt.datetime) -> None:
        if not outbox_ids:
            return
        await self._session.execute(_SENT, {"ids": list(outbox_ids), "now": now})


class SqlFlowDeadlineRepo(SqlRepo):
    """When flows in progress expire: the sweep finds them by a query, in any process."""

    async def set(self, conversation_id: int, deadline: dt.datetime | None) -> None:
        table = _conversations
        await self._session.execute(
            update(table).where(table.c.id == conversation_id).values(flow_deadline=deadline)
        )

    async def due(self, now: dt.datetime, limit: int = 100) -> list[int]:
        rows = await self._session.scalars(
            select(_conversations.c.id)
            .where(_conversations.c.flow_deadline <= now)
            .order_by(_conversations.c.flow_deadline)
            .limit(limit)
        )
        return list(rows)

    async def take(self, conversation_id: int, now: dt.datetime) -> bool:
        table = _conversations
        result = await self._session.execute(
            update(table)
            .where(table.c.id == conversation_id, table.c.flow_deadline <= now)
            .values(flow_deadline=None)
            .returning(table.c.id)
        )
        return result.first() is not None
