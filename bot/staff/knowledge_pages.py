"""Knowledge in the console: browse, search, edit and publish, confirm review items, history.

    GET  /staff/knowledge                      search (words, category, department, state),
                                               conflicts with the shipped YAML, ask the KB
    GET  /staff/knowledge/new                  new FAQ entry (?draft=ID, ?question=…&from=…)
    POST /staff/knowledge/new
    GET  /staff/knowledge/entry/{id}           editor, review checklist, history
    POST /staff/knowledge/entry/{id}           publish
    POST /staff/knowledge/entry/{id}/review    confirm one review item
    POST /staff/knowledge/entry/{id}/revert    publish an earlier version again
    POST /staff/knowledge/entry/{id}/conflict  keep the city's edit, or take the shipped entry

Every clerk may read every entry (what one department knows, every department can use); a
clerk edits the entries of their own departments, an admin all (others get 403).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from bot.knowledge_loop.entries import EntryInvalid, entry_data, entry_yaml
from bot.knowledge_loop.service import KnowledgeLoop, verified
from bot.staff import knowledge_views as kv
from bot.staff.auth import StaffUser, client_ip
from bot.staff.drafts import draft_entry
from bot.staff.http import not_found, redirect, render, services
from bot.staff.views import department_names
from knowledge.schema import Entry

MAX_TEXT = 5000
MESSAGES = {
    "published": "公開しました。ボットの回答に反映されました。 Published: the bot uses it now.",
    "created": "新しい項目を公開しました。 New entry published.",
    "confirmed": "確認項目を更新しました。 Review item updated.",
    "reverted": "以前の版に戻しました。 Reverted.",
    "resolved": "競合を解消しました。 Conflict resolved.",
    "invalid": "入力内容を確認してください。 Please check the form.",
}


def loop_of(request: Request) -> KnowledgeLoop:
    loop = services(request).knowledge_loop
    assert loop is not None, "the console was composed without the knowledge loop"
    return loop


def forbidden_page(request: Request, staff: StaffUser) -> Response:
    return render(request, "error.html", {"status": 403, "staff": staff}, status=403)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip()[:MAX_TEXT] if isinstance(value, str) else ""


def _lines(form: FormData, name: str) -> list[str]:
    return [line.strip() for line in _text(form, name).splitlines() if line.strip()]


def _words(form: FormData, name: str) -> list[str]:
    text = _text(form, name).replace("、", ",").replace("\n", ",")
    return [word.strip() for word in text.split(",") if word.strip()]


def edited_data(base: dict[str, Any], form: FormData) -> dict[str, Any]:
    """The entry as the form changes it (fields not on the form stay as they were)."""
    data = dict(base)
    data["title"] = {"ja": _text(form, "title_ja"), "en": _text(form, "title_en")}
    data["answer"] = {"ja": _text(form, "answer_ja"), "en": _text(form, "answer_en")}
    data["questions"] = _lines(form, "questions")
    data["keywords"] = _words(form, "keywords")
    data["related"] = _words(form, "related")
    for name in ("department", "category"):
        if _text(form, name):
            data[name] = _text(form, name)
    return data


def _choices(request: Request) -> dict[str, Any]:
    knowledge = services(request).knowledge
    return {
        "departments": sorted(department_names(knowledge).items()),
        "categories": sorted((c.id, c.name.ja) for c in knowledge.kb.categories.values()),
    }


async def index(request: Request, staff: StaffUser) -> Response:
    loop = loop_of(request)
    query = kv.KnowledgeQuery.parse(request.query_params)
    data = await kv.listing(loop, staff, query)
    async with services(request).store.unit() as unit:
        drafts = await unit.drafts.list(status="draft")
    context = {
        "staff": staff,
        "query": query,
        "states": kv.STATES,
        "kinds": kv.KIND_LABELS,
        "drafts": [
            {"id": d.id, "title": d.question.splitlines()[0] if d.question else f"#{d.id}"}
            for d in drafts[:50]
        ],
    }
    return render(request, "knowledge.html", {**context, **_choices(request), **data})


async def entry_page(request: Request, staff: StaffUser) -> Response:
    loop = loop_of(request)
    entry_id = str(request.path_params["entry_id"])
    entry = loop.knowledge.entry(entry_id)
    if entry is None:
        return not_found(request)
    versions = await loop.history(entry_id)
    checks = (await loop.checks(entry_id)).get(entry_id, {})
    async with services(request).store.unit() as unit:
        people = {s.id: s.display_name for s in await unit.staff.list()}
    shipped = loop.knowledge.shipped.entries.get(entry_id)
    conflict = next((c for c in loop.conflicts({v.entry_id: v for v in versions[:1]})), None)
    done = request.query_params.get("done") or request.query_params.get("error") or ""
    context = {
        "staff": staff,
        "entry": entry,
        "editable": kv.may_edit(staff, entry),
        "note": versions[0].note if versions else "",
        "verified": verified(entry, checks),
        "review": kv.review_items(entry, checks, people),
        "history": kv.history(versions, people),
        "shipped": shipped,
        "conflict": conflict,
        "shipped_yaml": entry_yaml(shipped) if conflict else "",
        "flash": MESSAGES.get(done),
        "flash_error": "error" in request.query_params,
        "problems": request.query_params.getlist("problem"),
    }
    return render(request, "knowledge_entry.html", {**context, **_choices(request)})


def _invalid(page: str, exc: EntryInvalid) -> Response:
    problems = "&".join(f"problem={p[:200]}" for p in exc.problems[:10])
    return redirect(f"{page}?error=invalid&{problems}")


class _Editing(NamedTuple):
    """An entry a member of staff may edit, with the posted form."""

    loop: KnowledgeLoop
    entry_id: str
    entry: Entry
    form: FormData
    page: str


async def _editing(request: Request, staff: StaffUser) -> _Editing | Response:
    """The entry of the path when ``staff`` may edit it, else the page that says why not."""
    loop = loop_of(request)
    entry_id = str(request.path_params["entry_id"])
    entry = loop.knowledge.entry(entry_id)
    if entry is None:
        return not_found(request)
    if not kv.may_edit(staff, entry):
        return forbidden_page(request, staff)
    form = await request.form()
    return _Editing(loop, entry_id, entry, form, f"/staff/knowledge/entry/{entry_id}")


async def publish(request: Request, staff: StaffUser) -> Response:
    editing = await _editing(request, staff)
    if isinstance(editing, Response):
        return editing
    loop, entry_id, entry, form, page = editing
    data = edited_data(entry_data(entry), form)
    if not staff.is_admin and kv.owner_of(data) not in staff.departments:
        return forbidden_page(request, staff)  # a clerk cannot give an entry away
    try:
        await loop.publish(
            entry_id, data, note=_text(form, "note"), staff_id=staff.id, ip=client_ip(request)
        )
    except EntryInvalid as exc:
        return _invalid(page, exc)
    return redirect(f"{page}?done=published")


async def review(request: Request, staff: StaffUser) -> Response:
    editing = await _editing(request, staff)
    if isinstance(editing, Response):
        return editing
    loop, entry_id, entry, form, page = editing
    number = _text(form, "item")
    if not number.isdigit() or int(number) >= len(entry.review):
        return redirect(f"{page}?error=invalid")
    await loop.set_check(
        entry_id,
        entry.review[int(number)],
        fact=_text(form, "fact"),
        confirmed=form.get("confirmed") == "yes",
        staff_id=staff.id,
        ip=client_ip(request),
    )
    return redirect(f"{page}?done=confirmed#review")


async def revert(request: Request, staff: StaffUser) -> Response:
    editing = await _editing(request, staff)
    if isinstance(editing, Response):
        return editing
    loop, entry_id, _entry, form, page = editing
    version = _text(form, "version")
    if not version.isdigit():
        return redirect(f"{page}?error=invalid")
    try:
        await loop.revert(entry_id, int(version), staff.id, client_ip(request))
    except EntryInvalid as exc:
        return _invalid(page, exc)
    return redirect(f"{page}?done=reverted")


async def conflict(request: Request, staff: StaffUser) -> Response:
    editing = await _editing(request, staff)
    if isinstance(editing, Response):
        return editing
    loop, entry_id, entry, form, page = editing
    choice = _text(form, "keep")
    try:
        if choice == "mine":  # the same entry again, now based on the new shipped one
            await loop.publish(
                entry_id, entry_data(entry), note=None, staff_id=staff.id,
                ip=client_ip(request), action="keep_mine",
            )  # fmt: skip
        elif choice == "shipped":
            await loop.publish(
                entry_id, None, note=None, staff_id=staff.id, ip=client_ip(request),
                action="take_shipped",
            )  # fmt: skip
        else:
            return redirect(f"{page}?error=invalid")
    except EntryInvalid as exc:
        return _invalid(page, exc)
    return redirect(f"{page}?done=resolved")


async def new_page(request: Request, staff: StaffUser) -> Response:
    rt = services(request)
    params = request.query_params
    draft: dict[str, Any] = {}
    draft_id = str(params.get("draft") or "")
    if draft_id.isdigit():
        async with rt.store.unit() as unit:
            record = await unit.drafts.get(int(draft_id))
            escalation = (
                await unit.escalations.get(record.escalation_id)
                if record is not None and record.escalation_id is not None
                else None
            )
        if record is not None:
            department = escalation.department if escalation is not None else None
            draft = draft_entry(record, rt.knowledge.kb, department)
    question = str(params.get("question") or "")[:500]
    context = {
        "staff": staff,
        "draft": draft,
        "draft_id": draft_id if draft else "",
        "questions": "\n".join(draft.get("questions") or ([question] if question else [])),
        "inquiries": str(params.get("from") or "")[:2000],
        "default_department": staff.departments[0] if staff.departments else "",
        "problems": params.getlist("problem"),
    }
    return render(request, "knowledge_new.html", {**context, **_choices(request)})


async def create(request: Request, staff: StaffUser) -> Response:
    loop = loop_of(request)
    form = await request.form()
    data = edited_data({"source": "職員が作成（市役所）", "review": []}, form)
    if not staff.is_admin and kv.owner_of(data) not in staff.departments:
        return forbidden_page(request, staff)
    try:
        entry_id = await loop.create(data, _text(form, "note"), staff.id, client_ip(request))
    except EntryInvalid as exc:
        return _invalid("/staff/knowledge/new", exc)
    ids = [int(i) for i in _text(form, "inquiries").split(",") if i.strip().isdigit()]
    draft_id = _text(form, "draft")
    rt = services(request)
    async with rt.store.unit() as unit:
        if ids:
            await unit.inquiries.resolve(
                ids, "new_entry", staff.id, rt.clock(), staff.visible_departments
            )
        if draft_id.isdigit() and await unit.drafts.get(int(draft_id)) is not None:
            await unit.drafts.set_status(int(draft_id), "exported")
    return redirect(f"/staff/knowledge/entry/{entry_id}?done=created")
