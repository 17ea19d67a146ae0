"""Pacing sends under a platform's rate limits: an overall rate and a per-chat interval."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Pace:
    """At most ``rate`` starts per second overall (``None``: no limit); :meth:`hold` pauses all.

    pace = Pace(30)             # Telegram: about 30 messages a second
    await pace.wait()
    """

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._clock = clock
        self._next = 0.0

    async def wait(self) -> None:
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def hold(self, seconds: float) -> None:
        """Nobody starts before ``seconds`` from now (a 429 with ``retry_after``)."""
        self._next = max(self._next, self._clock() + seconds)


class ChatGate:
    """At most one message per chat per ``interval`` seconds (memory bounded by pruning)."""

    def __init__(self, interval: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}

    async def wait(self, chat: str) -> None:
        now = self._clock()
        last = self._last.get(chat)
        if last is not None and now - last < self.interval:
            await asyncio.sleep(self.interval - (now - last))
        self._last[chat] = self._clock()
        if len(self._last) > 10_000:
            cutoff = self._clock() - self.interval
            self._last = {k: v for k, v in self._last.items() if v >= cutoff}
