"""The tables behind the in-memory twins, shared by :mod:`bot.storage.memory` and its siblings.

A table is a dict of frozen records by id; a unit of work copies the dicts (cheap: the records
are shared, never changed in place) and replaces the originals on commit.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from bot.storage.errors import RecordNotFoundError
from bot.storage.records import (
    ApplicationEventRecord,
    ApplicationRecord,
    AttachmentRecord,
    AuditRecord,
    ConversationRecord,
    DraftRecord,
    EscalationRecord,
    EventRecord,
    FeedbackRecord,
    MessageRecord,
    NoteRecord,
    OutboxRecord,
    SessionRecord,
    StaffRecord,
    UserRecord,
)

__all__ = ["MemoryRepo", "Table", "Tables", "json_copy", "out"]

_R = TypeVar("_R")
_T = TypeVar("_T")

#: Record fields holding JSON values, copied on the way in and out like a database round trip.
_JSON_FIELDS = ("state", "payload", "transcript", "detail", "answers")


@dataclass
class Table(Generic[_T]):
    """Rows by id, with the next id to hand out (ids start at 1, as in SQL)."""

    name: str
    rows: dict[int, _T] = field(default_factory=dict)
    next_id: int = 1

    def new_id(self) -> int:
        """Return a fresh id."""
        self.next_id += 1
        return self.next_id - 1

    def load(self, key: int) -> _T:
        """Return the row, or raise :class:`RecordNotFoundError` naming the table."""
        try:
            return self.rows[key]
        except KeyError:
            raise RecordNotFoundError(self.name, key) from None


@dataclass
class Tables:
    """Everything one in-memory database holds (table names as in SQL, for error messages)."""

    users: Table[UserRecord] = field(default_factory=lambda: Table("users"))
    conversations: Table[ConversationRecord] = field(
        default_factory=lambda: Table("conversations")
    )
    messages: Table[MessageRecord] = field(default_factory=lambda: Table("messages"))
    feedback: Table[FeedbackRecord] = field(default_factory=lambda: Table("feedback"))
    events: Table[EventRecord] = field(default_factory=lambda: Table("webhook_events"))
    outbox: Table[OutboxRecord] = field(default_factory=lambda: Table("outbox"))
    staff: Table[StaffRecord] = field(default_factory=lambda: Table("staff_users"))
    sessions: Table[SessionRecord] = field(default_factory=lambda: Table("staff_sessions"))
    escalations: Table[EscalationRecord] = field(default_factory=lambda: Table("escalations"))
    notes: Table[NoteRecord] = field(default_factory=lambda: Table("escalation_notes"))
    audit: Table[AuditRecord] = field(default_factory=lambda: Table("audit_log"))
    drafts: Table[DraftRecord] = field(default_factory=lambda: Table("knowledge_drafts"))
    applications: Table[ApplicationRecord] = field(default_factory=lambda: Table("applications"))
    application_events: Table[ApplicationEventRecord] = field(
        default_factory=lambda: Table("application_events")
    )
    attachments: Table[AttachmentRecord] = field(default_factory=lambda: Table("attachments"))

    def copy(self) -> Tables:
        """Return a copy whose tables can change without touching these."""
        return Tables(
            **{
                name: Table(table.name, dict(table.rows), table.next_id)
                for name, table in vars(self).items()
            }
        )


def json_copy(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return a deep copy, so neither side can change the other's JSON value."""
    return copy.deepcopy(value)


def out(record: _R) -> _R:
    """Hand a stored record out with its JSON values copied, as a database round trip does."""
    changes: dict[str, Any] = {
        name: json_copy(getattr(record, name)) for name in _JSON_FIELDS if hasattr(record, name)
    }
    return replace(record, **changes) if changes else record  # type: ignore[type-var]


class MemoryRepo:
    """Base of the in-memory repositories: one unit's copy of the tables."""

    def __init__(self, tables: Tables) -> None:
        """Work on one unit's copy of the tables."""
        self._t = tables
