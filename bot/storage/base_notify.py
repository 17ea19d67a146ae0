"""The notifications port: records and the repository protocol behind :mod:`bot.notify`."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "DeliveryRecord",
    "NoticeDraft",
    "NoticeRecord",
    "NotifyRepo",
    "SubscriptionRecord",
    "TokenRecord",
]


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    topic: str
    consent_text: str
    consented_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NoticeDraft:
    """What a new notice says and to whom; the service decides status and time."""

    topic: str
    areas: tuple[str, ...]  # empty: every area
    text_ja: str
    text_en: str | None = None
    link: str | None = None
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    id: int
    topic: str
    areas: tuple[str, ...]
    text_ja: str
    text_en: str | None
    link: str | None
    urgent: bool
    status: str
    source: str
    author: str
    author_staff_id: int | None
    approver_staff_id: int | None
    dedupe_key: str | None
    recipients: int
    not_before: dt.datetime
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: int
    user_id: int
    channel: str
    external_id: str
    language: str
    status: str
    batch_key: str | None


@dataclass(frozen=True, slots=True)
class TokenRecord:
    id: int
    name: str
    department: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class NotifyRepo(Protocol):
    """Subscriptions, notices, their deliveries and API tokens."""

    # --- citizens ---
    async def subscriptions(self, user_id: int) -> builtins.list[SubscriptionRecord]: ...
    async def area(self, user_id: int) -> str | None: ...
    async def subscribe(
        self, user_id: int, topic: str, consent_text: str, now: dt.datetime
    ) -> bool:
        """Record consent to ``topic``; ``False`` if already subscribed (consent kept)."""
        ...

    async def unsubscribe(self, user_id: int, topics: Sequence[str] | None = None) -> int:
        """Remove some topics (``None``: all); how many were removed."""
        ...

    async def set_area(self, user_id: int, area: str, source: str, now: dt.datetime) -> None: ...
    async def count_recipients(self, topic: str, areas: Sequence[str]) -> dict[str, int]:
        """Active subscribers of ``topic`` in ``areas`` (empty: all), per channel."""
        ...

    # --- notices ---
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
        """Store a notice; ``None`` when ``dedupe_key`` exists already."""
        ...

    async def get_notice(self, notice_id: int) -> NoticeRecord | None: ...
    async def list_notices(self, limit: int = 100) -> builtins.list[NoticeRecord]: ...
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
        """Change a notice (only if its status is in ``expect``); whether it changed."""
        ...

    async def claim_notice(
        self, now: dt.datetime, lease_until: dt.datetime, owner: str, urgent_only: bool
    ) -> NoticeRecord | None:
        """Take one due notice (queued or sending, lease free) for this sender."""
        ...

    async def urgent_waiting(self, now: dt.datetime) -> bool:
        """Whether an urgent notice is due and nobody is sending it."""
        ...

    async def renew_lease(self, notice_id: int, owner: str, lease_until: dt.datetime) -> bool:
        """Extend this sender's lease; ``False`` if it is lost or the notice was cancelled."""
        ...

    async def materialize(self, notice_id: int) -> int:
        """Create one pending delivery per current recipient (idempotent); how many exist."""
        ...

    async def in_flight(self, notice_id: int, channel: str) -> builtins.list[DeliveryRecord]:
        """Deliveries left ``sending`` by a sender that stopped (crash resume)."""
        ...

    async def take_batch(
        self, notice_id: int, channel: str, language: str, limit: int, batch_key: str
    ) -> builtins.list[DeliveryRecord]:
        """Mark up to ``limit`` pending deliveries ``sending`` under ``batch_key``; return them."""
        ...

    async def pending_languages(self, notice_id: int, channel: str) -> builtins.list[str]: ...
    async def mark(
        self, delivery_ids: Sequence[int], status: str, error: str | None = None
    ) -> None: ...
    async def progress(self, notice_id: int) -> dict[str, int]:
        """Deliveries per status."""
        ...

    async def report(self, notice_id: int) -> builtins.list[tuple[str, str, str | None, int]]:
        """``(channel, status, error, count)`` rows."""
        ...

    # --- tokens ---
    async def add_token(
        self, name: str, token_hash: str, department: str | None, now: dt.datetime
    ) -> TokenRecord: ...
    async def token_by_hash(self, token_hash: str, now: dt.datetime) -> TokenRecord | None:
        """The live token with this hash (its use is recorded), else ``None``."""
        ...

    async def list_tokens(self) -> builtins.list[TokenRecord]: ...
    async def revoke_token(self, name: str, now: dt.datetime) -> bool: ...
