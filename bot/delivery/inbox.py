"""Inbound platform events: stored first, acknowledged, then processed exactly once.

    if await inbox.accept("line", event_id, event):   # False: a redelivery, already stored
        inbox.schedule("line", event_id, event)        # answered in the background

Events stored but not processed when the process stopped are processed by :meth:`resume` at the
next start. A photo message from a channel that is a :class:`bot.procedures.photos.PhotoSource` is
downloaded and kept as an attachment between parsing and the engine (:meth:`Inbox.prepare`),
outside any transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any, cast

from bot.channels.base import Channel
from bot.delivery.keyed_lock import KeyedLock
from bot.delivery.outbox import Delivery
from bot.engine import Engine
from bot.messages import Incoming
from bot.metrics import Metrics
from bot.procedures.attachments import AttachmentStore
from bot.procedures.photos import PhotoSource, fetch_photo
from bot.storage.base import Store
from bot.storage.records import Channel as ChannelName

logger = logging.getLogger(__name__)


class Inbox:
    """Stores platform events, then parses and answers each exactly once.

    Args:
        attachments: where downloaded photos are kept; without it, photo messages reach the
            engine with the platform's reference only.
    """

    def __init__(
        self,
        store: Store,
        engine: Engine,
        delivery: Delivery,
        channels: Mapping[str, Channel],
        attachments: AttachmentStore | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics or Metrics()
        self.engine = engine
        self.delivery = delivery
        self.channels = dict(channels)
        self.attachments = attachments
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks = KeyedLock()

    async def accept(self, channel: str, event_id: str, payload: Mapping[str, Any]) -> bool:
        """Persist an event; True only the first time this (channel, event id) is seen."""
        async with self.store.unit() as unit:
            new = await unit.events.record(cast(ChannelName, channel), event_id, dict(payload))
        if new:
            self.metrics.event_received(channel)
        return new

    def schedule(self, channel: str, event_id: str, payload: Mapping[str, Any]) -> None:
        """Process an accepted event in the background (the webhook answers at once)."""
        task = asyncio.create_task(self.process(channel, event_id, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def process(self, channel: str, event_id: str, payload: Mapping[str, Any]) -> None:
        adapter = self.channels.get(channel)
        name = cast(ChannelName, channel)
        started = time.perf_counter()
        try:
            if adapter is None:
                msg = f"channel {channel!r} is not enabled"
                raise RuntimeError(msg)
            for parsed, recipient in adapter.parse_event(payload):
                # Taken before the first await: one citizen's messages reach the engine in the
                # order they arrived, even when a photo before a text is still downloading.
                async with self._locks.hold((parsed.channel, parsed.user_id)):
                    incoming = await self.prepare(adapter, parsed)
                    outcome = await self.engine.handle(incoming)
                await self.delivery.deliver(channel, recipient, outcome.replies)
        except Exception as exc:
            logger.exception("%s event %s: processing failed", channel, event_id)
            self.metrics.event_processed(channel, False, time.perf_counter() - started)
            async with self.store.unit() as unit:
                await unit.events.mark_failed(name, event_id, f"{type(exc).__name__}: {exc}")
            return
        self.metrics.event_processed(channel, True, time.perf_counter() - started)
        async with self.store.unit() as unit:
            await unit.events.mark_done(name, event_id)

    async def prepare(self, adapter: Channel, incoming: Incoming) -> Incoming:
        """The message as the engine should see it: a photo fetched and kept first.

        Runs after parsing and before the engine, with no transaction open, so a slow platform
        holds up only this citizen's message.
        """
        if self.attachments is None or not isinstance(adapter, PhotoSource):
            return incoming
        return await fetch_photo(adapter, incoming, self.store, self.attachments)

    async def resume(self) -> int:
        """Process events that were stored but not processed (e.g. the process died)."""
        async with self.store.unit() as unit:
            pending = await unit.events.pending()
        for event in pending:
            logger.info("%s event %s: resuming after restart", event.channel, event.event_id)
            await self.process(event.channel, event.event_id, event.payload)
        return len(pending)

    async def drain(self) -> None:
        """Wait for scheduled events to finish (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
