"""Tables of targeted notifications: subscriptions, notices, per-recipient deliveries, tokens.

Imported at the bottom of :mod:`bot.storage.models`, so Alembic's metadata sees them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base
from bot.storage.types import BigIntPK

__all__ = [
    "NoticeDelivery",
    "NotifyArea",
    "NotifyNotice",
    "NotifySubscription",
    "NotifyToken",
]


class NotifyArea(Base):
    """A citizen's notification area (one district), with the consent wording they were shown."""

    __tablename__ = "notify_areas"

    user_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"), primary_key=True)
    area: Mapped[str] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(String(16))  # list, address, location
    updated_at: Mapped[dt.datetime] = mapped_column()


class NotifySubscription(Base):
    """One citizen's consent to one topic: when, and the exact text they were shown."""

    __tablename__ = "notify_subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "topic"), Index(None, "topic", "user_id"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"))
    topic: Mapped[str] = mapped_column(String(16))
    consent_text: Mapped[str] = mapped_column(Text)
    consented_at: Mapped[dt.datetime] = mapped_column()


class NotifyNotice(Base):
    """A notice to the subscribers of one topic in some areas (none listed: every area)."""

    __tablename__ = "notify_notices"
    __table_args__ = (UniqueConstraint("dedupe_key"), Index(None, "status", "not_before"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    topic: Mapped[str] = mapped_column(String(16))
    areas: Mapped[list[Any]] = mapped_column()
    text_ja: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))  # console, cli, api, calendar
    author: Mapped[str] = mapped_column(String(128))  # "staff:<id>", "token:<name>", "cli"
    author_staff_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("staff_users.id"))
    approver_staff_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("staff_users.id"))
    dedupe_key: Mapped[str | None] = mapped_column(String(128))
    recipients: Mapped[int] = mapped_column(Integer, default=0)  # counted when it was composed
    not_before: Mapped[dt.datetime] = mapped_column()  # schedule, or the end of quiet hours
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column()
    started_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()


class NoticeDelivery(Base):
    """One recipient of one notice: pending, sending (batch key kept), sent, failed, blocked."""

    __tablename__ = "notify_deliveries"
    __table_args__ = (
        UniqueConstraint("notice_id", "user_id"),
        Index(None, "notice_id", "channel", "status", "language"),
        Index(None, "notice_id", "batch_key"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    notice_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("notify_notices.id"))
    user_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    batch_key: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(255))


class NotifyToken(Base):
    """An API token of another system (a snow-plough dispatch); only its SHA-256 is kept."""

    __tablename__ = "notify_tokens"
    __table_args__ = (UniqueConstraint("name"), UniqueConstraint("token_hash"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    last_used_at: Mapped[dt.datetime | None] = mapped_column()
