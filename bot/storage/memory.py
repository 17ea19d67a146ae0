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
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

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
from bot.storage.memory_applications import InMemoryApplicationRepo, InMemoryAttachmentRepo
from bot.storage.memory_base import MemoryRepo, Tables, json_copy, out
from bot.storage.memory_queue import InMemoryEscalationRepo, InMemoryNoteRepo
from bot.storage.memory_staff import (
    InMemoryAuditRepo,
    InMemoryDraftRepo,
    InMemorySessionRepo,
    InMemoryStaffRepo,
)
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
    "InMemoryApplicationRepo",
    "InMemoryAttachmentRepo",
    "InMemoryAuditRepo",
    "InMemoryConversationRepo",
    "InMemoryDraftRepo",
    "InMemoryEscalationRepo",
    "InMemoryFeedbackRepo",
    "InMemoryMessageRepo",
    "InMemoryNoteRepo",
    "InMemoryOutboxRepo",
    "InMemorySessionRepo",
    "InMemoryStaffRepo",
    "InMemoryStore",
    "InMemoryUserRepo",
    "InMemoryWebhookEventRepo",
]


class InMemoryStore:
    """A :class:`bot.storage.base.Store` that keeps everything in a dict per table."""

    def __init__(self) -> None:
        """Start empty."""
        self._tables = Tables()
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
                staff=InMemoryStaffRepo(work),
                sessions=InMemorySessionRepo(work),
                escalations=InMemoryEscalationRepo(work),
                notes=InMemoryNoteRepo(work),
                audit=InMemoryAuditRepo(work),
                drafts=InMemoryDraftRepo(work),
                applications=InMemoryApplicationRepo(work),
                attachments=InMemoryAttachmentRepo(work),
            )
            self._tables = work

    async def ping(self) -> bool:
        """Return ``True`` until closed."""
        return not self._closed

    async def close(self) -> None:
        """Forget nothing, but answer ``False`` to :meth:`ping` from now on."""
        self._closed = True


class InMemoryUserRepo(MemoryRepo):
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

    async def erase(self, user_id: int) -> dict[str, int]:
        """Delete the user and everything of theirs but applications and attachments."""
        t = self._t
        user = t.users.rows.get(user_id)
        if user is None:
            return {}
        convos = {c.id for c in t.conversations.rows.values() if c.user_id == user_id}
        messages = {m.id for m in t.messages.rows.values() if m.conversation_id in convos}
        escalations = {
            e.id
            for e in t.escalations.rows.values()
            if e.conversation_id in convos or e.user_id == user_id
        }
        for draft in list(t.drafts.rows.values()):
            if draft.escalation_id in escalations:
                t.drafts.rows[draft.id] = replace(draft, escalation_id=None)
        removed = {
            "notes": _drop(t.notes.rows, lambda n: n.escalation_id in escalations),
            "escalations": _drop(t.escalations.rows, lambda e: e.id in escalations),
            "outbox": _drop(
                t.outbox.rows,
                lambda o: (
                    o.message_id in messages
                    or (o.channel == user.channel and o.recipient == user.external_id)
                ),
            ),
            "feedback": _drop(t.feedback.rows, lambda f: f.conversation_id in convos),
            "messages": _drop(t.messages.rows, lambda m: m.id in messages),
            "conversations": _drop(t.conversations.rows, lambda c: c.id in convos),
        }
        del t.users.rows[user_id]
        return removed


class InMemoryConversationRepo(MemoryRepo):
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
            return out(max(open_ones, key=lambda c: c.id))
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
        return out(convo)

    async def get(self, conversation_id: int) -> ConversationRecord | None:
        """Return the conversation or ``None``."""
        convo = self._t.conversations.rows.get(conversation_id)
        return None if convo is None else out(convo)

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
        return out(convo)


class InMemoryMessageRepo(MemoryRepo):
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
            payload=json_copy(payload),
            platform_id=platform_id,
            created_at=utcnow(),
        )
        self._t.messages.rows[message.id] = message
        return out(message)

    def _of(self, conversation_id: int) -> list[MessageRecord]:
        rows = self._t.messages.rows.values()
        return sorted((m for m in rows if m.conversation_id == conversation_id), key=_id)

    async def recent(self, conversation_id: int, limit: int = 50) -> list[MessageRecord]:
        """Return the last ``limit`` messages, oldest first."""
        check_limit(limit)
        messages = self._of(conversation_id)
        return [out(m) for m in messages[len(messages) - limit :]] if limit else []

    async def count(self, conversation_id: int) -> int:
        """Return how many messages the conversation has."""
        return len(self._of(conversation_id))

    async def since(
        self, conversation_id: int, after_id: int, limit: int = 200
    ) -> list[MessageRecord]:
        """Return up to ``limit`` messages with ``id > after_id``, oldest first."""
        check_limit(limit)
        newer = [m for m in self._of(conversation_id) if m.id > after_id]
        return [out(m) for m in newer[:limit]]


class InMemoryFeedbackRepo(MemoryRepo):
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


class InMemoryWebhookEventRepo(MemoryRepo):
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
        """Mark the event processed and drop its payload."""
        self._finish(channel, event_id, status=EventStatus.DONE, payload={})

    async def mark_failed(self, channel: Channel, event_id: str, error: str) -> None:
        """Mark the event failed, keeping the error and counting the attempt."""
        self._finish(channel, event_id, status=EventStatus.FAILED, last_error=error)

    async def pending(self, limit: int = 100) -> list[EventRecord]:
        """Return unprocessed events, oldest first."""
        check_limit(limit)
        waiting = [e for e in self._t.events.rows.values() if e.status is EventStatus.PENDING]
        waiting.sort(key=lambda e: (e.received_at, e.id))
        return [out(e) for e in waiting[:limit]]


class InMemoryOutboxRepo(MemoryRepo):
    """Outbox in memory."""

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
            self._t.messages.load(message_id)
        now = utcnow()
        due_at = require_aware(available_at, "available_at") if available_at else now
        item = OutboxRecord(
            id=self._t.outbox.new_id(),
            channel=channel,
            recipient=recipient,
            payload=copy.deepcopy(payload),
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=due_at,
            last_error=None,
            created_at=now,
            sent_at=None,
            message_id=message_id,
        )
        self._t.outbox.rows[item.id] = item
        return item.id

    async def for_messages(self, message_ids: Sequence[int]) -> dict[int, OutboxRecord]:
        """Return ``message id -> its delivery`` (the latest one if a message has several)."""
        wanted = set(message_ids)
        found: dict[int, OutboxRecord] = {}
        for item in sorted(self._t.outbox.rows.values(), key=lambda o: o.id):
            if item.message_id is not None and item.message_id in wanted:
                found[item.message_id] = out(item)
        return found

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
        return [out(o) for o in ready[:limit]]

    async def claim(
        self, now: dt.datetime, lease_until: dt.datetime, limit: int = 50
    ) -> list[OutboxRecord]:
        """Take due messages: move them to ``lease_until`` and return them."""
        lease_until = require_aware(lease_until, "lease_until")
        taken = await self.due(now, limit)
        for item in taken:
            self._t.outbox.rows[item.id] = replace(
                self._t.outbox.rows[item.id], next_attempt_at=lease_until
            )
        return taken

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


def _drop(rows: dict[int, Any], doomed: Any) -> int:
    """Delete the rows for which ``doomed(row)`` holds; how many."""
    keys = [key for key, row in rows.items() if doomed(row)]
    for key in keys:
        del rows[key]
    return len(keys)
