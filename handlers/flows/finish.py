"""The end of a flow: store an application or report, show a guide's checklist, or hand over."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

from bot.messages import Choice, Reply
from bot.storage.records import Channel
from handlers.base import Turn
from handlers.flows.render import answered_steps, fill
from handlers.flows.state import FlowServices, attachment_ids
from handlers.render import entry_choice
from knowledge.flow_schema import Flow

logger = logging.getLogger(__name__)

SUMMARY_LENGTH = 200


def summary_line(flow: Flow, record: Mapping[str, Any]) -> str:
    """One line for staff lists: the title and the answers that are not personal."""
    shown: Mapping[str, str] = record.get("shown") or {}
    answers: Mapping[str, Any] = record.get("answers") or {}
    parts = [
        shown[step.id]
        for step in answered_steps(flow, answers)
        if not step.personal
        and step.type != "photo"
        and shown.get(step.id)
        and answers.get(step.id) is not None
    ]
    line = f"{flow.title.ja}: " + " / ".join(parts) if parts else flow.title.ja
    return line[:SUMMARY_LENGTH]


async def submit(
    turn: Turn, services: FlowServices, flow: Flow, record: Mapping[str, Any]
) -> tuple[Reply, ...]:
    """Store the application (with its photos), and tell the citizen its reference number."""
    if turn.user_id is None or turn.conversation_id is None:
        msg = "an application needs the engine's user and conversation ids"
        raise RuntimeError(msg)
    assert flow.reference_prefix is not None
    assert flow.confirmation is not None
    answers = dict(record.get("answers") or {})
    photos = attachment_ids(record)
    async with services.store.unit() as unit:
        application = await unit.applications.create(
            prefix=flow.reference_prefix,
            user_id=turn.user_id,
            conversation_id=turn.conversation_id,
            channel=cast(Channel, turn.incoming.channel),
            flow_id=flow.id,
            department=flow.department,
            answers=answers,
            summary=summary_line(flow, record),
            now=services.now(),
        )
        if photos:
            await unit.attachments.attach(photos, application.id)
    logger.info(
        "conversation %s: %s submitted as application %s",
        turn.conversation_id,
        flow.id,
        application.id,
    )
    template = flow.confirmation.get(turn.language)
    reference = application.reference
    replies = [Reply(fill(template, {"reference": reference}))]
    if template.count("{reference}") < 2:  # the confirmation does not say how to ask yet
        replies.append(Reply(turn.say("flow_status_hint", reference=reference)))
    return tuple(replies)


def guide(turn: Turn, flow: Flow, record: Mapping[str, Any]) -> tuple[Reply, ...]:
    """A guide's checklist: the result items whose condition holds; nothing is stored."""
    answers: Mapping[str, Any] = record.get("answers") or {}
    shown: Mapping[str, str] = record.get("shown") or {}
    lines: list[str] = []
    links: list[Choice] = []
    for item in flow.result:
        if item.when is not None and not item.when.holds(answers):
            continue
        lines.append(fill(item.text.get(turn.language), shown))
        entry = turn.knowledge.entry(item.entry_id) if item.entry_id else None
        if entry is not None:
            choice = entry_choice(turn, entry)
            if choice not in links:
                links.append(choice)
    replies = [Reply("\n\n".join([turn.say("flow_guide_intro"), *lines]))]
    if links:
        replies.append(Reply(turn.say("flow_guide_links"), tuple(links)))
    return tuple(replies)


def handover(turn: Turn, flow: Flow) -> tuple[Reply, ...]:
    """The official online form; its link only once staff have confirmed the URL."""
    form = flow.online_form
    assert form is not None
    parts = [form.explain.get(turn.language)]
    if not form.url_review:
        parts.append(f"{form.label.get(turn.language)}: {form.url}")
    return (Reply("\n\n".join(parts)),)
