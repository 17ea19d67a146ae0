"""Emergencies are never queued: tell the citizen to call 119/110 now, and flag the chat."""

from __future__ import annotations

from bot.messages import OutcomeKind, Reply
from handlers.base import Response, Turn


class EmergencyHandler:
    name = "emergency"

    async def accepts(self, turn: Turn) -> bool | None:
        return True if turn.knowledge.system.matches("emergency", turn.normalized) else None

    async def handle(self, turn: Turn, found: bool) -> Response:
        turn.state["emergency"] = True
        return Response(
            OutcomeKind.EMERGENCY,
            (Reply(turn.say("emergency")),),
            extra={"flag": "emergency"},
        )
