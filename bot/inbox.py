"""Inbound platform events: stored first, acknowledged, then processed exactly once.

    if await inbox.accept("line", event_id, event):   # False: a redelivery, already stored
        inbox.schedule("line", event_id, event)        # answered in the background

Events stored but not processed when the process stopped are processed by :meth:`resume` at the
next start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, cast

from bot.channels.base import Channel
from bot.delivery import Delivery
from bot.engine import Engine
from bot.storage.base import Store
from bot.storage.records import Channel as ChannelName

logger = logging.getLogger(__name__)


class Inbox:
    def __init__(
        self, store: Store, engine: Engine, delivery: Delivery, channels: Mapping[str, Channel]
    ) -> None:
        self.store = store
        self.engine = engine
        self.delivery = delivery
        self.channels = dict(channels)
        self._tasks: set[asyncio.Task[None]] = set()

    async def accept(self, channel: str, event_id: str, payload: Mapping[str, Any]) -> bool:
        """Persist an event; True only the first time this (channel, event id) is seen."""
        async with self.store.unit() as unit:
            return await unit.events.record(cast(ChannelName, channel), event_id, dict(payload))

    def schedule(self, channel: str, event_id: str, payload: Mapping[str, Any]) -> None:
        """Process an accepted event in the background (the webhook answers at once)."""
        task = asyncio.create_task(self.process(channel, event_id, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def process(self, channel: str, event_id: str, payload: Mapping[str, Any]) -> None:
        adapter = self.channels.get(channel)
        name = cast(ChannelName, channel)
        try:
            if adapter is None:
                msg = f"channel {channel!r} is not enabled"
                raise RuntimeError(msg)
            for incoming, recipient in adapter.parse_event(payload):
                outcome = await self.engine.handle(incoming)
                await self.delivery.deliver(channel, recipient, outcome.replies)
        except Exception as exc:
            logger.exception("%s event %s: processing failed", channel, event_id)
            async with self.store.unit() as unit:
                await unit.events.mark_failed(name, event_id, f"{type(exc).__name__}: {exc}")
            return
        async with self.store.unit() as unit:
            await unit.events.mark_done(name, event_id)

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
