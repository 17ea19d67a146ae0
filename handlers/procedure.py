"""Guided procedures in the chat: a flow from its trigger or the "apply here" button to the end.

A flow runs as eligibility -> privacy consent -> steps -> summary -> send (see
:mod:`knowledge.flow_schema`). While it runs, every message is first read as the answer to the
current question; やめる/cancel, 戻る/back and a request for staff work at any point; an
unrelated question is answered and the citizen is offered to continue.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.choices import ENTRY
from bot.messages import Kind, OutcomeKind, Reply
from bot.procedures import parsers
from handlers.base import Response, Turn, _NotHandled
from handlers.flows.answers import looks_like_question, parse_step, reask
from handlers.flows.finish import guide, handover, submit
from handlers.flows.render import (
    answered_steps,
    eligibility_prompt,
    fix_menu,
    not_eligible,
    privacy_prompt,
    step_example,
    step_prompt,
    summary,
)
from handlers.flows.state import (
    FLOW_KEY,
    FlowServices,
    begin,
    expired,
    flow_choice,
    flow_command,
    progress,
)
from handlers.flows.stop import cancel, expire, hand_off
from handlers.flows.talk import find_flow, interrupted, rules_next, unrelated_question
from handlers.handoff import Availability
from handlers.render import answer
from intents.normalize import normalize
from knowledge.flow_schema import Flow

logger = logging.getLogger(__name__)


class ProcedureHandler:
    """Runs the flow in progress, or starts one."""

    name = "procedure"

    def __init__(self, services: FlowServices, availability: Availability) -> None:
        self.services = services
        self.availability = availability

    async def accepts(self, turn: Turn) -> tuple[str, Flow | None] | None:
        if turn.incoming.kind in (Kind.FOLLOW, Kind.UNFOLLOW):
            return None
        record = progress(turn.state)
        if record is not None:
            if turn.choice is not None and turn.choice.action != ENTRY:
                return None  # "did this help?" on an answer given mid-flow
            return "active", self.services.catalog.flows.get(str(record.get("id")))
        command = flow_command(turn) or ""
        if command.startswith("start:"):
            return "start", self.services.catalog.flows.get(command[6:])
        if command:
            return "stale", None
        if turn.choice is None and turn.text.strip():
            flow = find_flow(self.services, turn.text)
            if flow is not None:
                return "start", flow
        return None

    async def handle(self, turn: Turn, found: tuple[str, Flow | None]) -> Response | _NotHandled:
        what, flow = found
        turn.state["failures"] = 0
        if what == "stale" or flow is None:
            if what == "active":
                turn.state.pop(FLOW_KEY, None)
            return Response(OutcomeKind.INFO, (Reply(turn.say("flow_stale")),))
        if what == "start":
            return self._start(turn, flow)
        record = progress(turn.state)
        assert record is not None
        now = self.services.now()
        if expired(record, flow, now):
            return await expire(turn, self.services, flow)
        record["touched_at"] = now.isoformat()
        return await self._active(turn, flow, record)

    # -- starting and stopping ------------------------------------------------------------

    def _start(self, turn: Turn, flow: Flow) -> Response:
        record = begin(turn.state, flow, self.services.now())
        lead = turn.say("flow_started", title=flow.title.get(turn.language))
        logger.info("flow %s started", flow.id)
        if flow.eligibility:
            record["phase"], record["step"] = "eligibility", flow.eligibility[0].id
            return self._reply(flow, eligibility_prompt(turn, flow.eligibility[0], lead))
        return self._after_eligibility(turn, flow, record, lead)

    def _after_eligibility(
        self, turn: Turn, flow: Flow, record: dict[str, Any], lead: str = ""
    ) -> Response:
        if flow.privacy is not None:
            record["phase"], record["step"] = "privacy", None
            return self._reply(flow, privacy_prompt(turn, flow, lead))
        if not flow.steps:  # a hand-over: nothing to ask
            turn.state.pop(FLOW_KEY, None)
            replies = handover(turn, flow)
            if lead:
                replies = (Reply(lead), *replies)
            return Response(OutcomeKind.ANSWER, replies, entry_id=flow.entry_id)
        return self._ask(turn, flow, record, flow.next_step(None, record["answers"]), lead)

    # -- the flow in progress -------------------------------------------------------------

    async def _active(self, turn: Turn, flow: Flow, record: dict[str, Any]) -> Response:
        command = flow_command(turn)
        rules = turn.knowledge.system
        if (
            command == "cancel"
            or turn.command == "cancel"
            or rules.matches("cancel", turn.normalized)
        ):
            return await cancel(turn, self.services, flow)
        if turn.command == "staff" or (not command and rules.matches("handoff", turn.normalized)):
            return await hand_off(turn, self.services, self.availability, flow)
        if command == "back" or (not command and rules.matches("flow_back", turn.normalized)):
            return self._back(turn, flow, record)
        paused = bool(record.get("paused"))
        record["paused"] = False
        if command == "continue" or (
            paused and not command and rules.matches("flow_continue", turn.normalized)
        ):
            return self._repeat(turn, flow, record)
        if turn.choice is not None and turn.choice.action == ENTRY:
            entry = turn.knowledge.entry(turn.choice.argument)
            if entry is not None:
                return interrupted(turn, flow, record, answer(turn, entry, 1.0))
        phase = record.get("phase")
        if phase == "eligibility":
            return await self._eligibility(turn, flow, record)
        if phase == "privacy":
            return await self._privacy(turn, flow, record)
        if phase == "summary":
            return await self._summary(turn, flow, record)
        if phase == "fix":
            return self._fix(turn, flow, record)
        return await self._step(turn, flow, record)

    def _repeat(self, turn: Turn, flow: Flow, record: dict[str, Any]) -> Response:
        """Ask the current question again (after an interruption or an unclear message)."""
        phase = record.get("phase")
        if phase == "eligibility":
            question = next(q for q in flow.eligibility if q.id == record.get("step"))
            return self._reply(flow, eligibility_prompt(turn, question))
        if phase == "privacy":
            return self._reply(flow, privacy_prompt(turn, flow))
        if phase == "summary":
            return self._reply(flow, summary(turn, flow, record))
        if phase == "fix":
            return self._reply(flow, fix_menu(turn, flow, record))
        return self._reply(flow, step_prompt(turn, flow.step(str(record["step"]))))

    def _back(self, turn: Turn, flow: Flow, record: dict[str, Any]) -> Response:
        phase = record.get("phase")
        answers = record["answers"]
        if phase == "eligibility":
            ids = [q.id for q in flow.eligibility]
            index = ids.index(str(record["step"]))
            if index == 0:
                return self._repeat_with(turn, flow, record, turn.say("flow_back_first"))
            record["step"] = ids[index - 1]
            return self._reply(flow, eligibility_prompt(turn, flow.eligibility[index - 1]))
        if phase in ("summary", "fix"):
            last = answered_steps(flow, answers)[-1].id
            record["return_to"] = None
            return self._ask(turn, flow, record, last)
        if phase == "steps" and record.get("return_to") == "summary":
            record["return_to"] = None
            return self._show_summary(turn, flow, record)
        if phase == "steps":
            previous = flow.previous_step(str(record["step"]), answers)
            if previous is not None:
                return self._ask(turn, flow, record, previous)
        return self._repeat_with(turn, flow, record, turn.say("flow_back_first"))

    def _repeat_with(self, turn: Turn, flow: Flow, record: dict[str, Any], lead: str) -> Response:
        again = self._repeat(turn, flow, record)
        return Response(again.kind, (Reply(lead), *again.replies), entry_id=flow.entry_id)

    async def _eligibility(self, turn: Turn, flow: Flow, record: dict[str, Any]) -> Response:
        question = next(q for q in flow.eligibility if q.id == record.get("step"))
        parsed = self._yes_no(turn, strict=False)
        if not parsed.ok:
            return await self._refused(turn, flow, record, parsed, "yes_no")
        if parsed.value != question.continue_if:
            turn.state.pop(FLOW_KEY, None)
            logger.info("flow %s: not eligible (%s)", flow.id, question.id)
            replies = not_eligible(turn, question)
            return Response(
                OutcomeKind.ANSWER, replies, entry_id=flow.entry_id, extra={"flow": flow.id}
            )
        ids = [q.id for q in flow.eligibility]
        index = ids.index(question.id)
        if index + 1 < len(ids):
            record["step"] = ids[index + 1]
            return self._reply(flow, eligibility_prompt(turn, flow.eligibility[index + 1]))
        return self._after_eligibility(turn, flow, record)

    async def _privacy(self, turn: Turn, flow: Flow, record: dict[str, Any]) -> Response:
        parsed = self._yes_no(turn, strict=True)
        if not parsed.ok:
            return await self._refused(turn, flow, record, parsed, "yes_no")
        if parsed.value is not True:
            turn.state.pop(FLOW_KEY, None)
            logger.info("flow %s: privacy notice declined", flow.id)
            text = turn.say("flow_privacy_declined", title=flow.title.get(turn.language))
            return Response(OutcomeKind.INFO, (Reply(text),), extra={"flow": flow.id})
        record["consented_at"] = self.services.now().isoformat()
        return self._ask(turn, flow, record, flow.next_step(None, record["answers"]))

    def _yes_no(self, turn: Turn, strict: bool) -> parsers.Parsed:
        command = flow_command(turn)
        if command in ("yes", "no"):
            return parsers.Parsed(ok=True, value=command == "yes")
        return parsers.parse_yes_no(
            turn.text, today=self.services.today(), language=turn.language, strict=strict
        )

    async def _step(self, turn: Turn, flow: Flow, record: dict[str, Any]) -> Response:
        step = flow.step(str(record["step"]))
        if (
            step.type == "photo"
            and record["answers"].get(step.id)
            and (
                flow_command(turn) == "next"
                or (turn.text.strip() and parsers.is_skip(turn.text))
                or rules_next(turn)
            )
        ):
            return self._next(turn, flow, record, step.id)  # done sending photos
        parsed = parse_step(turn, step, self.services.today())
        if parsed.ok and step.type in ("text", "name") and looks_like_question(turn.text):
            interrupted = await unrelated_question(turn, flow, record, strict=True)
            if interrupted is not None:
                return interrupted
        if not parsed.ok:
            return await self._refused(turn, flow, record, parsed, step.type)
        answers: dict[str, Any] = record["answers"]
        shown: dict[str, str] = record["shown"]
        lead = ""
        if step.type == "photo" and isinstance(parsed.value, dict):
            photo_id = parsed.value.get("attachment_id")
            photos = [*(answers.get(step.id) or []), *([photo_id] if photo_id else [])]
            if isinstance(photo_id, int):
                record["attachments"] = [*record.get("attachments", []), photo_id]
            answers[step.id] = photos
            limit = step.validation.max_count or 1
            shown[step.id] = turn.say("flow_photos", count=str(len(photos)))
            if len(photos) < limit:
                more = turn.say("flow_photo_more", count=str(len(photos)), max=str(limit))
                return self._reply(
                    flow, Reply(more, (flow_choice(turn, "choice_flow_next", "next"),))
                )
        elif step.type == "photo" and answers.get(step.id) and parsed.value is None:
            pass  # "次へ" after at least one photo: keep them
        else:
            answers[step.id] = parsed.value
            shown[step.id] = parsed.display
            if step.type == "date" and parsed.value is not None:
                lead = turn.say("flow_date_noted", date=parsed.display)
        return self._next(turn, flow, record, step.id, lead)

    def _next(
        self, turn: Turn, flow: Flow, record: dict[str, Any], after: str, lead: str = ""
    ) -> Response:
        answers: dict[str, Any] = record["answers"]
        applying = {s.id for s in answered_steps(flow, answers)}
        for stale in [k for k in answers if k not in applying]:  # e.g. contact changed to no
            answers.pop(stale, None)
            record["shown"].pop(stale, None)
        if record.get("return_to") == "summary":
            missing = next((s for s in answered_steps(flow, answers) if s.id not in answers), None)
            if missing is None:
                record["return_to"] = None
                return self._show_summary(turn, flow, record, lead)
            return self._ask(turn, flow, record, missing.id, lead)
        return self._ask(turn, flow, record, flow.next_step(after, answers), lead)

    def _ask(
        self, turn: Turn, flow: Flow, record: dict[str, Any], step_id: str | None, lead: str = ""
    ) -> Response:
        if step_id is None:
            return self._show_summary(turn, flow, record, lead)
        record["phase"], record["step"] = "steps", step_id
        return self._reply(flow, step_prompt(turn, flow.step(step_id), lead))

    def _show_summary(
        self, turn: Turn, flow: Flow, record: dict[str, Any], lead: str = ""
    ) -> Response:
        record["phase"], record["step"] = "summary", None
        shown = summary(turn, flow, record)
        return self._reply(
            flow, Reply(f"{lead}\n{shown.text}" if lead else shown.text, shown.choices)
        )

    async def _summary(self, turn: Turn, flow: Flow, record: dict[str, Any]) -> Response:
        command = flow_command(turn) or self._typed(turn, ("send", "fix", "cancel"))
        if command == "send":
            return await self._finish(turn, flow, record)
        if command == "fix":
            record["phase"] = "fix"
            return self._reply(flow, fix_menu(turn, flow, record))
        if command == "cancel":
            return await cancel(turn, self.services, flow)
        interrupted = await unrelated_question(turn, flow, record, strict=False)
        if interrupted is not None:
            return interrupted
        return self._repeat_with(turn, flow, record, turn.say("flow_pick_one"))

    def _typed(self, turn: Turn, actions: tuple[str, ...]) -> str | None:
        """A button label typed instead of pressed (送信する, 修正, やめる …)."""
        said = normalize(turn.text)
        if not said:
            return None
        for action in actions:
            labels = turn.knowledge.system.messages[f"choice_flow_{action}"]
            names = (normalize(labels.ja), normalize(labels.en))
            if said in names or (len(said) >= 2 and any(n.startswith(said) for n in names)):
                return action  # 送信 for 送信する
        agreed = parsers.parse_yes_no(turn.text, today=self.services.today())
        return "send" if "send" in actions and agreed.ok and agreed.value is True else None

    def _fix(self, turn: Turn, flow: Flow, record: dict[str, Any]) -> Response:
        command = flow_command(turn) or ""
        steps = answered_steps(flow, record["answers"])
        step_id = command[5:] if command.startswith("item:") else None
        if step_id is None and turn.text.strip():
            options = [(s.id, s.summary_label.ja, s.summary_label.en) for s in steps]
            parsed = parsers.parse_choice(
                turn.text, today=self.services.today(), language=turn.language, choices=options
            )
            step_id = str(parsed.value) if parsed.ok else None
        if step_id not in {s.id for s in steps}:
            return self._reply(flow, fix_menu(turn, flow, record))
        record["return_to"] = "summary"
        return self._ask(turn, flow, record, step_id)

    async def _finish(self, turn: Turn, flow: Flow, record: dict[str, Any]) -> Response:
        if flow.kind in ("application", "report"):
            replies = await submit(turn, self.services, flow, record)
        else:
            replies = guide(turn, flow, record)
        turn.state.pop(FLOW_KEY, None)
        return Response(
            OutcomeKind.ANSWER, replies, entry_id=flow.entry_id, extra={"flow": flow.id}
        )

    # -- refusals and interruptions -------------------------------------------------------

    async def _refused(
        self,
        turn: Turn,
        flow: Flow,
        record: dict[str, Any],
        parsed: parsers.Parsed,
        step_type: str,
    ) -> Response:
        # An answer of the right shape that fails a check (2月30日, a date too soon, an address
        # outside the city) is re-asked; only an answer that could not be read at all may be
        # another question.
        unreadable = (parsed.error_key or "").endswith("_invalid")
        interrupted = await unrelated_question(turn, flow, record, strict=not unreadable)
        if interrupted is not None:
            return interrupted
        step = flow.step(str(record["step"])) if record.get("phase") == "steps" else None
        texts = turn.knowledge.system.parsers
        example = (
            step_example(turn, step) if step else parsers.example(step_type, turn.language, texts)
        )
        again = self._repeat(turn, flow, record)
        text = reask(turn, example, parsed)
        if step is not None:  # the re-ask replaces the question, keeping its buttons
            return self._reply(flow, Reply(text, again.replies[0].choices), refused=True)
        return Response(
            OutcomeKind.INFO,
            (Reply(text), *again.replies),
            entry_id=flow.entry_id,
            extra={"flow": flow.id, "refused": True},
        )

    def _reply(self, flow: Flow, reply: Reply, refused: bool = False) -> Response:
        extra: dict[str, Any] = {"flow": flow.id}
        if refused:
            extra["refused"] = True
        return Response(OutcomeKind.INFO, (reply,), entry_id=flow.entry_id, extra=extra)
