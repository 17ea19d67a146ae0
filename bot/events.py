"""Live updates (the staff console's event stream): in-process, or shared through PostgreSQL.

    bus = event_bus(settings.database_url)    # PostgreSQL: LISTEN/NOTIFY; SQLite: in-process
    await bus.start()
    async with bus.subscribe() as queue:      # one queue per listener
        event = await queue.get()             # {"kind": "escalation", "id": 7, ...}
    bus.publish("escalation", {"id": 7})      # never blocks; slow listeners drop old events

On PostgreSQL every server process listens on one channel and every publish is a NOTIFY, so a
case opened through one process reaches a console connected to another; the publishing process
hears its own notification like the others. On SQLite (one server process) events stay in the
process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from sqlalchemy import make_url

from bot.waiting import wait_at_most

logger = logging.getLogger(__name__)

QUEUE_SIZE = 100
CHANNEL = "citybot_events"
MAX_PAYLOAD = 7900  # bytes; PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
RECONNECT_SECONDS = 2.0


class EventBus:
    """In-process publish/subscribe: enough for one server process."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self.closed = asyncio.Event()

    async def start(self) -> None:
        """Open what the bus needs (nothing for the in-process bus)."""

    async def stop(self) -> None:
        """Release what :meth:`start` opened."""

    def publish(self, kind: str, data: dict[str, Any] | None = None) -> None:
        self._deliver({"kind": kind, **(data or {})})

    def _deliver(self, event: dict[str, Any]) -> None:
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


class PostgresEventBus(EventBus):
    """The same bus across every process on one PostgreSQL database (LISTEN/NOTIFY).

    ``publish`` queues a NOTIFY and returns at once; a connection of its own listens and hands
    each notification (its own process's included) to the local subscribers.
    """

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self._dsn = _asyncpg_dsn(database_url)
        self._outgoing: asyncio.Queue[str] = asyncio.Queue()
        self._connection: asyncpg.Connection | None = None
        self._sender: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._connect()
        self._sender = asyncio.create_task(self._send_forever(), name="event-bus-notify")

    async def stop(self) -> None:
        if self._sender is not None:
            await wait_at_most(1.0, self._outgoing.join())  # let queued events out, briefly
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)
            self._sender = None
        await self._disconnect()

    def publish(self, kind: str, data: dict[str, Any] | None = None) -> None:
        event = {"kind": kind, **(data or {})}
        payload = json.dumps(event, ensure_ascii=False, default=str)
        if len(payload.encode("utf-8")) > MAX_PAYLOAD:  # keep what tells listeners to re-read
            payload = json.dumps({k: event[k] for k in ("kind", "id") if k in event})
        self._outgoing.put_nowait(payload)

    async def _connect(self) -> None:
        connection = await asyncpg.connect(self._dsn)
        await connection.add_listener(CHANNEL, self._heard)
        self._connection = connection

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.remove_listener(CHANNEL, self._heard)
            await connection.close()

    def _heard(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            event = json.loads(payload)
        except ValueError:
            logger.warning("event bus: ignored a notification that is not JSON")
            return
        if isinstance(event, dict):
            self._deliver(event)

    async def _send_forever(self) -> None:
        while True:
            payload = await self._outgoing.get()
            try:
                await self._notify(payload)
            finally:
                self._outgoing.task_done()

    async def _notify(self, payload: str) -> None:
        """Send one NOTIFY, reconnecting once the database is back (events are not vital)."""
        while True:
            try:
                if self._connection is None or self._connection.is_closed():
                    await self._disconnect()
                    await self._connect()
                assert self._connection is not None
                await self._connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
                return
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                logger.warning("event bus: NOTIFY failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(RECONNECT_SECONDS)


def _asyncpg_dsn(database_url: str) -> str:
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def event_bus(database_url: str) -> EventBus:
    """The bus for this database: shared through PostgreSQL, else in-process."""
    if make_url(database_url).get_backend_name() == "postgresql":
        return PostgresEventBus(database_url)
    return EventBus()
