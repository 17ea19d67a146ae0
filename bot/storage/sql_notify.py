"""SQL implementation of :class:`bot.storage.base_notify.NotifyRepo`.

Recipients never pass through Python when a notice is prepared: one ``INSERT … SELECT`` copies
the current subscribers into ``notify_deliveries``; senders then take them in batches, marking
each batch ``sending`` under a key before the platform call (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the single writer on SQLite).
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, literal, or_, select, update

from bot.storage.base_notify import (
    DeliveryRecord,
    NoticeDraft,
    NoticeRecord,
    SubscriptionRecord,
    TokenRecord,
)
from bot.storage.models import User
from bot.storage.models_notify import (
    NoticeDelivery,
    NotifyArea,
    NotifyNotice,
    NotifySubscription,
    NotifyToken,
)
from bot.storage.sql_base import SqlRepo, insert_for

__all__ = ["SqlNotifyRepo"]

_DUE = ("queued", "sending")


def _notice(row: NotifyNotice) -> NoticeRecord:
    return NoticeRecord(
        id=row.id,
        topic=row.topic,
        areas=tuple(row.areas or ()),
        text_ja=row.text_ja,
        text_en=row.text_en,
        link=row.link,
        urgent=row.urgent,
        status=row.status,
        source=row.source,
        author=row.author,
        author_staff_id=row.author_staff_id,
        approver_staff_id=row.approver_staff_id,
        dedupe_key=row.dedupe_key,
        recipients=row.recipients,
        not_before=row.not_before,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def _delivery(row: NoticeDelivery) -> DeliveryRecord:
    return DeliveryRecord(
        row.id, row.user_id, row.channel, row.external_id, row.language, row.status, row.batch_key
    )


def _token(row: NotifyToken) -> TokenRecord:
    return TokenRecord(
        row.id, row.name, row.department, row.created_at, row.revoked_at, row.last_used_at
    )


def _recipients(topic: str, areas: Sequence[str], *columns: Any) -> Select[Any]:
    query = (
        select(*columns)
        .select_from(NotifySubscription)
        .join(User, User.id == NotifySubscription.user_id)
        .where(NotifySubscription.topic == topic, User.active.is_(True))
    )
    if areas:
        query = query.join(NotifyArea, NotifyArea.user_id == NotifySubscription.user_id).where(
            NotifyArea.area.in_(list(areas))
        )
    return query


class SqlNotifyRepo(SqlRepo):
    """Notifications in SQL."""

    def _locking(self, query: Select[Any]) -> Select[Any]:
        if self._session.get_bind().dialect.name == "postgresql":
            return query.with_for_update(skip_locked=True)
        return query  # SQLite: one writer at a time already

    # --- citizens ---------------------------------------------------------------------------

    async def subscriptions(self, user_id: int) -> builtins.list[SubscriptionRecord]:
        rows = await self._session.scalars(
            select(NotifySubscription)
            .where(NotifySubscription.user_id == user_id)
            .order_by(NotifySubscription.id)
        )
        return [SubscriptionRecord(r.topic, r.consent_text, r.consented_at) for r in rows]

    async def area(self, user_id: int) -> str | None:
        row = await self._session.get(NotifyArea, user_id)
        return None if row is None else row.area

    async def subscribe(
        self, user_id: int, topic: str, consent_text: str, now: dt.datetime
    ) -> bool:
        stmt = (
            insert_for(self._session, NotifySubscription)
            .values(user_id=user_id, topic=topic, consent_text=consent_text, consented_at=now)
            .on_conflict_do_nothing(index_elements=["user_id", "topic"])
            .returning(NotifySubscription.id)
        )
        return (await self._session.execute(stmt)).scalar_one_or_none() is not None

    async def unsubscribe(self, user_id: int, topics: Sequence[str] | None = None) -> int:
        stmt = delete(NotifySubscription).where(NotifySubscription.user_id == user_id)
        if topics is not None:
            stmt = stmt.where(NotifySubscription.topic.in_(list(topics)))
        result = await self._session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    async def set_area(self, user_id: int, area: str, source: str, now: dt.datetime) -> None:
        stmt = insert_for(self._session, NotifyArea).values(
            user_id=user_id, area=area, source=source, updated_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"area": area, "source": source, "updated_at": now},
        )
        await self._session.execute(stmt)

    async def count_recipients(self, topic: str, areas: Sequence[str]) -> dict[str, int]:
        query = _recipients(topic, areas, User.channel, func.count()).group_by(User.channel)
        return {str(c): int(n) for c, n in (await self._session.execute(query)).all()}

    # --- notices ----------------------------------------------------------------------------

    async def add_notice(
        self,
        draft: NoticeDraft,
        *,
        status: str,
        source: str,
        author: str,
        now: dt.datetime,
        not_before: dt.datetime,
        recipients: int,
        author_staff_id: int | None = None,
        dedupe_key: str | None = None,
    ) -> NoticeRecord | None:
        values = {
            "topic": draft.topic,
            "areas": list(draft.areas),
            "text_ja": draft.text_ja,
            "text_en": draft.text_en,
            "link": draft.link,
            "urgent": draft.urgent,
            "status": status,
            "source": source,
            "author": author,
            "author_staff_id": author_staff_id,
            "dedupe_key": dedupe_key,
            "recipients": recipients,
            "not_before": not_before,
            "created_at": now,
        }
        stmt = (
            insert_for(self._session, NotifyNotice)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(NotifyNotice.id)
        )
        new_id = (await self._session.execute(stmt)).scalar_one_or_none()
        return None if new_id is None else await self.get_notice(int(new_id))

    async def get_notice(self, notice_id: int) -> NoticeRecord | None:
        row = await self._session.get(NotifyNotice, notice_id, populate_existing=True)
        return None if row is None else _notice(row)

    async def list_notices(self, limit: int = 100) -> builtins.list[NoticeRecord]:
        rows = await self._session.scalars(
            select(NotifyNotice).order_by(NotifyNotice.id.desc()).limit(limit)
        )
        return [_notice(r) for r in rows]

    async def update_notice(
        self,
        notice_id: int,
        *,
        status: str | None = None,
        expect: Sequence[str] | None = None,
        approver_staff_id: int | None = None,
        not_before: dt.datetime | None = None,
        started_at: dt.datetime | None = None,
        finished_at: dt.datetime | None = None,
        release_lease: bool = False,
    ) -> bool:
        values: dict[str, Any] = {}
        for name, value in (
            ("status", status),
            ("approver_staff_id", approver_staff_id),
            ("not_before", not_before),
            ("started_at", started_at),
            ("finished_at", finished_at),
        ):
            if value is not None:
                values[name] = value
        if release_lease:
            values.update(lease_owner=None, lease_until=None)
        stmt = update(NotifyNotice).where(NotifyNotice.id == notice_id)
        if expect is not None:
            stmt = stmt.where(NotifyNotice.status.in_(list(expect)))
        result = await self._session.execute(
            stmt.values(**values).execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def claim_notice(
        self, now: dt.datetime, lease_until: dt.datetime, owner: str, urgent_only: bool
    ) -> NoticeRecord | None:
        due: list[ColumnElement[bool]] = [
            NotifyNotice.status.in_(_DUE),
            NotifyNotice.not_before <= now,
            or_(NotifyNotice.lease_until.is_(None), NotifyNotice.lease_until < now),
        ]
        if urgent_only:
            due.append(NotifyNotice.urgent.is_(True))
        candidate = await self._session.scalar(
            self._locking(
                select(NotifyNotice.id)
                .where(*due)
                .order_by(NotifyNotice.urgent.desc(), NotifyNotice.not_before, NotifyNotice.id)
                .limit(1)
            )
        )
        if candidate is None:
            return None
        result = await self._session.execute(
            update(NotifyNotice)
            .where(NotifyNotice.id == candidate, *due)
            .values(lease_owner=owner, lease_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        if not getattr(result, "rowcount", 0):
            return None  # another sender was quicker
        return await self.get_notice(int(candidate))

    async def urgent_waiting(self, now: dt.datetime) -> bool:
        found = await self._session.scalar(
            select(NotifyNotice.id)
            .where(
                NotifyNotice.urgent.is_(True),
                NotifyNotice.status.in_(_DUE),
                NotifyNotice.not_before <= now,
                or_(NotifyNotice.lease_until.is_(None), NotifyNotice.lease_until < now),
            )
            .limit(1)
        )
        return found is not None

    async def renew_lease(self, notice_id: int, owner: str, lease_until: dt.datetime) -> bool:
        result = await self._session.execute(
            update(NotifyNotice)
            .where(
                NotifyNotice.id == notice_id,
                NotifyNotice.lease_owner == owner,
                NotifyNotice.status.in_(_DUE),
            )
            .values(lease_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def materialize(self, notice_id: int) -> int:
        notice = await self.get_notice(notice_id)
        if notice is None:
            return 0
        source = _recipients(
            notice.topic,
            notice.areas,
            literal(notice_id),
            User.id,
            User.channel,
            User.external_id,
            User.language,
            literal("pending"),
        )
        columns = ["notice_id", "user_id", "channel", "external_id", "language", "status"]
        stmt = (
            insert_for(self._session, NoticeDelivery)
            .from_select(columns, source)
            .on_conflict_do_nothing(index_elements=["notice_id", "user_id"])
        )
        await self._session.execute(stmt)
        total = await self._session.scalar(
            select(func.count()).where(NoticeDelivery.notice_id == notice_id)
        )
        return int(total or 0)

    async def in_flight(self, notice_id: int, channel: str) -> builtins.list[DeliveryRecord]:
        rows = await self._session.scalars(
            select(NoticeDelivery)
            .where(
                NoticeDelivery.notice_id == notice_id,
                NoticeDelivery.channel == channel,
                NoticeDelivery.status == "sending",
            )
            .order_by(NoticeDelivery.batch_key, NoticeDelivery.id)
        )
        return [_delivery(r) for r in rows]

    async def pending_languages(self, notice_id: int, channel: str) -> builtins.list[str]:
        rows = await self._session.scalars(
            select(NoticeDelivery.language)
            .where(
                NoticeDelivery.notice_id == notice_id,
                NoticeDelivery.channel == channel,
                NoticeDelivery.status == "pending",
            )
            .distinct()
        )
        return sorted(str(r) for r in rows)

    async def take_batch(
        self, notice_id: int, channel: str, language: str, limit: int, batch_key: str
    ) -> builtins.list[DeliveryRecord]:
        ids = list(
            await self._session.scalars(
                self._locking(
                    select(NoticeDelivery.id)
                    .where(
                        NoticeDelivery.notice_id == notice_id,
                        NoticeDelivery.channel == channel,
                        NoticeDelivery.status == "pending",
                        NoticeDelivery.language == language,
                    )
                    .order_by(NoticeDelivery.id)
                    .limit(limit)
                )
            )
        )
        if not ids:
            return []
        await self._session.execute(
            update(NoticeDelivery)
            .where(NoticeDelivery.id.in_(ids), NoticeDelivery.status == "pending")
            .values(status="sending", batch_key=batch_key)
            .execution_options(synchronize_session=False)
        )
        rows = await self._session.scalars(
            select(NoticeDelivery)
            .where(NoticeDelivery.batch_key == batch_key)
            .order_by(NoticeDelivery.id)
            .execution_options(populate_existing=True)
        )
        return [_delivery(r) for r in rows]

    async def mark(
        self, delivery_ids: Sequence[int], status: str, error: str | None = None
    ) -> None:
        ids = list(delivery_ids)
        for start in range(0, len(ids), 500):
            await self._session.execute(
                update(NoticeDelivery)
                .where(NoticeDelivery.id.in_(ids[start : start + 500]))
                .values(status=status, error=None if error is None else error[:255])
                .execution_options(synchronize_session=False)
            )

    async def progress(self, notice_id: int) -> dict[str, int]:
        rows = await self._session.execute(
            select(NoticeDelivery.status, func.count())
            .where(NoticeDelivery.notice_id == notice_id)
            .group_by(NoticeDelivery.status)
        )
        return {str(s): int(n) for s, n in rows.all()}

    async def report(self, notice_id: int) -> builtins.list[tuple[str, str, str | None, int]]:
        rows = await self._session.execute(
            select(
                NoticeDelivery.channel, NoticeDelivery.status, NoticeDelivery.error, func.count()
            )
            .where(NoticeDelivery.notice_id == notice_id)
            .group_by(NoticeDelivery.channel, NoticeDelivery.status, NoticeDelivery.error)
            .order_by(NoticeDelivery.channel, NoticeDelivery.status)
        )
        return [(str(c), str(s), e, int(n)) for c, s, e, n in rows.all()]

    # --- tokens -----------------------------------------------------------------------------

    async def add_token(
        self, name: str, token_hash: str, department: str | None, now: dt.datetime
    ) -> TokenRecord:
        row = NotifyToken(name=name, token_hash=token_hash, department=department, created_at=now)
        self._session.add(row)
        await self._session.flush()
        return _token(row)

    async def token_by_hash(self, token_hash: str, now: dt.datetime) -> TokenRecord | None:
        row = await self._session.scalar(
            select(NotifyToken).where(
                and_(NotifyToken.token_hash == token_hash, NotifyToken.revoked_at.is_(None))
            )
        )
        if row is None:
            return None
        row.last_used_at = now
        await self._session.flush()
        return _token(row)

    async def list_tokens(self) -> builtins.list[TokenRecord]:
        rows = await self._session.scalars(select(NotifyToken).order_by(NotifyToken.name))
        return [_token(r) for r in rows]

    async def revoke_token(self, name: str, now: dt.datetime) -> bool:
        result = await self._session.execute(
            update(NotifyToken)
            .where(NotifyToken.name == name, NotifyToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))
