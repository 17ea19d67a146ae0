"""What the flow runner says: questions with their choices and hints, the summary, the end."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from bot.messages import Choice, Reply
from bot.procedures import parsers
from handlers.base import Turn
from handlers.flows.state import flow_choice
from handlers.render import entry_choice
from knowledge.flow_schema import EligibilityQuestion, Flow, Step


def yes_no_choices(turn: Turn) -> tuple[Choice, ...]:
    return (flow_choice(turn, "choice_yes", "yes"), flow_choice(turn, "choice_no", "no"))


def step_example(turn: Turn, step: Step) -> str:
    if step.example is not None:
        return step.example.get(turn.language)
    return parsers.example(step.type, turn.language, turn.knowledge.system.parsers)


def step_choices(turn: Turn, step: Step) -> tuple[Choice, ...]:
    """Options as buttons (their numbers are the options' numbers), then skip when allowed."""
    lang = turn.language
    choices: list[Choice] = []
    if step.type == "yes_no":
        choices.extend(yes_no_choices(turn))
    for option in step.options:
        choices.append(Choice(option.label.get(lang), f"c:flow:opt:{option.value}"))
    if step.optional:
        choices.append(flow_choice(turn, "choice_flow_skip", "skip"))
    return tuple(choices)


def step_prompt(turn: Turn, step: Step, lead: str = "") -> Reply:
    """The question, an example answer and how to go back or stop."""
    parts = [lead] if lead else []
    parts.append(step.prompt.get(turn.language))
    if step.type not in ("choice", "time_slot", "yes_no"):
        parts.append(step_example(turn, step))
    if step.optional and step.type != "photo":
        parts.append(turn.say("flow_optional_hint"))
    parts.append(turn.say("flow_hint"))
    return Reply("\n".join(parts), step_choices(turn, step))


def eligibility_prompt(turn: Turn, question: EligibilityQuestion, lead: str = "") -> Reply:
    parts = [lead] if lead else []
    parts += [question.prompt.get(turn.language), turn.say("flow_hint")]
    return Reply("\n".join(parts), yes_no_choices(turn))


def privacy_prompt(turn: Turn, flow: Flow, lead: str = "") -> Reply:
    assert flow.privacy is not None
    parts = [lead] if lead else []
    parts += [flow.privacy.get(turn.language), turn.say("flow_privacy_question")]
    return Reply("\n".join(parts), yes_no_choices(turn))


def not_eligible(turn: Turn, question: EligibilityQuestion) -> tuple[Reply, ...]:
    """The explanation, and the other routes as entries to open."""
    replies = [Reply(question.not_eligible.get(turn.language))]
    routes = [e for i in question.other_routes if (e := turn.knowledge.entry(i)) is not None]
    if routes:
        choices = tuple(entry_choice(turn, entry) for entry in routes)
        replies.append(Reply(turn.say("flow_other_routes"), choices))
    return tuple(replies)


def answered_steps(flow: Flow, answers: Mapping[str, Any]) -> list[Step]:
    """The steps that apply to these answers, in order (skipped optional ones included)."""
    shown: list[Step] = []
    current = flow.next_step(None, answers)
    while current is not None:
        shown.append(flow.step(current))
        current = flow.next_step(current, answers)
    return shown


def summary_lines(turn: Turn, flow: Flow, record: Mapping[str, Any]) -> list[str]:
    shown: Mapping[str, str] = record.get("shown") or {}
    lines = []
    for step in answered_steps(flow, record.get("answers") or {}):
        value = shown.get(step.id) or turn.say("flow_not_given")
        label = step.summary_label.get(turn.language)
        lines.append(f"・{label}：{value}" if turn.language == "ja" else f"- {label}: {value}")
    return lines


def summary(turn: Turn, flow: Flow, record: Mapping[str, Any]) -> Reply:
    """Every answer as the citizen will see it confirmed, and send / fix / cancel."""
    text = "\n".join(
        [
            turn.say("flow_summary_intro", title=flow.title.get(turn.language)),
            *summary_lines(turn, flow, record),
            turn.say("flow_summary_question"),
        ]
    )
    choices = (
        flow_choice(turn, "choice_flow_send", "send"),
        flow_choice(turn, "choice_flow_fix", "fix"),
        flow_choice(turn, "choice_flow_cancel", "cancel"),
    )
    return Reply(text, choices)


def fix_menu(turn: Turn, flow: Flow, record: Mapping[str, Any]) -> Reply:
    """The answered items as buttons: the one pressed is asked again."""
    steps = answered_steps(flow, record.get("answers") or {})
    choices = tuple(
        Choice(step.summary_label.get(turn.language), f"c:flow:item:{step.id}") for step in steps
    )
    return Reply(turn.say("flow_fix_pick"), choices)


class _Answers(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, values: Mapping[str, str]) -> str:
    """``{copies}`` -> the answer as shown; a placeholder with no answer becomes empty."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if not names:
        return template
    return template.format_map(_Answers(values))
