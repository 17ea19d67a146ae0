"""What became of each citizen question, and the grouped list of those the bot did not answer.

The engine calls :meth:`InquiryLog.record` once per turn, inside the unit of work that stores
the bot's replies. A question that matched (answer, choices or nothing) gets a row; what the
citizen does next changes the newest row: the choice they picked, "did this help? いいえ", or a
hand-off to staff.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from bot.choices import ENTRY, FEEDBACK_NO
from bot.clock import Clock
from bot.knowledge_loop.masking import mask
from bot.knowledge_service import Knowledge
from bot.messages import OutcomeKind
from bot.storage.base import Unit
from bot.storage.base_knowledge import InquiryRecord
from intents.normalize import normalize

if TYPE_CHECKING:
    from handlers.base import Response, Turn

FALLBACK_DEPARTMENT = "dept.general_info"
SIMILAR = 85  # rapidfuzz ratio of normalized texts at or above which questions group
RECORDED = (OutcomeKind.ANSWER, OutcomeKind.CHOICES, OutcomeKind.FALLBACK)
OFFERED = ("choices", "fallback")  # outcomes whose replies offer entries to pick
STATUSES = {  # what staff did with a group -> label
    "paraphrased": "言い換えとして追加 Added as a paraphrase",
    "new_entry": "新しい項目を作成 New entry",
    "out_of_scope": "対象外 Out of scope",
    "dismissed": "却下 Dismissed",
}


class InquiryLog:
    """Records question outcomes for the unanswered-questions list."""

    def __init__(self, knowledge: Knowledge, clock: Clock) -> None:
        self.knowledge = knowledge
        self.clock = clock

    def department(self, entry_id: str | None) -> str:
        entry = self.knowledge.entry(entry_id) if entry_id else None
        if entry is None:
            return FALLBACK_DEPARTMENT
        return entry.id if entry.kind == "department" else entry.department

    async def record(
        self, unit: Unit, conversation_id: int, turn: Turn, response: Response
    ) -> None:
        handed_off = response.escalate is not None or response.kind is OutcomeKind.HANDOFF
        inquiries = unit.inquiries
        choice = turn.choice
        if choice is not None and choice.action == ENTRY:
            await inquiries.mark_latest(
                conversation_id, outcomes=OFFERED, chosen_entry_id=choice.argument
            )
        elif choice is not None and choice.action == FEEDBACK_NO:
            await inquiries.mark_latest(
                conversation_id, entry_id=choice.argument, not_helpful=True
            )
        asked = turn.text.strip() and choice is None and turn.command is None
        if asked and response.kind in RECORDED:
            top = response.entry_id or (response.candidates[0][0] if response.candidates else None)
            await inquiries.add(
                conversation_id,
                turn.text.strip(),
                turn.normalized,
                response.kind.value,
                top,
                self.department(top),
                self.clock(),
                handed_off=handed_off,
            )
        elif handed_off:
            await inquiries.mark_latest(conversation_id, handed_off=True)


@dataclass
class Group:
    """Similar unanswered questions of one department."""

    key: str  # normalized text of the newest question
    department: str
    text: str  # the newest question, personal data masked
    newest: dt.datetime
    ids: list[int] = field(default_factory=list)
    texts: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    entries: Counter[str] = field(default_factory=Counter)  # picked, answered or best guess

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def suggested_entry(self) -> str | None:
        return self.entries.most_common(1)[0][0] if self.entries else None


def _reasons(record: InquiryRecord) -> list[str]:
    found = []
    if record.outcome == "fallback":
        found.append("fallback")
    if record.outcome == "choices":
        found.append("choices")
    if record.not_helpful:
        found.append("not_helpful")
    if record.handed_off:
        found.append("handoff")
    return found


def group(records: Sequence[InquiryRecord], threshold: int = SIMILAR) -> list[Group]:
    """Group similar questions per department, newest first (``records`` newest first)."""
    groups: list[Group] = []
    keys: dict[str, list[str]] = {}
    members: dict[str, list[Group]] = {}
    for record in records:
        key = record.normalized or normalize(record.text)
        department_keys = keys.setdefault(record.department, [])
        found = process.extractOne(key, department_keys, scorer=fuzz.ratio, score_cutoff=threshold)
        if found is not None:
            target = members[record.department][found[2]]
        else:
            target = Group(key, record.department, mask(record.text), record.created_at)
            department_keys.append(key)
            members.setdefault(record.department, []).append(target)
            groups.append(target)
        target.ids.append(record.id)
        target.texts[mask(record.text)] += 1
        target.reasons.update(_reasons(record))
        picked = record.chosen_entry_id or record.entry_id
        if picked:
            target.entries[picked] += 1
    return groups
