"""The notification services of a running server (or of ``citybot notify … --deliver``).

notifications = build_notifications(settings, store, clock, telegram_bot)
await notifications.start()      # LINE client, the sender loop with the reminder planner
await notifications.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from telegram import Bot

from bot.clock import Clock
from bot.notify.reminders import plan_reminders
from bot.notify.sender import NoticeSender, SenderLimits
from bot.notify.service import NoticeService
from bot.notify.transports import TelegramSend, Transports, notice_bot
from bot.settings import Settings
from bot.storage.base import Store
from knowledge.notify import shipped_notify

logger = logging.getLogger(__name__)

POLL_SECONDS = 5.0  # how often the sender looks for notices queued by other processes


@dataclass
class Notifications:
    """The notice service (compose, approve, cancel) and the sender that delivers."""

    settings: Settings
    service: NoticeService
    sender: NoticeSender
    transports: Transports
    _task: asyncio.Task[None] | None = field(default=None, repr=False)
    _bots: list[Bot] = field(default_factory=list, repr=False)  # started Telegram clients

    async def plan(self) -> int:
        """Queue the garbage reminders due now (idempotent)."""
        tz = self.settings.office_hours.tz
        return await plan_reminders(self.service, self.service.clock(), tz)

    async def open(self) -> None:
        """Open the platform clients (inside the running loop)."""
        if self.transports.line is not None:
            await self.transports.line.start()

    async def close(self) -> None:
        if self.transports.line is not None:
            await self.transports.line.stop()
        for bot in self._bots:
            await bot.shutdown()
        self._bots.clear()

    async def start(self, poll: float = POLL_SECONDS) -> None:
        """Open the clients and run the sender until :meth:`stop`."""
        await self.open()
        self._task = asyncio.create_task(
            self.sender.run_forever(poll, tick=self.plan), name="notice-sender"
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.close()


def build_notifications(
    settings: Settings,
    store: Store,
    clock: Clock,
    limits: SenderLimits | None = None,
) -> Notifications:
    """Wire the service and the sender (Telegram through a client of its own)."""
    notify = shipped_notify()
    limits = limits or SenderLimits()
    bots: list[Bot] = []
    client = None
    if settings.telegram_enabled:
        client = notice_bot(settings, limits.telegram_concurrency)

    async def telegram() -> Bot:
        assert client is not None
        if not bots:
            await client.initialize()
            bots.append(client)
        return client

    line = None
    if settings.line_enabled:  # line-bot-sdk takes seconds to import: only when LINE is on
        from bot.notify.line_multicast import LineMulticast

        line = LineMulticast(settings)
    transports = Transports(
        line=line,
        telegram=TelegramSend(telegram) if client is not None else None,
    )
    sender = NoticeSender(
        store, clock, notify, transports, quiet=settings.notify_quiet_hours, limits=limits
    )
    service = NoticeService(
        store,
        clock,
        notify,
        quiet=settings.notify_quiet_hours,
        threshold=settings.notify_approval_threshold,
        wake=sender.wake,
    )
    return Notifications(settings, service, sender, transports, _bots=bots)
