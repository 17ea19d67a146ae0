"""The one clock: every timestamp and every comparison with "now" asks it.

    clock = SystemClock()          # production
    clock = FrozenClock(MONDAY_10) # tests: clock.advance(hours=8)

Services, repositories and the console take a :class:`Clock` when the app is composed, so
a test that freezes it moves every part of the bot to the same moment.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """Returns the current time as an aware UTC datetime."""

    def __call__(self) -> dt.datetime: ...


class SystemClock:
    """The machine's clock, in UTC."""

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FrozenClock:
    """A clock for tests and benchmarks: it stands still at the time it is set to.

    Built without a time, it follows the system clock until :meth:`set` is first called.
    """

    def __init__(self, at: dt.datetime | None = None) -> None:
        self.at = None if at is None else _aware(at)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) if self.at is None else self.at

    def set(self, at: dt.datetime) -> None:
        """Stop the clock at ``at``."""
        self.at = _aware(at)

    def advance(self, **delta: float) -> None:
        """Move the clock on by ``datetime.timedelta(**delta)`` (stopping it where it is)."""
        self.at = self() + dt.timedelta(**delta)


def _aware(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        msg = f"the clock needs an aware datetime, not {at!r}"
        raise ValueError(msg)
    return at.astimezone(dt.UTC)
