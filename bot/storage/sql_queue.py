"""SQL repositories of the staff queue: escalations and their notes."""

from __future__ import annotations

import builtins
import copy
import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, select

from bot.storage.checks import (
    check_channel,
    check_limit,
    check_note_kind,
    check_reason,
    check_statuses,
    clean_summary,
)
from bot.storage.convert import escalation_record, note_record
from bot.storage.models import Conversation, Escalation, EscalationNote, StaffUser, User
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
from bot.storage.sql_base import SqlRepo, load
from bot.storage.types import require_aware

__all__ = ["SqlEscalationRepo", "SqlNoteRepo"]


class SqlEscalationRepo(SqlRepo):
    """Escalations in SQL."""

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
        await load(self._session, Conversation, conversation_id)
        await load(self._session, User, user_id)
        now = self._now()
        row = Escalation(
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
        self._session.add(row)
        await self._session.flush()
        return escalation_record(row)

    async def get(self, escalation_id: int) -> EscalationRecord | None:
        """Return the escalation or ``None``."""
        row = await self._session.get(Escalation, escalation_id)
        return None if row is None else escalation_record(row)

    async def active_for_conversation(self, conversation_id: int) -> EscalationRecord | None:
        """Return the conversation's latest escalation that is not resolved, or ``None``."""
        # Core: asked on every citizen message, and almost always finds nothing.
        table = cast(Table, Escalation.__table__)
        row = (
            await self._session.execute(
                select(*table.c)
                .where(
                    table.c.conversation_id == conversation_id,
                    table.c.status != EscalationStatus.RESOLVED,
                )
                .order_by(table.c.id.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else escalation_record(cast(Escalation, row))

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
        query = select(Escalation)
        if statuses is not None:
            query = query.where(Escalation.status.in_(check_statuses(statuses)))
        if departments is not None:
            query = query.where(Escalation.department.in_(list(departments)))
        if channel is not None:
            check_channel(channel)
            query = query.where(Escalation.channel == channel)
        if assignee_id is not None:
            query = query.where(Escalation.assignee_id == assignee_id)
        if older_than is not None:
            query = query.where(Escalation.created_at < require_aware(older_than, "older_than"))
        if newer_than is not None:
            query = query.where(Escalation.created_at >= require_aware(newer_than, "newer_than"))
        query = query.order_by(Escalation.last_activity_at.desc(), Escalation.id.desc())
        rows = await self._session.scalars(query.limit(limit))
        return [escalation_record(row) for row in rows]

    async def counts(self, departments: Sequence[str] | None = None) -> dict[str, int]:
        """Return ``status value -> count`` with every status present."""
        query = select(Escalation.status, func.count(Escalation.id)).group_by(Escalation.status)
        if departments is not None:
            query = query.where(Escalation.department.in_(list(departments)))
        counts = {status.value: 0 for status in EscalationStatus}
        for status, count in await self._session.execute(query):
            counts[EscalationStatus(status).value] = int(count)
        return counts

    async def _change(self, escalation_id: int, **values: Any) -> Escalation:
        row = await load(self._session, Escalation, escalation_id)
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = self._now()
        await self._session.flush()
        return row

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
        current = await load(self._session, Escalation, escalation_id)
        values: dict[str, Any] = {}
        if status is not None:
            (new_status,) = check_statuses([status])
            values["status"] = new_status
            if new_status is not EscalationStatus.RESOLVED:
                values["resolved_at"] = None
            elif current.resolved_at is None:
                values["resolved_at"] = self._now()
        if not isinstance(assignee_id, Unset):
            if assignee_id is not None:
                await load(self._session, StaffUser, assignee_id)
            values["assignee_id"] = assignee_id
        if department is not None:
            values["department"] = department
        if priority is not None:
            values["priority"] = priority
        if summary is not None:
            values["summary"] = clean_summary(summary)
        return escalation_record(await self._change(escalation_id, **values))

    async def touch(
        self, escalation_id: int, at: dt.datetime, unread_delta: int = 0
    ) -> EscalationRecord:
        """Set ``last_activity_at`` to ``at`` and add ``unread_delta`` to ``unread``.

        The count is raised in SQL so that concurrent citizen messages all count.
        """
        at = require_aware(at, "at")
        row = await self._change(
            escalation_id, last_activity_at=at, unread=Escalation.unread + unread_delta
        )
        await self._session.refresh(row)
        return escalation_record(row)

    async def mark_read(self, escalation_id: int) -> EscalationRecord:
        """Set ``unread`` to 0."""
        return escalation_record(await self._change(escalation_id, unread=0))

    async def resolve(self, escalation_id: int, at: dt.datetime) -> EscalationRecord:
        """Mark resolved at ``at`` (also the last activity)."""
        at = require_aware(at, "at")
        row = await self._change(
            escalation_id, status=EscalationStatus.RESOLVED, resolved_at=at, last_activity_at=at
        )
        return escalation_record(row)

    async def reopen(self, escalation_id: int, at: dt.datetime) -> EscalationRecord:
        """Back to assigned (if it has an assignee) or open; ``resolved_at`` cleared."""
        at = require_aware(at, "at")
        row = await load(self._session, Escalation, escalation_id)
        assigned = row.assignee_id is not None
        status = EscalationStatus.ASSIGNED if assigned else EscalationStatus.OPEN
        row = await self._change(
            escalation_id, status=status, resolved_at=None, last_activity_at=at
        )
        return escalation_record(row)


class SqlNoteRepo(SqlRepo):
    """Escalation notes in SQL."""

    async def add(
        self, escalation_id: int, author_id: int | None, kind: NoteKind, text: str
    ) -> NoteRecord:
        """Store a note; ``author_id`` ``None`` means the system wrote it."""
        check_note_kind(kind)
        await load(self._session, Escalation, escalation_id)
        if author_id is not None:
            await load(self._session, StaffUser, author_id)
        row = EscalationNote(
            escalation_id=escalation_id,
            author_id=author_id,
            kind=kind,
            text=text,
            created_at=self._now(),
        )
        self._session.add(row)
        await self._session.flush()
        return note_record(row)

    async def for_escalation(self, escalation_id: int) -> builtins.list[NoteRecord]:
        """Return the escalation's notes, oldest first."""
        rows = await self._session.scalars(
            select(EscalationNote)
            .where(EscalationNote.escalation_id == escalation_id)
            .order_by(EscalationNote.id)
        )
        return [note_record(row) for row in rows]
