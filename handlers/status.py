"""How is my application going? By reference number, or a list of the citizen's own.

Only the citizen who made an application (the same channel user) ever hears about it: anyone
else gets the same "not found" whether the number exists or not, so a number reveals nothing.
"""

from __future__ import annotations

import datetime as dt

from bot.messages import Kind, OutcomeKind, Reply
from bot.storage.records import ApplicationRecord
from bot.storage.references import find_reference
from handlers.base import Response, Turn
from handlers.flows.state import TOKYO, FlowServices, progress
from handlers.flows.talk import interrupted

RECENT = 5  # applications listed without a number


def _date(turn: Turn, at: dt.datetime) -> str:
    local = at.astimezone(TOKYO)
    if turn.language == "en":
        return local.strftime("%Y-%m-%d")
    return f"{local.year}年{local.month}月{local.day}日"


def _title(turn: Turn, services: FlowServices, record: ApplicationRecord) -> str:
    flow = services.catalog.flows.get(record.flow_id)
    return flow.title.get(turn.language) if flow is not None else record.flow_id


class StatusHandler:
    """Answers 「受付番号 A-20261130-7KQ4 の状況」, ``/status A-…`` and 「申込の状況」."""

    name = "status"

    def __init__(self, services: FlowServices) -> None:
        self.services = services

    async def accepts(self, turn: Turn) -> tuple[str | None] | None:
        if turn.incoming.kind is not Kind.TEXT or not turn.text.strip():
            return None
        reference = find_reference(turn.text)
        if reference is not None:
            return (reference,)
        if turn.knowledge.system.matches("status", turn.normalized):
            return (None,)
        return None

    async def handle(self, turn: Turn, found: tuple[str | None]) -> Response:
        response = await self._answer(turn, found[0])
        record = progress(turn.state)
        flow = self.services.catalog.flows.get(str(record.get("id"))) if record else None
        if record is not None and flow is not None:  # asked mid-flow: offer to carry on
            return interrupted(turn, flow, record, response)
        return response

    async def _answer(self, turn: Turn, reference: str | None) -> Response:
        if reference is None:
            return await self._list(turn)
        async with self.services.store.unit() as unit:
            record = await unit.applications.by_reference(reference)
            mine = record is not None and record.user_id == turn.user_id
            events = await unit.applications.events(record.id) if record and mine else []
        if record is None or not mine:
            text = turn.say("status_not_found", reference=reference)
            return Response(OutcomeKind.INFO, (Reply(text),), extra={"status": "not_found"})
        lines = [
            turn.say(
                "status_found",
                reference=record.reference,
                title=_title(turn, self.services, record),
                status=turn.say(f"status_{record.status.value}"),
                date=_date(turn, record.created_at),
            )
        ]
        messages = [e for e in events if e.kind == "message" and e.text.strip()]
        if messages:
            lines.append(turn.say("status_staff_message", message=messages[-1].text))
        return Response(
            OutcomeKind.INFO,
            (Reply("\n".join(lines)),),
            extra={"status": record.status.value, "reference": record.reference},
        )

    async def _list(self, turn: Turn) -> Response:
        async with self.services.store.unit() as unit:
            records = await unit.applications.for_user(turn.user_id) if turn.user_id else []
        if not records:
            return Response(OutcomeKind.INFO, (Reply(turn.say("status_none")),))
        lines = [turn.say("status_list")]
        for record in records[:RECENT]:
            lines.append(
                turn.say(
                    "status_list_item",
                    reference=record.reference,
                    title=_title(turn, self.services, record),
                    status=turn.say(f"status_{record.status.value}"),
                    date=_date(turn, record.created_at),
                )
            )
        return Response(OutcomeKind.INFO, (Reply("\n".join(lines)),), extra={"status": "list"})
