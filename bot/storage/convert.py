"""Conversion of ORM rows into the records the repositories hand out."""

from __future__ import annotations

import copy
from typing import Any, cast

from bot.storage.models import Conversation, Feedback, Message, Outbox, User, WebhookEvent
from bot.storage.records import (
    Author,
    Channel,
    ConversationRecord,
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
    "conversation_record",
    "event_record",
    "feedback_record",
    "json_copy",
    "message_record",
    "outbox_record",
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


def conversation_record(row: Conversation) -> ConversationRecord:
    """Convert a ``Conversation`` row."""
    return ConversationRecord(
        id=row.id,
        user_id=row.user_id,
        status=row.status,
        state=json_copy(row.state) or {},
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
    )
