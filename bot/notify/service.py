"""Composing, approving and cancelling notices; the rules every way of sending shares.

    service = NoticeService(store, clock, quiet=settings.notify_quiet_hours, threshold=100)
    notice = await service.create(NoticeDraft("snow", ("toko",), "今夜除雪が入ります"), author)
    await service.approve(notice.id, other_clerk)     # more than ``threshold`` recipients

The console, ``citybot notify send`` and ``POST /api/notices`` all go through here, so the
two-person rule and the audit log hold for each of them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.errors import CityBotError
from bot.notify.quiet import QuietHours
from bot.storage.base import Store, Unit
from bot.storage.base_notify import NoticeDraft, NoticeRecord, NotifyRepo
from bot.storage.errors import StorageError
from knowledge.notify import NotifyKnowledge

logger = logging.getLogger(__name__)

DISASTER_TOPIC = "disaster"
DISASTER_DEPARTMENT = "dept.disaster"  # knowledge/data/departments: 防災安全部
MAX_TEXT = 2000
OPEN = ("awaiting_approval", "queued", "sending")


class NoticeError(CityBotError):
    """A notice cannot be created or changed as asked (the message says why)."""


@dataclass(frozen=True)
class Author:
    """Who asks for a notice: a member of staff, an API token, or the command line."""

    label: str  # "staff:7", "token:snowplough", "cli"
    source: str  # console, api, cli, calendar
    staff_id: int | None = None
    departments: tuple[str, ...] = ()


def notify_repo(unit: Unit) -> NotifyRepo:
    """The unit's notification repository (SQL stores only)."""
    if unit.notify is None:
        msg = "notifications need the SQL store (SQLite or PostgreSQL)"
        raise StorageError(msg)
    return unit.notify


class NoticeService:
    """Creates notices, enforces approval, cancels; the sender delivers them."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        notify: NotifyKnowledge,
        *,
        quiet: QuietHours | None,
        threshold: int = 100,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.notify = notify
        self.quiet = quiet
        self.threshold = threshold
        self.wake = wake or (lambda: None)  # tells a running sender there is work

    def check(self, draft: NoticeDraft) -> None:
        """Refuse an unknown topic or area, an empty or too long text, a bad link."""
        if self.notify.topic(draft.topic) is None:
            msg = f"unknown topic {draft.topic!r}"
            raise NoticeError(msg)
        for area in draft.areas:
            if self.notify.district(area) is None:
                msg = f"unknown area {area!r}"
                raise NoticeError(msg)
        for text in (draft.text_ja, draft.text_en or ""):
            if len(text) > MAX_TEXT:
                msg = f"the text is longer than {MAX_TEXT} characters"
                raise NoticeError(msg)
        if not draft.text_ja.strip():
            msg = "the Japanese text is empty"
            raise NoticeError(msg)
        if draft.link and not draft.link.startswith(("https://", "http://")):
            msg = f"the link {draft.link!r} must start with https://"
            raise NoticeError(msg)

    def needs_approval(self, draft: NoticeDraft, recipients: int, author: Author) -> bool:
        """More than ``threshold`` people need a second person, except urgent 防災 by 防災."""
        if author.source == "calendar":  # reminders from the calendar staff reviewed
            return False
        urgent_disaster = draft.urgent and draft.topic == DISASTER_TOPIC
        if urgent_disaster and DISASTER_DEPARTMENT in author.departments:
            return False
        return recipients > self.threshold

    async def preview(self, topic: str, areas: tuple[str, ...]) -> dict[str, int]:
        """Recipients per channel (``line`` also counts the billable LINE messages: one each)."""
        async with self.store.unit() as unit:
            return await notify_repo(unit).count_recipients(topic, areas)

    async def create(
        self,
        draft: NoticeDraft,
        author: Author,
        *,
        scheduled_at: dt.datetime | None = None,
        dedupe_key: str | None = None,
    ) -> NoticeRecord | None:
        """Store a notice: queued, or awaiting approval; ``None`` if ``dedupe_key`` exists."""
        self.check(draft)
        if draft.urgent and draft.topic != DISASTER_TOPIC:
            msg = "only 防災 (disaster) notices can be urgent"
            raise NoticeError(msg)
        now = self.clock()
        async with self.store.unit() as unit:
            repo = notify_repo(unit)
            counts = await repo.count_recipients(draft.topic, draft.areas)
            total = sum(counts.values())
            status = "awaiting_approval" if self.needs_approval(draft, total, author) else "queued"
            notice = await repo.add_notice(
                draft,
                status=status,
                source=author.source,
                author=author.label,
                now=now,
                not_before=max(scheduled_at or now, now),
                recipients=total,
                author_staff_id=author.staff_id,
                dedupe_key=dedupe_key,
            )
            if notice is not None:
                await unit.audit.add(
                    author.staff_id,
                    "notice.create",
                    f"notice:{notice.id}",
                    {
                        "by": author.label,
                        "topic": draft.topic,
                        "areas": list(draft.areas),
                        "urgent": draft.urgent,
                        "recipients": counts,
                        "status": status,
                    },
                )
        if notice is not None:
            logger.info(
                "notice %s: %s by %s to %d recipients", notice.id, status, author.label, total
            )
            self.wake()
        return notice

    async def approve(self, notice_id: int, staff_id: int) -> NoticeRecord:
        """A second member of staff releases a notice awaiting approval."""
        async with self.store.unit() as unit:
            repo = notify_repo(unit)
            notice = await repo.get_notice(notice_id)
            if notice is None or notice.status != "awaiting_approval":
                msg = "this notice is not awaiting approval"
                raise NoticeError(msg)
            if notice.author_staff_id == staff_id:
                msg = "the author cannot approve their own notice: ask a colleague"
                raise NoticeError(msg)
            await repo.update_notice(
                notice_id,
                status="queued",
                expect=["awaiting_approval"],
                approver_staff_id=staff_id,
            )
            await unit.audit.add(staff_id, "notice.approve", f"notice:{notice_id}", {})
            approved = await repo.get_notice(notice_id)
        assert approved is not None
        self.wake()
        return approved

    async def cancel(self, notice_id: int, staff_id: int | None, by: str) -> bool:
        """Stop a notice that is not finished; what was sent stays sent."""
        now = self.clock()
        async with self.store.unit() as unit:
            repo = notify_repo(unit)
            changed = await repo.update_notice(
                notice_id, status="cancelled", expect=OPEN, finished_at=now, release_lease=True
            )
            if changed:
                await unit.audit.add(staff_id, "notice.cancel", f"notice:{notice_id}", {"by": by})
        return changed

    async def get(self, notice_id: int) -> tuple[NoticeRecord | None, dict[str, int]]:
        async with self.store.unit() as unit:
            repo = notify_repo(unit)
            return await repo.get_notice(notice_id), await repo.progress(notice_id)
