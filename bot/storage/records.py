"""Plain values returned by the repositories.

Repositories never hand ORM objects out: a record is a frozen snapshot, so nothing can be
lazy-loaded after the session has gone, and the in-memory twins return exactly the same types.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Author",
    "Channel",
    "ConversationRecord",
    "ConversationStatus",
    "Direction",
    "EventRecord",
    "EventStatus",
    "FeedbackRecord",
    "Language",
    "MessageKind",
    "MessageRecord",
    "OutboxRecord",
    "OutboxStatus",
    "UserRecord",
]

Channel = Literal["line", "telegram", "web", "terminal"]
Language = Literal["ja", "en"]
Direction = Literal["in", "out"]
Author = Literal["citizen", "bot", "staff", "system"]
MessageKind = Literal["text", "choice", "location", "image", "postback", "event"]


class ConversationStatus(enum.StrEnum):
    """Who owns a conversation: ``BOT → WAITING → STAFF → BOT | CLOSED``."""

    BOT = "bot"
    WAITING = "waiting"
    STAFF = "staff"
    CLOSED = "closed"


class EventStatus(enum.StrEnum):
    """Processing state of a received webhook event."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class OutboxStatus(enum.StrEnum):
    """Delivery state of an outgoing message."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A citizen as known on one channel."""

    id: int
    channel: Channel
    external_id: str
    display_name: str | None
    language: Language
    active: bool
    created_at: dt.datetime
    last_seen_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    """A conversation and the engine's state for it (flow, last choices, failures …)."""

    id: int
    user_id: int
    status: ConversationStatus
    state: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One message in or out of a conversation."""

    id: int
    conversation_id: int
    direction: Direction
    author: Author
    kind: MessageKind
    text: str
    payload: dict[str, Any] | None
    platform_id: str | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """A citizen's verdict on one knowledge entry."""

    id: int
    conversation_id: int
    entry_id: str
    helpful: bool
    comment: str | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A webhook event stored before it is processed."""

    id: int
    channel: Channel
    event_id: str
    payload: dict[str, Any]
    status: EventStatus
    attempts: int
    received_at: dt.datetime
    processed_at: dt.datetime | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A message waiting to be sent to a citizen, retried until sent or given up."""

    id: int
    channel: Channel
    recipient: str
    payload: dict[str, Any]
    status: OutboxStatus
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
