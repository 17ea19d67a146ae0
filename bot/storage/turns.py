"""Turns at a single-writer database (SQLite): one transaction at a time, urgent ones first.

SQLite lets one connection write at a time; a second writer sleeps in SQLite's busy handler,
which backs off in steps of up to 100 ms and is first come, first served only by luck. Taking
turns in the event loop instead costs nothing while the database is idle, and lets the
transaction someone is waiting on (a webhook's acknowledgement) go before queued background
work (answering, sending) when the process is saturated.

A task that already holds the turn does not queue again (a unit opened inside a unit).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
from collections.abc import AsyncIterator

__all__ = ["Turns"]


class Turns:
    """A lock with two queues: urgent waiters are served before the others."""

    def __init__(self) -> None:
        self._busy = False
        self._urgent: collections.deque[asyncio.Future[None]] = collections.deque()
        self._normal: collections.deque[asyncio.Future[None]] = collections.deque()
        self._holding: contextvars.ContextVar[bool] = contextvars.ContextVar(
            f"turn-{id(self)}", default=False
        )

    @contextlib.asynccontextmanager
    async def turn(self, *, urgent: bool = False) -> AsyncIterator[None]:
        """Hold the database's one writer slot for the duration of the block."""
        if self._holding.get():
            yield
            return
        await self._acquire(urgent)
        token = self._holding.set(True)
        try:
            yield
        finally:
            self._holding.reset(token)
            self._release()

    async def _acquire(self, urgent: bool) -> None:
        if not self._busy and not self._urgent and not self._normal:
            self._busy = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._normal
        queue.append(waiter)
        try:
            await waiter  # resolved by _release with the slot already ours
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # the slot was handed over as we were cancelled: pass it on
            else:
                queue.remove(waiter)
            raise

    def _release(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the slot passes straight to the next waiter
                    return
        self._busy = False
