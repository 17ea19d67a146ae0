"""The storage ports: repository protocols, the unit of work and the store.

Usage::

    async with store.unit() as unit:              # one transaction
        user = await unit.users.get_or_create("line", "U123")
        convo = await unit.conversations.open_for(user.id)
        await unit.messages.add(convo.id, direction="in", author="citizen", text="ごみ")

The unit commits when the block ends normally and rolls back when it raises. Keep network calls
out of the block: SQLite has one writer, and a transaction held across an HTTP call blocks the
others (store, commit, then send — or enqueue in the outbox).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from bot.clock import Clock
from bot.storage.base_applications import ApplicationRepo, AttachmentRepo
from bot.storage.base_inbox import FlowDeadlineRepo, InboxRepo
from bot.storage.base_knowledge import InquiryRepo, KnowledgeEditRepo
from bot.storage.base_notify import NotifyRepo
from bot.storage.base_ops import BacklogRepo, LoginFailureRepo
from bot.storage.base_staff import (
    AuditRepo,
    DraftRepo,
    EscalationRepo,
    NoteRepo,
    SessionRepo,
    StaffRepo,
)
from bot.storage.base_stats import StatsRepo
from bot.storage.records import (
    Author,
    Channel,
    ConversationRecord,
    ConversationStatus,
    Direction,
    EventRecord,
    FeedbackRecord,
    Language,
    MessageKind,
    MessageRecord,
    OutboxRecord,
    UserRecord,
)

__all__ = [
    "ApplicationRepo",
    "AttachmentRepo",
    "AuditRepo",
    "ConversationRepo",
    "DraftRepo",
    "EscalationRepo",
    "FeedbackRepo",
    "MessageRepo",
    "NoteRepo",
    "OutboxRepo",
    "SessionRepo",
    "StaffRepo",
    "Store",
    "Unit",
    "UserRepo",
    "WebhookEventRepo",
]


class UserRepo(Protocol):
    """Citizens, one row per (channel, external id)."""

    async def get_or_create(
        self,
        channel: Channel,
        external_id: str,
        *,
        language: Language | None = None,
        display_name: str | None = None,
    ) -> UserRecord:
        """Return the user, creating it (race-safe) on first contact.

        ``language`` and ``display_name`` only apply when the user is created.
        """
        ...

    async def get(self, user_id: int) -> UserRecord | None:
        """Return the user or ``None``."""
        ...

    async def set_language(self, user_id: int, language: Language) -> None:
        """Set the user's language."""
        ...

    async def set_active(self, user_id: int, active: bool) -> None:
        """Mark the user active or inactive (blocked the bot, unfollowed …)."""
        ...

    async def touch(self, user_id: int) -> None:
        """Set ``last_seen_at`` to now."""
        ...

    async def erase(self, user_id: int) -> dict[str, int]:
        """Delete the user and their conversations, messages, feedback, pending deliveries,
        escalations and escalation notes (drafts keep their text, unlinked); how many of each.

        Applications and attachments reference the user: delete them first with their repos.
        A missing user is not an error.
        """
        ...


class ConversationRepo(Protocol):
    """Conversations and the engine's per-conversation state."""

    async def open_for(self, user_id: int) -> ConversationRecord:
        """Return the user's latest conversation that is not closed, or start a new one."""
        ...

    async def get(self, conversation_id: int) -> ConversationRecord | None:
        """Return the conversation or ``None``."""
        ...

    async def update(
        self,
        conversation_id: int,
        *,
        status: ConversationStatus | None = None,
        state: dict[str, Any] | None = None,
    ) -> ConversationRecord:
        """Change the status and/or replace the whole state; bumps ``updated_at``."""
        ...


class MessageRepo(Protocol):
    """The transcript of each conversation."""

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
        ...

    async def recent(self, conversation_id: int, limit: int = 50) -> list[MessageRecord]:
        """Return the last ``limit`` messages, oldest first."""
        ...

    async def count(self, conversation_id: int) -> int:
        """Return how many messages the conversation has."""
        ...

    async def since(
        self, conversation_id: int, after_id: int, limit: int = 200
    ) -> list[MessageRecord]:
        """Return up to ``limit`` messages with ``id > after_id``, oldest first (live updates)."""
        ...


class FeedbackRepo(Protocol):
    """Citizens' verdicts on knowledge entries."""

    async def add(
        self, conversation_id: int, entry_id: str, helpful: bool, comment: str | None = None
    ) -> FeedbackRecord:
        """Store one verdict."""
        ...

    async def tally(self) -> dict[str, tuple[int, int]]:
        """Return ``entry_id -> (helpful, not helpful)`` counts."""
        ...


class WebhookEventRepo(Protocol):
    """Incoming platform events, stored before processing (idempotency and crash resume)."""

    async def record(self, channel: Channel, event_id: str, payload: dict[str, Any]) -> bool:
        """Store the event; ``True`` only the first time this (channel, event id) is seen."""
        ...

    async def mark_done(self, channel: Channel, event_id: str) -> None:
        """Mark the event processed, counting the attempt."""
        ...

    async def mark_failed(self, channel: Channel, event_id: str, error: str) -> None:
        """Mark the event failed, keeping the error and counting the attempt."""
        ...

    async def pending(self, limit: int = 100) -> list[EventRecord]:
        """Return unprocessed events, oldest first (``mark_done`` empties an event's payload:
        personal data is kept with the conversation only, where deletion can find it)."""
        ...


class OutboxRepo(Protocol):
    """Messages to send to citizens, retried until sent or given up."""

    async def enqueue(
        self,
        channel: Channel,
        recipient: str,
        payload: dict[str, Any],
        message_id: int | None = None,
        available_at: dt.datetime | None = None,
    ) -> int:
        """Queue a message, due at ``available_at`` (default now); return its id.

        ``message_id`` links the delivery to the stored message it sends (staff replies), so
        :meth:`for_messages` can show whether it arrived. A sender that tries the message at
        once queues it a little in the future, so that the retry worker leaves it alone meanwhile.
        """
        ...

    async def claim(
        self, now: dt.datetime, lease_until: dt.datetime, limit: int = 50
    ) -> list[OutboxRecord]:
        """Take due messages for sending: atomically move them to ``lease_until`` and return them.

        Two workers (or a worker and a manual flush) never get the same message: the second
        finds it no longer due. A message whose sender dies becomes due again at the lease end.
        """
        ...

    async def for_messages(self, message_ids: Sequence[int]) -> dict[int, OutboxRecord]:
        """Return ``message id -> its delivery`` (the latest one if a message has several)."""
        ...

    async def due(self, now: dt.datetime, limit: int = 50) -> list[OutboxRecord]:
        """Return pending messages whose ``next_attempt_at <= now``, earliest first."""
        ...

    async def mark_sent(self, outbox_id: int) -> None:
        """Mark the message sent, counting the attempt."""
        ...

    async def retry_later(self, outbox_id: int, error: str, next_attempt_at: dt.datetime) -> None:
        """Count a failed attempt and schedule the next one."""
        ...

    async def give_up(self, outbox_id: int, error: str) -> None:
        """Count a failed attempt and stop retrying (status failed)."""
        ...


@dataclass(frozen=True, slots=True)
class Unit:
    """One transaction's repositories."""

    users: UserRepo
    conversations: ConversationRepo
    messages: MessageRepo
    feedback: FeedbackRepo
    events: WebhookEventRepo
    outbox: OutboxRepo
    staff: StaffRepo
    sessions: SessionRepo
    escalations: EscalationRepo
    notes: NoteRepo
    audit: AuditRepo
    drafts: DraftRepo
    applications: ApplicationRepo
    attachments: AttachmentRepo
    knowledge_edits: KnowledgeEditRepo
    inquiries: InquiryRepo
    stats: StatsRepo
    backlog: BacklogRepo
    login_failures: LoginFailureRepo
    notify: NotifyRepo
    inbox: InboxRepo
    deadlines: FlowDeadlineRepo


class Store(Protocol):
    """Where units of work come from; ``clock`` stamps every row the repositories write."""

    clock: Clock

    def unit(self, *, urgent: bool = False) -> AbstractAsyncContextManager[Unit]:
        """Open one transaction: commit on normal exit, roll back on exception; ``urgent``:
        someone is waiting on it (a webhook's acknowledgement), so it goes first."""
        ...

    def reading(self) -> AbstractAsyncContextManager[Unit]:
        """Open a read-only unit for a long report; never committed, and on SQLite it does
        not hold up the event loop or the writer."""
        ...

    async def ping(self) -> bool:
        """Return whether the database answers."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
