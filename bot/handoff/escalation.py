"""Escalations: conversations handed to staff, and every change staff make to them.

The engine opens and touches escalations inside its own unit of work (:meth:`escalate`,
:meth:`touch`, :meth:`citizen_returned`, then :meth:`publish` after the commit). The staff
console calls the other methods; each opens its own unit, records an audit entry, commits, and
only then sends anything to the citizen (no network call inside a transaction) and publishes
``{"kind": "escalation", "id": …, "status": …, "action": …}`` on the event bus::

    service = EscalationService(store, knowledge, events, delivery, office_hours)
    await service.assign(7, staff_id=2, assignee_id=2)
    sent = await service.reply(7, staff_id=2, text="担当の山田です。")

Permissions (which clerk may touch which department) are the console's business.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

from bot.clock import Clock
from bot.events import EventBus
from bot.handoff.office_hours import OfficeHours
from bot.handoff.staff_actions import audit, citizen, send_to_citizen
from bot.handoff.values import (
    GENERAL_DEPARTMENT,
    MAX_NOTE,
    MAX_REPLY,
    REASON_LABELS,
    TRANSCRIPT_SIZE,
    EscalationConflict,
    EscalationError,
    EscalationNotFound,
    EscalationRequest,
    StaffReply,
    checked,
    snapshot,
    summarize,
)
from bot.knowledge_service import Knowledge
from bot.storage.base import Store, Unit
from bot.storage.records import (
    UNSET,
    ConversationRecord,
    ConversationStatus,
    EscalationReason,
    EscalationRecord,
    EscalationStatus,
    MessageRecord,
    NoteRecord,
    UserRecord,
)

if TYPE_CHECKING:
    from bot.delivery.outbox import Delivery

__all__ = [
    "GENERAL_DEPARTMENT",
    "REASON_LABELS",
    "EscalationConflict",
    "EscalationError",
    "EscalationNotFound",
    "EscalationRequest",
    "EscalationService",
    "StaffReply",
]

logger = logging.getLogger(__name__)


class EscalationService:
    """Opens escalations for the engine and carries out the staff console's actions."""

    def __init__(
        self,
        store: Store,
        knowledge: Knowledge,
        events: EventBus,
        delivery: Delivery | None = None,
        office_hours: OfficeHours | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.knowledge = knowledge
        self.events = events
        self.delivery = delivery
        self.office_hours = office_hours or OfficeHours()
        self.clock = clock or store.clock
        self._locks: dict[int, asyncio.Lock] = {}

    # -- office hours and departments ---------------------------------------------------------

    def is_open(self) -> bool:
        return self.office_hours.is_open(self.clock())

    def next_opening(self) -> dt.datetime:
        return self.office_hours.next_opening(self.clock())

    def department_name(self, department: str, language: str = "ja") -> str:
        entry = self.knowledge.entry(department)
        return entry.title.get(language) if entry is not None else department

    def departments(self) -> list[tuple[str, str]]:
        """``(id, Japanese title)`` of every department, for the transfer picker."""
        return [(e.id, e.title.ja) for e in self.knowledge.kb if e.kind == "department"]

    def route(self, category: str | None, entry_id: str | None) -> tuple[str, str | None]:
        """The department and category for an escalation.

        The category's department first, then the department of the entry the citizen last
        got, then general information.
        """
        entry = self.knowledge.entry(entry_id) if entry_id else None
        category = category or (entry.category if entry is not None else None)
        if category:
            department = self.knowledge.kb.department_for(category)
            if department is not None:
                return department.id, category
        if entry is not None:
            owner = self.knowledge.entry(entry.department)
            if owner is not None and owner.kind == "department":
                return owner.id, category
        return GENERAL_DEPARTMENT, category

    # -- engine side (inside the engine's unit) ------------------------------------------------

    async def escalate(
        self,
        unit: Unit,
        conversation: ConversationRecord,
        user: UserRecord,
        reason: EscalationReason,
        *,
        category: str | None = None,
        entry_id: str | None = None,
        priority: int = 0,
    ) -> EscalationRecord:
        """Open an escalation for the conversation, or touch the one that is active.

        A second trigger never queues the conversation twice; an emergency raises the
        priority of the active one.
        """
        active = await unit.escalations.active_for_conversation(conversation.id)
        if active is not None:
            touched = await self._citizen_wrote(unit, active)
            if priority > touched.priority:
                touched = await unit.escalations.update(touched.id, priority=priority)
            return touched
        last_entry = entry_id or cast(str | None, conversation.state.get("last_entry"))
        department, category = self.route(category, last_entry)
        recent = await unit.messages.recent(conversation.id, limit=TRANSCRIPT_SIZE)
        record = await unit.escalations.open(
            conversation.id,
            user.id,
            user.channel,
            reason,
            department,
            summarize(self.knowledge.system, reason, recent),
            {"messages": [snapshot(m) for m in recent]},
            category=category,
            priority=priority,
        )
        logger.info(
            "conversation %s: escalation %s opened (%s, %s, priority %d)",
            conversation.id,
            record.id,
            reason,
            department,
            priority,
        )
        return record

    async def touch(self, unit: Unit, conversation_id: int) -> EscalationRecord | None:
        """A citizen message while an escalation is active: activity, one more unread."""
        active = await unit.escalations.active_for_conversation(conversation_id)
        return await self._citizen_wrote(unit, active) if active is not None else None

    async def citizen_returned(self, unit: Unit, conversation_id: int) -> EscalationRecord | None:
        """The citizen asked for the bot again: the active escalation is resolved, with a note."""
        active = await unit.escalations.active_for_conversation(conversation_id)
        if active is None:
            return None
        await unit.notes.add(active.id, None, "system", "citizen returned to the bot")
        return await unit.escalations.resolve(active.id, self.clock())

    def publish(self, record: EscalationRecord, action: str) -> None:
        """Tell live listeners (the console's queue) about a change; call after the commit."""
        self.events.publish(
            "escalation",
            {
                "id": record.id,
                "status": str(record.status),
                "action": action,
                "conversation_id": record.conversation_id,
                "department": record.department,
                "priority": record.priority,
                "unread": record.unread,
            },
        )

    async def _citizen_wrote(self, unit: Unit, record: EscalationRecord) -> EscalationRecord:
        if record.status is EscalationStatus.WAITING:  # the ball is back with staff
            back = EscalationStatus.ASSIGNED if record.assignee_id else EscalationStatus.OPEN
            await unit.escalations.update(record.id, status=back)
        return await unit.escalations.touch(record.id, self.clock(), unread_delta=1)

    # -- console side (each its own unit; audit; commit, then send and publish) ---------------

    async def assign(
        self, escalation_id: int, staff_id: int, assignee_id: int | None, *, ip: str | None = None
    ) -> EscalationRecord:
        """Assign to a clerk (``None``: back to the open queue)."""
        async with self._lock(escalation_id), self.store.unit() as unit:
            record = await self._active(unit, escalation_id, "assign")
            if assignee_id is not None and await unit.staff.get(assignee_id) is None:
                msg = f"no staff account has id {assignee_id}"
                raise EscalationError(msg)
            status = record.status
            if status is not EscalationStatus.WAITING:
                status = EscalationStatus.ASSIGNED if assignee_id else EscalationStatus.OPEN
            record = await unit.escalations.update(
                escalation_id, status=status, assignee_id=assignee_id
            )
            await self._audit(unit, staff_id, "assign", record, {"assignee_id": assignee_id}, ip)
        self.publish(record, "assigned")
        return record

    async def transfer(
        self,
        escalation_id: int,
        staff_id: int,
        department: str,
        note: str,
        *,
        ip: str | None = None,
    ) -> EscalationRecord:
        """Hand the case to another department; the citizen is told, nothing is asked twice."""
        target = self.knowledge.entry(department)
        if target is None or target.kind != "department":
            msg = f"unknown department {department!r}"
            raise EscalationError(msg)
        async with self._lock(escalation_id):
            async with self.store.unit() as unit:
                record = await self._active(unit, escalation_id, "transfer")
                if record.department == department:
                    msg = f"escalation {escalation_id} is already with {department}"
                    raise EscalationConflict(msg)
                previous = record.department
                record = await unit.escalations.update(
                    escalation_id,
                    department=department,
                    assignee_id=None,
                    status=EscalationStatus.OPEN,
                )
                text = f"{previous} → {department}: {note.strip()}".rstrip(": ")
                await unit.notes.add(escalation_id, staff_id, "transfer", text[:MAX_NOTE])
                await self._audit(
                    unit, staff_id, "transfer", record, {"from": previous, "to": department}, ip
                )
                user = await self._user(unit, record)
                notice = self.knowledge.system.text(
                    "handoff_transferred",
                    user.language,
                    department=self.department_name(department, user.language),
                )
                message = await self._system_message(unit, record, notice)
            await self._send(user, notice, message.id)
        self.publish(record, "transferred")
        return record

    async def add_note(
        self, escalation_id: int, staff_id: int, text: str, *, ip: str | None = None
    ) -> NoteRecord:
        """An internal note for colleagues; never sent to the citizen."""
        text = checked(text, MAX_NOTE, "note")
        async with self._lock(escalation_id), self.store.unit() as unit:
            record = await self._get(unit, escalation_id)
            note = await unit.notes.add(escalation_id, staff_id, "note", text)
            await self._audit(unit, staff_id, "note", record, {"note_id": note.id}, ip)
        self.publish(record, "note")
        return note

    async def reply(
        self, escalation_id: int, staff_id: int, text: str, *, ip: str | None = None
    ) -> StaffReply:
        """Answer the citizen on their channel; an unassigned case becomes the replier's."""
        text = checked(text, MAX_REPLY, "reply")
        async with self._lock(escalation_id):
            async with self.store.unit() as unit:
                record = await self._active(unit, escalation_id, "reply to")
                user = await self._user(unit, record)
                message = await unit.messages.add(
                    record.conversation_id, direction="out", author="staff", text=text
                )
                await unit.conversations.update(
                    record.conversation_id, status=ConversationStatus.STAFF
                )
                await unit.escalations.update(
                    escalation_id,
                    status=EscalationStatus.WAITING,
                    assignee_id=staff_id if record.assignee_id is None else UNSET,
                )
                await unit.escalations.touch(escalation_id, self.clock())
                record = await unit.escalations.mark_read(escalation_id)
                detail = {"message_id": message.id, "length": len(text)}
                await self._audit(unit, staff_id, "reply", record, detail, ip)
            delivered = await self._send(user, text, message.id)
        self.publish(record, "replied")
        return StaffReply(record, message, delivered)

    async def resolve(
        self, escalation_id: int, staff_id: int, *, ip: str | None = None
    ) -> EscalationRecord:
        """Close the case; the chat stays with staff until it is handed back."""
        async with self._lock(escalation_id), self.store.unit() as unit:
            record = await self._active(unit, escalation_id, "resolve")
            record = await unit.escalations.resolve(escalation_id, self.clock())
            await self._audit(unit, staff_id, "resolve", record, None, ip)
        self.publish(record, "resolved")
        return record

    async def hand_back(
        self, escalation_id: int, staff_id: int, *, ip: str | None = None
    ) -> EscalationRecord:
        """Give the conversation back to the bot (resolving the case) and tell the citizen."""
        async with self._lock(escalation_id):
            async with self.store.unit() as unit:
                record = await self._get(unit, escalation_id)
                convo = await unit.conversations.get(record.conversation_id)
                if convo is None or convo.status is ConversationStatus.BOT:
                    if record.status is EscalationStatus.RESOLVED:
                        msg = f"escalation {escalation_id}: the bot already has the conversation"
                        raise EscalationConflict(msg)
                else:
                    await unit.conversations.update(convo.id, status=ConversationStatus.BOT)
                if record.status is not EscalationStatus.RESOLVED:
                    record = await unit.escalations.resolve(escalation_id, self.clock())
                await unit.notes.add(escalation_id, staff_id, "system", "handed back to the bot")
                await self._audit(unit, staff_id, "hand_back", record, None, ip)
                user = await self._user(unit, record)
                notice = self.knowledge.system.text("handoff_returned", user.language)
                message = await self._system_message(unit, record, notice)
            await self._send(user, notice, message.id)
        self.publish(record, "handed_back")
        return record

    async def reopen(
        self, escalation_id: int, staff_id: int, *, ip: str | None = None
    ) -> EscalationRecord:
        """Put a resolved case back in the queue (the next reply takes the chat from the bot)."""
        async with self._lock(escalation_id), self.store.unit() as unit:
            record = await self._get(unit, escalation_id)
            if record.status is not EscalationStatus.RESOLVED:
                msg = f"escalation {escalation_id} is not resolved"
                raise EscalationConflict(msg)
            other = await unit.escalations.active_for_conversation(record.conversation_id)
            if other is not None:
                msg = f"the conversation already has an active escalation ({other.id})"
                raise EscalationConflict(msg)
            record = await unit.escalations.reopen(escalation_id, self.clock())
            await self._audit(unit, staff_id, "reopen", record, None, ip)
        self.publish(record, "reopened")
        return record

    async def mark_read(self, escalation_id: int, staff_id: int) -> EscalationRecord:
        """Staff looked at the conversation: nothing unread (no audit: viewing changes nothing)."""
        async with self.store.unit() as unit:
            await self._get(unit, escalation_id)
            record = await unit.escalations.mark_read(escalation_id)
        self.publish(record, "read")
        return record

    # -- helpers --------------------------------------------------------------------------------

    @asynccontextmanager
    async def _lock(self, escalation_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(escalation_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self._locks.get(escalation_id) is lock:
                del self._locks[escalation_id]

    async def _get(self, unit: Unit, escalation_id: int) -> EscalationRecord:
        record = await unit.escalations.get(escalation_id)
        if record is None:
            msg = f"no escalation has id {escalation_id}"
            raise EscalationNotFound(msg)
        return record

    async def _active(self, unit: Unit, escalation_id: int, action: str) -> EscalationRecord:
        record = await self._get(unit, escalation_id)
        if record.status is EscalationStatus.RESOLVED:
            msg = f"cannot {action} escalation {escalation_id}: it is resolved (reopen it first)"
            raise EscalationConflict(msg)
        return record

    async def _user(self, unit: Unit, record: EscalationRecord) -> UserRecord:
        return await citizen(unit, record.user_id, f"escalation {record.id}", EscalationError)

    async def _system_message(
        self, unit: Unit, record: EscalationRecord, text: str
    ) -> MessageRecord:
        return await unit.messages.add(
            record.conversation_id, direction="out", author="system", text=text
        )

    async def _audit(
        self,
        unit: Unit,
        staff_id: int,
        action: str,
        record: EscalationRecord,
        detail: dict[str, Any] | None,
        ip: str | None,
    ) -> None:
        await audit(unit, staff_id, "escalation", record.id, action, detail, ip)

    async def _send(self, user: UserRecord, text: str, message_id: int) -> bool:
        return await send_to_citizen(self.delivery, user, text, message_id)
