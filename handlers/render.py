"""Render knowledge entries as replies, in the citizen's language."""

from __future__ import annotations

from bot.choices import encode_command, encode_entry, encode_feedback
from bot.messages import Choice, OutcomeKind, Reply
from handlers.base import Response, Turn
from knowledge.schema import Entry


def entry_text(turn: Turn, entry: Entry) -> str:
    """The answer, the guide's sections for a procedure, and the office in charge."""
    lang = turn.language
    parts = [entry.answer.get(lang)]
    guide = entry.guide
    if guide is not None:
        routes = "\n".join(
            f"・{turn.say('route_' + step.route)}：{step.how.get(lang)}"
            if lang == "ja"
            else f"- {turn.say('route_' + step.route)}: {step.how.get(lang)}"
            for step in guide.routes
        )
        parts += [
            f"{turn.say('guide_who')}\n{guide.who.get(lang)}",
            f"{turn.say('guide_routes')}\n{routes}",
            f"{turn.say('guide_needs')}\n{guide.needs.get(lang)}",
            f"{turn.say('guide_fees')}\n{guide.fees.get(lang)}",
            f"{turn.say('guide_time')}\n{guide.time.get(lang)}",
        ]
    department = turn.knowledge.entry(entry.department)
    if department is not None and entry.kind != "department":
        parts.append(turn.say("department_line", department=department.title.get(lang)))
    return "\n\n".join(parts)


def answer(
    turn: Turn, entry: Entry, confidence: float, candidates: tuple[tuple[str, float], ...] = ()
) -> Response:
    """Answer with an entry, then ask whether it helped (and offer a person when needed)."""
    turn.state["last_entry"] = entry.id
    turn.state["failures"] = 0
    feedback = [
        turn.option("choice_yes", encode_feedback(entry.id, helpful=True)),
        turn.option("choice_no", encode_feedback(entry.id, helpful=False)),
    ]
    if entry.needs_staff:
        feedback.append(turn.option("choice_staff", encode_command("staff")))
    text = entry_text(turn, entry)
    flows = turn.flows.flows_for_entry(entry.id) if turn.flows is not None else []
    if flows:  # the procedure can be done right here: say so, and offer the button
        text = f"{text}\n\n{turn.say('flow_apply_offer')}"
        feedback.append(
            turn.option("choice_flow_apply", encode_command(f"flow:start:{flows[0].id}"))
        )
    return Response(
        OutcomeKind.ANSWER,
        (Reply(text), Reply(turn.say("feedback_prompt"), tuple(feedback))),
        entry_id=entry.id,
        confidence=confidence,
        candidates=candidates,
    )


def entry_choice(turn: Turn, entry: Entry) -> Choice:
    return Choice(entry.title.get(turn.language), encode_entry(entry.id))
