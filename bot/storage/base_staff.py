"""The storage ports of the staff side: accounts, sessions, the queue, audit log, drafts.

Re-exported by :mod:`bot.storage.base`, whose :class:`~bot.storage.base.Unit` carries them.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from bot.storage.records import (
    UNSET,
    AuditRecord,
    Channel,
    DraftRecord,
    DraftStatus,
    EscalationReason,
    EscalationRecord,
    EscalationStatus,
    NoteKind,
    NoteRecord,
    SessionRecord,
    StaffRecord,
    StaffRole,
    Unset,
)

__all__ = ["AuditRepo", "DraftRepo", "EscalationRepo", "NoteRepo", "SessionRepo", "StaffRepo"]


class StaffRepo(Protocol):
    """Staff accounts. Usernames are unique ignoring case (stored lowercased)."""

    async def add(
        self,
        username: str,
        display_name: str,
        password_hash: str,
        role: StaffRole,
        departments: Sequence[str],
    ) -> StaffRecord:
        """Create an active account.

        Raises:
            DuplicateError: the username (ignoring case) is taken.
            ValueError: bad role, empty username or departments given as one string.
        """
        ...

    async def get(self, staff_id: int) -> StaffRecord | None:
        """Return the account or ``None``."""
        ...

    async def by_username(self, username: str) -> StaffRecord | None:
        """Return the account with this username (any case) or ``None``."""
        ...

    async def list(self, active_only: bool = False) -> builtins.list[StaffRecord]:
        """Return the accounts ordered by username."""
        ...

    async def set_active(self, staff_id: int, active: bool) -> None:
        """Enable or disable the account."""
        ...

    async def set_password(self, staff_id: int, password_hash: str) -> None:
        """Replace the password hash and clear the failed-login count."""
        ...

    async def record_failed_login(self, staff_id: int, at: dt.datetime) -> int:
        """Count one failed login at ``at``; return the new count."""
        ...

    async def reset_failed_logins(self, staff_id: int) -> None:
        """Clear the failed-login count (after a successful login)."""
        ...


class SessionRepo(Protocol):
    """Console login sessions, found by the SHA-256 of the cookie's token."""

    async def create(
        self,
        staff_id: int,
        token_hash: str,
        csrf_token: str,
        expires_at: dt.datetime,
        now: dt.datetime,
    ) -> SessionRecord:
        """Store a new session created at ``now`` (the service clock's time)."""
        ...

    async def by_token_hash(self, token_hash: str) -> SessionRecord | None:
        """Return the session, expired or not (compare ``expires_at`` yourself), or ``None``."""
        ...

    async def touch(self, session_id: int, at: dt.datetime, expires_at: dt.datetime) -> None:
        """Record activity at ``at`` and move the expiry (sliding sessions)."""
        ...

    async def delete(self, session_id: int) -> None:
        """Delete the session; deleting one that is gone already is not an error."""
        ...

    async def delete_for_staff(self, staff_id: int) -> int:
        """Delete every session of the account (disabled, password reset); return how many."""
        ...

    async def purge_expired(self, now: dt.datetime) -> int:
        """Delete sessions with ``expires_at <= now``; return how many."""
        ...


class EscalationRepo(Protocol):
    """Conversations handed to staff: the queue."""

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
        """Put a conversation in the queue (status open, no assignee, nothing unread).

        The summary is put on one line and cut to 200 characters. The caller checks
        :meth:`active_for_conversation` first: this does not refuse a second active one.
        """
        ...

    async def get(self, escalation_id: int) -> EscalationRecord | None:
        """Return the escalation or ``None``."""
        ...

    async def active_for_conversation(self, conversation_id: int) -> EscalationRecord | None:
        """Return the conversation's latest escalation that is not resolved, or ``None``."""
        ...

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
        """Return escalations, newest ``last_activity_at`` first.

        ``None`` means any; an empty ``statuses`` or ``departments`` matches nothing.
        ``older_than``/``newer_than`` bound ``created_at`` (the escalation's age):
        ``created_at < older_than`` and ``created_at >= newer_than``.
        """
        ...

    async def counts(self, departments: Sequence[str] | None = None) -> dict[str, int]:
        """Return ``status value -> count`` with every status present (zeros included)."""
        ...

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
        """Change what is given (``assignee_id=None`` unassigns); bumps ``updated_at``.

        Setting status resolved sets ``resolved_at``; any other status clears it.
        """
        ...

    async def touch(
        self, escalation_id: int, at: dt.datetime, unread_delta: int = 0
    ) -> EscalationRecord:
        """Set ``last_activity_at`` to ``at`` and add ``unread_delta`` to ``unread``."""
        ...

    async def mark_read(self, escalation_id: int) -> EscalationRecord:
        """Set ``unread`` to 0 (staff looked)."""
        ...

    async def resolve(self, escalation_id: int, at: dt.datetime) -> EscalationRecord:
        """Mark resolved at ``at`` (also the last activity)."""
        ...

    async def reopen(self, escalation_id: int, at: dt.datetime) -> EscalationRecord:
        """Back to assigned (if it has an assignee) or open; ``resolved_at`` cleared."""
        ...


class NoteRepo(Protocol):
    """Internal notes on escalations (never sent to the citizen)."""

    async def add(
        self, escalation_id: int, author_id: int | None, kind: NoteKind, text: str
    ) -> NoteRecord:
        """Store a note; ``author_id`` ``None`` means the system wrote it."""
        ...

    async def for_escalation(self, escalation_id: int) -> list[NoteRecord]:
        """Return the escalation's notes, oldest first."""
        ...


class AuditRepo(Protocol):
    """The audit log of staff actions."""

    async def add(
        self,
        staff_id: int | None,
        action: str,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        ip: str | None = None,
    ) -> AuditRecord:
        """Record one action (``target`` like ``"escalation:7"``; no passwords in ``detail``)."""
        ...

    async def list(
        self, limit: int = 200, staff_id: int | None = None, action: str | None = None
    ) -> builtins.list[AuditRecord]:
        """Return entries newest first, optionally only one account's or one action's."""
        ...


class DraftRepo(Protocol):
    """Proposed FAQ entries from resolved escalations, waiting for review."""

    async def add(
        self,
        author_id: int,
        question: str,
        answer_ja: str,
        answer_en: str | None = None,
        category: str | None = None,
        escalation_id: int | None = None,
    ) -> DraftRecord:
        """Store a draft (status ``draft``)."""
        ...

    async def get(self, draft_id: int) -> DraftRecord | None:
        """Return the draft or ``None``."""
        ...

    async def list(self, status: DraftStatus | None = None) -> builtins.list[DraftRecord]:
        """Return drafts oldest first, optionally only those with ``status``."""
        ...

    async def set_status(self, draft_id: int, status: DraftStatus) -> DraftRecord:
        """Mark the draft exported or rejected (or back to draft); bumps ``updated_at``."""
        ...
