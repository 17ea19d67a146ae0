"""Hand-off to a person, and the way back to the bot.

Hand-off is a status, not a flag soup: ``bot -> waiting -> staff -> bot | closed``.
"""

from __future__ import annotations

from bot.messages import OutcomeKind, Reply
from handlers.base import Response, Turn

BOT, WAITING, STAFF, CLOSED = "bot", "waiting", "staff", "closed"


class HandoffHandler:
    """An explicit request for a person (any wording, /staff, the menu's button)."""

    name = "handoff"

    async def accepts(self, turn: Turn) -> bool | None:
        if turn.command == "staff":
            return True
        return True if turn.knowledge.system.matches("handoff", turn.normalized) else None

    async def handle(self, turn: Turn, found: bool) -> Response:
        turn.state["failures"] = 0
        if turn.status in (WAITING, STAFF):
            return Response(OutcomeKind.HANDOFF, (Reply(turn.say("handoff_already")),))
        return Response(OutcomeKind.HANDOFF, (Reply(turn.say("handoff")),), status=WAITING)


class BotBackHandler:
    """The citizen asks for the automatic replies again while waiting for staff."""

    name = "bot_back"

    async def accepts(self, turn: Turn) -> bool | None:
        if turn.status not in (WAITING, STAFF):
            return None
        if turn.command == "bot" or turn.knowledge.system.matches("bot_back", turn.normalized):
            return True
        return None

    async def handle(self, turn: Turn, found: bool) -> Response:
        return Response(OutcomeKind.INFO, (Reply(turn.say("bot_back")),), status=BOT)


class StaffQuietHandler:
    """While staff have the conversation the bot says nothing (the message is stored)."""

    name = "staff_quiet"

    async def accepts(self, turn: Turn) -> bool | None:
        return True if turn.status in (WAITING, STAFF) else None

    async def handle(self, turn: Turn, found: bool) -> Response:
        return Response(OutcomeKind.QUIET, ())
