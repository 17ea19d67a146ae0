"""Storage ports for operating the service: backlog counts (metrics) and login throttling.

Only the SQL store implements them; a store without them raises :class:`StorageError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Backlog", "BacklogRepo", "LoginFailureRepo"]


@dataclass(frozen=True)
class Backlog:
    """Work waiting right now, across every server process."""

    inbox: int  # platform events stored and not processed
    outbox: int  # messages waiting to be sent or retried
    escalations: int  # hand-offs not resolved


class BacklogRepo(Protocol):
    """Counts for the metrics endpoint."""

    async def counts(self) -> Backlog:
        """Return the backlog now."""
        ...


class LoginFailureRepo(Protocol):
    """Failed console logins by key (opaque strings of at most 64 characters)."""

    async def recent(
        self, keys: Sequence[str], since: dt.datetime
    ) -> dict[str, list[dt.datetime]]:
        """Return each key's failure times later than ``since``, oldest first (every key in
        ``keys`` is in the result, with an empty list when it has none)."""
        ...

    async def add(self, keys: Sequence[str], at: dt.datetime) -> None:
        """Record one failure at ``at`` against each key."""
        ...

    async def prune(self, before: dt.datetime) -> int:
        """Delete failures at or before ``before``; return how many."""
        ...
