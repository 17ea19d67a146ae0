"""A complaint about the city or its service goes to a person, with an apology.

Complaints are recognised by the ``complaint`` rules (苦情, クレーム, 納得できない, …); the rules
leave out reports about neighbours' noise or smells, which the knowledge base answers.
"""

from __future__ import annotations

from bot.handoff.values import EscalationRequest
from bot.messages import OutcomeKind
from handlers.base import Response, Turn
from handlers.handoff import WAITING, Availability


class ComplaintHandler:
    name = "complaint"

    def __init__(self, availability: Availability) -> None:
        self.availability = availability

    async def accepts(self, turn: Turn) -> bool | None:
        if not turn.text.strip():
            return None
        return True if turn.knowledge.system.matches("complaint", turn.normalized) else None

    async def handle(self, turn: Turn, found: bool) -> Response:
        turn.state["failures"] = 0
        return Response(
            OutcomeKind.HANDOFF,
            (self.availability.handoff_reply(turn, "complaint"),),
            status=WAITING,
            escalate=EscalationRequest("complaint"),
            extra={"reason": "complaint"},
        )
