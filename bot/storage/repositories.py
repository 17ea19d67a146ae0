"""SQLAlchemy implementations of the repositories, each working inside one ``AsyncSession``.

The caller owns the transaction (:meth:`bot.storage.db.SqlStore.unit`); nothing here commits.
Every method returns records, never ORM objects.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, case, delete, exists, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
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
    feedback_record,
    json_copy,
    message_record,
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
)
from bot.storage.models_knowledge import InquiryOutcome
from bot.storage.records import (
    Author,
    Channel,
    ConversationRecord,
    ConversationStatus,
    Direction,
    FeedbackRecord,
    Language,
    MessageKind,
    MessageRecord,
    UserRecord,
)
from bot.storage.sql_applications import SqlApplicationRepo, SqlAttachmentRepo
from bot.storage.sql_base import SqlRepo, insert_for, load
from bot.storage.sql_delivery import SqlOutboxRepo, SqlWebhookEventRepo
from bot.storage.sql_inbox import SqlFlowDeadlineRepo, SqlInboxRepo
from bot.storage.sql_knowledge import SqlInquiryRepo, SqlKnowledgeEditRepo
from bot.storage.sql_notify import SqlNotifyRepo
from bot.storage.sql_ops import SqlBacklogRepo, SqlLoginFailureRepo
from bot.storage.sql_queue import SqlEscalationRepo, SqlNoteRepo
from bot.storage.sql_staff import SqlAuditRepo, SqlDraftRepo, SqlSessionRepo, SqlStaffRepo
from bot.storage.sql_stats import SqlStatsRepo

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

# The hot path of every message (users, conversations, messages) is SQLAlchemy Core: one
# statement each, no ORM object loaded, tracked or flushed.
_users = cast(Table, User.__table__)
_conversations = cast(Table, Conversation.__table__)
_messages = cast(Table, Message.__table__)
_USER_COLUMNS = tuple(_users.c)
_CONVERSATION_COLUMNS = tuple(
    column for column in _conversations.c if column.name != "flow_deadline"
)
# Built once: executed with parameters, never rebuilt (nor their cache keys recomputed).
_USER = select(*_USER_COLUMNS).where(_users.c.id == bindparam("id"))
_OPEN_CONVERSATION = (
    select(*_CONVERSATION_COLUMNS)
    .where(
        _conversations.c.user_id == bindparam("user_id"),
        _conversations.c.status != ConversationStatus.CLOSED,
    )
    .order_by(_conversations.c.id.desc())
    .limit(1)
)
# A new conversation for an existing user, in one statement (none if the user is unknown).
_NEW_CONVERSATION = (
    _conversations.insert()
    .from_select(
        ["user_id", "status", "state", "created_at", "updated_at"],
        select(
            bindparam("user_id", type_=_conversations.c.user_id.type),
            literal(ConversationStatus.BOT, type_=_conversations.c.status.type),
            literal({}, type_=_conversations.c.state.type),
            bindparam("created_at", type_=_conversations.c.created_at.type),
            bindparam("created_at", type_=_conversations.c.updated_at.type),
        ).where(exists().where(_users.c.id == bindparam("user_id"))),
    )
    .returning(*_CONVERSATION_COLUMNS)
)
_MESSAGE_FIELDS = (
    "conversation_id",
    "direction",
    "author",
    "kind",
    "text",
    "payload",
    "platform_id",
    "created_at",
)
# One statement that also checks the conversation: the message is inserted only if it exists.
_ADD_MESSAGE = (
    _messages.insert()
    .from_select(
        [_messages.c[name] for name in _MESSAGE_FIELDS],
        select(*(bindparam(name, type_=_messages.c[name].type) for name in _MESSAGE_FIELDS)).where(
            exists().where(_conversations.c.id == bindparam("conversation_id"))
        ),
    )
    .returning(_messages.c.id)
)
_ARRIVE: dict[str, Any] = {}


def _arrive(session: AsyncSession) -> Any:
    """The user's row, inserted or returned as it is, for the session's database (built once)."""
    name = session.get_bind().dialect.name
    stmt = _ARRIVE.get(name)
    if stmt is None:
        now = bindparam("created_at", type_=_users.c.created_at.type)
        insert = insert_for(session, _users)
        stmt = (
            insert.values(
                channel=bindparam("channel"),
                external_id=bindparam("external_id"),
                display_name=bindparam("display_name"),
                language=bindparam("language"),
                active=True,
                created_at=now,
                last_seen_at=now,
            )
            .on_conflict_do_update(
                index_elements=["channel", "external_id"],
                set_={"channel": insert.excluded.channel},  # unchanged: only to return it
            )
            .returning(*_USER_COLUMNS)
        )
        _ARRIVE[name] = stmt
    return stmt


def sql_unit(session: AsyncSession, clock: Clock) -> Unit:
    """Return the repositories bound to ``session``, stamping times from ``clock``."""
    return Unit(
        users=SqlUserRepo(session, clock),
        conversations=SqlConversationRepo(session, clock),
        messages=SqlMessageRepo(session, clock),
        feedback=SqlFeedbackRepo(session, clock),
        events=SqlWebhookEventRepo(session, clock),
        outbox=SqlOutboxRepo(session, clock),
        staff=SqlStaffRepo(session, clock),
        sessions=SqlSessionRepo(session, clock),
        escalations=SqlEscalationRepo(session, clock),
        notes=SqlNoteRepo(session, clock),
        audit=SqlAuditRepo(session, clock),
        drafts=SqlDraftRepo(session, clock),
        applications=SqlApplicationRepo(session, clock),
        attachments=SqlAttachmentRepo(session, clock),
        knowledge_edits=SqlKnowledgeEditRepo(session),
        inquiries=SqlInquiryRepo(session),
        stats=SqlStatsRepo(session),
        backlog=SqlBacklogRepo(session, clock),
        login_failures=SqlLoginFailureRepo(session, clock),
        notify=SqlNotifyRepo(session, clock),
        inbox=SqlInboxRepo(session, clock),
        deadlines=SqlFlowDeadlineRepo(session, clock),
    )


class SqlUserRepo(SqlRepo):
    """Users in SQL."""

    async def get_or_create(
        self,
        channel: Channel,
        external_id: str,
        *,
        language: Language | None = None,
        display_name: str | None = None,
    ) -> UserRecord:
        """Return the user, creating it on first contact.

        One ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` that changes nothing of an existing
        row: a write first (SQLite takes its lock, so what the transaction reads next is
        current), two concurrent first messages of one user create one row, and neither
        transaction fails.
        """
        check_channel(channel)
        if language is not None:
            check_language(language)
        now = self._now()
        values = {
            "channel": channel,
            "external_id": external_id,
            "display_name": display_name,
            "language": language or "ja",
            "created_at": now,
        }
        row = (await self._session.execute(_arrive(self._session), values)).first()
        if row is None:  # pragma: no cover - the insert or the conflicting row guarantees it
            msg = f"user {channel}:{external_id} vanished after insert"
            raise StorageError(msg)
        return user_record(cast(User, row))

    async def get(self, user_id: int) -> UserRecord | None:
        """Return the user or ``None``."""
        row = (await self._session.execute(_USER, {"id": user_id})).first()
        return None if row is None else user_record(cast(User, row))

    async def set_language(self, user_id: int, language: Language) -> None:
        """Set the user's language."""
        check_language(language)
        await self._set(user_id, language=language)

    async def set_active(self, user_id: int, active: bool) -> None:
        """Mark the user active or inactive."""
        await self._set(user_id, active=active)

    async def touch(self, user_id: int) -> None:
        """Set ``last_seen_at`` to now."""
        await self._set(user_id, last_seen_at=self._now())

    async def _set(self, user_id: int, **values: Any) -> None:
        stmt = update(_users).where(_users.c.id == user_id).values(**values)
        if _rowcount(await self._session.execute(stmt)) == 0:
            raise RecordNotFoundError("users", user_id)

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
            (
                "inquiries",
                delete(InquiryOutcome).where(InquiryOutcome.conversation_id.in_(convos)),
            ),
            ("messages", delete(Message).where(Message.conversation_id.in_(convos))),
            ("conversations", delete(Conversation).where(Conversation.user_id == user_id)),
        ):
            result = await session.execute(statement.execution_options(synchronize_session=False))
            removed[name] = int(getattr(result, "rowcount", 0) or 0)
        await session.delete(user)
        await session.flush()
        return removed


class SqlConversationRepo(SqlRepo):
    """Conversations in SQL."""

    async def open_for(self, user_id: int) -> ConversationRecord:
        """Return the user's latest conversation that is not closed, or start a new one."""
        found = (await self._session.execute(_OPEN_CONVERSATION, {"user_id": user_id})).first()
        if found is not None:  # the user exists: the row refers to it
            return conversation_record(cast(Conversation, found), fresh=True)
        now = self._now()
        params = {"user_id": user_id, "created_at": now}
        row = (await self._session.execute(_NEW_CONVERSATION, params)).first()
        if row is None:
            raise RecordNotFoundError("users", user_id)
        return conversation_record(cast(Conversation, row), fresh=True)

    async def get(self, conversation_id: int) -> ConversationRecord | None:
        """Return the conversation or ``None``."""
        stmt = select(*_CONVERSATION_COLUMNS).where(_conversations.c.id == conversation_id)
        row = (await self._session.execute(stmt)).first()
        return None if row is None else conversation_record(cast(Conversation, row), fresh=True)

    async def update(
        self,
        conversation_id: int,
        *,
        status: ConversationStatus | None = None,
        state: dict[str, Any] | None = None,
    ) -> ConversationRecord:
        """Change the status and/or replace the whole state; bumps ``updated_at``."""
        values: dict[str, Any] = {"updated_at": self._now()}
        if status is not None:
            values["status"] = ConversationStatus(status)
        if state is not None:
            values["state"] = state  # serialised here: later changes to it are not stored
        stmt = (
            update(_conversations)
            .where(_conversations.c.id == conversation_id)
            .values(values)
            .returning(*_CONVERSATION_COLUMNS)
        )
        row = (await self._session.execute(stmt)).first()
        if row is None:
            raise RecordNotFoundError("conversations", conversation_id)
        return conversation_record(cast(Conversation, row), fresh=True)


class SqlMessageRepo(SqlRepo):
    """Messages in SQL."""

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
        values: dict[str, Any] = {
            "conversation_id": conversation_id,
            "direction": direction,
            "author": author,
            "kind": kind,
            "text": text,
            "payload": payload,
            "platform_id": platform_id,
            "created_at": self._now(),
        }
        message_id = (await self._session.execute(_ADD_MESSAGE, values)).scalar_one_or_none()
        if message_id is None:
            raise RecordNotFoundError("conversations", conversation_id)
        return MessageRecord(
            id=int(message_id),
            conversation_id=conversation_id,
            direction=direction,
            author=author,
            kind=kind,
            text=text,
            payload=json_copy(payload),
            platform_id=platform_id,
            created_at=values["created_at"],
        )

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


class SqlFeedbackRepo(SqlRepo):
    """Feedback in SQL."""

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
            created_at=self._now(),
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


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
