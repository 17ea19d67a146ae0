"""SQL repositories of the staff side: accounts, sessions, audit log, knowledge drafts."""

from __future__ import annotations

import builtins
import copy
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select

from bot.storage.checks import (
    check_draft_status,
    check_limit,
    check_role,
    clean_departments,
    clean_username,
)
from bot.storage.convert import audit_record, draft_record, session_record, staff_record
from bot.storage.errors import DuplicateError
from bot.storage.models import AuditLog, Escalation, KnowledgeDraft, StaffSession, StaffUser
from bot.storage.records import (
    AuditRecord,
    DraftRecord,
    DraftStatus,
    SessionRecord,
    StaffRecord,
    StaffRole,
)
from bot.storage.sql_base import SqlRepo, insert_for, load
from bot.storage.types import require_aware

__all__ = ["SqlAuditRepo", "SqlDraftRepo", "SqlSessionRepo", "SqlStaffRepo"]


class SqlStaffRepo(SqlRepo):
    """Staff accounts in SQL."""

    async def add(
        self,
        username: str,
        display_name: str,
        password_hash: str,
        role: StaffRole,
        departments: Sequence[str],
    ) -> StaffRecord:
        """Create an active account; a taken username raises :class:`DuplicateError`.

        ``ON CONFLICT DO NOTHING``: a clash leaves the transaction usable (a plain INSERT
        failing would abort it on PostgreSQL).
        """
        name = clean_username(username)
        check_role(role)
        depts = clean_departments(departments)
        now = self._now()
        stmt = (
            insert_for(self._session, StaffUser)
            .values(
                username=name,
                display_name=display_name,
                password_hash=password_hash,
                role=role,
                departments=list(depts),
                active=True,
                failed_logins=0,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["username"])
            .returning(StaffUser.id)
        )
        new_id = (await self._session.execute(stmt)).scalar_one_or_none()
        if new_id is None:
            raise DuplicateError(StaffUser.__tablename__, "username", name)
        return staff_record(await load(self._session, StaffUser, new_id))

    async def get(self, staff_id: int) -> StaffRecord | None:
        """Return the account or ``None``."""
        row = await self._session.get(StaffUser, staff_id)
        return None if row is None else staff_record(row)

    async def by_username(self, username: str) -> StaffRecord | None:
        """Return the account with this username (any case) or ``None``."""
        row = await self._session.scalar(
            select(StaffUser).where(StaffUser.username == username.strip().lower())
        )
        return None if row is None else staff_record(row)

    async def list(self, active_only: bool = False) -> builtins.list[StaffRecord]:
        """Return the accounts ordered by username."""
        query = select(StaffUser).order_by(StaffUser.username)
        if active_only:
            query = query.where(StaffUser.active.is_(True))
        return [staff_record(row) for row in await self._session.scalars(query)]

    async def _change(self, staff_id: int, **values: Any) -> StaffUser:
        row = await load(self._session, StaffUser, staff_id)
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = self._now()
        await self._session.flush()
        return row

    async def set_active(self, staff_id: int, active: bool) -> None:
        """Enable or disable the account."""
        await self._change(staff_id, active=active)

    async def set_password(self, staff_id: int, password_hash: str) -> None:
        """Replace the password hash and clear the failed-login count."""
        await self._change(
            staff_id, password_hash=password_hash, failed_logins=0, last_failed_at=None
        )

    async def record_failed_login(self, staff_id: int, at: dt.datetime) -> int:
        """Count one failed login at ``at``; return the new count.

        The count is raised in SQL (``failed_logins + 1``) so that concurrent failures all
        count, then read back.
        """
        at = require_aware(at, "at")
        row = await self._change(
            staff_id, failed_logins=StaffUser.failed_logins + 1, last_failed_at=at
        )
        await self._session.refresh(row)
        return row.failed_logins

    async def reset_failed_logins(self, staff_id: int) -> None:
        """Clear the failed-login count."""
        await self._change(staff_id, failed_logins=0, last_failed_at=None)


class SqlSessionRepo(SqlRepo):
    """Console sessions in SQL."""

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
        await load(self._session, StaffUser, staff_id)
        now = require_aware(now, "now")
        stmt = (
            insert_for(self._session, StaffSession)
            .values(
                token_hash=token_hash,
                staff_id=staff_id,
                csrf_token=csrf_token,
                created_at=now,
                expires_at=expires_at,
                last_seen_at=now,
            )
            .on_conflict_do_nothing(index_elements=["token_hash"])
            .returning(StaffSession.id)
        )
        new_id = (await self._session.execute(stmt)).scalar_one_or_none()
        if new_id is None:
            raise DuplicateError(StaffSession.__tablename__, "token_hash", "…")
        return session_record(await load(self._session, StaffSession, new_id))

    async def by_token_hash(self, token_hash: str) -> SessionRecord | None:
        """Return the session, expired or not, or ``None``."""
        row = await self._session.scalar(
            select(StaffSession).where(StaffSession.token_hash == token_hash)
        )
        return None if row is None else session_record(row)

    async def touch(self, session_id: int, at: dt.datetime, expires_at: dt.datetime) -> None:
        """Record activity at ``at`` and move the expiry."""
        at = require_aware(at, "at")
        expires_at = require_aware(expires_at, "expires_at")
        row = await load(self._session, StaffSession, session_id)
        row.last_seen_at = at
        row.expires_at = expires_at
        await self._session.flush()

    async def _delete(self, *where: Any) -> int:
        stmt = (
            delete(StaffSession)
            .where(*where)
            .returning(StaffSession.id)
            .execution_options(synchronize_session="fetch")
        )
        return len((await self._session.execute(stmt)).all())

    async def delete(self, session_id: int) -> None:
        """Delete the session if it is still there."""
        await self._delete(StaffSession.id == session_id)

    async def delete_for_staff(self, staff_id: int) -> int:
        """Delete every session of the account; return how many."""
        return await self._delete(StaffSession.staff_id == staff_id)

    async def purge_expired(self, now: dt.datetime) -> int:
        """Delete sessions with ``expires_at <= now``; return how many."""
        now = require_aware(now, "now")
        return await self._delete(StaffSession.expires_at <= now)


class SqlAuditRepo(SqlRepo):
    """The audit log in SQL."""

    async def add(
        self,
        staff_id: int | None,
        action: str,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        ip: str | None = None,
    ) -> AuditRecord:
        """Record one action."""
        row = AuditLog(
            staff_id=staff_id,
            action=action,
            target=target,
            detail=copy.deepcopy(detail) if detail else {},
            ip=ip,
            created_at=self._now(),
        )
        self._session.add(row)
        await self._session.flush()
        return audit_record(row)

    async def list(
        self, limit: int = 200, staff_id: int | None = None, action: str | None = None
    ) -> builtins.list[AuditRecord]:
        """Return entries newest first."""
        check_limit(limit)
        query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
        if staff_id is not None:
            query = query.where(AuditLog.staff_id == staff_id)
        if action is not None:
            query = query.where(AuditLog.action == action)
        return [audit_record(row) for row in await self._session.scalars(query)]


class SqlDraftRepo(SqlRepo):
    """Knowledge drafts in SQL."""

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
        await load(self._session, StaffUser, author_id)
        if escalation_id is not None:
            await load(self._session, Escalation, escalation_id)
        now = self._now()
        row = KnowledgeDraft(
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
        self._session.add(row)
        await self._session.flush()
        return draft_record(row)

    async def get(self, draft_id: int) -> DraftRecord | None:
        """Return the draft or ``None``."""
        row = await self._session.get(KnowledgeDraft, draft_id)
        return None if row is None else draft_record(row)

    async def list(self, status: DraftStatus | None = None) -> builtins.list[DraftRecord]:
        """Return drafts oldest first, optionally only those with ``status``."""
        query = select(KnowledgeDraft).order_by(KnowledgeDraft.id)
        if status is not None:
            check_draft_status(status)
            query = query.where(KnowledgeDraft.status == status)
        return [draft_record(row) for row in await self._session.scalars(query)]

    async def set_status(self, draft_id: int, status: DraftStatus) -> DraftRecord:
        """Change the draft's status; bumps ``updated_at``."""
        check_draft_status(status)
        row = await load(self._session, KnowledgeDraft, draft_id)
        row.status = status
        row.updated_at = self._now()
        await self._session.flush()
        return draft_record(row)
