"""Nothing fitted: say so honestly, suggest how to rephrase, and offer a person.

The second failure in a row hands the conversation to staff without waiting to be asked.
"""

from __future__ import annotations

from bot.choices import encode_command
from bot.handoff.values import EscalationRequest
from bot.messages import OutcomeKind, Reply
from handlers.base import Response, Turn
from handlers.handoff import WAITING, Availability
from handlers.render import entry_choice
from intents.decide import Decision

ESCALATE_AFTER = 2  # failures in a row


class FallbackHandler:
    name = "fallback"

    def __init__(self, availability: Availability) -> None:
        self.availability = availability

    async def accepts(self, turn: Turn) -> bool:
        return True

    async def handle(self, turn: Turn, found: bool) -> Response:
        failures = int(turn.state.get("failures", 0)) + 1
        turn.state["failures"] = failures
        decision = turn.decision
        confidence = decision.confidence if isinstance(decision, Decision) else 0.0
        scored = (
            tuple((c.entry_id, round(c.score, 4)) for c in decision.candidates)
            if isinstance(decision, Decision)
            else ()
        )
        if failures >= ESCALATE_AFTER:
            turn.state["failures"] = 0
            return Response(
                OutcomeKind.FALLBACK,
                (self.availability.handoff_reply(turn, "handoff_failed"),),
                confidence=confidence,
                candidates=scored,
                status=WAITING,
                escalate=EscalationRequest("failed_twice"),
                extra={"failures": failures, "reason": "failed_twice"},
            )
        staff = turn.option("choice_staff", encode_command("staff"))
        helper = turn.option("choice_help", encode_command("help"))
        suggestions = [
            entry
            for c in (decision.candidates if isinstance(decision, Decision) else ())
            if (entry := turn.knowledge.entry(c.entry_id)) is not None
        ]
        replies = [Reply(turn.say("fallback"), () if suggestions else (staff, helper))]
        if suggestions:
            choices = (*(entry_choice(turn, e) for e in suggestions), staff)
            replies.append(Reply(turn.say("suggest"), choices))
        return Response(
            OutcomeKind.FALLBACK,
            tuple(replies),
            confidence=confidence,
            candidates=scored,
            extra={"failures": failures},
        )
