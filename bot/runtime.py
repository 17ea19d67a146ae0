"""Everything a running server holds, built in the ASGI lifespan and torn down with it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.attachments import AttachmentStore
from bot.channels.base import Channel
from bot.delivery import Delivery
from bot.engine import Engine
from bot.escalation import EscalationService
from bot.events import EventBus
from bot.inbox import Inbox
from bot.knowledge_service import Knowledge
from bot.settings import Settings
from bot.storage.base import Store
from bot.storage.db import create_store, migrate

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    knowledge: Knowledge
    store: Store
    engine: Engine
    delivery: Delivery
    inbox: Inbox
    events: EventBus  # live updates for the staff console
    escalations: EscalationService  # hand-offs: opened by the engine, worked by the console
    attachments: AttachmentStore  # citizens' photos (files; their rows are in the store)
    channels: dict[str, Channel] = field(default_factory=dict)


def build_channels(settings: Settings) -> dict[str, Channel]:
    """The platform channels whose settings are present (the web chat needs none)."""
    channels: dict[str, Channel] = {}
    if settings.line_enabled:
        from bot.channels.line import LineChannel

        channels["line"] = LineChannel(settings)
    if settings.telegram_enabled:
        from bot.channels.telegram import TelegramChannel

        channels["telegram"] = TelegramChannel(settings)
    from bot.channels.web import WebChannel

    channels["web"] = WebChannel()
    return channels


FLOW_SWEEP_SECONDS = 60.0  # how often unfinished flows past their time are deleted


async def sweep_flows(engine: Engine, interval: float = FLOW_SWEEP_SECONDS) -> None:
    """Delete abandoned flows' partial answers and photos, until cancelled."""
    while True:
        await asyncio.sleep(interval)
        try:
            deleted = await engine.sweep_flows()
        except Exception:
            logger.exception("flow sweep failed; trying again later")
            continue
        if deleted:
            logger.info("deleted %d unfinished flows past their time", deleted)


@asynccontextmanager
async def running(
    settings: Settings,
    knowledge: Knowledge | None = None,
    store: Store | None = None,
    channels: dict[str, Channel] | None = None,
) -> AsyncIterator[Runtime]:
    """Open the database, the platform clients and the outbox worker; close them after."""
    knowledge = knowledge or Knowledge.load(settings.knowledge_dir)
    own_store = store is None
    if store is None:
        await migrate(settings.database_url)
        store = create_store(settings.database_url)
    channels = channels if channels is not None else build_channels(settings)
    delivery = Delivery(store, channels)
    events = EventBus()
    escalations = EscalationService(store, knowledge, events, delivery, settings.office_hours)
    attachments = AttachmentStore.from_settings(settings)
    engine = Engine(knowledge, store, escalations=escalations, attachments=attachments)
    inbox = Inbox(store, engine, delivery, channels, attachments)
    runtime = Runtime(
        settings,
        knowledge,
        store,
        engine,
        delivery,
        inbox,
        events,
        escalations,
        attachments,
        channels,
    )
    started: list[Channel] = []
    try:
        for channel in channels.values():
            await channel.start()
            started.append(channel)
        for line in settings.channel_report():
            logger.warning("channel %s", line)
        delivery.start()
        resumed = await inbox.resume()
        if resumed:
            logger.warning("processed %d webhook events left over from the last run", resumed)
        sweeper = asyncio.create_task(sweep_flows(engine), name="flow-sweeper")
        try:
            yield runtime
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
    finally:
        events.close()  # open console event streams end, so shutdown does not wait on them
        await inbox.drain()
        await delivery.stop()
        for channel in reversed(started):
            await channel.stop()
        if own_store:
            await store.close()
