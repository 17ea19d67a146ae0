"""Render knowledge entries as replies, in the citizen's language."""

from __future__ import annotations

from collections.abc import Iterable

from bot.choices import encode_command, encode_entry, encode_feedback
from bot.messages import Choice, OutcomeKind, Reply
from handlers.base import Response, Turn
from handlers.flows.state import FLOW_KEY
from knowledge.schema import Entry

MAX_FOLLOWUPS = 3  # related entries offered as buttons under an answer


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
    replies = [Reply(text), Reply(turn.say("feedback_prompt"), tuple(feedback))]
    more = followups(turn, entry) if FLOW_KEY not in turn.state else []
    if more:  # what citizens often want next: 郵送で請求する, コンビニで取る …
        replies.append(
            Reply(turn.say("followup_prompt"), tuple(entry_choice(turn, e) for e in more))
        )
    return Response(
        OutcomeKind.ANSWER,
        tuple(replies),
        entry_id=entry.id,
        confidence=confidence,
        candidates=candidates,
    )


def entry_choice(turn: Turn, entry: Entry) -> Choice:
    return Choice(entry.title.get(turn.language), encode_entry(entry.id))


def followups(turn: Turn, entry: Entry) -> list[Entry]:
    """Up to :data:`MAX_FOLLOWUPS` entries to offer after ``entry``.

    The matcher's follow-ups when its decision carries them for this entry, else the entry's
    ``related`` list, then the entries that list it as related (a procedure guide and the FAQ
    of the same topic point at each other).
    """
    ids = _decided_followups(turn, entry)
    if not ids:
        ids = [*entry.related, *turn.knowledge.kb.linking.get(entry.id, ())]
    found: list[Entry] = []
    for entry_id in ids:
        other = turn.knowledge.entry(entry_id)
        if other is not None and other.id != entry.id and all(f.id != other.id for f in found):
            found.append(other)
        if len(found) == MAX_FOLLOWUPS:
            break
    return found


def _decided_followups(turn: Turn, entry: Entry) -> list[str]:
    """Follow-ups the matcher put on its decision, when it has them.

    They may come as entry ids, candidates (``entry_id``) or entries (``id``).
    """
    decision = turn.decision
    top = decision.top if decision is not None else None
    if top is None or top.entry_id != entry.id:
        return []
    carried: Iterable[object] = getattr(decision, "followups", None) or ()
    ids = [
        item if isinstance(item, str) else getattr(item, "entry_id", getattr(item, "id", None))
        for item in carried
    ]
    return [i for i in ids if isinstance(i, str)]
