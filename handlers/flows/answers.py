"""Read the citizen's answer to one step: a button, typed text, a photo or a map location."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.messages import Kind
from bot.procedures import parsers
from bot.procedures.parsers import Parsed
from handlers.base import Turn
from handlers.flows.state import flow_command
from knowledge.flow_schema import Step

_QUESTION = re.compile(
    r"[?？]\s*$|(ですか|ますか|でしょうか|んですか|のか|かな)[。.!！\s]*$"
    r"|^(どこ|いつ|なぜ|なに|何|どう|どの|だれ|誰|いくら)"
    r"|^(how|what|where|when|why|who|can i|is there)\b"
)


def looks_like_question(text: str) -> bool:
    """An explicit question (ends with ？/ですか, starts with どこ/いつ/what …)."""
    return bool(_QUESTION.search(text.strip().lower()))


def skipped(turn: Turn) -> Parsed:
    return Parsed(ok=True, value=None, display=turn.say("flow_not_given"))


def _options(step: Step) -> dict[str, Any]:
    return step.validation.model_dump(exclude_none=True)


def _button(turn: Turn, step: Step, command: str) -> Parsed | None:
    """A pressed button: an option, yes/no or skip; ``None`` when it is not for this step."""
    lang = turn.language
    if command in ("skip", "next"):
        return skipped(turn) if step.optional else None
    if command in ("yes", "no") and step.type == "yes_no":
        yes = command == "yes"
        return Parsed(ok=True, value=yes, display=turn.say("choice_yes" if yes else "choice_no"))
    if command.startswith("opt:"):
        value = command[4:]
        option = next((o for o in step.options if o.value == value), None)
        if option is None:
            return None
        return Parsed(
            ok=True,
            value=[option.value] if step.multiple else option.value,
            display=option.label.get(lang),
        )
    return None


def parse_step(turn: Turn, step: Step, today: Any) -> Parsed:
    """The answer to ``step`` in this turn, parsed with the step's checks and today's date."""
    command = flow_command(turn)
    if command is not None:
        pressed = _button(turn, step, command)
        return pressed or Parsed(ok=False, error_key="field_choice_invalid")
    kind = turn.incoming.kind
    payload: Mapping[str, Any] = turn.incoming.payload or {}
    lang = turn.language
    texts = turn.knowledge.system.parsers
    if kind is Kind.IMAGE:
        rejected = payload.get("rejected")
        if isinstance(rejected, str):
            key = rejected if rejected in turn.knowledge.system.messages else "field_photo_type"
            return Parsed(ok=False, error_key=key, params={"max": "10 MB"})
        if step.type != "photo":
            return Parsed(ok=False, error_key="flow_photo_unexpected")
        return parsers.parse_photo(
            payload, today=today, language=lang, optional=step.optional, texts=texts
        )
    if kind is Kind.LOCATION:
        if step.type == "location":
            return parsers.parse_location(
                payload, today=today, language=lang, texts=texts, **_options(step)
            )
        address = payload.get("address")
        if step.type == "address" and isinstance(address, str) and address.strip():
            return parsers.parse_address(
                address, today=today, language=lang, texts=texts, **_options(step)
            )
        return Parsed(ok=False, error_key="flow_location_unexpected")
    text = turn.text
    if step.optional and parsers.is_skip(text):
        return skipped(turn)
    if step.type == "photo":
        return parsers.parse_photo(
            text, today=today, language=lang, optional=step.optional, texts=texts
        )
    parser = parsers.PARSERS[step.type]
    options = _options(step)
    if step.type == "choice":
        options = {"choices": step.options, "multiple": step.multiple}
    elif step.type == "time_slot":
        options = {"slots": step.options}
    return parser(text, today=today, language=lang, texts=texts, **options)


def reask(turn: Turn, step_example: str, parsed: Parsed) -> str:
    """The re-ask for a refused answer, with the step's own example."""
    key = parsed.error_key or "field_choice_invalid"
    values = {"example": step_example, "min": "", "max": "", "length": ""}
    values.update({"date": "", "earliest": "", "latest": ""})
    values.update(parsed.params)
    return turn.knowledge.system.text(key, turn.language, **values)
