"""Ports of the knowledge loop: published entry versions, review checks, question outcomes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "InquiryRecord",
    "InquiryRepo",
    "KnowledgeEditRepo",
    "ReviewCheckRecord",
    "VersionRecord",
]


@dataclass(frozen=True)
class VersionRecord:
    id: int
    entry_id: str
    data: dict[str, Any] | None
    note: str
    base_hash: str | None
    action: str
    author_id: int | None
    diff: str
    created_at: dt.datetime


@dataclass(frozen=True)
class ReviewCheckRecord:
    entry_id: str
    item: str
    fact: str
    confirmed: bool
    staff_id: int | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class InquiryRecord:
    id: int
    conversation_id: int
    text: str
    normalized: str
    outcome: str
    entry_id: str | None
    chosen_entry_id: str | None
    not_helpful: bool
    handed_off: bool
    department: str
    status: str
    created_at: dt.datetime


class KnowledgeEditRepo(Protocol):
    """Staff edits of the knowledge base, newest version per entry live."""

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
        """Store a new version of ``entry_id`` (``data=None``: back to the shipped entry)."""
        ...

    async def revision(self) -> int:
        """The id of the newest version (0 when there is none): cheap, for polling."""
        ...

    async def latest(self, after: int = 0) -> list[VersionRecord]:
        """The newest version of every entry changed after revision ``after``."""
        ...

    async def history(self, entry_id: str) -> list[VersionRecord]:
        """Every version of one entry, newest first."""
        ...

    async def version(self, version_id: int) -> VersionRecord | None: ...

    async def checks(self, entry_id: str | None = None) -> list[ReviewCheckRecord]:
        """Review checks of one entry, or of all entries."""
        ...

    async def set_check(
        self,
        entry_id: str,
        item: str,
        *,
        fact: str,
        confirmed: bool,
        staff_id: int | None,
        now: dt.datetime,
    ) -> ReviewCheckRecord: ...


class InquiryRepo(Protocol):
    """One row per citizen question, updated by what the citizen did next."""

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
    ) -> InquiryRecord: ...

    async def mark_latest(
        self,
        conversation_id: int,
        *,
        outcomes: Sequence[str] | None = None,
        entry_id: str | None = None,
        **changes: Any,
    ) -> InquiryRecord | None:
        """Change the conversation's newest question (with one of ``outcomes``, about
        ``entry_id`` as answer or choice, when given); ``None`` if there is none."""
        ...

    async def for_review(
        self, departments: Sequence[str] | None, since: dt.datetime, limit: int = 2000
    ) -> list[InquiryRecord]:
        """Open questions that fell back, needed a choice, were not helped or handed off."""
        ...

    async def resolve(
        self,
        ids: Sequence[int],
        status: str,
        staff_id: int,
        now: dt.datetime,
        departments: Sequence[str] | None = None,
    ) -> int:
        """Close open questions (of ``departments`` only, when given); return how many."""
        ...
