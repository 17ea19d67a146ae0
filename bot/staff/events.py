"""``GET /staff/events``: the live stream behind the queue and the conversation page.

Server-sent events: one ``data:`` line of JSON per change on the :class:`bot.events.EventBus`
(only escalations the clerk may see), and a comment line every :data:`HEARTBEAT` seconds so a
vanished client is noticed. The stream ends when the client goes away (Starlette cancels it)
or when the bus closes at shutdown, so stopping the server never waits on an open page.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from bot.events import EventBus
from bot.staff.auth import StaffUser
from bot.staff.http import SECURITY_HEADERS, services

logger = logging.getLogger(__name__)

HEARTBEAT = 15.0  # seconds
RETRY_MS = 3000  # how soon the browser reconnects after a drop


def _visible(event: dict[str, Any], staff: StaffUser) -> bool:
    department = event.get("department")
    return department is None or staff.may_see(str(department))


async def stream(
    bus: EventBus, staff: StaffUser, heartbeat: float = HEARTBEAT
) -> AsyncIterator[str]:
    """The event stream for one clerk, until the bus closes."""
    async with bus.subscribe() as queue:
        yield f"retry: {RETRY_MS}\n: connected\n\n"
        closed = asyncio.create_task(bus.closed.wait())
        getter: asyncio.Task[dict[str, Any]] | None = None
        try:
            while not bus.closed.is_set():
                if getter is None:
                    getter = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait(
                    {getter, closed}, timeout=heartbeat, return_when=asyncio.FIRST_COMPLETED
                )
                if not done:
                    yield ": keep-alive\n\n"
                elif getter in done:
                    event = getter.result()
                    getter = None
                    if _visible(event, staff):
                        yield f"data: {json.dumps(event, ensure_ascii=False)}\n\n"
        finally:
            for task in (getter, closed):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task


async def events(request: Request, staff: StaffUser) -> Response:
    bus: EventBus = services(request).events
    headers = {**SECURITY_HEADERS, "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(bus, staff), media_type="text/event-stream", headers=headers)
