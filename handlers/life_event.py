"""Life events: everything a move, a birth or a death triggers, in one reply.

「引っ越しの手続き」 asks a short question or two (as buttons; each can be skipped), then lists
what can be done without visiting (and how), what needs a visit and what to bring, and the
city-hall counters in the order that makes one visit enough, with buttons to drill down.

Only questions that still change the list are asked. A skipped question is "don't know": the
items that depend on it are shown, so that nothing the citizen may need is left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bot.choices import encode_command
from bot.messages import Choice, OutcomeKind, Reply
from bot.procedures import parsers
from handlers.base import Response, Turn
from handlers.render import entry_choice
from knowledge.flow_schema import Condition, LifeEvent, LifeEventItem, NarrowingQuestion
from knowledge.flows import FlowCatalog

LIFE_KEY = "life"
SKIPPED = "_skipped"  # the stored answer of a question the citizen skipped
MAX_LINKS = 10  # drill-down buttons


def find_life_event(catalog: FlowCatalog, text: str) -> LifeEvent | None:
    """The life event a message names: a trigger, a trigger inside it, or its beginning."""
    found = catalog.named_in(text)
    return found if isinstance(found, LifeEvent) else None


def _holds(condition: Condition, answers: Mapping[str, Any]) -> bool:
    return answers.get(condition.step) == SKIPPED or condition.holds(answers)


def _applies(item: LifeEventItem, answers: Mapping[str, Any]) -> bool:
    """Unasked and skipped questions count as "maybe": the item is kept."""
    return all(c.step not in answers or _holds(c, answers) for c in item.applies_when)


def next_question(event: LifeEvent, answers: Mapping[str, Any]) -> NarrowingQuestion | None:
    """The first unanswered question that would still change the list."""
    for question in event.questions:
        if question.id in answers:
            continue
        if any(
            _applies(item, answers) and any(c.step == question.id for c in item.applies_when)
            for item in event.items
        ):
            return question
    return None


def _choice(turn: Turn, key: str, action: str) -> Choice:
    return Choice(turn.say(key), encode_command(f"life:{action}"))


def question_reply(turn: Turn, question: NarrowingQuestion) -> Reply:
    lang = turn.language
    choices: list[Choice] = []
    if question.type == "yes_no":
        choices += [_choice(turn, "choice_yes", "yes"), _choice(turn, "choice_no", "no")]
    for option in question.options:
        choices.append(Choice(option.label.get(lang), encode_command(f"life:opt:{option.value}")))
    choices += [
        _choice(turn, "choice_life_skip", "skip"),
        _choice(turn, "choice_life_show", "show"),
    ]
    text = f"{question.prompt.get(lang)}\n{turn.say('life_question_hint')}"
    return Reply(text, tuple(choices))


def _office(turn: Turn, item: LifeEventItem) -> str:
    if item.agency is not None:
        return item.agency.get(turn.language)
    entry = turn.knowledge.entry(item.department or "")
    return entry.title.get(turn.language) if entry is not None else str(item.department)


def _item_lines(
    turn: Turn, item: LifeEventItem, detail: str | None, office: bool = True
) -> list[str]:
    """The item's title (with who handles it), then how or what to bring, then the deadline."""
    lang = turn.language
    title = item.title.get(lang)
    if office:
        title += f"（{_office(turn, item)}）" if lang == "ja" else f" ({_office(turn, item)})"
    lines = [("・" if lang == "ja" else "- ") + title]
    if detail:
        lines.append(f"  {detail}")
    if item.deadline is not None:
        lines.append("  " + turn.say("life_deadline", deadline=item.deadline.get(lang)))
    return lines


def overview(turn: Turn, event: LifeEvent, answers: Mapping[str, Any]) -> tuple[Reply, ...]:
    """Every procedure that applies: without a visit, the counters in order, other offices."""
    lang = turn.language
    items = [i for i in event.items if _applies(i, answers)]
    remote = [i for i in items if i.without_visit]
    visits = sorted(
        (i for i in items if i.visit_order is not None), key=lambda i: i.visit_order or 0
    )
    elsewhere = [i for i in items if not i.without_visit and i.visit_order is None]
    parts = [event.intro.get(lang)]
    if remote:
        lines = [turn.say("life_without_visit")]
        for item in remote:
            lines += _item_lines(turn, item, item.how.get(lang) if item.how else None)
        parts.append("\n".join(lines))
    if visits:
        lines = [turn.say("life_visit_plan")]
        counters: list[int] = []
        for item in visits:
            if item.visit_order not in counters:  # one number per counter, in visiting order
                counters.append(item.visit_order or 0)
                lines.append(f"{len(counters)}. {_office(turn, item)}")
            bring = turn.say("life_bring", bring=item.bring.get(lang)) if item.bring else None
            lines += ["  " + line for line in _item_lines(turn, item, bring, office=False)]
        parts.append("\n".join(lines))
    if elsewhere:
        lines = [turn.say("life_other_offices")]
        for item in elsewhere:
            bring = turn.say("life_bring", bring=item.bring.get(lang)) if item.bring else None
            lines += _item_lines(turn, item, bring)
        parts.append("\n".join(lines))
    replies = [Reply("\n\n".join(parts))]
    links: list[Choice] = []
    for item in [*remote, *visits, *elsewhere]:
        entry = turn.knowledge.entry(item.entry_id) if item.entry_id else None
        if entry is not None and (choice := entry_choice(turn, entry)) not in links:
            links.append(choice)
    if links:
        replies.append(Reply(turn.say("life_drill"), tuple(links[:MAX_LINKS])))
    return tuple(replies)


def _typed_answer(turn: Turn, event: LifeEvent, record: Mapping[str, Any]) -> str | None:
    """The action a typed reply to the asked question means (``yes``, ``opt:within`` …)."""
    question = next((q for q in event.questions if q.id == record.get("asked")), None)
    if question is None or not turn.text.strip():
        return None
    if question.type == "yes_no":
        said = parsers.parse_yes_no(turn.text, today=dt.date.min, language=turn.language)
        if said.ok:
            return "yes" if said.value else "no"
    else:
        picked = parsers.parse_choice(
            turn.text, today=dt.date.min, language=turn.language, choices=question.options
        )
        if picked.ok:
            return f"opt:{picked.value}"
    return "skip" if parsers.is_skip(turn.text) else None


class LifeEventHandler:
    """Starts a life-event guide from its trigger and reads the narrowing answers."""

    name = "life_event"

    def __init__(self, catalog: FlowCatalog) -> None:
        self.catalog = catalog

    async def accepts(self, turn: Turn) -> LifeEvent | None:
        command = turn.command or ""
        record = turn.state.get(LIFE_KEY)
        if command.startswith("life:") and isinstance(record, dict):
            return self.catalog.life_events.get(str(record.get("id")))
        if isinstance(record, dict) and not command and turn.choice is None:
            event = self.catalog.life_events.get(str(record.get("id")))
            typed = _typed_answer(turn, event, record) if event is not None else None
            if typed is not None:  # the answer typed instead of pressed
                turn.command = f"life:{typed}"
                return event
            turn.state.pop(LIFE_KEY, None)  # the citizen moved on
        if turn.choice is None and not command and turn.text.strip():
            event = find_life_event(self.catalog, turn.text)
            if event is not None:
                turn.state[LIFE_KEY] = {"id": event.id, "answers": {}, "asked": None}
                return event
        return None

    async def handle(self, turn: Turn, found: LifeEvent) -> Response:
        record: dict[str, Any] = turn.state[LIFE_KEY]
        answers: dict[str, Any] = record.setdefault("answers", {})
        action = (turn.command or "")[len("life:") :]
        asked = next((q for q in found.questions if q.id == record.get("asked")), None)
        if action == "show":
            return self._overview(turn, found, answers)
        if asked is not None and action:
            if action == "skip":
                answers[asked.id] = SKIPPED
            elif action in ("yes", "no") and asked.type == "yes_no":
                answers[asked.id] = action == "yes"
            elif action.startswith("opt:") and asked.type == "choice":
                answers[asked.id] = action[4:]
        question = next_question(found, answers)
        if question is None:
            return self._overview(turn, found, answers)
        record["asked"] = question.id
        title = found.title.get(turn.language)
        lead = [] if answers else [Reply(turn.say("life_start", title=title))]
        return Response(
            OutcomeKind.CHOICES,
            (*lead, question_reply(turn, question)),
            extra={"life_event": found.id, "question": question.id},
        )

    def _overview(self, turn: Turn, event: LifeEvent, answers: dict[str, Any]) -> Response:
        turn.state.pop(LIFE_KEY, None)
        return Response(
            OutcomeKind.ANSWER, overview(turn, event, answers), extra={"life_event": event.id}
        )
