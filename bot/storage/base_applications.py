"""The storage ports of guided procedures: applications, their history, attachments.

Re-exported by :mod:`bot.storage.base`, whose :class:`~bot.storage.base.Unit` carries them as
``unit.applications`` and ``unit.attachments``. Files themselves live in
:class:`bot.procedures.attachments.AttachmentStore`; these repositories only keep their rows, so
whoever
deletes rows (purge, a citizen's deletion request) reads the ``storage_key`` s first.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from bot.storage.records import (
    ApplicationEventKind,
    ApplicationEventRecord,
    ApplicationRecord,
    ApplicationStatus,
    AttachmentRecord,
    Channel,
)

__all__ = ["ApplicationRepo", "AttachmentRepo"]


class ApplicationRepo(Protocol):
    """Submitted applications and reports, and their history (status changes, notes)."""

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

        The reference is ``{prefix}-{Asia/Tokyo date of now}-{4 random characters}``; a clash
        with an existing one draws again. ``now`` (default: the current time) becomes
        ``created_at``, ``updated_at`` and ``status_changed_at``.

        Raises:
            ValueError: the prefix is not one letter A-Z, or a bad channel.
            RecordNotFoundError: no such user or conversation.
        """
        ...

    async def get(self, application_id: int) -> ApplicationRecord | None:
        """Return the application or ``None``."""
        ...

    async def by_reference(self, reference: str) -> ApplicationRecord | None:
        """Return the application with this reference as a citizen may type it, or ``None``.

        Full-width characters, lower case, spaces and any dash are accepted. Ownership is
        not checked here: compare ``user_id`` with the asking user.
        """
        ...

    async def for_user(self, user_id: int) -> builtins.list[ApplicationRecord]:
        """Return the user's applications, newest first."""
        ...

    async def list(
        self,
        departments: Sequence[str] | None = None,
        statuses: Sequence[ApplicationStatus | str] | None = None,
        created_from: dt.datetime | None = None,
        created_to: dt.datetime | None = None,
        limit: int = 200,
    ) -> builtins.list[ApplicationRecord]:
        """Return applications, newest first.

        ``None`` means any; an empty ``departments`` or ``statuses`` matches nothing.
        ``created_from <= created_at < created_to``.
        """
        ...

    async def counts(
        self, departments: Sequence[str] | None = None
    ) -> dict[ApplicationStatus, int]:
        """Return ``status -> count`` with every status present (zeros included)."""
        ...

    async def set_status(
        self, application_id: int, status: ApplicationStatus | str, at: dt.datetime
    ) -> ApplicationRecord:
        """Change the status at ``at``; done and rejected set ``closed_at``, others clear it.

        No history line is added: call :meth:`add_event` with kind ``status``.
        """
        ...

    async def add_event(
        self,
        application_id: int,
        kind: ApplicationEventKind,
        text: str = "",
        staff_id: int | None = None,
        status: ApplicationStatus | str | None = None,
        at: dt.datetime | None = None,
    ) -> ApplicationEventRecord:
        """Add one history line (``staff_id`` ``None``: the system); bumps ``updated_at``."""
        ...

    async def events(self, application_id: int) -> builtins.list[ApplicationEventRecord]:
        """Return the application's history, oldest first."""
        ...

    async def older_than(self, at: dt.datetime) -> builtins.list[ApplicationRecord]:
        """Return applications created before ``at``, oldest first (retention)."""
        ...

    async def delete(self, application_id: int) -> None:
        """Delete the application, its history and its attachments' rows.

        Deleting one that is gone already is not an error.
        """
        ...

    async def delete_for_user(self, user_id: int) -> int:
        """Delete the user's applications with their history, and every attachment row of
        the user (attached or not); return how many applications."""
        ...


class AttachmentRepo(Protocol):
    """Rows of stored photos: who sent them, what they are, where the file is."""

    async def add(
        self,
        user_id: int,
        content_type: str,
        size: int,
        sha256: str,
        storage_key: str,
        now: dt.datetime | None = None,
    ) -> AttachmentRecord:
        """Store a row for a saved file, not attached yet, with a fresh random ``token``."""
        ...

    async def get(self, attachment_id: int) -> AttachmentRecord | None:
        """Return the attachment or ``None``."""
        ...

    async def by_token(self, token: str) -> AttachmentRecord | None:
        """Return the attachment with this token or ``None``."""
        ...

    async def attach(self, attachment_ids: Sequence[int], application_id: int) -> int:
        """Link the attachments to a submitted application; return how many.

        Raises:
            RecordNotFoundError: no such application or attachment.
            ValueError: an attachment belongs to another user than the application.
        """
        ...

    async def for_application(self, application_id: int) -> builtins.list[AttachmentRecord]:
        """Return the application's attachments, oldest first."""
        ...

    async def for_user(self, user_id: int) -> builtins.list[AttachmentRecord]:
        """Return every attachment of the user, attached or not, oldest first."""
        ...

    async def orphans(self, older_than: dt.datetime) -> builtins.list[AttachmentRecord]:
        """Return attachments never attached and created before ``older_than``, oldest first."""
        ...

    async def delete(self, attachment_id: int) -> None:
        """Delete the row; deleting one that is gone already is not an error."""
        ...
