"""Conversion of ORM rows into the records the repositories hand out."""

from __future__ import annotations

import copy
from typing import Any, cast

from bot.storage.models import (
    Application,
    ApplicationEvent,
    Attachment,
    AuditLog,
    Conversation,
    Escalation,
    EscalationNote,
    Feedback,
    KnowledgeDraft,
    Message,
    Outbox,
    StaffSession,
    StaffUser,
    User,
    WebhookEvent,
)
from bot.storage.records import (
    ApplicationEventKind,
    ApplicationEventRecord,
    ApplicationRecord,
    ApplicationStatus,
    AttachmentRecord,
    AuditRecord,
    Author,
    Channel,
    ConversationRecord,
    Direction,
    DraftRecord,
    DraftStatus,
    EscalationReason,
    EscalationRecord,
    EventRecord,
    FeedbackRecord,
    Language,
    MessageKind,
    MessageRecord,
    NoteKind,
    NoteRecord,
    OutboxRecord,
    SessionRecord,
    StaffRecord,
    StaffRole,
    UserRecord,
)

__all__ = [
    "application_event_record",
    "application_record",
    "attachment_record",
    "audit_record",
    "conversation_record",
    "draft_record",
    "escalation_record",
    "event_record",
    "feedback_record",
    "json_copy",
    "message_record",
    "note_record",
    "outbox_record",
    "session_record",
    "staff_record",
    "user_record",
]


def json_copy(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return a detached deep copy of a JSON value, so callers never share ORM state."""
    return None if value is None else copy.deepcopy(dict(value))


def user_record(row: User) -> UserRecord:
    """Convert a ``User`` row."""
    return UserRecord(
        id=row.id,
        channel=cast(Channel, row.channel),
        external_id=row.external_id,
        display_name=row.display_name,
        language=cast(Language, row.language),
        active=row.active,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
    )


def conversation_record(row: Conversation, *, fresh: bool = False) -> ConversationRecord:
    """Convert a ``Conversation`` row.

    ``fresh``: a Core row, its state just decoded from JSON and nobody else's: not copied.
    """
    return ConversationRecord(
        id=row.id,
        user_id=row.user_id,
        status=row.status,
        state=(dict(row.state or {}) if fresh else json_copy(row.state)) or {},
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def message_record(row: Message) -> MessageRecord:
    """Convert a ``Message`` row."""
    return MessageRecord(
        id=row.id,
        conversation_id=row.conversation_id,
        direction=cast(Direction, row.direction),
        author=cast(Author, row.author),
        kind=cast(MessageKind, row.kind),
        text=row.text,
        payload=json_copy(row.payload),
        platform_id=row.platform_id,
        created_at=row.created_at,
    )


def feedback_record(row: Feedback) -> FeedbackRecord:
    """Convert a ``Feedback`` row."""
    return FeedbackRecord(
        id=row.id,
        conversation_id=row.conversation_id,
        entry_id=row.entry_id,
        helpful=row.helpful,
        comment=row.comment,
        created_at=row.created_at,
    )


def event_record(row: WebhookEvent) -> EventRecord:
    """Convert a ``WebhookEvent`` row."""
    return EventRecord(
        id=row.id,
        channel=cast(Channel, row.channel),
        event_id=row.event_id,
        payload=json_copy(row.payload) or {},
        status=row.status,
        attempts=row.attempts,
        received_at=row.received_at,
        processed_at=row.processed_at,
        last_error=row.last_error,
    )


def outbox_record(row: Outbox) -> OutboxRecord:
    """Convert an ``Outbox`` row."""
    return OutboxRecord(
        id=row.id,
        channel=cast(Channel, row.channel),
        recipient=row.recipient,
        payload=json_copy(row.payload) or {},
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
        message_id=row.message_id,
    )


def staff_record(row: StaffUser) -> StaffRecord:
    """Convert a ``StaffUser`` row."""
    return StaffRecord(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        password_hash=row.password_hash,
        role=cast(StaffRole, row.role),
        departments=tuple(str(d) for d in row.departments or ()),
        active=row.active,
        failed_logins=row.failed_logins,
        last_failed_at=row.last_failed_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def session_record(row: StaffSession) -> SessionRecord:
    """Convert a ``StaffSession`` row."""
    return SessionRecord(
        id=row.id,
        token_hash=row.token_hash,
        staff_id=row.staff_id,
        csrf_token=row.csrf_token,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_seen_at=row.last_seen_at,
    )


def escalation_record(row: Escalation) -> EscalationRecord:
    """Convert an ``Escalation`` row."""
    return EscalationRecord(
        id=row.id,
        conversation_id=row.conversation_id,
        user_id=row.user_id,
        channel=cast(Channel, row.channel),
        status=row.status,
        reason=cast(EscalationReason, row.reason),
        priority=row.priority,
        category=row.category,
        department=row.department,
        summary=row.summary,
        transcript=json_copy(row.transcript) or {},
        assignee_id=row.assignee_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_activity_at=row.last_activity_at,
        resolved_at=row.resolved_at,
        unread=row.unread,
    )


def note_record(row: EscalationNote) -> NoteRecord:
    """Convert an ``EscalationNote`` row."""
    return NoteRecord(
        id=row.id,
        escalation_id=row.escalation_id,
        author_id=row.author_id,
        kind=cast(NoteKind, row.kind),
        text=row.text,
        created_at=row.created_at,
    )


def audit_record(row: AuditLog) -> AuditRecord:
    """Convert an ``AuditLog`` row."""
    return AuditRecord(
        id=row.id,
        staff_id=row.staff_id,
        action=row.action,
        target=row.target,
        detail=json_copy(row.detail) or {},
        ip=row.ip,
        created_at=row.created_at,
    )


def draft_record(row: KnowledgeDraft) -> DraftRecord:
    """Convert a ``KnowledgeDraft`` row."""
    return DraftRecord(
        id=row.id,
        escalation_id=row.escalation_id,
        author_id=row.author_id,
        question=row.question,
        answer_ja=row.answer_ja,
        answer_en=row.answer_en,
        category=row.category,
        status=cast(DraftStatus, row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def application_record(row: Application) -> ApplicationRecord:
    """Convert an ``Application`` row."""
    return ApplicationRecord(
        id=row.id,
        reference=row.reference,
        user_id=row.user_id,
        conversation_id=row.conversation_id,
        channel=cast(Channel, row.channel),
        flow_id=row.flow_id,
        department=row.department,
        status=row.status,
        answers=json_copy(row.answers) or {},
        summary=row.summary,
        created_at=row.created_at,
        updated_at=row.updated_at,
        status_changed_at=row.status_changed_at,
        closed_at=row.closed_at,
    )


def application_event_record(row: ApplicationEvent) -> ApplicationEventRecord:
    """Convert an ``ApplicationEvent`` row."""
    return ApplicationEventRecord(
        id=row.id,
        application_id=row.application_id,
        staff_id=row.staff_id,
        kind=cast(ApplicationEventKind, row.kind),
        status=None if row.status is None else ApplicationStatus(row.status),
        text=row.text,
        created_at=row.created_at,
    )


def attachment_record(row: Attachment) -> AttachmentRecord:
    """Convert an ``Attachment`` row."""
    return AttachmentRecord(
        id=row.id,
        token=row.token,
        user_id=row.user_id,
        application_id=row.application_id,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        storage_key=row.storage_key,
        created_at=row.created_at,
    )
