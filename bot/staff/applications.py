"""Console pages for applications: the list, one application, its photos and the CSV export.

    GET  /staff/applications                  tabs new / in progress / done / rejected, filters
    GET  /staff/applications/{id}             answers, photos, map link, history, actions
    POST /staff/applications/{id}/status      status + message to the citizen
    POST /staff/applications/{id}/note        internal note
    GET  /staff/applications.csv?from=&to=    a day's or a period's applications (audited)
    GET  /staff/attachments/{token}           a photo, to staff of the owning department

Personal data is for the owning department and admins only: for anyone else an application,
its photos and its CSV rows do not exist (404, or left out), exactly like an unknown id.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.procedures.applications import (
    TRANSITIONS,
    ApplicationConflict,
    ApplicationError,
    ApplicationService,
)
from bot.procedures.attachments import AttachmentStore
from bot.staff import application_views as views
from bot.staff.auth import StaffUser, client_ip
from bot.staff.http import SECURITY_HEADERS, not_found, now, redirect, render, services
from bot.staff.views import department_names, local_time
from bot.storage.base import Unit
from bot.storage.records import ApplicationRecord

logger = logging.getLogger(__name__)

MESSAGES = {  # ?done= / ?error= codes after an action -> what the page says
    "status": "状態を変更し、市民にお知らせしました。 Status changed; the citizen was told.",
    "queued": "状態を変更しました。お知らせは送信待ちです（自動で再送します）。 "
    "Status changed; the notice is queued and will be retried.",
    "noted": "メモを追加しました。 Note added.",
    "conflict": "この操作は今の状態ではできません。 Not possible in the current state.",
    "empty": "入力が空です。 The text is empty.",
    "invalid": "入力内容を確認してください。 Please check the form.",
}
LIST_LIMIT = 200
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def service(request: Request) -> ApplicationService:
    """The application service the app was composed with."""
    return services(request).applications


def attachment_store(request: Request) -> AttachmentStore:
    """Where citizens' photos are kept."""
    return services(request).attachments


async def visible(unit: Unit, staff: StaffUser, application_id: int) -> ApplicationRecord | None:
    """The application if this clerk may see it; ``None`` also hides that it exists."""
    record = await unit.applications.get(application_id)
    if record is None or not staff.may_see(record.department):
        return None
    return record


async def list_page(request: Request, staff: StaffUser) -> Response:
    rt = services(request)
    flows = service(request).flows
    query = views.ApplicationQuery.parse(request.query_params)
    lower, upper = query.bounds()
    async with rt.store.unit() as unit:
        records = await unit.applications.list(
            departments=staff.visible_departments,
            statuses=[query.tab],
            created_from=lower,
            created_to=upper,
            limit=LIST_LIMIT if not query.flow else 10 * LIST_LIMIT,
        )
        counts = await unit.applications.counts(departments=staff.visible_departments)
    if query.flow:
        records = [r for r in records if r.flow_id == query.flow][:LIST_LIMIT]
    names = department_names(rt.knowledge)
    day = views.today(now(request)).isoformat()
    export = {"from": query.date_from.isoformat() if query.date_from else day}
    export["to"] = query.date_to.isoformat() if query.date_to else export["from"]
    context: dict[str, Any] = {
        "staff": staff,
        "query": query,
        "tabs": [
            {"tab": t, "ja": ja, "en": en, "url": f"/staff/applications?{query.search(tab=t)}"}
            for t, (ja, en) in views.TABS.items()
        ],
        "counts": views.counts(counts),
        "flows": views.flow_choices(flows, staff),
        "rows": [views.row(r, flows, names) for r in records],
        "export": export,
        "limited": len(records) >= LIST_LIMIT,
    }
    return render(request, "applications.html", context)


def _id(request: Request) -> int:
    return int(request.path_params["application_id"])


async def detail_page(request: Request, staff: StaffUser) -> Response:
    rt = services(request)
    svc = service(request)
    async with rt.store.unit() as unit:
        record = await visible(unit, staff, _id(request))
        if record is None:
            return not_found(request)
        attachments = await unit.attachments.for_application(record.id)
        events = await unit.applications.events(record.id)
        user = await unit.users.get(record.user_id)
        people = {s.id: s.display_name for s in await unit.staff.list()}
    language = "en" if user is not None and user.language == "en" else "ja"
    flow = svc.flows.flows.get(record.flow_id)
    templates = {
        target: svc.template(record, target, language)
        for target in TRANSITIONS.get(str(record.status), ())
    }
    done = request.query_params.get("done") or request.query_params.get("error") or ""
    context: dict[str, Any] = {
        "staff": staff,
        "a": views.row(record, svc.flows, department_names(rt.knowledge)),
        "language": language,
        "answers": views.answers(flow, record.answers),
        "photos": views.photos(attachments),
        "history": views.history(events, people),
        "forms": views.status_forms(record, templates),
        "updated": local_time(record.updated_at),
        "flash": MESSAGES.get(done),
        "flash_error": "error" in request.query_params,
    }
    return render(request, "application.html", context)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


async def change_status(request: Request, staff: StaffUser) -> Response:
    async with services(request).store.unit() as unit:
        record = await visible(unit, staff, _id(request))
    if record is None:
        return not_found(request)
    page = f"/staff/applications/{record.id}"
    form = await request.form()
    status, message = _text(form.get("status")), _text(form.get("message"))
    if not message:
        return redirect(f"{page}?error=empty")
    try:
        change = await service(request).change_status(
            record.id, staff.id, status, message, ip=client_ip(request)
        )
    except ApplicationConflict:
        return redirect(f"{page}?error=conflict")
    except ApplicationError:
        logger.info("application %s: status change refused", record.id)
        return redirect(f"{page}?error=invalid")
    return redirect(f"{page}?done={'status' if change.delivered else 'queued'}")


async def add_note(request: Request, staff: StaffUser) -> Response:
    async with services(request).store.unit() as unit:
        record = await visible(unit, staff, _id(request))
    if record is None:
        return not_found(request)
    page = f"/staff/applications/{record.id}"
    text = _text((await request.form()).get("text"))
    if not text:
        return redirect(f"{page}?error=empty")
    try:
        await service(request).add_note(record.id, staff.id, text, ip=client_ip(request))
    except ApplicationError:
        return redirect(f"{page}?error=invalid")
    return redirect(f"{page}?done=noted")


async def attachment(request: Request, staff: StaffUser) -> Response:
    """A photo of an application, to staff who may see that application only."""
    token = str(request.path_params["token"])
    if not token or len(token) > 128 or not set(token) <= _TOKEN_CHARS:
        return not_found(request)
    async with services(request).store.unit() as unit:
        found = await unit.attachments.by_token(token)
        record = None
        if found is not None and found.application_id is not None:
            record = await visible(unit, staff, found.application_id)
    if found is None or record is None:
        return not_found(request)
    try:
        data = await asyncio.to_thread(attachment_store(request).open, found.storage_key)
    except (FileNotFoundError, ValueError):
        logger.warning("attachment %s: file missing", found.id)
        return not_found(request)
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": "inline",
        "Cache-Control": "private, no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return Response(data, media_type=found.content_type, headers=headers)
