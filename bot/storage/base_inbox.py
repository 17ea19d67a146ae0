"""Protocols of the inbox claims and flow deadlines (see :mod:`bot.storage.sql_inbox`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.storage.records import Channel


@dataclass(frozen=True, slots=True)
class ClaimedEvent:
    """A stored event a worker holds until it is processed (or its lease runs out)."""

    id: int
    channel: Channel
    event_id: str
    payload: dict[str, Any]
    citizen_key: str | None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One answer to queue in the same transaction as the turn that wrote it."""

    channel: Channel
    recipient: str
    payload: dict[str, Any]
    citizen_key: str | None
    available_at: dt.datetime


class InboxRepo(Protocol):
    """Stored events claimed per citizen, and the outbox rows of their answers."""

    async def record(
        self, channel: Channel, event_id: str, payload: dict[str, Any], citizen_key: str | None
    ) -> int | None:
        """Store an event; its row id the first time, ``None`` for a repeat."""
        ...

    async def waiting_unstored(self, citizen_key: str, stored_key: str) -> bool:
        """Whether the citizen has a pending event whose payload lacks ``stored_key`` (its
        message is stored when it is processed)."""
        ...

    async def claim(
        self, now: dt.datetime, lease_until: dt.datetime, limit: int
    ) -> list[ClaimedEvent]:
        """Take up to ``limit`` pending events, each the oldest of its citizen, whose citizen
        has no other event in progress and no answer waiting to be sent."""
        ...

    async def done(self, event_row_id: int, now: dt.datetime) -> None:
        """Mark a claimed event processed (in the transaction that stored its answers)."""
        ...

    async def failed(self, event_row_id: int, error: str, now: dt.datetime) -> None:
        """Mark a claimed event failed, with the error."""
        ...

    async def retry_later(
        self, event_row_id: int, error: str, now: dt.datetime, at: dt.datetime, attempts: int
    ) -> bool:
        """A claimed event met a passing fault (the database busy or unreachable): leave it
        pending, to be claimed again from ``at`` (the citizen's later events wait behind it),
        unless this was its ``attempts``-th try; then mark it failed. True: it will be retried."""
        ...

    async def release(self, now: dt.datetime) -> int:
        """Drop every lease (one process on SQLite: whoever held them is gone)."""
        ...

    async def backlog(self) -> int:
        """How many stored events are not processed yet."""
        ...

    async def enqueue(self, items: Sequence[OutboxItem], now: dt.datetime) -> list[int]:
        """Queue answers in the outbox; their ids, in order."""
        ...

    async def sent(self, outbox_ids: Sequence[int], now: dt.datetime) -> None:
        """Mark outbox rows sent, all in one statement."""
        ...


class FlowDeadlineRepo(Protocol):
    """When each conversation's flow in progress expires."""

    async def set(self, conversation_id: int, deadline: dt.datetime | None) -> None: ...

    async def due(self, now: dt.datetime, limit: int = 100) -> list[int]:
        """Conversations whose flow deadline has passed, earliest first."""
        ...

    async def take(self, conversation_id: int, now: dt.datetime) -> bool:
        """Clear a passed deadline; ``True`` only for the one process that cleared it."""
        ...
