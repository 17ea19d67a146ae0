"""FAQ drafts proposed by staff, listed and exported as knowledge YAML for review.

    citybot kb drafts                                  # list drafts waiting for review
    citybot kb drafts --export drafts.yaml --mark-exported

The export is a file of ``entries:`` in the knowledge base's own format (``kind: faq``, ids
``faq.<category>.draft_<n>``, review markers for checking and translating), so a maintainer can
edit it and move the entries into ``knowledge/data``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot.storage.base import Store
from bot.storage.records import DraftRecord
from knowledge.loader import KnowledgeBase

FALLBACK_CATEGORY = "general"
FALLBACK_DEPARTMENT = "dept.general_info"
TO_TRANSLATE = "【英訳してください Translate】"
REVIEW = ["内容の確認", "英訳"]


def _department(kb: KnowledgeBase, category: str, escalation_department: str | None) -> str:
    if escalation_department and escalation_department in kb.entries:
        return escalation_department
    routed = kb.department_for(category)
    return routed.id if routed is not None else FALLBACK_DEPARTMENT


def draft_entry(
    draft: DraftRecord, kb: KnowledgeBase, escalation_department: str | None
) -> dict[str, Any]:
    """One draft as a knowledge entry (a dict ready for YAML)."""
    category = draft.category if draft.category in kb.categories else FALLBACK_CATEGORY
    questions = [q.strip() for q in draft.question.splitlines() if q.strip()]
    title = questions[0] if questions else draft.question.strip()
    source = (
        f"職員の回答（エスカレーション #{draft.escalation_id}）"
        if draft.escalation_id is not None
        else "職員の回答"
    )
    return {
        "id": f"faq.{category}.draft_{draft.id}",
        "kind": "faq",
        "category": category,
        "title": {"ja": title, "en": f"{TO_TRANSLATE} {title}"},
        "questions": questions,
        "answer": {
            "ja": draft.answer_ja,
            "en": draft.answer_en or f"{TO_TRANSLATE} {draft.answer_ja}",
        },
        "department": _department(kb, category, escalation_department),
        "source": source,
        "review": list(REVIEW),
    }


async def pending(store: Store) -> list[tuple[DraftRecord, str | None]]:
    """Drafts waiting for review, each with its escalation's department (if any)."""
    async with store.unit() as unit:
        drafts = await unit.drafts.list(status="draft")
        result: list[tuple[DraftRecord, str | None]] = []
        for draft in drafts:
            escalation = (
                await unit.escalations.get(draft.escalation_id)
                if draft.escalation_id is not None
                else None
            )
            result.append((draft, escalation.department if escalation else None))
    return result


def to_yaml(entries: list[dict[str, Any]]) -> str:
    header = "# FAQ drafts proposed by staff: check, translate, then move into knowledge/data.\n"
    body = yaml.safe_dump({"entries": entries}, allow_unicode=True, sort_keys=False, width=1000)
    return header + body


async def run(
    store: Store, kb: KnowledgeBase, export: Path | None, mark_exported: bool, out: TextIO
) -> int:
    """List drafts; with ``export`` write them as YAML; with ``mark_exported`` mark them."""
    drafts = await pending(store)
    if not drafts:
        out.write("no drafts waiting for review\n")
        return 0
    for draft, _department_id in drafts:
        first = draft.question.splitlines()[0] if draft.question else ""
        where = f"#{draft.escalation_id}" if draft.escalation_id is not None else "-"
        out.write(f"draft {draft.id}\t{draft.category or '-'}\tescalation {where}\t{first}\n")
    if export is not None:
        entries = [draft_entry(d, kb, dept) for d, dept in drafts]
        await asyncio.to_thread(export.write_text, to_yaml(entries), encoding="utf-8")
        out.write(f"wrote {len(entries)} entries to {export}\n")
    if mark_exported:
        async with store.unit() as unit:
            for draft, _ in drafts:
                await unit.drafts.set_status(draft.id, "exported")
        out.write(f"marked {len(drafts)} drafts exported\n")
    return 0
