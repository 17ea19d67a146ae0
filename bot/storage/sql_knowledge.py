"""SQL repositories of the knowledge loop (see :mod:`bot.storage.base_knowledge`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.base_knowledge import InquiryRecord, ReviewCheckRecord, VersionRecord
from bot.storage.models_knowledge import InquiryOutcome, KnowledgeReviewCheck, KnowledgeVersion
from bot.storage.sql_base import insert_for
from bot.storage.types import require_aware

__all__ = ["SqlInquiryRepo", "SqlKnowledgeEditRepo"]

REVIEW_OUTCOMES = ("choices", "fallback")
# Publishers take this lock on PostgreSQL, so version ids commit in order and a process that has
# applied revision n never misses a version < n that commits later.
_PUBLISH_LOCK = 0x6B6E6F77
_MUTABLE = {"chosen_entry_id", "not_helpful", "handed_off", "outcome"}


def _version(row: KnowledgeVersion) -> VersionRecord:
    return VersionRecord(
        id=row.id,
        entry_id=row.entry_id,
        data=dict(row.data) if row.data is not None else None,
        note=row.note,
        base_hash=row.base_hash,
        action=row.action,
        author_id=row.author_id,
        diff=row.diff,
        created_at=row.created_at,
    )


def _check(row: KnowledgeReviewCheck) -> ReviewCheckRecord:
    return ReviewCheckRecord(
        row.entry_id, row.item, row.fact, row.confirmed, row.staff_id, row.updated_at
    )


def _inquiry(row: InquiryOutcome) -> InquiryRecord:
    return InquiryRecord(
        id=row.id,
        conversation_id=row.conversation_id,
        text=row.text,
        normalized=row.normalized,
        outcome=row.outcome,
        entry_id=row.entry_id,
        chosen_entry_id=row.chosen_entry_id,
        not_helpful=row.not_helpful,
        handed_off=row.handed_off,
        department=row.department,
        status=row.status,
        created_at=row.created_at,
    )


class SqlKnowledgeEditRepo:
    """Published entry versions and review checks in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def publish(
        self,
        entry_id: str,
        data: dict[str, Any] | None,
        *,
        note: str,
        base_hash: str | None,
        action: str,
        author_id: int | None,
        diff: str,
        now: dt.datetime,
    ) -> VersionRecord:
        if self._session.get_bind().dialect.name == "postgresql":
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PUBLISH_LOCK}
            )
        row = KnowledgeVersion(
            entry_id=entry_id,
            data=data,
            note=note,
            base_hash=base_hash,
            action=action,
            author_id=author_id,
            diff=diff,
            created_at=require_aware(now, "now"),
        )
        self._session.add(row)
        await self._session.flush()
        return _version(row)

    async def revision(self) -> int:
        value = await self._session.scalar(select(func.max(KnowledgeVersion.id)))
        return int(value or 0)

    async def latest(self, after: int = 0) -> list[VersionRecord]:
        newest = (
            select(func.max(KnowledgeVersion.id))
            .group_by(KnowledgeVersion.entry_id)
            .having(func.max(KnowledgeVersion.id) > after)
        )
        rows = await self._session.scalars(
            select(KnowledgeVersion)
            .where(KnowledgeVersion.id.in_(newest))
            .order_by(KnowledgeVersion.id)
        )
        return [_version(row) for row in rows]

    async def history(self, entry_id: str) -> list[VersionRecord]:
        rows = await self._session.scalars(
            select(KnowledgeVersion)
            .where(KnowledgeVersion.entry_id == entry_id)
            .order_by(KnowledgeVersion.id.desc())
        )
        return [_version(row) for row in rows]

    async def version(self, version_id: int) -> VersionRecord | None:
        row = await self._session.get(KnowledgeVersion, version_id)
        return _version(row) if row is not None else None

    async def checks(self, entry_id: str | None = None) -> list[ReviewCheckRecord]:
        query = select(KnowledgeReviewCheck).order_by(KnowledgeReviewCheck.id)
        if entry_id is not None:
            query = query.where(KnowledgeReviewCheck.entry_id == entry_id)
        return [_check(row) for row in await self._session.scalars(query)]

    async def set_check(
        self,
        entry_id: str,
        item: str,
        *,
        fact: str,
        confirmed: bool,
        staff_id: int | None,
        now: dt.datetime,
    ) -> ReviewCheckRecord:
        """Insert or update the check (race-safe: one row per entry and item)."""
        values = {
            "fact": fact,
            "confirmed": confirmed,
            "staff_id": staff_id,
            "updated_at": require_aware(now, "now"),
        }
        stmt = insert_for(self._session, KnowledgeReviewCheck).values(
            entry_id=entry_id, item=item, **values
        )
        stmt = stmt.on_conflict_do_update(index_elements=["entry_id", "item"], set_=values)
        await self._session.execute(stmt)
        row = await self._session.scalar(
            select(KnowledgeReviewCheck)
            .where(KnowledgeReviewCheck.entry_id == entry_id, KnowledgeReviewCheck.item == item)
            .execution_options(populate_existing=True)
        )
        assert row is not None
        return _check(row)


class SqlInquiryRepo:
    """Citizen questions and what became of them, in SQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        conversation_id: int,
        text: str,
        normalized: str,
        outcome: str,
        entry_id: str | None,
        department: str,
        now: dt.datetime,
        *,
        handed_off: bool = False,
    ) -> InquiryRecord:
        values: dict[str, Any] = {
            "conversation_id": conversation_id,
            "text": text,
            "normalized": normalized,
            "outcome": outcome,
            "entry_id": entry_id,
            "chosen_entry_id": None,
            "not_helpful": False,
            "handed_off": handed_off,
            "department": department,
            "status": "open",
            "created_at": require_aware(now, "now"),
        }
        # Core, on every question's path: no ORM object to track and flush.
        table = cast(Table, InquiryOutcome.__table__)
        stmt = insert(table).values(values).returning(table.c.id)
        inquiry_id = int((await self._session.execute(stmt)).scalar_one())
        return InquiryRecord(id=inquiry_id, **values)

    async def mark_latest(
        self,
        conversation_id: int,
        *,
        outcomes: Sequence[str] | None = None,
        entry_id: str | None = None,
        **changes: Any,
    ) -> InquiryRecord | None:
        unknown = set(changes) - _MUTABLE
        if unknown:
            msg = f"cannot change {sorted(unknown)} of a question"
            raise ValueError(msg)
        query = select(InquiryOutcome).where(InquiryOutcome.conversation_id == conversation_id)
        if outcomes is not None:
            query = query.where(InquiryOutcome.outcome.in_(list(outcomes)))
        if entry_id is not None:
            query = query.where(
                or_(
                    InquiryOutcome.entry_id == entry_id, InquiryOutcome.chosen_entry_id == entry_id
                )
            )
        row = await self._session.scalar(query.order_by(InquiryOutcome.id.desc()).limit(1))
        if row is None:
            return None
        for name, value in changes.items():
            setattr(row, name, value)
        await self._session.flush()
        return _inquiry(row)

    async def for_review(
        self, departments: Sequence[str] | None, since: dt.datetime, limit: int = 2000
    ) -> list[InquiryRecord]:
        query = select(InquiryOutcome).where(
            InquiryOutcome.status == "open",
            InquiryOutcome.created_at >= require_aware(since, "since"),
            or_(
                InquiryOutcome.outcome.in_(REVIEW_OUTCOMES),
                InquiryOutcome.not_helpful.is_(True),
                InquiryOutcome.handed_off.is_(True),
            ),
        )
        if departments is not None:
            query = query.where(InquiryOutcome.department.in_(list(departments)))
        rows = await self._session.scalars(query.order_by(InquiryOutcome.id.desc()).limit(limit))
        return [_inquiry(row) for row in rows]

    async def resolve(
        self,
        ids: Sequence[int],
        status: str,
        staff_id: int,
        now: dt.datetime,
        departments: Sequence[str] | None = None,
    ) -> int:
        if not ids:
            return 0
        where = [InquiryOutcome.id.in_(list(ids)), InquiryOutcome.status == "open"]
        if departments is not None:
            where.append(InquiryOutcome.department.in_(list(departments)))
        result = await self._session.execute(
            update(InquiryOutcome)
            .where(*where)
            .values(status=status, resolved_by=staff_id, resolved_at=require_aware(now, "now"))
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
