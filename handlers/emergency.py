"""Emergencies are never queued: tell the citizen to call 119/110 now, and flag the chat.

The chat is flagged for staff as an urgent escalation, but its status stays as it was: the bot
keeps answering, because nobody may be at the console to take over.
"""

from __future__ import annotations

from bot.handoff.values import EscalationRequest
from bot.messages import OutcomeKind, Reply
from handlers.base import Response, Turn

URGENT = 1


class EmergencyHandler:
    name = "emergency"

    async def accepts(self, turn: Turn) -> bool | None:
        return True if turn.knowledge.system.matches("emergency", turn.normalized) else None

    async def handle(self, turn: Turn, found: bool) -> Response:
        turn.state["emergency"] = True
        return Response(
            OutcomeKind.EMERGENCY,
            (Reply(turn.say("emergency")),),
            escalate=EscalationRequest("emergency", priority=URGENT),
            extra={"flag": "emergency"},
        )
