"""Plain values returned by the repositories.

Repositories never hand ORM objects out: a record is a frozen snapshot, so nothing can be
lazy-loaded after the session has gone.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "UNSET",
    "ApplicationEventKind",
    "ApplicationEventRecord",
    "ApplicationRecord",
    "ApplicationStatus",
    "AttachmentRecord",
    "AuditRecord",
    "Author",
    "Channel",
    "ConversationRecord",
    "ConversationStatus",
    "Direction",
    "DraftRecord",
    "DraftStatus",
    "EscalationReason",
    "EscalationRecord",
    "EscalationStatus",
    "EventRecord",
    "EventStatus",
    "FeedbackRecord",
    "Language",
    "MessageKind",
    "MessageRecord",
    "NoteKind",
    "NoteRecord",
    "OutboxRecord",
    "OutboxStatus",
    "SessionRecord",
    "StaffRecord",
    "StaffRole",
    "Unset",
    "UserRecord",
]

Channel = Literal["line", "telegram", "web", "terminal"]
Language = Literal["ja", "en"]
Direction = Literal["in", "out"]
Author = Literal["citizen", "bot", "staff", "system"]
MessageKind = Literal["text", "choice", "location", "image", "postback", "event"]
StaffRole = Literal["admin", "staff"]
EscalationReason = Literal[
    "requested", "failed_twice", "needs_staff", "complaint", "emergency", "procedure"
]
NoteKind = Literal["note", "transfer", "system"]
DraftStatus = Literal["draft", "exported", "rejected"]
ApplicationEventKind = Literal["status", "note", "message"]


class Unset(enum.Enum):
    """Type of :data:`UNSET`, the "leave unchanged" marker where ``None`` is a real value."""

    UNSET = "unset"


#: Default of update arguments that may be set to ``None`` (``assignee_id=None`` unassigns).
UNSET = Unset.UNSET


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


class EscalationStatus(enum.StrEnum):
    """Where an escalation stands in the staff queue.

    ``WAITING`` means staff replied and waits for the citizen; ``RESOLVED`` is the only
    inactive status (a resolved escalation can be reopened).
    """

    OPEN = "open"
    ASSIGNED = "assigned"
    WAITING = "waiting"
    RESOLVED = "resolved"


class OutboxStatus(enum.StrEnum):
    """Delivery state of an outgoing message."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class ApplicationStatus(enum.StrEnum):
    """Where an application stands; ``DONE`` and ``REJECTED`` close it."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    REJECTED = "rejected"

    @property
    def closed(self) -> bool:
        """Whether this status ends the application (``closed_at`` is set)."""
        return self in (ApplicationStatus.DONE, ApplicationStatus.REJECTED)


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
    message_id: int | None = None  # the stored message this delivers (staff replies)


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """A staff account. ``username`` is stored lowercased; ``departments`` are ids."""

    id: int
    username: str
    display_name: str
    password_hash: str
    role: StaffRole
    departments: tuple[str, ...]
    active: bool
    failed_logins: int
    last_failed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A console login. The cookie holds the token; only its SHA-256 is stored."""

    id: int
    token_hash: str
    staff_id: int
    csrf_token: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_seen_at: dt.datetime


@dataclass(frozen=True, slots=True)
class EscalationRecord:
    """A conversation handed to staff, as shown in the queue."""

    id: int
    conversation_id: int
    user_id: int
    channel: Channel
    status: EscalationStatus
    reason: EscalationReason
    priority: int  # 0 normal, 1 urgent (emergency)
    category: str | None
    department: str
    summary: str
    transcript: dict[str, Any]  # {"messages": [...]}: what the bot saw before the hand-off
    assignee_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    last_activity_at: dt.datetime
    resolved_at: dt.datetime | None
    unread: int  # citizen messages since staff last looked


@dataclass(frozen=True, slots=True)
class NoteRecord:
    """An internal note on an escalation; ``author_id`` ``None`` means the system wrote it."""

    id: int
    escalation_id: int
    author_id: int | None
    kind: NoteKind
    text: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One staff action: who, what, on what, when, from where."""

    id: int
    staff_id: int | None
    action: str
    target: str | None
    detail: dict[str, Any]
    ip: str | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class DraftRecord:
    """A proposed FAQ entry waiting for review."""

    id: int
    escalation_id: int | None
    author_id: int
    question: str
    answer_ja: str
    answer_en: str | None
    category: str | None
    status: DraftStatus
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ApplicationRecord:
    """A submitted application or report, found by its reference ("A-20261130-7KQ4")."""

    id: int
    reference: str
    user_id: int
    conversation_id: int
    channel: Channel
    flow_id: str
    department: str
    status: ApplicationStatus
    answers: dict[str, Any]  # step id -> stored value; photos by attachment id
    summary: str
    created_at: dt.datetime
    updated_at: dt.datetime
    status_changed_at: dt.datetime
    closed_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ApplicationEventRecord:
    """One line of an application's history; ``staff_id`` ``None`` means the system."""

    id: int
    application_id: int
    staff_id: int | None
    kind: ApplicationEventKind
    status: ApplicationStatus | None  # the new status, for kind "status"
    text: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AttachmentRecord:
    """A stored photo; the file is ``storage_key`` in the attachment store, ``token`` its URL."""

    id: int
    token: str
    user_id: int
    application_id: int | None  # set when the application is submitted
    content_type: str
    size: int
    sha256: str
    storage_key: str
    created_at: dt.datetime
