"""Tables of the knowledge loop: staff edits over the shipped YAML, review checks, and the
outcome of every citizen question (what the unanswered-questions list is made of).

Not imported by ``models.py`` (that would be an import circle): the SQL repositories import it,
and so does everything that opens a store, Alembic's ``env.py`` included (via ``db.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base
from bot.storage.types import BigIntPK, JSONDict

__all__ = ["InquiryOutcome", "KnowledgeReviewCheck", "KnowledgeVersion"]


class KnowledgeVersion(Base):
    """One published version of an entry; the newest per entry is live.

    ``data`` is the whole entry as validated by the schema, or ``NULL`` for "no change of the
    city's": the shipped entry again (or, for an entry created in the console, no entry).
    The highest ``id`` is the knowledge revision every process compares with its own.
    """

    __tablename__ = "knowledge_versions"
    __table_args__ = (Index(None, "entry_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONDict, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")  # for staff only, never for citizens
    base_hash: Mapped[str | None] = mapped_column(String(64))  # shipped entry it was based on
    action: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("staff_users.id"))
    diff: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]


class KnowledgeReviewCheck(Base):
    """A city-specific detail of an entry, confirmed (or not yet) by a member of staff."""

    __tablename__ = "knowledge_review_checks"
    __table_args__ = (UniqueConstraint("entry_id", "item"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(64))
    item: Mapped[str] = mapped_column(String(500))
    fact: Mapped[str] = mapped_column(Text, default="")
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    staff_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("staff_users.id"))
    updated_at: Mapped[dt.datetime]


class InquiryOutcome(Base):
    """What became of one citizen question: answered, choices, nothing, and what followed."""

    __tablename__ = "inquiry_outcomes"
    __table_args__ = (
        Index(None, "conversation_id", "id"),
        Index(None, "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("conversations.id"))
    text: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))  # answer | choices | fallback
    entry_id: Mapped[str | None] = mapped_column(String(64))  # answered or best candidate
    chosen_entry_id: Mapped[str | None] = mapped_column(String(64))
    not_helpful: Mapped[bool] = mapped_column(Boolean, default=False)
    handed_off: Mapped[bool] = mapped_column(Boolean, default=False)
    department: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # open | paraphrased | new_entry | …
    resolved_by: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("staff_users.id"))
    created_at: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None]
