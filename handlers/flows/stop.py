"""How a flow ends early: cancelled, expired, or handed to a member of staff."""

from __future__ import annotations

import logging

from bot.handoff.values import EscalationRequest
from bot.messages import OutcomeKind, Reply
from handlers.base import Response, Turn
from handlers.flows.state import FlowServices, discard, flow_choice, flow_command
from handlers.handoff import WAITING, Availability
from handlers.render import answer
from intents.decide import Verdict
from knowledge.flow_schema import Flow

logger = logging.getLogger(__name__)


async def expire(turn: Turn, services: FlowServices, flow: Flow) -> Response:
    """The flow was left too long: its data is gone; a question sent now is still answered."""
    await discard(services, turn.state)
    minutes = str(flow.expires_after_minutes)
    notice = Reply(
        turn.say("flow_expired", title=flow.title.get(turn.language), minutes=minutes),
        (flow_choice(turn, "choice_flow_restart", f"start:{flow.id}"),),
    )
    logger.info("flow %s expired at the next message", flow.id)
    if turn.text.strip() and flow_command(turn) is None:
        decision = await turn.knowledge.decide_async(turn.text)
        entry = (
            turn.knowledge.entry(decision.candidates[0].entry_id)
            if (decision.verdict is Verdict.ANSWER and decision.candidates)
            else None
        )
        if entry is not None:
            answered = answer(turn, entry, decision.confidence)
            return Response(
                answered.kind,
                (notice, *answered.replies),
                entry_id=entry.id,
                confidence=decision.confidence,
            )
    return Response(OutcomeKind.INFO, (notice,), extra={"flow": flow.id, "expired": True})


async def cancel(turn: Turn, services: FlowServices, flow: Flow) -> Response:
    """やめる: the answers and photos so far are deleted."""
    await discard(services, turn.state)
    turn.state.pop("last_choices", None)
    logger.info("flow %s cancelled", flow.id)
    text = turn.say("flow_cancelled", title=flow.title.get(turn.language))
    return Response(OutcomeKind.INFO, (Reply(text),), extra={"flow": flow.id})


async def hand_off(
    turn: Turn, services: FlowServices, availability: Availability, flow: Flow
) -> Response:
    """The citizen wants a person: the flow ends and the chat is queued for staff."""
    await discard(services, turn.state)
    entry = turn.knowledge.entry(flow.entry_id)
    request = EscalationRequest(
        "procedure", category=entry.category if entry else None, entry_id=flow.entry_id
    )
    return Response(
        OutcomeKind.HANDOFF,
        (availability.handoff_reply(turn, "flow_handoff"),),
        status=WAITING,
        escalate=request,
        extra={"reason": "procedure", "flow": flow.id},
    )
