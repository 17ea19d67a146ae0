"""Subscribers, fakes and a sender wired together for the notification tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import insert, select

from bot.channels.telegram.channel import make_bot
from bot.clock import FrozenClock
from bot.notify.line_multicast import LineMulticast
from bot.notify.quiet import QuietHours
from bot.notify.sender import NoticeSender, SenderLimits
from bot.notify.service import Author, NoticeService, notify_repo
from bot.notify.transports import TelegramSend, Transports
from bot.settings import Secret, Settings
from bot.storage import SqlStore
from bot.storage.base import Store
from bot.storage.models import User
from bot.storage.models_notify import NotifyArea, NotifySubscription
from knowledge.notify import shipped_notify
from tests.fakes.line_api import FakeLineApi
from tests.fakes.server import serve
from tests.fakes.telegram_api import TOKEN, FakeTelegram

CLERK = Author("staff:1", "console", staff_id=None)


async def subscribe(store: Store, channel: str, user: str, topic: str, area: str | None) -> int:
    """A citizen subscribed to ``topic`` in ``area`` (as the chat would have stored it)."""
    async with store.unit() as unit:
        record = await unit.users.get_or_create(channel, user)  # type: ignore[arg-type]
        repo = notify_repo(unit)
        await repo.subscribe(record.id, topic, "consent text", FrozenClock()())
        if area is not None:
            await repo.set_area(record.id, area, "list", FrozenClock()())
        return record.id


@dataclass
class Platforms:
    line: FakeLineApi
    telegram: FakeTelegram
    settings: Settings
    transports: Transports

    def sender(
        self, store: Store, clock: FrozenClock, quiet: QuietHours | None, **limits: float
    ) -> NoticeSender:
        waits: list[float] = []

        async def no_wait(seconds: float) -> None:
            waits.append(seconds)

        sender = NoticeSender(
            store,
            clock,
            shipped_notify(),
            self.transports,
            quiet=quiet,
            limits=SenderLimits(**limits),  # type: ignore[arg-type]
            sleep=no_wait,
        )
        sender.waits = waits  # type: ignore[attr-defined]
        return sender

    def service(
        self, store: Store, clock: FrozenClock, quiet: QuietHours | None, threshold: int = 100
    ) -> NoticeService:
        return NoticeService(store, clock, shipped_notify(), quiet=quiet, threshold=threshold)


@asynccontextmanager
async def platforms(url: str) -> AsyncIterator[Platforms]:
    line, telegram = FakeLineApi(), FakeTelegram()
    async with serve(line.app) as line_base, serve(telegram.app) as telegram_base:
        telegram.base_url = telegram_base
        settings = Settings(
            database_url=url,
            line_channel_secret=Secret("line-secret"),
            line_access_token=Secret("test-token"),
            line_api_base=line_base,
            telegram_token=Secret(TOKEN),
            telegram_api_base=f"{telegram_base}/bot",
        )
        multicast = LineMulticast(settings)
        await multicast.start()
        bot = make_bot(settings)
        await bot.initialize()

        async def ready() -> object:
            return bot

        try:
            yield Platforms(
                line,
                telegram,
                settings,
                Transports(line=multicast, telegram=TelegramSend(ready)),  # type: ignore[arg-type]
            )
        finally:
            await bot.shutdown()
            await multicast.stop()


async def bulk_subscribe(
    store: SqlStore, channel: str, ids: list[str], topic: str, area: str | None = None
) -> None:
    """Many subscribers at once (rows written directly, for batch and load tests)."""
    now = FrozenClock()()
    async with store.engine.begin() as conn:
        await conn.execute(
            insert(User),
            [
                {
                    "channel": channel,
                    "external_id": i,
                    "language": "ja",
                    "active": True,
                    "created_at": now,
                    "last_seen_at": now,
                }
                for i in ids
            ],
        )
        rows = (
            (
                await conn.execute(
                    select(User.id).where(User.channel == channel, User.external_id.in_(ids))
                )
            )
            .scalars()
            .all()
        )
        await conn.execute(
            insert(NotifySubscription),
            [
                {"user_id": r, "topic": topic, "consent_text": "consent", "consented_at": now}
                for r in rows
            ],
        )
        if area is not None:
            await conn.execute(
                insert(NotifyArea),
                [{"user_id": r, "area": area, "source": "list", "updated_at": now} for r in rows],
            )
