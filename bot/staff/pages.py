"""Console pages and their JSON twins: the queue, one escalation, canned replies, the audit log.

Pages only read (the escalation service makes every change). A clerk sees the escalations of
their departments; any other id answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.staff import views
from bot.staff.auth import StaffUser
from bot.staff.http import json, not_found, now, render, services
from bot.storage.base import Unit
from bot.storage.records import EscalationRecord

MESSAGES = {  # ?done= / ?error= codes after an action -> what the page says
    "assigned": "担当者を設定しました。 Assigned.",
    "transferred": "担当部署を変更し、市民にお知らせしました。 Transferred; the citizen was told.",
    "noted": "メモを追加しました。 Note added.",
    "replied": "返信を送信しました。 Reply sent.",
    "queued": "返信は送信待ちです（自動で再送します）。 Reply queued; it will be retried.",
    "resolved": "解決済みにしました。 Resolved.",
    "handed_back": "ボットに戻しました。市民にお知らせしました。 Handed back to the bot.",
    "reopened": "再開しました。 Reopened.",
    "drafted": "FAQ案を保存しました。 FAQ draft saved.",
    "conflict": "この操作は今の状態ではできません。 Not possible in the current state.",
    "empty": "入力が空です。 The text is empty.",
    "invalid": "入力内容を確認してください。 Please check the form.",
    "too_few": "質問を3行以上（言い換えを含めて）入力してください。 Enter 3 or more phrasings.",
}


def tab_links(query: views.QueueQuery) -> list[dict[str, str]]:
    links = []
    for tab, (ja, en) in views.TABS.items():
        params = {"tab": tab, "department": query.department, "channel": query.channel}
        params["age"] = query.age
        search = "&".join(f"{k}={v}" for k, v in params.items() if v)
        links.append({"tab": tab, "ja": ja, "en": en, "url": f"/staff/?{search}"})
    return links


async def visible(unit: Unit, staff: StaffUser, escalation_id: int) -> EscalationRecord | None:
    """The escalation if this clerk may see it; ``None`` also hides that it exists."""
    record = await unit.escalations.get(escalation_id)
    if record is None or not staff.may_see(record.department):
        return None
    return record


def _department_choices(request: Request, staff: StaffUser) -> list[tuple[str, str]]:
    names = views.department_names(services(request).knowledge)
    allowed = names if staff.is_admin else {d: names.get(d, d) for d in staff.departments}
    return sorted(allowed.items(), key=lambda item: item[0])


async def queue_page(request: Request, staff: StaffUser) -> Response:
    rt = services(request)
    query = views.QueueQuery.parse(request.query_params)
    async with rt.store.unit() as unit:
        data = await views.queue(unit, rt.knowledge, staff, query, now(request))
    context = {
        "staff": staff,
        "query": query,
        "tabs": tab_links(query),
        "departments": _department_choices(request, staff),
        "channels": views.CHANNEL_LABELS,
        "ages": views.AGES,
        **data,
    }
    return render(request, "queue.html", context)


async def queue_api(request: Request, staff: StaffUser) -> Response:
    rt = services(request)
    query = views.QueueQuery.parse(request.query_params)
    async with rt.store.unit() as unit:
        data = await views.queue(unit, rt.knowledge, staff, query, now(request))
    return json(data)


def _id(request: Request) -> int:
    return int(request.path_params["escalation_id"])


async def escalation_page(request: Request, staff: StaffUser) -> Response:
    rt = services(request)
    async with rt.store.unit() as unit:
        record = await visible(unit, staff, _id(request))
        if record is None:
            return not_found(request)
        people = await unit.staff.list(active_only=True)
    if record.unread:
        record = await rt.escalations.mark_read(record.id, staff.id)
    async with rt.store.unit() as unit:
        data = await views.conversation(unit, rt.knowledge, record)
    done = request.query_params.get("done") or request.query_params.get("error") or ""
    context: dict[str, Any] = {
        "staff": staff,
        "e": data,
        "colleagues": views.colleagues(people, record.department),
        "departments": rt.escalations.departments(),
        "categories": sorted((c.id, c.name.ja) for c in rt.knowledge.kb.categories.values()),
        "flash": MESSAGES.get(done),
        "flash_error": "error" in request.query_params,
    }
    return render(request, "escalation.html", context)


async def escalation_api(request: Request, staff: StaffUser) -> Response:
    rt = services(request)
    async with rt.store.unit() as unit:
        record = await visible(unit, staff, _id(request))
        if record is None:
            return not_found(request, api=True)
        data = await views.conversation(unit, rt.knowledge, record)
    return json(data)


async def canned_api(request: Request, staff: StaffUser) -> Response:
    rt = services(request)
    async with rt.store.unit() as unit:
        record = await visible(unit, staff, _id(request))
        if record is None:
            return not_found(request, api=True)
        user = await unit.users.get(record.user_id)
    language = request.query_params.get("lang") or (user.language if user else "ja")
    query = str(request.query_params.get("q") or "")[:100]
    found = views.canned(rt.knowledge, record, query, "en" if language == "en" else "ja")
    return json({"entries": found})


async def audit_page(request: Request, staff: StaffUser) -> Response:
    rt = services(request)
    async with rt.store.unit() as unit:
        entries = await unit.audit.list(limit=500)
        people = {s.id: s for s in await unit.staff.list()}
    rows = [
        {
            "time": views.local_time(e.created_at),
            "who": people[e.staff_id].username if e.staff_id in people else "—",
            "action": e.action,
            "target": e.target or "",
            "detail": ", ".join(f"{k}={v}" for k, v in sorted(e.detail.items())),
            "ip": e.ip or "",
        }
        for e in entries
    ]
    return render(request, "audit.html", {"staff": staff, "rows": rows})
