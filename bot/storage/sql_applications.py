"""SQL repositories of guided procedures: applications, their history, attachments."""

from __future__ import annotations

import builtins
import copy
import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, update

from bot.storage.checks import (
    check_application_statuses,
    check_channel,
    check_event_kind,
    check_limit,
    clean_departments,
    clean_summary,
)
from bot.storage.convert import application_event_record, application_record, attachment_record
from bot.storage.errors import StorageError
from bot.storage.models import (
    Application,
    ApplicationEvent,
    Attachment,
    Conversation,
    StaffUser,
    User,
)
from bot.storage.records import (
    ApplicationEventKind,
    ApplicationEventRecord,
    ApplicationRecord,
    ApplicationStatus,
    AttachmentRecord,
    Channel,
)
from bot.storage.references import check_prefix, new_reference, normalize_reference
from bot.storage.sql_base import SqlRepo, insert_for, load
from bot.storage.types import require_aware

__all__ = ["MAX_REFERENCE_DRAWS", "SqlApplicationRepo", "SqlAttachmentRepo"]

#: Draws of a reference before giving up (a clash needs ~615,000 of one prefix on one day).
MAX_REFERENCE_DRAWS = 20

_NEWEST_FIRST = (Application.created_at.desc(), Application.id.desc())


class SqlApplicationRepo(SqlRepo):
    """Applications and their history in SQL."""

    async def create(
        self,
        prefix: str,
        user_id: int,
        conversation_id: int,
        channel: Channel,
        flow_id: str,
        department: str,
        answers: dict[str, Any],
        summary: str,
        now: dt.datetime | None = None,
    ) -> ApplicationRecord:
        """Store a new application (status new) and issue its reference.

        ``ON CONFLICT DO NOTHING`` on the reference: a clash (even with a concurrent
        transaction) leaves the transaction usable and simply draws again.
        """
        check_prefix(prefix)
        check_channel(channel)
        at = self._now() if now is None else require_aware(now, "now")
        await load(self._session, User, user_id)
        await load(self._session, Conversation, conversation_id)
        values = {
            "user_id": user_id,
            "conversation_id": conversation_id,
            "channel": channel,
            "flow_id": flow_id,
            "department": department,
            "status": ApplicationStatus.NEW,
            "answers": copy.deepcopy(answers),
            "summary": clean_summary(summary),
            "created_at": at,
            "updated_at": at,
            "status_changed_at": at,
            "closed_at": None,
        }
        for _ in range(MAX_REFERENCE_DRAWS):
            stmt = (
                insert_for(self._session, Application)
                .values(reference=new_reference(prefix, at), **values)
                .on_conflict_do_nothing(index_elements=["reference"])
                .returning(Application.id)
            )
            new_id = (await self._session.execute(stmt)).scalar_one_or_none()
            if new_id is not None:
                return application_record(await load(self._session, Application, new_id))
        msg = f"no free reference for prefix {prefix!r} after {MAX_REFERENCE_DRAWS} draws"
        raise StorageError(msg)

    async def get(self, application_id: int) -> ApplicationRecord | None:
        """Return the application or ``None``."""
        row = await self._session.get(Application, application_id)
        return None if row is None else application_record(row)

    async def by_reference(self, reference: str) -> ApplicationRecord | None:
        """Return the application with this reference as typed, or ``None``."""
        wanted = normalize_reference(reference)
        if wanted is None:
            return None
        row = await self._session.scalar(
            select(Application).where(Application.reference == wanted)
        )
        return None if row is None else application_record(row)

    async def for_user(self, user_id: int) -> builtins.list[ApplicationRecord]:
        """Return the user's applications, newest first."""
        query = select(Application).where(Application.user_id == user_id)
        rows = await self._session.scalars(query.order_by(*_NEWEST_FIRST))
        return [application_record(row) for row in rows]

    async def list(
        self,
        departments: Sequence[str] | None = None,
        statuses: Sequence[ApplicationStatus | str] | None = None,
        created_from: dt.datetime | None = None,
        created_to: dt.datetime | None = None,
        limit: int = 200,
    ) -> builtins.list[ApplicationRecord]:
        """Return applications, newest first."""
        check_limit(limit)
        query = select(Application)
        if departments is not None:
            query = query.where(Application.department.in_(clean_departments(departments)))
        if statuses is not None:
            query = query.where(Application.status.in_(check_application_statuses(statuses)))
        if created_from is not None:
            start = require_aware(created_from, "created_from")
            query = query.where(Application.created_at >= start)
        if created_to is not None:
            query = query.where(Application.created_at < require_aware(created_to, "created_to"))
        rows = await self._session.scalars(query.order_by(*_NEWEST_FIRST).limit(limit))
        return [application_record(row) for row in rows]

    async def counts(
        self, departments: Sequence[str] | None = None
    ) -> dict[ApplicationStatus, int]:
        """Return ``status -> count`` with every status present."""
        query = select(Application.status, func.count(Application.id)).group_by(Application.status)
        if departments is not None:
            query = query.where(Application.department.in_(clean_departments(departments)))
        result = dict.fromkeys(ApplicationStatus, 0)
        for status, count in await self._session.execute(query):
            result[ApplicationStatus(status)] = int(count)
        return result

    async def set_status(
        self, application_id: int, status: ApplicationStatus | str, at: dt.datetime
    ) -> ApplicationRecord:
        """Change the status at ``at``; done and rejected set ``closed_at``."""
        (new_status,) = check_application_statuses([status])
        at = require_aware(at, "at")
        row = await load(self._session, Application, application_id)
        row.status = new_status
        row.updated_at = at
        row.status_changed_at = at
        row.closed_at = at if new_status.closed else None
        await self._session.flush()
        return application_record(row)

    async def add_event(
        self,
        application_id: int,
        kind: ApplicationEventKind,
        text: str = "",
        staff_id: int | None = None,
        status: ApplicationStatus | str | None = None,
        at: dt.datetime | None = None,
    ) -> ApplicationEventRecord:
        """Add one history line; bumps the application's ``updated_at``."""
        check_event_kind(kind)
        new_status = None if status is None else check_application_statuses([status])[0]
        when = self._now() if at is None else require_aware(at, "at")
        application = await load(self._session, Application, application_id)
        if staff_id is not None:
            await load(self._session, StaffUser, staff_id)
        row = ApplicationEvent(
            application_id=application_id,
            staff_id=staff_id,
            kind=kind,
            status=None if new_status is None else new_status.value,
            text=text,
            created_at=when,
        )
        self._session.add(row)
        application.updated_at = max(application.updated_at, when)
        await self._session.flush()
        return application_event_record(row)

    async def events(self, application_id: int) -> builtins.list[ApplicationEventRecord]:
        """Return the application's history, oldest first."""
        query = (
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == application_id)
            .order_by(ApplicationEvent.created_at, ApplicationEvent.id)
        )
        return [application_event_record(row) for row in await self._session.scalars(query)]

    async def older_than(self, at: dt.datetime) -> builtins.list[ApplicationRecord]:
        """Return applications created before ``at``, oldest first."""
        query = (
            select(Application)
            .where(Application.created_at < require_aware(at, "at"))
            .order_by(Application.created_at, Application.id)
        )
        return [application_record(row) for row in await self._session.scalars(query)]

    async def _drop(self, *where: Any) -> int:
        doomed = select(Application.id).where(*where).scalar_subquery()
        for model in (ApplicationEvent, Attachment):
            await self._session.execute(
                delete(model)
                .where(model.application_id.in_(doomed))
                .execution_options(synchronize_session="fetch")
            )
        stmt = (
            delete(Application)
            .where(*where)
            .returning(Application.id)
            .execution_options(synchronize_session="fetch")
        )
        return len((await self._session.execute(stmt)).all())

    async def delete(self, application_id: int) -> None:
        """Delete the application, its history and its attachments' rows."""
        await self._drop(Application.id == application_id)

    async def delete_for_user(self, user_id: int) -> int:
        """Delete the user's applications and every attachment row of the user."""
        count = await self._drop(Application.user_id == user_id)
        await self._session.execute(
            delete(Attachment)
            .where(Attachment.user_id == user_id)
            .execution_options(synchronize_session="fetch")
        )
        return count


class SqlAttachmentRepo(SqlRepo):
    """Attachment rows in SQL."""

    async def add(
        self,
        user_id: int,
        content_type: str,
        size: int,
        sha256: str,
        storage_key: str,
        now: dt.datetime | None = None,
    ) -> AttachmentRecord:
        """Store a row for a saved file, with a fresh random token."""
        at = self._now() if now is None else require_aware(now, "now")
        await load(self._session, User, user_id)
        row = Attachment(
            token=secrets.token_urlsafe(24),
            user_id=user_id,
            application_id=None,
            content_type=content_type,
            size=size,
            sha256=sha256,
            storage_key=storage_key,
            created_at=at,
        )
        self._session.add(row)
        await self._session.flush()
        return attachment_record(row)

    async def get(self, attachment_id: int) -> AttachmentRecord | None:
        """Return the attachment or ``None``."""
        row = await self._session.get(Attachment, attachment_id)
        return None if row is None else attachment_record(row)

    async def by_token(self, token: str) -> AttachmentRecord | None:
        """Return the attachment with this token or ``None``."""
        row = await self._session.scalar(select(Attachment).where(Attachment.token == token))
        return None if row is None else attachment_record(row)

    async def attach(self, attachment_ids: Sequence[int], application_id: int) -> int:
        """Link the attachments to a submitted application; return how many."""
        application = await load(self._session, Application, application_id)
        ids = list(dict.fromkeys(attachment_ids))
        for attachment_id in ids:
            row = await load(self._session, Attachment, attachment_id)
            if row.user_id != application.user_id:
                msg = (
                    f"attachment {attachment_id} belongs to another user than "
                    f"application {application_id}"
                )
                raise ValueError(msg)
        if ids:
            await self._session.execute(
                update(Attachment)
                .where(Attachment.id.in_(ids))
                .values(application_id=application_id)
                .execution_options(synchronize_session="fetch")
            )
        return len(ids)

    async def _select(self, *where: Any) -> builtins.list[AttachmentRecord]:
        query = select(Attachment).where(*where).order_by(Attachment.created_at, Attachment.id)
        return [attachment_record(row) for row in await self._session.scalars(query)]

    async def for_application(self, application_id: int) -> builtins.list[AttachmentRecord]:
        """Return the application's attachments, oldest first."""
        return await self._select(Attachment.application_id == application_id)

    async def for_user(self, user_id: int) -> builtins.list[AttachmentRecord]:
        """Return every attachment of the user, oldest first."""
        return await self._select(Attachment.user_id == user_id)

    async def orphans(self, older_than: dt.datetime) -> builtins.list[AttachmentRecord]:
        """Return attachments never attached and created before ``older_than``."""
        before = require_aware(older_than, "older_than")
        return await self._select(
            Attachment.application_id.is_(None), Attachment.created_at < before
        )

    async def delete(self, attachment_id: int) -> None:
        """Delete the row if it is still there."""
        await self._session.execute(
            delete(Attachment)
            .where(Attachment.id == attachment_id)
            .execution_options(synchronize_session="fetch")
        )
