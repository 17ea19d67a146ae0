"""In-memory twins of the SQL repositories, for tests and the terminal chat.

They keep the same contract as :mod:`bot.storage.repositories` (the contract tests run both):
the same records, the same argument checks, the same errors, and transactions — a unit works on
a copy of the tables that replaces them on commit, and units run one at a time, as SQLite's
single writer does.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from bot.storage.base import Unit
from bot.storage.checks import (
    check_author,
    check_channel,
    check_direction,
    check_kind,
    check_language,
    check_limit,
)
from bot.storage.errors import RecordNotFoundError
from bot.storage.records import (
    Author,
    Channel,
    ConversationRecord,
    ConversationStatus,
    Direction,
    EventRecord,
    EventStatus,
    FeedbackRecord,
    Language,
    MessageKind,
    MessageRecord,
    OutboxRecord,
    OutboxStatus,
    UserRecord,
)
from bot.storage.types import require_aware, utcnow

__all__ = [
    "InMemoryConversationRepo",
    "InMemoryFeedbackRepo",
    "InMemoryMessageRepo",
    "InMemoryOutboxRepo",
    "InMemoryStore",
    "InMemoryUserRepo",
    "InMemoryWebhookEventRepo",
]

_R = TypeVar("_R")


_T = TypeVar("_T")


@dataclass
class _Table(Generic[_T]):
    """Rows by id, with the next id to hand out (ids start at 1, as in SQL)."""

    name: str
    rows: dict[int, _T] = field(default_factory=dict)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def load(self, key: int) -> _T:
        try:
            return self.rows[key]
        except KeyError:
            raise RecordNotFoundError(self.name, key) from None


@dataclass
class _Tables:
    """Everything one in-memory database holds. Records are frozen, so copies are cheap."""

    users: _Table[UserRecord] = field(default_factory=lambda: _Table("users"))
    conversations: _Table[ConversationRecord] = field(
        default_factory=lambda: _Table("conversations")
    )
    messages: _Table[MessageRecord] = field(default_factory=lambda: _Table("messages"))
    feedback: _Table[FeedbackRecord] = field(default_factory=lambda: _Table("feedback"))
    events: _Table[EventRecord] = field(default_factory=lambda: _Table("webhook_events"))
    outbox: _Table[OutboxRecord] = field(default_factory=lambda: _Table("outbox"))

    def copy(self) -> _Tables:
        """Return a copy whose tables can change without touching these."""
        return _Tables(
            **{
                name: _Table(table.name, dict(table.rows), table.next_id)
                for name, table in vars(self).items()
            }
        )


def _json(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return a deep copy, so neither side can change the other's JSON value."""
    return copy.deepcopy(value)


def _out(record: _R) -> _R:
    """Hand a stored record out with its JSON values copied, as a database round trip does."""
    changes: dict[str, Any] = {
        name: _json(getattr(record, name))
        for name in ("state", "payload")
        if hasattr(record, name)
    }
    return replace(record, **changes) if changes else record  # type: ignore[type-var]


class InMemoryStore:
    """A :class:`bot.storage.base.Store` that keeps everything in a dict per table."""

    def __init__(self) -> None:
        """Start empty."""
        self._tables = _Tables()
        self._lock = asyncio.Lock()
        self._closed = False

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Unit]:
        """Open one transaction: commit on normal exit, roll back on exception."""
        async with self._lock:
            work = self._tables.copy()
            yield Unit(
                users=InMemoryUserRepo(work),
                conversations=InMemoryConversationRepo(work),
                messages=InMemoryMessageRepo(work),
                feedback=InMemoryFeedbackRepo(work),
                events=InMemoryWebhookEventRepo(work),
                outbox=InMemoryOutboxRepo(work),
            )
            self._tables = work

    async def ping(self) -> bool:
        """Return ``True`` until closed."""
        return not self._closed

    async def close(self) -> None:
        """Forget nothing, but answer ``False`` to :meth:`ping` from now on."""
        self._closed = True


class _Repo:
    def __init__(self, tables: _Tables) -> None:
        """Work on one unit's copy of the tables."""
        self._t = tables


class InMemoryUserRepo(_Repo):
    """Users in memory."""

    async def get_or_create(
        self,
        channel: Channel,
        external_id: str,
        *,
        language: Language | None = None,
        display_name: str | None = None,
    ) -> UserRecord:
        """Return the user, creating it on first contact."""
        check_channel(channel)
        if language is not None:
            check_language(language)
        for user in self._t.users.rows.values():
            if user.channel == channel and user.external_id == external_id:
                return user
        now = utcnow()
        user = UserRecord(
            id=self._t.users.new_id(),
            channel=channel,
            external_id=external_id,
            display_name=display_name,
            language=language or "ja",
            active=True,
            created_at=now,
            last_seen_at=now,
        )
        self._t.users.rows[user.id] = user
        return user

    async def get(self, user_id: int) -> UserRecord | None:
        """Return the user or ``None``."""
        return self._t.users.rows.get(user_id)

    def _change(self, user_id: int, **changes: Any) -> None:
        self._t.users.rows[user_id] = replace(self._t.users.load(user_id), **changes)

    async def set_language(self, user_id: int, language: Language) -> None:
        """Set the user's language."""
        check_language(language)
        self._change(user_id, language=language)

    async def set_active(self, user_id: int, active: bool) -> None:
        """Mark the user active or inactive."""
        self._change(user_id, active=active)

    async def touch(self, user_id: int) -> None:
        """Set ``last_seen_at`` to now."""
        self._change(user_id, last_seen_at=utcnow())


class InMemoryConversationRepo(_Repo):
    """Conversations in memory."""

    async def open_for(self, user_id: int) -> ConversationRecord:
        """Return the user's latest conversation that is not closed, or start a new one."""
        self._t.users.load(user_id)
        open_ones = [
            c
            for c in self._t.conversations.rows.values()
            if c.user_id == user_id and c.status is not ConversationStatus.CLOSED
        ]
        if open_ones:
            return _out(max(open_ones, key=lambda c: c.id))
        now = utcnow()
        convo = ConversationRecord(
            id=self._t.conversations.new_id(),
            user_id=user_id,
            status=ConversationStatus.BOT,
            state={},
            created_at=now,
            updated_at=now,
        )
        self._t.conversations.rows[convo.id] = convo
        return _out(convo)

    async def get(self, conversation_id: int) -> ConversationRecord | None:
        """Return the conversation or ``None``."""
        convo = self._t.conversations.rows.get(conversation_id)
        return None if convo is None else _out(convo)

    async def update(
        self,
        conversation_id: int,
        *,
        status: ConversationStatus | None = None,
        state: dict[str, Any] | None = None,
    ) -> ConversationRecord:
        """Change the status and/or replace the whole state; bumps ``updated_at``."""
        convo = self._t.conversations.load(conversation_id)
        convo = replace(
            convo,
            status=convo.status if status is None else ConversationStatus(status),
            state=convo.state if state is None else copy.deepcopy(state),
            updated_at=utcnow(),
        )
        self._t.conversations.rows[conversation_id] = convo
        return _out(convo)


class InMemoryMessageRepo(_Repo):
    """Messages in memory."""

    async def add(
        self,
        conversation_id: int,
        *,
        direction: Direction,
        author: Author,
        text: str,
        kind: MessageKind = "text",
        payload: dict[str, Any] | None = None,
        platform_id: str | None = None,
    ) -> MessageRecord:
        """Store one message."""
        check_direction(direction)
        check_author(author)
        check_kind(kind)
        self._t.conversations.load(conversation_id)
        message = MessageRecord(
            id=self._t.messages.new_id(),
            conversation_id=conversation_id,
            direction=direction,
            author=author,
            kind=kind,
            text=text,
            payload=_json(payload),
            platform_id=platform_id,
            created_at=utcnow(),
        )
        self._t.messages.rows[message.id] = message
        return _out(message)

    def _of(self, conversation_id: int) -> list[MessageRecord]:
        rows = self._t.messages.rows.values()
        return sorted((m for m in rows if m.conversation_id == conversation_id), key=_id)

    async def recent(self, conversation_id: int, limit: int = 50) -> list[MessageRecord]:
        """Return the last ``limit`` messages, oldest first."""
        check_limit(limit)
        messages = self._of(conversation_id)
        return [_out(m) for m in messages[len(messages) - limit :]] if limit else []

    async def count(self, conversation_id: int) -> int:
        """Return how many messages the conversation has."""
        return len(self._of(conversation_id))


class InMemoryFeedbackRepo(_Repo):
    """Feedback in memory."""

    async def add(
        self, conversation_id: int, entry_id: str, helpful: bool, comment: str | None = None
    ) -> FeedbackRecord:
        """Store one verdict."""
        self._t.conversations.load(conversation_id)
        feedback = FeedbackRecord(
            id=self._t.feedback.new_id(),
            conversation_id=conversation_id,
            entry_id=entry_id,
            helpful=helpful,
            comment=comment,
            created_at=utcnow(),
        )
        self._t.feedback.rows[feedback.id] = feedback
        return feedback

    async def tally(self) -> dict[str, tuple[int, int]]:
        """Return ``entry_id -> (helpful, not helpful)`` counts."""
        counts: dict[str, tuple[int, int]] = {}
        for f in self._t.feedback.rows.values():
            yes, no = counts.get(f.entry_id, (0, 0))
            counts[f.entry_id] = (yes + 1, no) if f.helpful else (yes, no + 1)
        return counts


class InMemoryWebhookEventRepo(_Repo):
    """Webhook events in memory."""

    async def record(self, channel: Channel, event_id: str, payload: dict[str, Any]) -> bool:
        """Store the event; ``True`` only the first time."""
        check_channel(channel)
        if self._find(channel, event_id) is not None:
            return False
        event = EventRecord(
            id=self._t.events.new_id(),
            channel=channel,
            event_id=event_id,
            payload=copy.deepcopy(payload),
            status=EventStatus.PENDING,
            attempts=0,
            received_at=utcnow(),
            processed_at=None,
            last_error=None,
        )
        self._t.events.rows[event.id] = event
        return True

    def _find(self, channel: str, event_id: str) -> EventRecord | None:
        for event in self._t.events.rows.values():
            if event.channel == channel and event.event_id == event_id:
                return event
        return None

    def _finish(self, channel: Channel, event_id: str, **changes: Any) -> None:
        event = self._find(channel, event_id)
        if event is None:
            raise RecordNotFoundError(self._t.events.name, (channel, event_id))
        self._t.events.rows[event.id] = replace(
            event, attempts=event.attempts + 1, processed_at=utcnow(), **changes
        )

    async def mark_done(self, channel: Channel, event_id: str) -> None:
        """Mark the event processed."""
        self._finish(channel, event_id, status=EventStatus.DONE)

    async def mark_failed(self, channel: Channel, event_id: str, error: str) -> None:
        """Mark the event failed, keeping the error and counting the attempt."""
        self._finish(channel, event_id, status=EventStatus.FAILED, last_error=error)

    async def pending(self, limit: int = 100) -> list[EventRecord]:
        """Return unprocessed events, oldest first."""
        check_limit(limit)
        waiting = [e for e in self._t.events.rows.values() if e.status is EventStatus.PENDING]
        waiting.sort(key=lambda e: (e.received_at, e.id))
        return [_out(e) for e in waiting[:limit]]


class InMemoryOutboxRepo(_Repo):
    """Outbox in memory."""

    async def enqueue(self, channel: Channel, recipient: str, payload: dict[str, Any]) -> int:
        """Queue a message, due now; return its id."""
        check_channel(channel)
        now = utcnow()
        item = OutboxRecord(
            id=self._t.outbox.new_id(),
            channel=channel,
            recipient=recipient,
            payload=copy.deepcopy(payload),
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            last_error=None,
            created_at=now,
            sent_at=None,
        )
        self._t.outbox.rows[item.id] = item
        return item.id

    async def due(self, now: dt.datetime, limit: int = 50) -> list[OutboxRecord]:
        """Return pending messages whose ``next_attempt_at <= now``, earliest first."""
        now = require_aware(now, "now")
        check_limit(limit)
        ready = [
            o
            for o in self._t.outbox.rows.values()
            if o.status is OutboxStatus.PENDING and o.next_attempt_at <= now
        ]
        ready.sort(key=lambda o: (o.next_attempt_at, o.id))
        return [_out(o) for o in ready[:limit]]

    def _change(self, outbox_id: int, **changes: Any) -> None:
        item = self._t.outbox.load(outbox_id)
        self._t.outbox.rows[outbox_id] = replace(item, attempts=item.attempts + 1, **changes)

    async def mark_sent(self, outbox_id: int) -> None:
        """Mark the message sent."""
        self._change(outbox_id, status=OutboxStatus.SENT, sent_at=utcnow())

    async def retry_later(self, outbox_id: int, error: str, next_attempt_at: dt.datetime) -> None:
        """Count a failed attempt and schedule the next one."""
        next_attempt_at = require_aware(next_attempt_at, "next_attempt_at")
        self._change(outbox_id, last_error=error, next_attempt_at=next_attempt_at)

    async def give_up(self, outbox_id: int, error: str) -> None:
        """Count a failed attempt and stop retrying (status failed)."""
        self._change(outbox_id, status=OutboxStatus.FAILED, last_error=error)


def _id(record: MessageRecord) -> int:
    return record.id
