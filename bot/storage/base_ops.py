"""Storage ports for operating the service: backlog counts (metrics) and login throttling.

Only the SQL store implements them; a store without them raises :class:`StorageError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.storage.errors import StorageError

__all__ = ["NOT_SUPPORTED", "Backlog", "BacklogRepo"]


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


class _NotSupported:
    """What a store without these repositories hands out: every call raises."""

    async def counts(self) -> Backlog:
        msg = "this store does not count its backlog (use the SQL store)"
        raise StorageError(msg)


NOT_SUPPORTED = _NotSupported()
