"""In-process publish/subscribe for live updates (the staff console's event stream).

    bus = EventBus()
    async with bus.subscribe() as queue:      # one queue per listener
        event = await queue.get()             # {"kind": "escalation", "id": 7, ...}
    bus.publish("escalation", {"id": 7})      # never blocks; slow listeners drop old events

One process, no broker: enough for one server. Several server processes would need a broker
(PostgreSQL LISTEN/NOTIFY, Redis) behind the same two methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

logger = logging.getLogger(__name__)

QUEUE_SIZE = 100


class EventBus:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self.closed = asyncio.Event()

    def publish(self, kind: str, data: dict[str, Any] | None = None) -> None:
        event = {"kind": kind, **(data or {})}
        for queue in list(self._queues):
            if queue.full():  # a stalled listener loses its oldest event, never blocks others
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    def close(self) -> None:
        """Tell listeners (event streams) to finish, so that shutdown does not hang."""
        self.closed.set()

    @property
    def listeners(self) -> int:
        return len(self._queues)
