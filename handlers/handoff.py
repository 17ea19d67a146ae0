"""Hand-off to a person, and the way back to the bot.

Hand-off is a status, not a flag soup: ``bot -> waiting -> staff -> bot | closed``. A handler
only asks for the escalation (:class:`bot.handoff.escalation.EscalationRequest`); the engine
records it.
What the citizen is promised depends on the office hours: staff soon, or after the next opening.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.choices import encode_feedback
from bot.clock import Clock
from bot.handoff.office_hours import OfficeHours
from bot.handoff.values import EscalationRequest
from bot.messages import OutcomeKind, Reply
from handlers.base import Response, Turn

BOT, WAITING, STAFF, CLOSED = "bot", "waiting", "staff", "closed"


@dataclass(frozen=True)
class Availability:
    """When staff can answer, said honestly in the citizen's language."""

    hours: OfficeHours
    clock: Clock

    def text(self, turn: Turn) -> str:
        now = self.clock()
        if self.hours.is_open(now):
            return turn.say("staff_soon")
        return turn.say("staff_after_hours", when=opening_text(turn, self.hours.next_opening(now)))

    def handoff_reply(self, turn: Turn, intro: str) -> Reply:
        """The intro, when staff will answer, and how to get the bot back."""
        return Reply("\n".join((turn.say(intro), self.text(turn), turn.say("handoff_hint"))))


def opening_text(turn: Turn, at: dt.datetime) -> str:
    """``12月1日（火）8:45`` / ``8:45 on Tuesday, December 1``."""
    weekday = turn.say("weekday_names").split()[at.weekday()]
    month = turn.say("month_names").split()[at.month - 1]
    return turn.say(
        "opening_time",
        month=month,
        day=str(at.day),
        weekday=weekday,
        time=f"{at.hour}:{at.minute:02d}",
    )


def requested(turn: Turn) -> EscalationRequest:
    """An explicit request; ``needs_staff`` when it follows an answer that needs a person."""
    last = turn.state.get("last_entry")
    entry = turn.knowledge.entry(str(last)) if last else None
    offered = turn.state.get("last_choices") or []
    if (
        entry is not None
        and entry.needs_staff
        and encode_feedback(entry.id, helpful=True) in offered
    ):
        return EscalationRequest("needs_staff", category=entry.category, entry_id=entry.id)
    return EscalationRequest("requested")


class HandoffHandler:
    """An explicit request for a person (any wording, /staff, the menu's button)."""

    name = "handoff"

    def __init__(self, availability: Availability) -> None:
        self.availability = availability

    async def accepts(self, turn: Turn) -> bool | None:
        if turn.command == "staff":
            return True
        return True if turn.knowledge.system.matches("handoff", turn.normalized) else None

    async def handle(self, turn: Turn, found: bool) -> Response:
        turn.state["failures"] = 0
        if turn.status in (WAITING, STAFF):
            return Response(OutcomeKind.HANDOFF, (Reply(turn.say("handoff_already")),))
        request = requested(turn)
        return Response(
            OutcomeKind.HANDOFF,
            (self.availability.handoff_reply(turn, "handoff"),),
            status=WAITING,
            escalate=request,
            extra={"reason": request.reason},
        )


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
