"""What the knowledge pages show, shaped as plain dicts (the templates autoescape)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.knowledge_loop.service import KnowledgeLoop, verified
from bot.staff.auth import StaffUser
from bot.staff.views import department_names, local_time
from bot.storage.base_knowledge import ReviewCheckRecord, VersionRecord
from knowledge.schema import Entry

KIND_LABELS = {
    "plan": "計画 Plan",
    "faq": "よくある質問 FAQ",
    "procedure": "手続き Procedure",
    "department": "部署 Department",
}
STATES = {"": "すべて All", "verified": "確認済み Verified", "review": "要確認 Needs review"}
LIMIT = 200
ASK_RESULTS = 5


@dataclass(frozen=True)
class KnowledgeQuery:
    """Search words and filters from the URL."""

    words: str = ""
    category: str = ""
    department: str = ""
    kind: str = ""
    state: str = ""
    ask: str = ""

    @classmethod
    def parse(cls, params: Any) -> KnowledgeQuery:
        def get(name: str, limit: int = 64) -> str:
            return str(params.get(name) or "").strip()[:limit]

        state = get("state")
        kind = get("kind")
        return cls(
            words=get("q", 100),
            category=get("category"),
            department=get("department"),
            kind=kind if kind in KIND_LABELS else "",
            state=state if state in STATES else "",
            ask=get("ask", 200),
        )


def owner(entry: Entry) -> str:
    """The department whose clerks edit the entry (a department entry: itself)."""
    return entry.id if entry.kind == "department" else entry.department


def may_edit(staff: StaffUser, entry: Entry) -> bool:
    return staff.is_admin or owner(entry) in staff.departments


def _matches(entry: Entry, query: KnowledgeQuery, is_verified: bool) -> bool:
    if query.category and entry.category != query.category:
        return False
    if query.department and owner(entry) != query.department:
        return False
    if query.kind and entry.kind != query.kind:
        return False
    if query.state == "verified" and not is_verified:
        return False
    if query.state == "review" and is_verified:
        return False
    if not query.words:
        return True
    haystack = " ".join(
        [
            entry.id,
            entry.title.ja,
            entry.title.en,
            entry.answer.ja,
            entry.answer.en,
            *entry.questions,
            *entry.keywords,
        ]
    ).lower()
    return all(word in haystack for word in query.words.lower().split())


def row(
    entry: Entry,
    checks: Mapping[str, ReviewCheckRecord],
    names: Mapping[str, str],
    edited: VersionRecord | None,
) -> dict[str, Any]:
    confirmed = sum(1 for item in entry.review if item in checks and checks[item].confirmed)
    return {
        "id": entry.id,
        "title": entry.title.ja,
        "title_en": entry.title.en,
        "kind": KIND_LABELS[entry.kind],
        "department": names.get(owner(entry), owner(entry)),
        "verified": verified(entry, checks),
        "confirmed": confirmed,
        "items": len(entry.review),
        "edited": local_time(edited.created_at) if edited is not None else "",
        "url": f"/staff/knowledge/entry/{entry.id}",
    }


async def listing(loop: KnowledgeLoop, staff: StaffUser, query: KnowledgeQuery) -> dict[str, Any]:
    knowledge = loop.knowledge
    checks = await loop.checks()
    latest = await loop.latest()
    names = department_names(knowledge)
    rows: list[dict[str, Any]] = []
    total = 0
    for entry in knowledge.kb:
        entry_checks = checks.get(entry.id, {})
        if not _matches(entry, query, verified(entry, entry_checks)):
            continue
        total += 1
        if len(rows) < LIMIT:
            rows.append(row(entry, entry_checks, names, latest.get(entry.id)))
    remaining = sum(
        1 for e in knowledge.kb if e.review and not verified(e, checks.get(e.id, {}))
    )
    answers = await ask(loop, query.ask, latest) if query.ask else []
    conflicts = [
        {"id": c.entry_id, "url": f"/staff/knowledge/entry/{c.entry_id}"}
        for c in loop.conflicts(latest)
        if c.edited is None or may_edit(staff, c.edited)
    ]
    return {
        "rows": rows,
        "total": total,
        "limited": total > len(rows),
        "remaining": remaining,
        "answers": answers,
        "conflicts": conflicts,
    }


async def ask(
    loop: KnowledgeLoop, question: str, latest: Mapping[str, VersionRecord]
) -> list[dict[str, Any]]:
    """A clerk's question answered like a citizen's (same matcher), with the staff notes."""
    knowledge = loop.knowledge
    ranked = await asyncio.to_thread(knowledge.rank, question, ASK_RESULTS)
    found = []
    for candidate in ranked:
        entry = knowledge.entry(candidate.entry_id)
        if entry is None:
            continue
        version = latest.get(entry.id)
        found.append(
            {
                "id": entry.id,
                "title": entry.title.ja,
                "answer": entry.answer.ja,
                "note": version.note if version is not None else "",
                "score": f"{candidate.score:.2f}",
                "url": f"/staff/knowledge/entry/{entry.id}",
            }
        )
    return found


def history(
    versions: list[VersionRecord], people: Mapping[int, str]
) -> list[dict[str, Any]]:
    return [
        {
            "id": v.id,
            "action": v.action,
            "who": people.get(v.author_id, "—") if v.author_id is not None else "—",
            "time": local_time(v.created_at),
            "diff": v.diff,
            "current": number == 0,
        }
        for number, v in enumerate(versions)
    ]


def review_items(
    entry: Entry, checks: Mapping[str, ReviewCheckRecord], people: Mapping[int, str]
) -> list[dict[str, Any]]:
    items = []
    for number, item in enumerate(entry.review):
        check = checks.get(item)
        items.append(
            {
                "number": number,
                "item": item,
                "fact": check.fact if check else "",
                "confirmed": bool(check and check.confirmed),
                "who": people.get(check.staff_id, "") if check and check.staff_id else "",
                "time": local_time(check.updated_at) if check else "",
            }
        )
    return items


def owner_of(data: Mapping[str, Any]) -> str:
    """:func:`owner` of an entry not validated yet."""
    if data.get("kind") == "department":
        return str(data.get("id") or "")
    return str(data.get("department") or "")
