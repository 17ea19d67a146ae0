"""The port the published figures read through: facts streamed from a period, no free text.

    async with store.unit() as unit:
        counts = await unit.stats.turn_counts(since, until)     # counted in the database
        async for escalation in unit.stats.escalations(since, until):
            ...

Every fact carries timestamps, kinds and knowledge or department ids only: never a message's
text, a name, or an id that leads back to a citizen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class TurnCount:
    """How many bot turns of one kind (see :mod:`bot.stats.record`) fell in a period."""

    outcome: str
    entry_id: str | None
    category: str | None
    escalated: bool
    count: int


@dataclass(frozen=True, slots=True)
class EscalationFact:
    """A hand-off to staff and the first staff reply to the citizen after it, if any."""

    created_at: dt.datetime
    first_reply_at: dt.datetime | None
    reason: str
    category: str | None
    department: str


@dataclass(frozen=True, slots=True)
class ApplicationFact:
    """An application: its procedure, department, status and when it came and closed."""

    flow_id: str
    department: str
    status: str
    created_at: dt.datetime
    closed_at: dt.datetime | None


class StatsRepo(Protocol):
    """Read-only streams for the published figures, each over ``[since, until)``."""

    async def turn_counts(self, since: dt.datetime, until: dt.datetime) -> list[TurnCount]:
        """Bot turns in the period, counted by outcome, entry, area and hand-off."""
        ...

    def escalations(self, since: dt.datetime, until: dt.datetime) -> AsyncIterator[EscalationFact]:
        """Escalations opened in the period, with their first staff reply."""
        ...

    def applications(
        self, since: dt.datetime, until: dt.datetime
    ) -> AsyncIterator[ApplicationFact]:
        """Applications created or closed in the period."""
        ...
