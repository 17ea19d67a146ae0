"""SQLAlchemy models: the database schema.

Only the repositories touch these classes; everything else sees the records in
:mod:`bot.storage.records`. Relationships are deliberately absent: the repositories query by id,
so nothing can lazy-load (``MissingGreenlet``) under asyncio.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.records import (
    ApplicationStatus,
    ConversationStatus,
    EscalationStatus,
    EventStatus,
    OutboxStatus,
)
from bot.storage.types import BigIntPK, JSONDict, JSONList, UTCDateTime

__all__ = [
    "Application",
    "ApplicationEvent",
    "Attachment",
    "AuditLog",
    "Base",
    "Conversation",
    "Escalation",
    "EscalationNote",
    "Feedback",
    "KnowledgeDraft",
    "Message",
    "Outbox",
    "StaffSession",
    "StaffUser",
    "User",
    "WebhookEvent",
]

# Named constraints keep Alembic's batch mode (SQLite table rebuilds) able to find them later.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _status(enum_class: type[enum.StrEnum]) -> Enum:
    """Store an enum by value in a VARCHAR(16): no PostgreSQL ``CREATE TYPE`` to migrate."""
    return Enum(
        enum_class,
        native_enum=False,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


#: Columns added by a later migration (0008) to tables the ORM writes: left out of the ORM's
#: SELECTs (deferred) and INSERTs (a server default), so those work before the migration too;
#: only SQL statements read and write them.
LATER_COLUMNS: dict[str, Any] = {"deferred": True, "server_default": text("NULL")}
#: ...and not fetched back after an ORM insert.
LATER_MAPPER: dict[str, Any] = {"eager_defaults": False}

class Base(AsyncAttrs, DeclarativeBase):
    """Declarative base of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSONDict,
        list[Any]: JSONList,
    }


class User(Base):
    """A citizen on one channel; ``external_id`` is a string (Telegram ids exceed 2**31)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8), default="ja")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column()
    last_seen_at: Mapped[dt.datetime] = mapped_column()


class Conversation(Base):
    """A conversation and the engine's JSON state for it."""

    __tablename__ = "conversations"
    __table_args__ = (Index(None, "user_id", "status"), Index(None, "flow_deadline"))
    __mapper_args__ = LATER_MAPPER

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"))
    status: Mapped[ConversationStatus] = mapped_column(
        _status(ConversationStatus), default=ConversationStatus.BOT
    )
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column()
    # when the flow in progress expires; SQL statements only (see LATER_COLUMNS)
    flow_deadline: Mapped[dt.datetime | None] = mapped_column(**LATER_COLUMNS)


class Message(Base):
    """One message in or out of a conversation."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("conversations.id"), index=True
    )
    direction: Mapped[str] = mapped_column(String(8))
    author: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="text")
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any] | None] = mapped_column()
    platform_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column()


class Feedback(Base):
    """A citizen's verdict on one knowledge entry."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("conversations.id"), index=True
    )
    entry_id: Mapped[str] = mapped_column(String(128), index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column()


class WebhookEvent(Base):
    """A platform event, stored by its id before processing so that repeats are no-ops."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("channel", "event_id"),
        Index(None, "status", "received_at"),
        Index(None, "status", "citizen_key", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[EventStatus] = mapped_column(_status(EventStatus), default=EventStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[dt.datetime] = mapped_column()
    processed_at: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    # whose event (``line:U…``): one citizen's events are claimed oldest first, one at a time;
    # the claiming worker's lease (SQL statements only, see LATER_COLUMNS)
    citizen_key: Mapped[str | None] = mapped_column(String(200), **LATER_COLUMNS)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(**LATER_COLUMNS)


class Outbox(Base):
    """A message to send to a citizen, retried until sent or given up."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(None, "status", "next_attempt_at"),
        Index(None, "citizen_key", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[OutboxStatus] = mapped_column(
        _status(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    message_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("messages.id"), index=True)
    # the citizen it answers: their next event waits until it is sent (see LATER_COLUMNS)
    citizen_key: Mapped[str | None] = mapped_column(String(200), **LATER_COLUMNS)


class StaffUser(Base):
    """A staff account; ``username`` is stored lowercased, so unique ignoring case."""

    __tablename__ = "staff_users"
    __table_args__ = (UniqueConstraint("username"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    departments: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column()


class StaffSession(Base):
    """A console login; the cookie holds the token, this row only its SHA-256."""

    __tablename__ = "staff_sessions"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(128))
    staff_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("staff_users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column()
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column()


class Escalation(Base):
    """A conversation handed to staff: one row of the queue."""

    __tablename__ = "escalations"
    __table_args__ = (Index(None, "status", "department", "last_activity_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("conversations.id"), index=True
    )
    user_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[EscalationStatus] = mapped_column(
        _status(EscalationStatus), default=EscalationStatus.OPEN
    )
    reason: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    category: Mapped[str | None] = mapped_column(String(128))
    department: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(200))
    transcript: Mapped[dict[str, Any]] = mapped_column(default=dict)
    assignee_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("staff_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column()
    last_activity_at: Mapped[dt.datetime] = mapped_column()
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    unread: Mapped[int] = mapped_column(Integer, default=0)


class EscalationNote(Base):
    """An internal note on an escalation; no author means the system wrote it."""

    __tablename__ = "escalation_notes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    escalation_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("escalations.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("staff_users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column()


class AuditLog(Base):
    """One staff action. No foreign key: the log outlives whatever it names."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(BigIntPK, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column()


class KnowledgeDraft(Base):
    """A proposed FAQ entry, written by staff from an escalation, waiting for review."""

    __tablename__ = "knowledge_drafts"
    __table_args__ = (Index(None, "status"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    escalation_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("escalations.id"))
    author_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("staff_users.id"))
    question: Mapped[str] = mapped_column(Text)
    answer_ja: Mapped[str] = mapped_column(Text)
    answer_en: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_at: Mapped[dt.datetime] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column()


class Application(Base):
    """A submitted application or report; ``reference`` is what the citizen is given."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("reference"),
        Index(None, "department", "status", "created_at"),
        Index(None, "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(16))
    flow_id: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(64))
    status: Mapped[ApplicationStatus] = mapped_column(
        _status(ApplicationStatus), default=ApplicationStatus.NEW
    )
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    summary: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column()
    status_changed_at: Mapped[dt.datetime] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column()


class ApplicationEvent(Base):
    """One line of an application's history: a status change, a note or a message sent."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("applications.id"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("staff_users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column()


class Attachment(Base):
    """A stored photo; its file is ``storage_key`` in the attachment store (not web-served)."""

    __tablename__ = "attachments"
    __table_args__ = (
        UniqueConstraint("token"),
        UniqueConstraint("storage_key"),
        Index(None, "application_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("applications.id"))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column()
