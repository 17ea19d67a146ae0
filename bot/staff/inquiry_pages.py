"""Unanswered questions: grouped for review, and one action per group.

    GET  /staff/knowledge/unanswered      groups of similar questions per department, newest
                                          first: fell back, needed a choice, いいえ, handed off
    POST /staff/knowledge/unanswered      action = paraphrased | out_of_scope | dismissed
                                          (a new entry: /staff/knowledge/new?question=…&from=…)

A clerk sees and acts on the questions of their departments; citizens' texts are shown with
numbers and e-mail addresses masked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from bot.knowledge_loop.entries import EntryInvalid
from bot.knowledge_loop.inquiries import STATUSES, Group, group
from bot.staff import knowledge_views as kv
from bot.staff.auth import StaffUser, client_ip
from bot.staff.http import redirect, render, services
from bot.staff.knowledge_pages import forbidden_page, loop_of
from bot.staff.views import department_names, local_time

PERIOD = dt.timedelta(days=90)
REASONS = {
    "fallback": "回答できず Not answered",
    "choices": "候補から選択 Chose among choices",
    "not_helpful": "役に立たなかった Not helpful",
    "handoff": "職員へ引き継ぎ Handed off",
}
MESSAGES = {
    "paraphrased": "言い換えとして追加しました。すぐに回答に反映されます。 Added as a paraphrase.",
    "out_of_scope": "対象外にしました。 Marked out of scope.",
    "dismissed": "却下しました。 Dismissed.",
    "invalid": "入力内容を確認してください。 Please check the form.",
}


def _shape(item: Group, names: dict[str, str], request: Request) -> dict[str, Any]:
    knowledge = services(request).knowledge
    suggested = item.suggested_entry
    entry = knowledge.entry(suggested) if suggested else None
    ids = ",".join(str(i) for i in item.ids)
    return {
        "ids": ids,
        "text": item.text,
        "count": item.count,
        "newest": local_time(item.newest),
        "department": names.get(item.department, item.department),
        "reasons": [f"{REASONS[r]} ×{n}" for r, n in item.reasons.most_common()],
        "variants": [t for t, _ in item.texts.most_common(5) if t != item.text],
        "entries": [
            {"id": e, "title": found.title.ja if (found := knowledge.entry(e)) else e, "n": n}
            for e, n in item.entries.most_common(3)
        ],
        "suggested": entry.id if entry is not None else "",
        "new_url": "/staff/knowledge/new?" + urlencode({"question": item.text, "from": ids}),
    }


async def unanswered(request: Request, staff: StaffUser) -> Response:
    rt = services(request)
    async with rt.store.unit() as unit:
        records = await unit.inquiries.for_review(
            staff.visible_departments, rt.clock() - PERIOD
        )
    names = department_names(rt.knowledge)
    groups = [_shape(g, names, request) for g in group(records)]
    done = request.query_params.get("done") or request.query_params.get("error") or ""
    context = {
        "staff": staff,
        "groups": groups,
        "flash": MESSAGES.get(done),
        "flash_error": "error" in request.query_params,
        "entries": sorted(
            (e.id, e.title.ja) for e in rt.knowledge.kb if kv.may_edit(staff, e)
        ),
    }
    return render(request, "unanswered.html", context)


async def act(request: Request, staff: StaffUser) -> Response:
    rt = services(request)
    form = await request.form()
    action = str(form.get("action") or "")
    raw_ids = str(form.get("ids") or "")
    ids = [int(i) for i in raw_ids.split(",") if i.strip().isdigit()]
    page = "/staff/knowledge/unanswered"
    if not ids or action not in STATUSES or action == "new_entry":
        return redirect(f"{page}?error=invalid")
    if action == "paraphrased":
        entry_id = str(form.get("entry") or "").strip()
        question = str(form.get("question") or "").strip()[:500]
        entry = rt.knowledge.entry(entry_id)
        if entry is None or not question:
            return redirect(f"{page}?error=invalid")
        if not kv.may_edit(staff, entry):
            return forbidden_page(request, staff)
        try:
            await loop_of(request).add_paraphrase(entry_id, question, staff.id, client_ip(request))
        except EntryInvalid:
            return redirect(f"{page}?error=invalid")
    async with rt.store.unit() as unit:
        changed = await unit.inquiries.resolve(
            ids, action, staff.id, rt.clock(), staff.visible_departments
        )
        await unit.audit.add(
            staff.id,
            f"inquiry.{action}",
            target=f"inquiries:{len(ids)}",
            detail={"changed": changed},
            ip=client_ip(request),
        )
    return redirect(f"{page}?done={action}")
