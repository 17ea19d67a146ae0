"""The port the published figures read through: facts streamed from a period, no free text.

    async with store.unit() as unit:
        async for reply in unit.stats.replies(since, until):
            ...

Every fact carries timestamps, kinds and knowledge or department ids only: never a message's
text, a name, or an id that leads back to a citizen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class ReplyFact:
    """A bot reply: when, and its payload (the turn record and offered choices)."""

    at: dt.datetime
    payload: Mapping[str, Any]


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

    def replies(self, since: dt.datetime, until: dt.datetime) -> AsyncIterator[ReplyFact]:
        """Bot replies with a payload, oldest first."""
        ...

    def escalations(self, since: dt.datetime, until: dt.datetime) -> AsyncIterator[EscalationFact]:
        """Escalations opened in the period, with their first staff reply."""
        ...

    def applications(
        self, since: dt.datetime, until: dt.datetime
    ) -> AsyncIterator[ApplicationFact]:
        """Applications created or closed in the period."""
        ...
