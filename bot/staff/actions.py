"""Console actions on one escalation (POST forms; every change goes through the service).

Each action checks that the clerk may see the escalation (else 404), calls
``EscalationService`` (``bot/handoff/escalation.py``) and redirects back to the conversation
page with a short status code the page turns into a message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from bot.handoff.escalation import EscalationConflict, EscalationError
from bot.staff.auth import StaffUser, client_ip
from bot.staff.http import not_found, redirect, services
from bot.staff.pages import visible
from bot.storage.records import EscalationRecord

logger = logging.getLogger(__name__)

MAX_TEXT = 5000  # characters in a reply or note
MIN_QUESTIONS = 3  # the knowledge schema wants three phrasings per entry

# An action returns a message code for the page, or a path to go to instead.
Action = Callable[[Request, StaffUser, EscalationRecord, FormData], Awaitable[str]]


class Invalid(ValueError):
    """The form is incomplete; the value is the page's message code."""


def _text(form: FormData, name: str, *, required: bool = True) -> str:
    value = form.get(name)
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise Invalid("empty")
    if len(text) > MAX_TEXT:
        raise Invalid("invalid")
    return text


def action(handler: Action) -> Callable[[Request, StaffUser], Awaitable[Response]]:
    async def endpoint(request: Request, staff: StaffUser) -> Response:
        escalation_id = int(request.path_params["escalation_id"])
        async with services(request).store.unit() as unit:
            record = await visible(unit, staff, escalation_id)
        if record is None:
            return not_found(request)
        page = f"/staff/escalations/{escalation_id}"
        form = await request.form()
        try:
            done = await handler(request, staff, record, form)
        except Invalid as exc:
            return redirect(f"{page}?error={exc}")
        except EscalationConflict:
            return redirect(f"{page}?error=conflict")
        except EscalationError:
            logger.info("escalation %s: action refused", escalation_id)
            return redirect(f"{page}?error=invalid")
        if done.startswith("/"):
            return redirect(done)
        return redirect(f"{page}?done={done}")

    endpoint.__name__ = handler.__name__
    return endpoint


@action
async def assign(
    request: Request, staff: StaffUser, record: EscalationRecord, form: FormData
) -> str:
    choice = _text(form, "assignee")
    if choice == "me":
        assignee: int | None = staff.id
    elif choice == "none":
        assignee = None
    elif choice.isdigit():
        assignee = int(choice)
        async with services(request).store.unit() as unit:
            person = await unit.staff.get(assignee)
        if person is None or not person.active:
            raise Invalid("invalid")
        if person.role != "admin" and record.department not in person.departments:
            raise Invalid("invalid")
    else:
        raise Invalid("invalid")
    escalations = services(request).escalations
    await escalations.assign(record.id, staff.id, assignee, ip=client_ip(request))
    return "assigned"


@action
async def transfer(
    request: Request, staff: StaffUser, record: EscalationRecord, form: FormData
) -> str:
    department = _text(form, "department")
    note = _text(form, "note")
    if department not in dict(services(request).escalations.departments()):
        raise Invalid("invalid")
    await services(request).escalations.transfer(
        record.id, staff.id, department, note, ip=client_ip(request)
    )
    if not staff.may_see(department):
        return "/staff/"  # the case left this clerk's departments: back to their queue
    return "transferred"


@action
async def note(
    request: Request, staff: StaffUser, record: EscalationRecord, form: FormData
) -> str:
    await services(request).escalations.add_note(
        record.id, staff.id, _text(form, "text"), ip=client_ip(request)
    )
    return "noted"


@action
async def reply(
    request: Request, staff: StaffUser, record: EscalationRecord, form: FormData
) -> str:
    sent = await services(request).escalations.reply(
        record.id, staff.id, _text(form, "text"), ip=client_ip(request)
    )
    return "replied" if sent.delivered else "queued"


@action
async def resolve(
    request: Request, staff: StaffUser, record: EscalationRecord, form: FormData
) -> str:
    await services(request).escalations.resolve(record.id, staff.id, ip=client_ip(request))
    return "resolved"


@action
async def hand_back(
    request: Request, staff: StaffUser, record: EscalationRecord, form: FormData
) -> str:
    await services(request).escalations.hand_back(record.id, staff.id, ip=client_ip(request))
    return "handed_back"


@action
async def reopen(
    request: Request, staff: StaffUser, record: EscalationRecord, form: FormData
) -> str:
    await services(request).escalations.reopen(record.id, staff.id, ip=client_ip(request))
    return "reopened"


@action
async def draft(
    request: Request, staff: StaffUser, record: EscalationRecord, form: FormData
) -> str:
    """Propose an FAQ entry from a resolved escalation (stored as a draft, audited)."""
    if str(record.status) != "resolved":
        raise EscalationConflict(f"escalation {record.id} is not resolved")
    lines = [line.strip() for line in _text(form, "question").splitlines() if line.strip()]
    if len(lines) < MIN_QUESTIONS:
        raise Invalid("too_few")
    answer_ja = _text(form, "answer_ja")
    answer_en = _text(form, "answer_en", required=False) or None
    category = _text(form, "category", required=False) or record.category
    if category is not None and category not in services(request).knowledge.kb.categories:
        raise Invalid("invalid")
    async with services(request).store.unit() as unit:
        saved = await unit.drafts.add(
            staff.id, "\n".join(lines), answer_ja, answer_en, category, escalation_id=record.id
        )
        await unit.audit.add(
            staff.id,
            "draft.propose",
            target=f"escalation:{record.id}",
            detail={"draft": saved.id},
            ip=client_ip(request),
        )
    return "drafted"
