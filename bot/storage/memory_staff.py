"""In-memory twins of the staff-side repositories: accounts, sessions, audit log, drafts."""

from __future__ import annotations

import builtins
import copy
import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.storage.checks import (
    check_draft_status,
    check_limit,
    check_role,
    clean_departments,
    clean_username,
)
from bot.storage.errors import DuplicateError
from bot.storage.memory_base import MemoryRepo, out
from bot.storage.records import (
    AuditRecord,
    DraftRecord,
    DraftStatus,
    SessionRecord,
    StaffRecord,
    StaffRole,
)
from bot.storage.types import require_aware, utcnow

__all__ = ["InMemoryAuditRepo", "InMemoryDraftRepo", "InMemorySessionRepo", "InMemoryStaffRepo"]


class InMemoryStaffRepo(MemoryRepo):
    """Staff accounts in memory."""

    async def add(
        self,
        username: str,
        display_name: str,
        password_hash: str,
        role: StaffRole,
        departments: Sequence[str],
    ) -> StaffRecord:
        """Create an active account; a taken username raises :class:`DuplicateError`."""
        name = clean_username(username)
        check_role(role)
        depts = clean_departments(departments)
        if await self.by_username(name) is not None:
            raise DuplicateError(self._t.staff.name, "username", name)
        now = utcnow()
        staff = StaffRecord(
            id=self._t.staff.new_id(),
            username=name,
            display_name=display_name,
            password_hash=password_hash,
            role=role,
            departments=depts,
            active=True,
            failed_logins=0,
            last_failed_at=None,
            created_at=now,
            updated_at=now,
        )
        self._t.staff.rows[staff.id] = staff
        return staff

    async def get(self, staff_id: int) -> StaffRecord | None:
        """Return the account or ``None``."""
        return self._t.staff.rows.get(staff_id)

    async def by_username(self, username: str) -> StaffRecord | None:
        """Return the account with this username (any case) or ``None``."""
        name = username.strip().lower()
        for staff in self._t.staff.rows.values():
            if staff.username == name:
                return staff
        return None

    async def list(self, active_only: bool = False) -> builtins.list[StaffRecord]:
        """Return the accounts ordered by username."""
        rows = [s for s in self._t.staff.rows.values() if s.active or not active_only]
        return sorted(rows, key=lambda s: s.username)

    def _change(self, staff_id: int, **changes: Any) -> StaffRecord:
        staff = replace(self._t.staff.load(staff_id), updated_at=utcnow(), **changes)
        self._t.staff.rows[staff_id] = staff
        return staff

    async def set_active(self, staff_id: int, active: bool) -> None:
        """Enable or disable the account."""
        self._change(staff_id, active=active)

    async def set_password(self, staff_id: int, password_hash: str) -> None:
        """Replace the password hash and clear the failed-login count."""
        self._change(staff_id, password_hash=password_hash, failed_logins=0, last_failed_at=None)

    async def record_failed_login(self, staff_id: int, at: dt.datetime) -> int:
        """Count one failed login at ``at``; return the new count."""
        at = require_aware(at, "at")
        staff = self._t.staff.load(staff_id)
        return self._change(
            staff_id, failed_logins=staff.failed_logins + 1, last_failed_at=at
        ).failed_logins

    async def reset_failed_logins(self, staff_id: int) -> None:
        """Clear the failed-login count."""
        self._change(staff_id, failed_logins=0, last_failed_at=None)


class InMemorySessionRepo(MemoryRepo):
    """Console sessions in memory."""

    async def create(
        self,
        staff_id: int,
        token_hash: str,
        csrf_token: str,
        expires_at: dt.datetime,
        now: dt.datetime,
    ) -> SessionRecord:
        """Store a new session; a token hash in use raises :class:`DuplicateError`."""
        expires_at = require_aware(expires_at, "expires_at")
        self._t.staff.load(staff_id)
        if await self.by_token_hash(token_hash) is not None:
            raise DuplicateError(self._t.sessions.name, "token_hash", "…")
        now = require_aware(now, "now")
        session = SessionRecord(
            id=self._t.sessions.new_id(),
            token_hash=token_hash,
            staff_id=staff_id,
            csrf_token=csrf_token,
            created_at=now,
            expires_at=expires_at,
            last_seen_at=now,
        )
        self._t.sessions.rows[session.id] = session
        return session

    async def by_token_hash(self, token_hash: str) -> SessionRecord | None:
        """Return the session, expired or not, or ``None``."""
        for session in self._t.sessions.rows.values():
            if session.token_hash == token_hash:
                return session
        return None

    async def touch(self, session_id: int, at: dt.datetime, expires_at: dt.datetime) -> None:
        """Record activity at ``at`` and move the expiry."""
        at = require_aware(at, "at")
        expires_at = require_aware(expires_at, "expires_at")
        session = self._t.sessions.load(session_id)
        self._t.sessions.rows[session_id] = replace(
            session, last_seen_at=at, expires_at=expires_at
        )

    async def delete(self, session_id: int) -> None:
        """Delete the session if it is still there."""
        self._t.sessions.rows.pop(session_id, None)

    def _delete_where(self, doomed: builtins.list[int]) -> int:
        for session_id in doomed:
            del self._t.sessions.rows[session_id]
        return len(doomed)

    async def delete_for_staff(self, staff_id: int) -> int:
        """Delete every session of the account; return how many."""
        rows = self._t.sessions.rows.values()
        return self._delete_where([s.id for s in rows if s.staff_id == staff_id])

    async def purge_expired(self, now: dt.datetime) -> int:
        """Delete sessions with ``expires_at <= now``; return how many."""
        now = require_aware(now, "now")
        rows = self._t.sessions.rows.values()
        return self._delete_where([s.id for s in rows if s.expires_at <= now])


class InMemoryAuditRepo(MemoryRepo):
    """The audit log in memory."""

    async def add(
        self,
        staff_id: int | None,
        action: str,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        ip: str | None = None,
    ) -> AuditRecord:
        """Record one action."""
        entry = AuditRecord(
            id=self._t.audit.new_id(),
            staff_id=staff_id,
            action=action,
            target=target,
            detail=copy.deepcopy(detail) if detail else {},
            ip=ip,
            created_at=utcnow(),
        )
        self._t.audit.rows[entry.id] = entry
        return out(entry)

    async def list(
        self, limit: int = 200, staff_id: int | None = None, action: str | None = None
    ) -> builtins.list[AuditRecord]:
        """Return entries newest first."""
        check_limit(limit)
        rows = [
            e
            for e in self._t.audit.rows.values()
            if (staff_id is None or e.staff_id == staff_id) and (action in (None, e.action))
        ]
        rows.sort(key=lambda e: e.id, reverse=True)
        return [out(e) for e in rows[:limit]]


class InMemoryDraftRepo(MemoryRepo):
    """Knowledge drafts in memory."""

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
        self._t.staff.load(author_id)
        if escalation_id is not None:
            self._t.escalations.load(escalation_id)
        now = utcnow()
        draft = DraftRecord(
            id=self._t.drafts.new_id(),
            escalation_id=escalation_id,
            author_id=author_id,
            question=question,
            answer_ja=answer_ja,
            answer_en=answer_en,
            category=category,
            status="draft",
            created_at=now,
            updated_at=now,
        )
        self._t.drafts.rows[draft.id] = draft
        return draft

    async def get(self, draft_id: int) -> DraftRecord | None:
        """Return the draft or ``None``."""
        return self._t.drafts.rows.get(draft_id)

    async def list(self, status: DraftStatus | None = None) -> builtins.list[DraftRecord]:
        """Return drafts oldest first, optionally only those with ``status``."""
        if status is not None:
            check_draft_status(status)
        rows = [d for d in self._t.drafts.rows.values() if status in (None, d.status)]
        return sorted(rows, key=lambda d: d.id)

    async def set_status(self, draft_id: int, status: DraftStatus) -> DraftRecord:
        """Change the draft's status; bumps ``updated_at``."""
        check_draft_status(status)
        draft = replace(self._t.drafts.load(draft_id), status=status, updated_at=utcnow())
        self._t.drafts.rows[draft_id] = draft
        return draft
