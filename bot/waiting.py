"""Waiting for a wake-up, at most so long, in a way that stopping the waiter always ends it.

    while True:
        ...one round of work...
        self._wake.clear()
        await wait_at_most(self.poll_interval, self._wake.wait())   # a wake-up or the poll

Background workers must not use ``asyncio.wait_for`` for this on Python 3.11: when the task
is cancelled just as the awaited thing completes (a worker woken by its own traffic, as it
is stopped), ``wait_for`` returns the result and drops the cancellation (CPython gh-86296,
fixed in 3.12). The worker's loop then goes on, and whoever awaits it after cancelling it
(``stop()``, an app's shutdown) waits forever. ``asyncio.timeout`` keeps the cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable


async def wait_at_most(seconds: float, awaitable: Awaitable[object]) -> bool:
    """Await ``awaitable`` for at most ``seconds``; whether it finished in time.

    A cancellation of the caller is never lost, even one that arrives as it finishes.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await awaitable
            return True
    return False
