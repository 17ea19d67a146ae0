"""Console pages for notices: compose, preview the recipients and cost, approve, follow, report.

    GET  /staff/notices                    list and the compose form
    POST /staff/notices/preview            recipients per channel and billable LINE messages
    POST /staff/notices                    create (queued, or awaiting a second person)
    GET  /staff/notices/{id}               status, progress bar (refreshes while sending), report
    POST /staff/notices/{id}/approve       a second member of staff releases it
    POST /staff/notices/{id}/cancel        stop a scheduled or running send
    GET  /staff/api/notices/{id}           progress as JSON (polling)

Every action is audited by the notice service.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from bot.notify.service import Author, NoticeError, NoticeService, notify_repo
from bot.staff.auth import StaffUser
from bot.staff.http import json, not_found, now, redirect, render, services
from bot.staff.views import local_time
from bot.storage.base_notify import NoticeDraft, NoticeRecord

STATUS = {
    "awaiting_approval": "承認待ち Awaiting approval",
    "queued": "送信待ち Queued",
    "sending": "送信中 Sending",
    "done": "送信済み Done",
    "cancelled": "取り消し Cancelled",
}
DELIVERY = {
    "pending": "未送信 Pending",
    "sending": "送信中 Sending",
    "sent": "配信済み Delivered",
    "failed": "失敗 Failed",
    "blocked": "ブロック Blocked",
}
MESSAGES = {
    "created": "お知らせを登録しました。 The notice is saved.",
    "approved": "承認しました。送信を始めます。 Approved; sending starts.",
    "cancelled": "取り消しました。 Cancelled.",
    "not_cancelled": "取り消せませんでした（送信済みなど）。 Could not cancel (finished?).",
    "approve": "承認できません：作成者本人か、承認待ちではありません。 "
    "Not approved: you wrote it, or it is not awaiting approval.",
}


def _service(request: Request) -> NoticeService | None:
    notifications = services(request).notifications
    return notifications.service if notifications is not None else None


def _author(staff: StaffUser) -> Author:
    return Author(f"staff:{staff.id}", "console", staff.id, staff.departments)


def _draft(form: FormData) -> tuple[NoticeDraft, str]:
    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    areas = tuple(a for a in form.getlist("area") if isinstance(a, str) and a)
    draft = NoticeDraft(
        topic=text("topic"),
        areas=areas,
        text_ja=text("text_ja"),
        text_en=text("text_en") or None,
        link=text("link") or None,
        urgent=text("urgent") == "1",
    )
    return draft, text("schedule")


def _schedule(value: str, request: Request) -> dt.datetime | None:
    if not value:
        return None
    try:
        local = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        msg = f"the schedule {value!r} is not a date and time"
        raise NoticeError(msg) from exc
    tz = services(request).settings.office_hours.tz
    return (local if local.tzinfo else local.replace(tzinfo=tz)).astimezone(dt.UTC)


def _form_context(service: NoticeService, staff: StaffUser) -> dict[str, Any]:
    notify = service.notify
    return {
        "staff": staff,
        "topics": [(t.id, t.label.ja, t.label.en) for t in notify.topics],
        "districts": [(d.id, d.label.ja) for d in notify.districts.districts],
        "sample": notify.districts.sample,
        "threshold": service.threshold,
    }


def _row(notice: NoticeRecord, service: NoticeService) -> dict[str, Any]:
    topic = service.notify.topic(notice.topic)
    names = [service.notify.district(a) for a in notice.areas]
    return {
        "id": notice.id,
        "url": f"/staff/notices/{notice.id}",
        "topic": topic.label.ja if topic else notice.topic,
        "areas": "、".join(d.label.ja for d in names if d) or "全地区 All areas",
        "text": notice.text_ja,
        "status": notice.status,
        "status_label": STATUS.get(notice.status, notice.status),
        "urgent": notice.urgent,
        "created": local_time(notice.created_at),
        "not_before": local_time(notice.not_before),
        "recipients": notice.recipients,
        "author": notice.author,
    }


async def list_page(request: Request, staff: StaffUser) -> Response:
    service = _service(request)
    if service is None:
        return not_found(request)
    async with service.store.unit() as unit:
        notices = await notify_repo(unit).list_notices(100)
    context = _form_context(service, staff)
    context["rows"] = [_row(n, service) for n in notices]
    context["error"] = request.query_params.get("error", "")
    return render(request, "notices.html", context)


async def preview(request: Request, staff: StaffUser) -> Response:
    service = _service(request)
    if service is None:
        return not_found(request)
    form = await request.form()
    draft, schedule = _draft(form)
    context = _form_context(service, staff)
    try:
        service.check(draft)
        _schedule(schedule, request)
    except NoticeError as exc:
        context.update(rows=[], error=str(exc), draft=draft, schedule=schedule)
        return render(request, "notices.html", context, status=422)
    counts = await service.preview(draft.topic, draft.areas)
    total = sum(counts.values())
    context.update(
        draft=draft,
        schedule=schedule,
        counts={c: counts.get(c, 0) for c in ("line", "telegram", "web")},
        total=total,
        billable=counts.get("line", 0),  # one text message per LINE recipient
        approval=service.needs_approval(draft, total, _author(staff)),
        topic_label=_row_label(service, draft),
    )
    return render(request, "notice_preview.html", context)


def _row_label(service: NoticeService, draft: NoticeDraft) -> str:
    topic = service.notify.topic(draft.topic)
    return topic.label.ja if topic else draft.topic


async def create(request: Request, staff: StaffUser) -> Response:
    service = _service(request)
    if service is None:
        return not_found(request)
    draft, schedule = _draft(await request.form())
    try:
        notice = await service.create(
            draft, _author(staff), scheduled_at=_schedule(schedule, request)
        )
    except NoticeError as exc:
        context = _form_context(service, staff)
        context.update(rows=[], error=str(exc), draft=draft, schedule=schedule)
        return render(request, "notices.html", context, status=422)
    assert notice is not None
    return redirect(f"/staff/notices/{notice.id}?done=created")


def _id(request: Request) -> int:
    return int(request.path_params["notice_id"])


async def _progress(service: NoticeService, notice_id: int) -> dict[str, Any] | None:
    async with service.store.unit() as unit:
        repo = notify_repo(unit)
        notice = await repo.get_notice(notice_id)
        if notice is None:
            return None
        counts = await repo.progress(notice_id)
        report = await repo.report(notice_id)
    total = sum(counts.values())
    finished = sum(counts.get(s, 0) for s in ("sent", "failed", "blocked"))
    return {
        "notice": notice,
        "status": notice.status,
        "counts": counts,
        "total": total,
        "finished": finished,
        "percent": round(100 * finished / total) if total else (100 if notice.finished_at else 0),
        "report": [
            {"channel": c, "status": DELIVERY.get(s, s), "error": e or "", "count": n}
            for c, s, e, n in report
        ],
    }


async def detail_page(request: Request, staff: StaffUser) -> Response:
    service = _service(request)
    if service is None:
        return not_found(request)
    progress = await _progress(service, _id(request))
    if progress is None:
        return not_found(request)
    notice: NoticeRecord = progress["notice"]
    done = request.query_params.get("done") or request.query_params.get("error") or ""
    context: dict[str, Any] = {
        "staff": staff,
        "n": _row(notice, service),
        "text_en": notice.text_en,
        "link": notice.link,
        "p": progress,
        "live": notice.status in ("queued", "sending"),
        "may_approve": notice.status == "awaiting_approval" and notice.author_staff_id != staff.id,
        "own": notice.author_staff_id == staff.id,
        "may_cancel": notice.status in ("awaiting_approval", "queued", "sending"),
        "message": MESSAGES.get(done, ""),
        "finished": local_time(notice.finished_at) if notice.finished_at else "",
        "now": local_time(now(request)),
    }
    return render(request, "notice.html", context)


async def progress_api(request: Request, staff: StaffUser) -> Response:
    service = _service(request)
    progress = await _progress(service, _id(request)) if service is not None else None
    if progress is None:
        return not_found(request, api=True)
    progress.pop("notice")
    return json(progress)


async def approve(request: Request, staff: StaffUser) -> Response:
    service = _service(request)
    if service is None:
        return not_found(request)
    try:
        await service.approve(_id(request), staff.id)
    except NoticeError:
        return redirect(f"/staff/notices/{_id(request)}?error=approve")
    return redirect(f"/staff/notices/{_id(request)}?done=approved")


async def cancel(request: Request, staff: StaffUser) -> Response:
    service = _service(request)
    if service is None:
        return not_found(request)
    cancelled = await service.cancel(_id(request), staff.id, f"staff:{staff.id}")
    return redirect(
        f"/staff/notices/{_id(request)}?done={'cancelled' if cancelled else 'not_cancelled'}"
    )
