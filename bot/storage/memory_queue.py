"""In-memory twins of the queue repositories: escalations and their notes."""

from __future__ import annotations

import builtins
import copy
import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.storage.checks import (
    check_channel,
    check_limit,
    check_note_kind,
    check_reason,
    check_statuses,
    clean_summary,
)
from bot.storage.memory_base import MemoryRepo, out
from bot.storage.records import (
    UNSET,
    Channel,
    EscalationReason,
    EscalationRecord,
    EscalationStatus,
    NoteKind,
    NoteRecord,
    Unset,
)
from bot.storage.types import require_aware, utcnow

__all__ = ["InMemoryEscalationRepo", "InMemoryNoteRepo"]


class InMemoryEscalationRepo(MemoryRepo):
    """Escalations in memory."""

    async def open(
        self,
        conversation_id: int,
        user_id: int,
        channel: Channel,
        reason: EscalationReason,
        department: str,
        summary: str,
        transcript: dict[str, Any],
        category: str | None = None,
        priority: int = 0,
    ) -> EscalationRecord:
        """Put a conversation in the queue."""
        check_channel(channel)
        check_reason(reason)
        self._t.conversations.load(conversation_id)
        self._t.users.load(user_id)
        now = utcnow()
        escalation = EscalationRecord(
            id=self._t.escalations.new_id(),
            conversation_id=conversation_id,
            user_id=user_id,
            channel=channel,
            status=EscalationStatus.OPEN,
            reason=reason,
            priority=priority,
            category=category,
            department=department,
            summary=clean_summary(summary),
            transcript=copy.deepcopy(transcript),
            assignee_id=None,
            created_at=now,
            updated_at=now,
            last_activity_at=now,
            resolved_at=None,
            unread=0,
        )
        self._t.escalations.rows[escalation.id] = escalation
        return out(escalation)

    async def get(self, escalation_id: int) -> EscalationRecord | None:
        """Return the escalation or ``None``."""
        escalation = self._t.escalations.rows.get(escalation_id)
        return None if escalation is None else out(escalation)

    async def active_for_conversation(self, conversation_id: int) -> EscalationRecord | None:
        """Return the conversation's latest escalation that is not resolved, or ``None``."""
        active = [
            e
            for e in self._t.escalations.rows.values()
            if e.conversation_id == conversation_id and e.status is not EscalationStatus.RESOLVED
        ]
        return out(max(active, key=lambda e: e.id)) if active else None

    async def list(
        self,
        statuses: Sequence[str] | None = None,
        departments: Sequence[str] | None = None,
        channel: Channel | None = None,
        assignee_id: int | None = None,
        older_than: dt.datetime | None = None,
        newer_than: dt.datetime | None = None,
        limit: int = 100,
    ) -> builtins.list[EscalationRecord]:
        """Return escalations, newest ``last_activity_at`` first."""
        check_limit(limit)
        wanted = None if statuses is None else set(check_statuses(statuses))
        depts = None if departments is None else set(departments)
        if channel is not None:
            check_channel(channel)
        before = None if older_than is None else require_aware(older_than, "older_than")
        after = None if newer_than is None else require_aware(newer_than, "newer_than")
        rows = [
            e
            for e in self._t.escalations.rows.values()
            if (wanted is None or e.status in wanted)
            and (depts is None or e.department in depts)
            and channel in (None, e.channel)
            and (assignee_id is None or e.assignee_id == assignee_id)
            and (before is None or e.created_at < before)
            and (after is None or e.created_at >= after)
        ]
        rows.sort(key=lambda e: (e.last_activity_at, e.id), reverse=True)
        return [out(e) for e in rows[:limit]]

    async def counts(self, departments: Sequence[str] | None = None) -> dict[str, int]:
        """Return ``status value -> count`` with every status present."""
        depts = None if departments is None else set(departments)
        counts = {status.value: 0 for status in EscalationStatus}
        for e in self._t.escalations.rows.values():
            if depts is None or e.department in depts:
                counts[e.status.value] += 1
        return counts

    def _change(self, escalation_id: int, **changes: Any) -> EscalationRecord:
        escalation = replace(
            self._t.escalations.load(escalation_id), updated_at=utcnow(), **changes
        )
        self._t.escalations.rows[escalation_id] = escalation
        return out(escalation)

    async def update(
        self,
        escalation_id: int,
        *,
        status: EscalationStatus | None = None,
        assignee_id: int | Unset | None = UNSET,
        department: str | None = None,
        priority: int | None = None,
        summary: str | None = None,
    ) -> EscalationRecord:
        """Change what is given (``assignee_id=None`` unassigns); bumps ``updated_at``."""
        current = self._t.escalations.load(escalation_id)
        changes: dict[str, Any] = {}
        if status is not None:
            (new_status,) = check_statuses([status])
            changes["status"] = new_status
            if new_status is not EscalationStatus.RESOLVED:
                changes["resolved_at"] = None
            elif current.resolved_at is None:
                changes["resolved_at"] = utcnow()
        if not isinstance(assignee_id, Unset):
            if assignee_id is not None:
                self._t.staff.load(assignee_id)
            changes["assignee_id"] = assignee_id
        if department is not None:
            changes["department"] = department
        if priority is not None:
            changes["priority"] = priority
        if summary is not None:
            changes["summary"] = clean_summary(summary)
        return self._change(escalation_id, **changes)

    async def touch(
        self, escalation_id: int, at: dt.datetime, unread_delta: int = 0
    ) -> EscalationRecord:
        """Set ``last_activity_at`` to ``at`` and add ``unread_delta`` to ``unread``."""
        at = require_aware(at, "at")
        unread = self._t.escalations.load(escalation_id).unread + unread_delta
        return self._change(escalation_id, last_activity_at=at, unread=unread)

    async def mark_read(self, escalation_id: int) -> EscalationRecord:
        """Set ``unread`` to 0."""
        return self._change(escalation_id, unread=0)

    async def resolve(self, escalation_id: int, at: dt.datetime) -> EscalationRecord:
        """Mark resolved at ``at`` (also the last activity)."""
        at = require_aware(at, "at")
        return self._change(
            escalation_id, status=EscalationStatus.RESOLVED, resolved_at=at, last_activity_at=at
        )

    async def reopen(self, escalation_id: int, at: dt.datetime) -> EscalationRecord:
        """Back to assigned (if it has an assignee) or open; ``resolved_at`` cleared."""
        at = require_aware(at, "at")
        assigned = self._t.escalations.load(escalation_id).assignee_id is not None
        status = EscalationStatus.ASSIGNED if assigned else EscalationStatus.OPEN
        return self._change(escalation_id, status=status, resolved_at=None, last_activity_at=at)


class InMemoryNoteRepo(MemoryRepo):
    """Escalation notes in memory."""

    async def add(
        self, escalation_id: int, author_id: int | None, kind: NoteKind, text: str
    ) -> NoteRecord:
        """Store a note; ``author_id`` ``None`` means the system wrote it."""
        check_note_kind(kind)
        self._t.escalations.load(escalation_id)
        if author_id is not None:
            self._t.staff.load(author_id)
        note = NoteRecord(
            id=self._t.notes.new_id(),
            escalation_id=escalation_id,
            author_id=author_id,
            kind=kind,
            text=text,
            created_at=utcnow(),
        )
        self._t.notes.rows[note.id] = note
        return note

    async def for_escalation(self, escalation_id: int) -> builtins.list[NoteRecord]:
        """Return the escalation's notes, oldest first."""
        rows = self._t.notes.rows.values()
        return sorted((n for n in rows if n.escalation_id == escalation_id), key=lambda n: n.id)
