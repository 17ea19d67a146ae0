"""SQLAlchemy implementations of the repositories, each working inside one ``AsyncSession``.

The caller owns the transaction (:meth:`bot.storage.db.SqlStore.unit`); nothing here commits.
Every method returns records, never ORM objects.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.base import Unit
from bot.storage.checks import (
    check_author,
    check_channel,
    check_direction,
    check_kind,
    check_language,
    check_limit,
)
from bot.storage.convert import (
    conversation_record,
    event_record,
    feedback_record,
    message_record,
    outbox_record,
    user_record,
)
from bot.storage.errors import RecordNotFoundError, StorageError
from bot.storage.models import (
    Conversation,
    Escalation,
    EscalationNote,
    Feedback,
    KnowledgeDraft,
    Message,
    Outbox,
    User,
    WebhookEvent,
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
from bot.storage.sql_applications import SqlApplicationRepo, SqlAttachmentRepo
from bot.storage.sql_base import insert_for, load
from bot.storage.sql_notify import SqlNotifyRepo
from bot.storage.sql_queue import SqlEscalationRepo, SqlNoteRepo
from bot.storage.sql_staff import SqlAuditRepo, SqlDraftRepo, SqlSessionRepo, SqlStaffRepo
from bot.storage.types import require_aware, utcnow

__all__ = [
    "SqlApplicationRepo",
    "SqlAttachmentRepo",
    "SqlAuditRepo",
    "SqlConversationRepo",
    "SqlDraftRepo",
    "SqlEscalationRepo",
    "SqlFeedbackRepo",
    "SqlMessageRepo",
    "SqlNoteRepo",
    "SqlOutboxRepo",
    "SqlSessionRepo",
    "SqlStaffRepo",
    "SqlUserRepo",
    "SqlWebhookEventRepo",
    "sql_unit",
]


def sql_unit(session: AsyncSession) -> Unit:
    """Return the repositories bound to ``session``."""
    return Unit(
        users=SqlUserRepo(session),
        conversations=SqlConversationRepo(session),
        messages=SqlMessageRepo(session),
        feedback=SqlFeedbackRepo(session),
        events=SqlWebhookEventRepo(session),
        outbox=SqlOutboxRepo(session),
        staff=SqlStaffRepo(session),
        sessions=SqlSessionRepo(session),
        escalations=SqlEscalationRepo(session),
        notes=SqlNoteRepo(session),
        audit=SqlAuditRepo(session),
        drafts=SqlDraftRepo(session),
        applications=SqlApplicationRepo(session),
        attachments=SqlAttachmentRepo(session),
        notify=SqlNotifyRepo(session),
    )


class SqlUserRepo:
    """Users in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside ``session``."""
        self._session = session

    async def get_or_create(
        self,
        channel: Channel,
        external_id: str,
        *,
        language: Language | None = None,
        display_name: str | None = None,
    ) -> UserRecord:
        """Return the user, creating it on first contact.

        ``INSERT … ON CONFLICT DO NOTHING`` then ``SELECT``: two concurrent first messages of
        one user create one row, and neither transaction fails.
        """
        check_channel(channel)
        if language is not None:
            check_language(language)
        now = utcnow()
        stmt = (
            insert_for(self._session, User)
            .values(
                channel=channel,
                external_id=external_id,
                display_name=display_name,
                language=language or "ja",
                active=True,
                created_at=now,
                last_seen_at=now,
            )
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        )
        await self._session.execute(stmt)
        row = await self._session.scalar(
            select(User).where(User.channel == channel, User.external_id == external_id)
        )
        if row is None:  # pragma: no cover - the insert or the conflicting row guarantees it
            msg = f"user {channel}:{external_id} vanished after insert"
            raise StorageError(msg)
        return user_record(row)

    async def get(self, user_id: int) -> UserRecord | None:
        """Return the user or ``None``."""
        row = await self._session.get(User, user_id)
        return None if row is None else user_record(row)

    async def set_language(self, user_id: int, language: Language) -> None:
        """Set the user's language."""
        check_language(language)
        (await load(self._session, User, user_id)).language = language
        await self._session.flush()

    async def set_active(self, user_id: int, active: bool) -> None:
        """Mark the user active or inactive."""
        (await load(self._session, User, user_id)).active = active
        await self._session.flush()

    async def touch(self, user_id: int) -> None:
        """Set ``last_seen_at`` to now."""
        (await load(self._session, User, user_id)).last_seen_at = utcnow()
        await self._session.flush()

    async def erase(self, user_id: int) -> dict[str, int]:
        """Delete the user and everything of theirs but applications and attachments."""
        session = self._session
        user = await session.get(User, user_id)
        if user is None:
            return {}
        convos = select(Conversation.id).where(Conversation.user_id == user_id)
        messages = select(Message.id).where(Message.conversation_id.in_(convos))
        escalations = select(Escalation.id).where(
            (Escalation.conversation_id.in_(convos)) | (Escalation.user_id == user_id)
        )
        await session.execute(
            update(KnowledgeDraft)
            .where(KnowledgeDraft.escalation_id.in_(escalations))
            .values(escalation_id=None)
        )
        removed: dict[str, int] = {}
        for name, statement in (
            ("notes", delete(EscalationNote).where(EscalationNote.escalation_id.in_(escalations))),
            ("escalations", delete(Escalation).where(Escalation.id.in_(escalations))),
            (
                "outbox",
                delete(Outbox).where(
                    Outbox.message_id.in_(messages)
                    | ((Outbox.channel == user.channel) & (Outbox.recipient == user.external_id))
                ),
            ),
            ("feedback", delete(Feedback).where(Feedback.conversation_id.in_(convos))),
            ("messages", delete(Message).where(Message.conversation_id.in_(convos))),
            ("conversations", delete(Conversation).where(Conversation.user_id == user_id)),
        ):
            result = await session.execute(statement.execution_options(synchronize_session=False))
            removed[name] = int(getattr(result, "rowcount", 0) or 0)
        await session.delete(user)
        await session.flush()
        return removed


class SqlConversationRepo:
    """Conversations in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside ``session``."""
        self._session = session

    async def open_for(self, user_id: int) -> ConversationRecord:
        """Return the user's latest conversation that is not closed, or start a new one."""
        await load(self._session, User, user_id)
        row = await self._session.scalar(
            select(Conversation)
            .where(
                Conversation.user_id == user_id,
                Conversation.status != ConversationStatus.CLOSED,
            )
            .order_by(Conversation.id.desc())
            .limit(1)
        )
        if row is None:
            now = utcnow()
            row = Conversation(
                user_id=user_id,
                status=ConversationStatus.BOT,
                state={},
                created_at=now,
                updated_at=now,
            )
            self._session.add(row)
            await self._session.flush()
        return conversation_record(row)

    async def get(self, conversation_id: int) -> ConversationRecord | None:
        """Return the conversation or ``None``."""
        row = await self._session.get(Conversation, conversation_id)
        return None if row is None else conversation_record(row)

    async def update(
        self,
        conversation_id: int,
        *,
        status: ConversationStatus | None = None,
        state: dict[str, Any] | None = None,
    ) -> ConversationRecord:
        """Change the status and/or replace the whole state; bumps ``updated_at``."""
        row = await load(self._session, Conversation, conversation_id)
        if status is not None:
            row.status = ConversationStatus(status)
        if state is not None:
            row.state = copy.deepcopy(state)
        row.updated_at = utcnow()
        await self._session.flush()
        return conversation_record(row)


class SqlMessageRepo:
    """Messages in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside ``session``."""
        self._session = session

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
        await load(self._session, Conversation, conversation_id)
        row = Message(
            conversation_id=conversation_id,
            direction=direction,
            author=author,
            kind=kind,
            text=text,
            payload=copy.deepcopy(payload),
            platform_id=platform_id,
            created_at=utcnow(),
        )
        self._session.add(row)
        await self._session.flush()
        return message_record(row)

    async def recent(self, conversation_id: int, limit: int = 50) -> list[MessageRecord]:
        """Return the last ``limit`` messages, oldest first."""
        check_limit(limit)
        rows = await self._session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.id.desc())
            .limit(limit)
        )
        return [message_record(row) for row in reversed(rows.all())]

    async def count(self, conversation_id: int) -> int:
        """Return how many messages the conversation has."""
        total = await self._session.scalar(
            select(func.count(Message.id)).where(Message.conversation_id == conversation_id)
        )
        return int(total or 0)

    async def since(
        self, conversation_id: int, after_id: int, limit: int = 200
    ) -> list[MessageRecord]:
        """Return up to ``limit`` messages with ``id > after_id``, oldest first."""
        check_limit(limit)
        rows = await self._session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.id > after_id)
            .order_by(Message.id)
            .limit(limit)
        )
        return [message_record(row) for row in rows]


class SqlFeedbackRepo:
    """Feedback in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside ``session``."""
        self._session = session

    async def add(
        self, conversation_id: int, entry_id: str, helpful: bool, comment: str | None = None
    ) -> FeedbackRecord:
        """Store one verdict."""
        await load(self._session, Conversation, conversation_id)
        row = Feedback(
            conversation_id=conversation_id,
            entry_id=entry_id,
            helpful=helpful,
            comment=comment,
            created_at=utcnow(),
        )
        self._session.add(row)
        await self._session.flush()
        return feedback_record(row)

    async def tally(self) -> dict[str, tuple[int, int]]:
        """Return ``entry_id -> (helpful, not helpful)`` counts."""
        yes = func.sum(case((Feedback.helpful.is_(True), 1), else_=0))
        no = func.sum(case((Feedback.helpful.is_(True), 0), else_=1))
        rows = await self._session.execute(
            select(Feedback.entry_id, yes, no).group_by(Feedback.entry_id)
        )
        return {entry: (int(y), int(n)) for entry, y, n in rows}


class SqlWebhookEventRepo:
    """Webhook events in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside ``session``."""
        self._session = session

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
                received_at=utcnow(),
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
            processed_at=utcnow(),
        )

    async def mark_failed(self, channel: Channel, event_id: str, error: str) -> None:
        """Mark the event failed, keeping the error and counting the attempt."""
        await self._set(
            channel,
            event_id,
            status=EventStatus.FAILED,
            attempts=WebhookEvent.attempts + 1,
            processed_at=utcnow(),
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


class SqlOutboxRepo:
    """Outbox in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        """Work inside ``session``."""
        self._session = session

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
        now = utcnow()
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
        due_ids = (
            select(Outbox.id)
            .where(Outbox.status == OutboxStatus.PENDING, Outbox.next_attempt_at <= now)
            .order_by(Outbox.next_attempt_at, Outbox.id)
            .limit(limit)
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
        row.sent_at = utcnow()
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
