"""Delivering notices: claim one in the database, copy its recipients, send them in batches.

    sender = NoticeSender(store, clock, notify, transports, quiet=settings.notify_quiet_hours)
    await sender.run_due()          # every due notice, now (``citybot notify send --deliver``)
    await sender.run_forever()      # the server's worker; ``sender.wake()`` after an enqueue

Each recipient has a row (pending → sending → sent | failed | blocked). A batch is marked
``sending`` under a key, committed, and only then handed to the platform, so a sender that
dies halfway is resumed without sending anyone the notice twice: a LINE batch is repeated
with the same ``X-Line-Retry-Key`` (LINE answers 409 for one it accepted), while Telegram has
no such key, so its interrupted messages are reported as failed ("interrupted") rather than
risk a duplicate. Recipients are read in chunks, never all at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.notify.pace import ChatGate, Pace
from bot.notify.quiet import QuietHours
from bot.notify.service import notify_repo
from bot.notify.transports import MAX_MULTICAST, SendFailure, Transports
from bot.storage.base import Store
from bot.storage.base_notify import DeliveryRecord, NoticeRecord
from bot.waiting import wait_at_most
from knowledge.notify import NotifyKnowledge

logger = logging.getLogger(__name__)

INTERRUPTED = "interrupted: may not have arrived (not repeated, to avoid a duplicate)"


@dataclass(frozen=True)
class SenderLimits:
    """Batch sizes and platform limits (``None`` rates: unlimited, for measurements only)."""

    line_batch: int = MAX_MULTICAST
    line_rate: float | None = 100.0  # multicast calls per second (LINE allows 200)
    telegram_rate: float | None = 30.0  # messages per second overall (Telegram's guidance)
    telegram_per_chat: float = 1.0  # seconds between two messages to one chat
    telegram_chunk: int = 100
    telegram_concurrency: int = 8
    web_chunk: int = 200
    attempts: int = 6
    backoff: float = 1.0  # seconds; doubles per attempt, at most a minute
    lease_seconds: float = 120.0


class NoticeSender:
    """Sends due notices; several processes may run one, the database lease decides who sends."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        notify: NotifyKnowledge,
        transports: Transports,
        *,
        quiet: QuietHours | None,
        limits: SenderLimits | None = None,
        owner: str | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.clock = clock
        self.notify = notify
        self.transports = transports
        self.quiet = quiet
        self.limits = limits or SenderLimits()
        self.owner = owner or f"sender-{uuid.uuid4().hex[:12]}"
        self.sleep = sleep
        self._line_pace = Pace(self.limits.line_rate)
        self._telegram_pace = Pace(self.limits.telegram_rate)
        self._chats = ChatGate(self.limits.telegram_per_chat)
        self._wake = asyncio.Event()

    def set_limits(self, limits: SenderLimits) -> None:
        """Use other limits from now on (load measurements lift the platforms' limits)."""
        self.limits = limits
        self._line_pace = Pace(limits.line_rate)
        self._telegram_pace = Pace(limits.telegram_rate)
        self._chats = ChatGate(limits.telegram_per_chat)

    def wake(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    async def run_forever(
        self, interval: float = 5.0, tick: Callable[[], Awaitable[object]] | None = None
    ) -> None:
        """Deliver due notices until cancelled; ``tick`` runs first on each round (reminders)."""
        while True:
            try:
                if tick is not None:
                    await tick()
                await self.run_due()
            except Exception:
                logger.exception("notice sender failed; trying again later")
            self._wake.clear()
            await wait_at_most(interval, self._wake.wait())

    async def run_due(self) -> int:
        """Deliver every notice due now; how many were worked on."""
        worked = 0
        while True:
            notice = await self._claim()
            if notice is None:
                return worked
            worked += 1
            await self.deliver(notice)

    async def _claim(self) -> NoticeRecord | None:
        now = self.clock()
        lease = now + _seconds(self.limits.lease_seconds)
        urgent_only = self.quiet is not None and self.quiet.holds(now)
        async with self.store.unit() as unit:
            return await notify_repo(unit).claim_notice(now, lease, self.owner, urgent_only)

    async def deliver(self, notice: NoticeRecord) -> None:
        """Send a claimed notice to everyone not yet reached; finish it unless paused."""
        if notice.status == "queued":
            async with self.store.unit() as unit:
                repo = notify_repo(unit)
                total = await repo.materialize(notice.id)
                await repo.update_notice(
                    notice.id, status="sending", expect=["queued"], started_at=self.clock()
                )
            logger.info("notice %s: sending to %d recipients", notice.id, total)
        for channel in ("web", "line", "telegram"):
            if not await self._channel(notice, channel):
                return
        async with self.store.unit() as unit:
            repo = notify_repo(unit)
            await repo.update_notice(
                notice.id,
                status="done",
                expect=["sending"],
                finished_at=self.clock(),
                release_lease=True,
            )
            counts = await repo.progress(notice.id)
        logger.info("notice %s: done %s", notice.id, counts)

    async def _go_on(self, notice: NoticeRecord) -> bool:
        """Keep the lease, unless cancelled; outside urgent, stop for quiet hours."""
        now = self.clock()
        async with self.store.unit() as unit:
            repo = notify_repo(unit)
            if self.quiet is not None and not notice.urgent and self.quiet.holds(now):
                await repo.update_notice(
                    notice.id,
                    not_before=self.quiet.ends(now),
                    release_lease=True,
                    expect=["sending", "queued"],
                )
                logger.info("notice %s: paused for quiet hours", notice.id)
                return False
            if not notice.urgent and await repo.urgent_waiting(now):
                await repo.update_notice(notice.id, release_lease=True, expect=["sending"])
                logger.info("notice %s: paused for an urgent notice", notice.id)
                return False  # run_due claims the urgent one first, then this one again
            lease = now + _seconds(self.limits.lease_seconds)
            if await repo.renew_lease(notice.id, self.owner, lease):
                return True
        logger.info("notice %s: cancelled or taken over; stopping", notice.id)
        return False

    def text_for(self, notice: NoticeRecord, language: str) -> str:
        body = notice.text_en if language == "en" and notice.text_en else notice.text_ja
        lang = "en" if language == "en" and notice.text_en else "ja"
        parts = [body]
        if notice.link:
            parts.append(self.notify.text("notice_link", lang, link=notice.link))
        parts.append(self.notify.text("notice_footer", lang))
        return "\n".join(parts)

    async def _channel(self, notice: NoticeRecord, channel: str) -> bool:
        async with self.store.unit() as unit:
            stuck = await notify_repo(unit).in_flight(notice.id, channel)
        if stuck:
            await self._resume(notice, channel, stuck)
        while True:
            if not await self._go_on(notice):
                return False
            async with self.store.unit() as unit:
                languages = await notify_repo(unit).pending_languages(notice.id, channel)
            if not languages:
                return True
            size = {"line": self.limits.line_batch, "telegram": self.limits.telegram_chunk}
            key = str(uuid.uuid4())
            async with self.store.unit() as unit:  # committed before anything is sent
                batch = await notify_repo(unit).take_batch(
                    notice.id, channel, languages[0], size.get(channel, self.limits.web_chunk), key
                )
            await self._send(notice, channel, batch)

    async def _resume(
        self, notice: NoticeRecord, channel: str, stuck: list[DeliveryRecord]
    ) -> None:
        if channel == "telegram":
            async with self.store.unit() as unit:
                await notify_repo(unit).mark([d.id for d in stuck], "failed", INTERRUPTED)
            logger.warning("notice %s: %d Telegram messages interrupted", notice.id, len(stuck))
            return
        batches: dict[str | None, list[DeliveryRecord]] = {}
        for delivery in stuck:
            batches.setdefault(delivery.batch_key, []).append(delivery)
        for batch in batches.values():
            logger.info("notice %s: resuming a %s batch of %d", notice.id, channel, len(batch))
            await self._send(notice, channel, batch)

    async def _send(self, notice: NoticeRecord, channel: str, batch: list[DeliveryRecord]) -> None:
        if not batch:
            return
        if channel == "web":
            await self._web(notice, batch)
        elif channel == "line" and self.transports.line is not None:
            await self._line(notice, batch)
        elif channel == "telegram" and self.transports.telegram is not None:
            await self._telegram(notice, batch)
        else:
            async with self.store.unit() as unit:
                await notify_repo(unit).mark(
                    [d.id for d in batch], "failed", f"{channel} is not configured"
                )

    async def _web(self, notice: NoticeRecord, batch: list[DeliveryRecord]) -> None:
        """No push on the web: the notice joins the visitor's chat, shown on their next visit."""
        async with self.store.unit() as unit:
            for delivery in batch:
                convo = await unit.conversations.open_for(delivery.user_id)
                await unit.messages.add(
                    convo.id,
                    direction="out",
                    author="bot",
                    text=self.text_for(notice, delivery.language),
                    payload={"notice_id": notice.id},
                )
            await notify_repo(unit).mark([d.id for d in batch], "sent")

    async def _retrying(self, call: Callable[[], Awaitable[None]], pace: Pace) -> None:
        for attempt in range(self.limits.attempts):
            await pace.wait()
            try:
                await call()
                return
            except SendFailure as failure:
                if failure.permanent or attempt == self.limits.attempts - 1:
                    raise
                delay = failure.retry_after
                if delay is not None:
                    pace.hold(delay)  # flood control: everyone waits
                else:
                    delay = min(self.limits.backoff * 2**attempt, 60.0)
                logger.info("%s; retrying in %.1f s", failure.reason, delay)
                await self.sleep(delay)

    async def _line(self, notice: NoticeRecord, batch: list[DeliveryRecord]) -> None:
        line = self.transports.line
        assert line is not None
        key = batch[0].batch_key or str(uuid.uuid4())
        text = self.text_for(notice, batch[0].language)
        ids = [d.external_id for d in batch]
        status, error = "sent", None
        try:
            await self._retrying(lambda: line.multicast(ids, text, key), self._line_pace)
        except SendFailure as failure:
            status, error = "failed", failure.reason
        async with self.store.unit() as unit:
            await notify_repo(unit).mark([d.id for d in batch], status, error)

    async def _telegram(self, notice: NoticeRecord, batch: list[DeliveryRecord]) -> None:
        telegram = self.transports.telegram
        assert telegram is not None
        text = self.text_for(notice, batch[0].language)
        gate = asyncio.Semaphore(self.limits.telegram_concurrency)
        outcome: dict[int, tuple[str, str | None]] = {}

        async def one(delivery: DeliveryRecord) -> None:
            async with gate:
                await self._chats.wait(delivery.external_id)
                try:
                    await self._retrying(
                        lambda: telegram.send(delivery.external_id, text), self._telegram_pace
                    )
                    outcome[delivery.id] = ("sent", None)
                except SendFailure as failure:
                    status = "blocked" if failure.blocked else "failed"
                    outcome[delivery.id] = (status, failure.reason)

        await asyncio.gather(*(one(d) for d in batch))
        by_status: dict[tuple[str, str | None], list[int]] = {}
        for delivery_id, result in outcome.items():
            by_status.setdefault(result, []).append(delivery_id)
        blocked = {d.id: d.user_id for d in batch if outcome.get(d.id, ("",))[0] == "blocked"}
        async with self.store.unit() as unit:
            repo = notify_repo(unit)
            for (status, error), ids in by_status.items():
                await repo.mark(ids, status, error)
            for user_id in blocked.values():  # they blocked the bot: no more sends to them
                await unit.users.set_active(user_id, False)


def _seconds(value: float) -> dt.timedelta:
    return dt.timedelta(seconds=value)
