"""What one bot turn leaves in the stored reply, so that the published figures can count it.

The engine merges :func:`turn_record` into the payload of the first reply it stores for a
turn; :func:`read_record` reads it back. Only outcome kinds and knowledge ids are kept, never
the citizen's words::

    {"outcome": "answer", "entry_id": "faq.snow.plowing", "category": "snow"}
    {"outcome": "fallback", "escalated": true}       # two failures: staff take over
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handlers.base import Response
    from knowledge.loader import KnowledgeBase

OUTCOME = "outcome"
ENTRY = "entry_id"
CATEGORY = "category"
ESCALATED = "escalated"


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """One citizen turn as the figures see it."""

    outcome: str  # an OutcomeKind value
    entry_id: str | None = None
    category: str | None = None
    escalated: bool = False  # the turn handed the conversation to staff


def turn_record(
    response: Response, kb: KnowledgeBase, last_entry: str | None = None
) -> dict[str, Any]:
    """The keys to merge into the first stored reply of a turn.

    A hand-off without an entry of its own is filed, as the escalation is routed, under the
    entry the citizen last got (``last_entry``).
    """
    request = response.escalate
    entry_id = response.entry_id or (request.entry_id if request is not None else None)
    if request is not None and entry_id is None and request.category is None:
        entry_id = last_entry
    category = request.category if request is not None else None
    if entry_id is None and response.kind.value == "choices" and response.candidates:
        # the best candidate's area; a fallback's candidates are too weak to name one
        top = kb.entries.get(response.candidates[0][0])
        category = category or (top.category if top is not None else None)
    entry = kb.entries.get(entry_id) if entry_id else None
    if entry is not None:
        category = category or entry.category
    record: dict[str, Any] = {OUTCOME: response.kind.value}
    if entry is not None:
        record[ENTRY] = entry.id
    if category:
        record[CATEGORY] = category
    if request is not None:
        record[ESCALATED] = True
    return record


def read_record(payload: Mapping[str, Any] | None) -> TurnRecord | None:
    """The turn record in a stored reply's payload, or ``None`` (later replies, old rows)."""
    if not payload or not isinstance(payload.get(OUTCOME), str):
        return None
    entry = payload.get(ENTRY)
    category = payload.get(CATEGORY)
    return TurnRecord(
        outcome=str(payload[OUTCOME]),
        entry_id=entry if isinstance(entry, str) else None,
        category=category if isinstance(category, str) else None,
        escalated=payload.get(ESCALATED) is True,
    )
