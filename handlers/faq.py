"""Answer from the knowledge base: plan, FAQ, procedure guides and departments."""

from __future__ import annotations

from bot.messages import OutcomeKind, Reply
from handlers.base import NOT_HANDLED, Response, Turn, _NotHandled
from handlers.render import answer, entry_choice
from intents.decide import Decision, Verdict


class FaqHandler:
    """Confident -> the answer; close candidates -> the top three as choices."""

    name = "faq"

    async def accepts(self, turn: Turn) -> Decision | None:
        if not turn.text.strip():
            return None
        decision = await turn.knowledge.decide_async(turn.text)
        turn.decision = decision  # the fallback handler reports what was tried
        return decision if decision.verdict is not Verdict.FALLBACK else None

    async def handle(self, turn: Turn, found: Decision) -> Response | _NotHandled:
        scored = tuple((c.entry_id, round(c.score, 4)) for c in found.candidates)
        entries = [turn.knowledge.entry(c.entry_id) for c in found.candidates]
        present = [e for e in entries if e is not None]
        if not present:
            return NOT_HANDLED
        if found.verdict is Verdict.ANSWER:
            return answer(turn, present[0], found.confidence, scored)
        turn.state["failures"] = 0
        choices = tuple(entry_choice(turn, e) for e in present)
        return Response(
            OutcomeKind.CHOICES,
            (Reply(turn.say("clarify"), choices),),
            confidence=found.confidence,
            candidates=scored,
        )
