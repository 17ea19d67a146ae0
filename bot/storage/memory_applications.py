"""In-memory twins of the application and attachment repositories."""

from __future__ import annotations

import builtins
import copy
import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from bot.storage.checks import (
    check_application_statuses,
    check_channel,
    check_event_kind,
    check_limit,
    clean_departments,
    clean_summary,
)
from bot.storage.errors import StorageError
from bot.storage.memory_base import MemoryRepo, out
from bot.storage.records import (
    ApplicationEventKind,
    ApplicationEventRecord,
    ApplicationRecord,
    ApplicationStatus,
    AttachmentRecord,
    Channel,
)
from bot.storage.references import check_prefix, new_reference, normalize_reference
from bot.storage.types import require_aware, utcnow

__all__ = ["MAX_REFERENCE_DRAWS", "InMemoryApplicationRepo", "InMemoryAttachmentRepo"]

#: Draws of a reference before giving up (a clash needs ~615,000 of one prefix on one day).
MAX_REFERENCE_DRAWS = 20


def _newest_first(rows: Iterable[ApplicationRecord]) -> builtins.list[ApplicationRecord]:
    return sorted(rows, key=lambda a: (a.created_at, a.id), reverse=True)


class InMemoryApplicationRepo(MemoryRepo):
    """Applications and their history in memory."""

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
        """Store a new application (status new) and issue its reference."""
        check_prefix(prefix)
        check_channel(channel)
        at = utcnow() if now is None else require_aware(now, "now")
        self._t.users.load(user_id)
        self._t.conversations.load(conversation_id)
        taken = {a.reference for a in self._t.applications.rows.values()}
        for _ in range(MAX_REFERENCE_DRAWS):
            reference = new_reference(prefix, at)
            if reference not in taken:
                break
        else:
            msg = f"no free reference for prefix {prefix!r} after {MAX_REFERENCE_DRAWS} draws"
            raise StorageError(msg)
        application = ApplicationRecord(
            id=self._t.applications.new_id(),
            reference=reference,
            user_id=user_id,
            conversation_id=conversation_id,
            channel=channel,
            flow_id=flow_id,
            department=department,
            status=ApplicationStatus.NEW,
            answers=copy.deepcopy(answers),
            summary=clean_summary(summary),
            created_at=at,
            updated_at=at,
            status_changed_at=at,
            closed_at=None,
        )
        self._t.applications.rows[application.id] = application
        return out(application)

    async def get(self, application_id: int) -> ApplicationRecord | None:
        """Return the application or ``None``."""
        application = self._t.applications.rows.get(application_id)
        return None if application is None else out(application)

    async def by_reference(self, reference: str) -> ApplicationRecord | None:
        """Return the application with this reference as typed, or ``None``."""
        wanted = normalize_reference(reference)
        for application in self._t.applications.rows.values():
            if wanted is not None and application.reference == wanted:
                return out(application)
        return None

    async def for_user(self, user_id: int) -> builtins.list[ApplicationRecord]:
        """Return the user's applications, newest first."""
        rows = self._t.applications.rows.values()
        return [out(a) for a in _newest_first(a for a in rows if a.user_id == user_id)]

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
        depts = None if departments is None else set(clean_departments(departments))
        wanted = None if statuses is None else set(check_application_statuses(statuses))
        start = None if created_from is None else require_aware(created_from, "created_from")
        end = None if created_to is None else require_aware(created_to, "created_to")
        rows = [
            a
            for a in self._t.applications.rows.values()
            if (depts is None or a.department in depts)
            and (wanted is None or a.status in wanted)
            and (start is None or a.created_at >= start)
            and (end is None or a.created_at < end)
        ]
        return [out(a) for a in _newest_first(rows)[:limit]]

    async def counts(
        self, departments: Sequence[str] | None = None
    ) -> dict[ApplicationStatus, int]:
        """Return ``status -> count`` with every status present."""
        depts = None if departments is None else set(clean_departments(departments))
        result = dict.fromkeys(ApplicationStatus, 0)
        for a in self._t.applications.rows.values():
            if depts is None or a.department in depts:
                result[a.status] += 1
        return result

    async def set_status(
        self, application_id: int, status: ApplicationStatus | str, at: dt.datetime
    ) -> ApplicationRecord:
        """Change the status at ``at``; done and rejected set ``closed_at``."""
        (new_status,) = check_application_statuses([status])
        at = require_aware(at, "at")
        application = replace(
            self._t.applications.load(application_id),
            status=new_status,
            updated_at=at,
            status_changed_at=at,
            closed_at=at if new_status.closed else None,
        )
        self._t.applications.rows[application_id] = application
        return out(application)

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
        when = utcnow() if at is None else require_aware(at, "at")
        application = self._t.applications.load(application_id)
        if staff_id is not None:
            self._t.staff.load(staff_id)
        event = ApplicationEventRecord(
            id=self._t.application_events.new_id(),
            application_id=application_id,
            staff_id=staff_id,
            kind=kind,
            status=new_status,
            text=text,
            created_at=when,
        )
        self._t.application_events.rows[event.id] = event
        self._t.applications.rows[application_id] = replace(
            application, updated_at=max(application.updated_at, when)
        )
        return event

    async def events(self, application_id: int) -> builtins.list[ApplicationEventRecord]:
        """Return the application's history, oldest first."""
        rows = self._t.application_events.rows.values()
        mine = [e for e in rows if e.application_id == application_id]
        return sorted(mine, key=lambda e: (e.created_at, e.id))

    async def older_than(self, at: dt.datetime) -> builtins.list[ApplicationRecord]:
        """Return applications created before ``at``, oldest first."""
        at = require_aware(at, "at")
        rows = [a for a in self._t.applications.rows.values() if a.created_at < at]
        return [out(a) for a in reversed(_newest_first(rows))]

    def _drop(self, application_ids: set[int]) -> None:
        for table in (self._t.application_events, self._t.attachments):
            doomed = [r.id for r in table.rows.values() if r.application_id in application_ids]
            for row_id in doomed:
                del table.rows[row_id]
        for application_id in application_ids:
            self._t.applications.rows.pop(application_id, None)

    async def delete(self, application_id: int) -> None:
        """Delete the application, its history and its attachments' rows."""
        self._drop({application_id})

    async def delete_for_user(self, user_id: int) -> int:
        """Delete the user's applications and every attachment row of the user."""
        rows = self._t.applications.rows.values()
        doomed = {a.id for a in rows if a.user_id == user_id}
        self._drop(doomed)
        attachments = self._t.attachments.rows
        for attachment_id in [a.id for a in attachments.values() if a.user_id == user_id]:
            del attachments[attachment_id]
        return len(doomed)


class InMemoryAttachmentRepo(MemoryRepo):
    """Attachment rows in memory."""

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
        at = utcnow() if now is None else require_aware(now, "now")
        self._t.users.load(user_id)
        attachment = AttachmentRecord(
            id=self._t.attachments.new_id(),
            token=secrets.token_urlsafe(24),
            user_id=user_id,
            application_id=None,
            content_type=content_type,
            size=size,
            sha256=sha256,
            storage_key=storage_key,
            created_at=at,
        )
        self._t.attachments.rows[attachment.id] = attachment
        return attachment

    async def get(self, attachment_id: int) -> AttachmentRecord | None:
        """Return the attachment or ``None``."""
        return self._t.attachments.rows.get(attachment_id)

    async def by_token(self, token: str) -> AttachmentRecord | None:
        """Return the attachment with this token or ``None``."""
        for attachment in self._t.attachments.rows.values():
            if secrets.compare_digest(attachment.token, token):
                return attachment
        return None

    async def attach(self, attachment_ids: Sequence[int], application_id: int) -> int:
        """Link the attachments to a submitted application; return how many."""
        application = self._t.applications.load(application_id)
        found = [self._t.attachments.load(i) for i in dict.fromkeys(attachment_ids)]
        for attachment in found:
            if attachment.user_id != application.user_id:
                msg = (
                    f"attachment {attachment.id} belongs to another user than "
                    f"application {application_id}"
                )
                raise ValueError(msg)
        for attachment in found:
            self._t.attachments.rows[attachment.id] = replace(
                attachment, application_id=application_id
            )
        return len(found)

    def _sorted(self, keep: Any) -> builtins.list[AttachmentRecord]:
        rows = [a for a in self._t.attachments.rows.values() if keep(a)]
        return sorted(rows, key=lambda a: (a.created_at, a.id))

    async def for_application(self, application_id: int) -> builtins.list[AttachmentRecord]:
        """Return the application's attachments, oldest first."""
        return self._sorted(lambda a: a.application_id == application_id)

    async def for_user(self, user_id: int) -> builtins.list[AttachmentRecord]:
        """Return every attachment of the user, oldest first."""
        return self._sorted(lambda a: a.user_id == user_id)

    async def orphans(self, older_than: dt.datetime) -> builtins.list[AttachmentRecord]:
        """Return attachments never attached and created before ``older_than``."""
        before = require_aware(older_than, "older_than")
        return self._sorted(lambda a: a.application_id is None and a.created_at < before)

    async def delete(self, attachment_id: int) -> None:
        """Delete the row if it is still there."""
        self._t.attachments.rows.pop(attachment_id, None)
