"""A button the citizen pressed: an offered entry, or "did this help?" feedback."""

from __future__ import annotations

from bot.choices import ENTRY, FEEDBACK_YES, encode_command
from bot.messages import OutcomeKind, Reply
from handlers.base import Response, Turn, info
from handlers.render import answer, entry_choice, followups


class ChoiceHandler:
    name = "choice"

    async def accepts(self, turn: Turn) -> bool | None:
        return True if turn.choice is not None else None

    async def handle(self, turn: Turn, found: bool) -> Response:
        assert turn.choice is not None
        entry = turn.knowledge.entry(turn.choice.argument)
        if entry is None:
            return info(Reply(turn.say("stale_choice")))
        if turn.choice.action == ENTRY:
            return answer(turn, entry, confidence=1.0)
        helpful = turn.choice.action == FEEDBACK_YES
        if helpful:
            reply = Reply(turn.say("feedback_yes"))
        else:  # other answers of the same topic, and a person
            others = tuple(entry_choice(turn, e) for e in followups(turn, entry))
            staff = turn.option("choice_staff", encode_command("staff"))
            text = turn.say("feedback_no_others" if others else "feedback_no")
            reply = Reply(text, (*others, staff))
        return Response(
            OutcomeKind.INFO, (reply,), entry_id=entry.id, feedback=(entry.id, helpful)
        )
