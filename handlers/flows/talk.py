"""Messages during a flow that are not answers: a trigger, 「次へ」, or a question in between.

An unrelated question is answered (or its candidates offered) and the citizen is asked whether
to carry on with the flow; the flow is marked ``paused`` meanwhile.
"""

from __future__ import annotations

from typing import Any

from bot.messages import Kind, OutcomeKind, Reply
from handlers.base import Response, Turn
from handlers.flows.answers import looks_like_question
from handlers.flows.state import FlowServices, flow_choice, flow_command
from handlers.render import answer, entry_choice
from intents.decide import Verdict
from intents.normalize import normalize
from knowledge.flow_schema import Flow

# An invalid answer shorter than this ("たくさん") is a try at answering, not another question,
# unless it is asked as a question.
MIN_INTERRUPTION = 5


def rules_next(turn: Turn) -> bool:
    """「次へ」/"next" typed after sending photos."""
    return bool(turn.text) and turn.knowledge.system.matches("flow_next", turn.normalized)


def find_flow(services: FlowServices, text: str) -> Flow | None:
    """The flow a message asks to start: one of its triggers, said alone or inside a sentence."""
    found = services.catalog.named_in(text)
    return found if isinstance(found, Flow) else None


async def unrelated_question(
    turn: Turn, flow: Flow, record: dict[str, Any], strict: bool
) -> Response | None:
    """An unrelated question: answered, then the citizen may continue or stop."""
    text = turn.text.strip()
    if not text or turn.incoming.kind is not Kind.TEXT or flow_command(turn) is not None:
        return None
    asked = looks_like_question(text)
    decision = await turn.knowledge.decide_async(text)
    entries = [
        e for c in decision.candidates if (e := turn.knowledge.entry(c.entry_id)) is not None
    ]
    wordy = len(normalize(text)) >= MIN_INTERRUPTION
    if decision.verdict is Verdict.ANSWER and entries and (asked or (wordy and not strict)):
        return interrupted(turn, flow, record, answer(turn, entries[0], decision.confidence))
    if asked and not strict:
        if decision.verdict is Verdict.CLARIFY and entries:
            choices = tuple(entry_choice(turn, e) for e in entries)
            reply = Reply(turn.say("clarify"), choices)
        else:
            reply = Reply(turn.say("flow_question_unknown"))
        response = Response(OutcomeKind.CHOICES, (reply,))
        return interrupted(turn, flow, record, response)
    return None


def interrupted(turn: Turn, flow: Flow, record: dict[str, Any], answered: Response) -> Response:
    record["paused"] = True
    offer = Reply(
        turn.say("flow_paused", title=flow.title.get(turn.language)),
        (
            flow_choice(turn, "choice_flow_continue", "continue"),
            flow_choice(turn, "choice_flow_cancel", "cancel"),
        ),
    )
    return Response(
        answered.kind,
        (*answered.replies, offer),
        entry_id=answered.entry_id,
        confidence=answered.confidence,
        extra={"flow": flow.id, "interrupted": True},
    )
