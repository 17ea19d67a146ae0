"""Applications and reports in the staff console: status changes, notes and notices.

The flow runner creates applications through the repository directly; everything staff do to
one afterwards goes through :class:`ApplicationService`. Each change opens its own unit of work,
records a history event and an audit entry, commits, and only then tells the citizen on their
channel (no network call inside a transaction) and publishes
``{"kind": "application", "id": …, "status": …, "action": …, "department": …}`` on the event
bus::

    service = ApplicationService(store, knowledge, events, delivery)
    text = service.template(record, "done", "ja")          # the prefilled notice
    change = await service.change_status(7, staff_id=2, status="done", message=text)

Which clerk may touch which department is the console's business.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.errors import CityBotError
from bot.events import EventBus
from bot.handoff.staff_actions import audit, citizen, send_to_citizen
from bot.knowledge_service import Knowledge
from bot.storage.base import Store, Unit
from bot.storage.records import (
    ApplicationEventRecord,
    ApplicationRecord,
    ApplicationStatus,
    UserRecord,
)

if TYPE_CHECKING:
    from bot.delivery.outbox import Delivery
    from knowledge.flows import FlowCatalog

logger = logging.getLogger(__name__)

MAX_MESSAGE = 4000  # characters sent to the citizen (Telegram allows 4096, LINE 5000)
MAX_NOTE = 4000
STATUSES = ("new", "in_progress", "done", "rejected")
# status -> the statuses a clerk may move it to (done/rejected -> in_progress is "reopen")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("in_progress", "done", "rejected"),
    "in_progress": ("done", "rejected"),
    "done": ("in_progress",),
    "rejected": ("in_progress",),
}
CLOSED = ("done", "rejected")


class ApplicationError(CityBotError):
    """A staff action on an application could not be done (bad input or state)."""


class ApplicationNotFound(ApplicationError):
    """No application has this id."""


class ApplicationConflict(ApplicationError):
    """The change does not fit the application's current status."""


@dataclass(frozen=True)
class StatusChange:
    """A status change: the updated application and whether the notice was sent at once."""

    application: ApplicationRecord
    delivered: bool


def notice_key(current: str, target: str) -> str:
    """The message template for a change: moving a closed one back is a reopening."""
    if target == "in_progress" and current in CLOSED:
        return "application_status_reopened"
    return f"application_status_{target}"


def checked(text: str, limit: int, what: str) -> str:
    text = text.strip()
    if not text:
        msg = f"the {what} is empty"
        raise ApplicationError(msg)
    if len(text) > limit:
        msg = f"the {what} has {len(text)} characters; at most {limit} are allowed"
        raise ApplicationError(msg)
    return text


class ApplicationService:
    """Carries out the console's actions on applications and tells the citizen."""

    def __init__(
        self,
        store: Store,
        knowledge: Knowledge,
        events: EventBus,
        delivery: Delivery | None = None,
        flows: FlowCatalog | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.knowledge = knowledge
        self.events = events
        self.delivery = delivery
        self._flows = flows
        self.clock = clock or store.clock

    @property
    def flows(self) -> FlowCatalog:
        """The flow catalogue (loaded on first use when none was given)."""
        if self._flows is None:
            from knowledge.flows import load_flows

            self._flows = load_flows(kb=self.knowledge.kb)
        return self._flows

    def title(self, flow_id: str, language: str = "ja") -> str:
        flow = self.flows.flows.get(flow_id)
        return flow.title.get(language) if flow is not None else flow_id

    def template(self, record: ApplicationRecord, target: str, language: str) -> str:
        """The prefilled notice for moving ``record`` to ``target``, in the citizen's language."""
        key = notice_key(str(record.status), target)
        return self.knowledge.system.text(
            key,
            "en" if language == "en" else "ja",
            reference=record.reference,
            title=self.title(record.flow_id, language),
        )

    async def change_status(
        self,
        application_id: int,
        staff_id: int,
        status: str,
        message: str,
        *,
        ip: str | None = None,
    ) -> StatusChange:
        """Move the application to ``status`` and send ``message`` to the citizen.

        Raises:
            ApplicationNotFound: no such application.
            ApplicationConflict: the move is not allowed from the current status.
            ApplicationError: the message is empty or too long.
        """
        text = checked(message, MAX_MESSAGE, "message")
        async with self.store.unit() as unit:
            record = await self._get(unit, application_id)
            current = str(record.status)
            if status not in TRANSITIONS.get(current, ()):
                msg = f"application {application_id} cannot go from {current} to {status}"
                raise ApplicationConflict(msg)
            now = self.clock()
            record = await unit.applications.set_status(
                application_id, ApplicationStatus(status), now
            )
            await unit.applications.add_event(
                application_id, staff_id=staff_id, kind="status", status=status, text=text, at=now
            )
            user = await self._user(unit, record)
            convo = await unit.conversations.open_for(user.id)
            stored = await unit.messages.add(convo.id, direction="out", author="staff", text=text)
            detail = {"from": current, "to": status, "message_id": stored.id}
            await self._audit(unit, staff_id, "status", record, detail, ip)
        delivered = await self._send(user, text, stored.id)
        self.publish(record, "reopened" if current in CLOSED else status)
        return StatusChange(record, delivered)

    async def add_note(
        self, application_id: int, staff_id: int, text: str, *, ip: str | None = None
    ) -> ApplicationEventRecord:
        """An internal note for colleagues; never sent to the citizen."""
        text = checked(text, MAX_NOTE, "note")
        async with self.store.unit() as unit:
            record = await self._get(unit, application_id)
            event = await unit.applications.add_event(
                application_id,
                staff_id=staff_id,
                kind="note",
                status=None,
                text=text,
                at=self.clock(),
            )
            await self._audit(unit, staff_id, "note", record, {"event_id": event.id}, ip)
        self.publish(record, "note")
        return event

    def publish(self, record: ApplicationRecord, action: str) -> None:
        """Tell live listeners about a change; call after the commit."""
        self.events.publish(
            "application",
            {
                "id": record.id,
                "status": str(record.status),
                "action": action,
                "department": record.department,
            },
        )

    # -- helpers --------------------------------------------------------------------------------

    async def _get(self, unit: Unit, application_id: int) -> ApplicationRecord:
        record = await unit.applications.get(application_id)
        if record is None:
            msg = f"no application has id {application_id}"
            raise ApplicationNotFound(msg)
        return record

    async def _user(self, unit: Unit, record: ApplicationRecord) -> UserRecord:
        return await citizen(unit, record.user_id, f"application {record.id}", ApplicationError)

    async def _audit(
        self,
        unit: Unit,
        staff_id: int,
        action: str,
        record: ApplicationRecord,
        detail: dict[str, Any] | None,
        ip: str | None,
    ) -> None:
        await audit(unit, staff_id, "application", record.id, action, detail, ip)

    async def _send(self, user: UserRecord, text: str, message_id: int) -> bool:
        return await send_to_citizen(self.delivery, user, text, message_id)
