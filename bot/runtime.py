"""The composition root: every service of a running bot, built once and wired together.

    runtime = compose(settings)             # builds; opens nothing
    async with running(runtime):            # migrates, starts clients and workers; stops them
        ...

The app (``bot/app.py``) and the command line (``bot/cli.py``) are the only users of this
module; everything else is handed the services it needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.channels.base import Channel
from bot.channels.telegram import TelegramChannel
from bot.channels.web.api import WebChannel
from bot.clock import Clock, SystemClock
from bot.delivery.inbox import Inbox
from bot.delivery.outbox import Delivery
from bot.engine import Engine
from bot.events import EventBus, event_bus
from bot.handoff.escalation import EscalationService
from bot.knowledge_loop.inquiries import InquiryLog
from bot.knowledge_loop.service import KnowledgeLoop
from bot.knowledge_service import Knowledge
from bot.metrics import Metrics
from bot.notify.worker import Notifications, build_notifications
from bot.procedures.applications import ApplicationService
from bot.procedures.attachments import AttachmentStore
from bot.settings import Settings
from bot.storage.base import Store
from bot.storage.db import create_store, migrate

logger = logging.getLogger(__name__)

FLOW_SWEEP_SECONDS = 60.0  # how often unfinished flows past their time are deleted


@dataclass
class Runtime:
    """Everything a running server holds."""

    settings: Settings
    clock: Clock
    knowledge: Knowledge
    store: Store
    engine: Engine
    delivery: Delivery
    inbox: Inbox
    events: EventBus  # live updates for the staff console
    escalations: EscalationService  # hand-offs: opened by the engine, worked by the console
    applications: ApplicationService  # the console's actions on applications
    attachments: AttachmentStore  # citizens' photos (files; their rows are in the store)
    knowledge_loop: KnowledgeLoop  # staff edits of the knowledge, applied live in every process
    metrics: Metrics = field(default_factory=Metrics)  # one registry per app: GET /metrics
    channels: dict[str, Channel] = field(default_factory=dict)
    owns_store: bool = True  # migrated at start and closed at stop
    notifications: Notifications | None = None  # notices by topic and area, and their sender


def build_channels(settings: Settings) -> dict[str, Channel]:
    """The platform channels whose settings are present (the web chat needs none)."""
    channels: dict[str, Channel] = {}
    if settings.line_enabled:
        # imported only when LINE is on: line-bot-sdk alone takes seconds to import
        from bot.channels.line.channel import LineChannel

        channels["line"] = LineChannel(settings)
    if settings.telegram_enabled:
        channels["telegram"] = TelegramChannel(settings)
    channels["web"] = WebChannel()
    return channels


def compose(
    settings: Settings,
    knowledge: Knowledge | None = None,
    store: Store | None = None,
    channels: dict[str, Channel] | None = None,
    clock: Clock | None = None,
) -> Runtime:
    """Build every service; nothing is opened or started until :func:`running`."""
    knowledge = knowledge or Knowledge.load(
        settings.knowledge_dir, cache_dir=settings.index_cache_dir
    )
    owns_store = store is None
    if store is None:
        clock = clock or SystemClock()
        store = create_store(settings.database_url, clock=clock)
    clock = clock or store.clock
    if store.clock is not clock:
        msg = "the store must run on the runtime's clock: create_store(url, clock=clock)"
        raise ValueError(msg)
    channels = channels if channels is not None else build_channels(settings)
    channels.setdefault("web", WebChannel())
    metrics = Metrics()
    delivery = Delivery(store, channels, clock=clock, metrics=metrics)
    events = event_bus(settings.database_url)
    escalations = EscalationService(
        store, knowledge, events, delivery, settings.office_hours, clock=clock
    )
    attachments = AttachmentStore.from_settings(settings)
    engine = Engine(
        knowledge,
        store,
        escalations=escalations,
        attachments=attachments,
        inquiries=InquiryLog(knowledge, clock),
        clock=clock,
        metrics=metrics,
    )
    applications = ApplicationService(
        store, knowledge, events, delivery, flows=engine.flows, clock=clock
    )
    single = settings.database_url.startswith("sqlite")  # else several processes may share it
    inbox = Inbox(
        store, engine, delivery, channels, attachments, single_process=single, metrics=metrics
    )
    return Runtime(
        settings=settings,
        clock=clock,
        knowledge=knowledge,
        store=store,
        engine=engine,
        delivery=delivery,
        inbox=inbox,
        events=events,
        escalations=escalations,
        applications=applications,
        attachments=attachments,
        knowledge_loop=KnowledgeLoop(store, knowledge, events, clock),
        metrics=metrics,
        channels=channels,
        owns_store=owns_store,
        notifications=build_notifications(settings, store, clock),
    )


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
async def running(runtime: Runtime) -> AsyncIterator[Runtime]:
    """Migrate the database, open the platform clients and the workers; close them after."""
    if runtime.owns_store:
        await migrate(runtime.settings.database_url)
    await runtime.events.start()
    started: list[Channel] = []
    try:
        for channel in runtime.channels.values():
            await channel.start()
            started.append(channel)
        for line in runtime.settings.channel_report():
            logger.warning("channel %s", line)
        runtime.delivery.start()
        if runtime.notifications is not None:
            await runtime.notifications.start()
        await runtime.knowledge_loop.sync()  # the city's edits, before the first answer
        backlog = await runtime.inbox.resume()
        if backlog:
            logger.warning("%d stored webhook events are waiting to be processed", backlog)
        runtime.inbox.start()
        sweeper = asyncio.create_task(sweep_flows(runtime.engine), name="flow-sweeper")
        syncer = asyncio.create_task(runtime.knowledge_loop.run(), name="knowledge-sync")
        try:
            yield runtime
        finally:
            for task in (sweeper, syncer):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    finally:
        runtime.events.close()  # open console event streams end, so shutdown does not wait
        if runtime.notifications is not None:
            await runtime.notifications.stop()
        await runtime.inbox.stop()  # what is left stays stored for the next start
        await runtime.delivery.stop()
        for channel in reversed(started):
            await channel.stop()
        await runtime.events.stop()
        if runtime.owns_store:
            await runtime.store.close()
