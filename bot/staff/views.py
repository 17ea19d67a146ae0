"""What the console shows, read from the repositories and shaped as plain dicts.

The same dicts feed the Jinja templates (first paint) and the JSON API (live updates), so the
page looks the same either way. Every text stays text: templates autoescape and the script
renders with ``textContent``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from bot.choices import ENTRY, FEEDBACK_NO, FEEDBACK_YES, decode
from bot.handoff.escalation import REASON_LABELS
from bot.knowledge_service import Knowledge
from bot.staff.auth import StaffUser
from bot.storage.base import Unit
from bot.storage.records import Channel, EscalationRecord, MessageRecord, OutboxRecord, StaffRecord

TOKYO = ZoneInfo("Asia/Tokyo")
ACTIVE = ("open", "assigned", "waiting")
TABS: dict[str, tuple[str, str]] = {  # tab -> (Japanese, English)
    "open": ("対応待ち", "Open"),
    "mine": ("自分の担当", "Mine"),
    "waiting": ("市民の返事待ち", "Waiting"),
    "resolved": ("解決済み", "Resolved"),
}
STATUS_LABELS = {
    "open": "未対応 Open",
    "assigned": "対応中 Assigned",
    "waiting": "返事待ち Waiting",
    "resolved": "解決済み Resolved",
}
CHANNEL_LABELS = {"line": "LINE", "telegram": "Telegram", "web": "Web", "terminal": "端末"}
AGES = {"": "すべて All", "1h": "1時間以上前 Older than 1 h", "today": "今日 Today"}
AUTHOR_LABELS = {"citizen": "市民 Citizen", "bot": "ボット Bot", "staff": "職員 Staff"}


def local_time(at: dt.datetime) -> str:
    """``2026-05-01 10:23`` in Asia/Tokyo."""
    return at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M")


def age_text(at: dt.datetime, now: dt.datetime) -> str:
    minutes = max(0, int((now - at).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}分"
    if minutes < 24 * 60:
        return f"{minutes // 60}時間"
    return f"{minutes // (24 * 60)}日"


@dataclass(frozen=True)
class QueueQuery:
    """The queue's tab and filters, as given in the URL."""

    tab: str = "open"
    department: str = ""
    channel: str = ""
    age: str = ""

    @classmethod
    def parse(cls, params: Any) -> QueueQuery:
        tab = str(params.get("tab") or "open")
        age = str(params.get("age") or "")
        channel = str(params.get("channel") or "")
        return cls(
            tab=tab if tab in TABS else "open",
            department=str(params.get("department") or "")[:64],
            channel=channel if channel in CHANNEL_LABELS else "",
            age=age if age in AGES else "",
        )


def department_names(knowledge: Knowledge) -> dict[str, str]:
    return {entry.id: entry.title.ja for entry in knowledge.kb if entry.kind == "department"}


def _departments(staff: StaffUser, query: QueueQuery) -> list[str] | None:
    allowed = staff.visible_departments
    if query.department:
        if allowed is not None and query.department not in allowed:
            return []
        return [query.department]
    return allowed


def _statuses(tab: str) -> list[str]:
    return {"open": ["open", "assigned"], "mine": list(ACTIVE), "waiting": ["waiting"]}.get(
        tab, ["resolved"]
    )


async def queue(
    unit: Unit, knowledge: Knowledge, staff: StaffUser, query: QueueQuery, now: dt.datetime
) -> dict[str, Any]:
    """Rows of one tab (urgent first, then newest activity) and the count of every tab."""
    departments = _departments(staff, query)
    older = newer = None
    if query.age == "1h":
        older = now - dt.timedelta(hours=1)
    elif query.age == "today":
        local = now.astimezone(TOKYO)
        newer = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)
    records = await unit.escalations.list(
        statuses=_statuses(query.tab),
        departments=departments,
        channel=cast(Channel, query.channel) if query.channel else None,
        assignee_id=staff.id if query.tab == "mine" else None,
        older_than=older,
        newer_than=newer,
        limit=200,
    )
    if query.tab != "resolved":
        records = sorted(records, key=lambda r: -r.priority)  # stable: newest first within
    counts = await unit.escalations.counts(departments=staff.visible_departments)
    mine = await unit.escalations.list(
        statuses=list(ACTIVE),
        departments=staff.visible_departments,
        assignee_id=staff.id,
        limit=1000,
    )
    names = department_names(knowledge)
    people = {s.id: s.display_name for s in await unit.staff.list()}
    return {
        "rows": [_row(r, names, people, now) for r in records],
        "counts": {
            "open": counts.get("open", 0) + counts.get("assigned", 0),
            "mine": len(mine),
            "waiting": counts.get("waiting", 0),
            "resolved": counts.get("resolved", 0),
        },
    }


def _row(
    record: EscalationRecord, names: dict[str, str], people: dict[int, str], now: dt.datetime
) -> dict[str, Any]:
    return {
        "id": record.id,
        "url": f"/staff/escalations/{record.id}",
        "summary": record.summary,
        "channel": record.channel,
        "channel_label": CHANNEL_LABELS.get(record.channel, record.channel),
        "department": record.department,
        "department_name": names.get(record.department, record.department),
        "age": age_text(record.created_at, now),
        "last_activity": local_time(record.last_activity_at),
        "unread": record.unread,
        "priority": record.priority,
        "status": str(record.status),
        "status_label": STATUS_LABELS.get(str(record.status), str(record.status)),
        "reason": REASON_LABELS.get(record.reason, record.reason),
        "assignee": people.get(record.assignee_id) if record.assignee_id else None,
    }


def _delivery(outbox: OutboxRecord | None) -> dict[str, str] | None:
    if outbox is None:
        return None
    status = str(outbox.status)
    if status == "sent":
        return {"state": "sent", "label": "送信済み Sent", "error": ""}
    if status == "failed":
        return {"state": "failed", "label": "送信失敗 Failed", "error": outbox.last_error or ""}
    if outbox.attempts:
        return {"state": "retrying", "label": "再送中 Retrying", "error": outbox.last_error or ""}
    return {"state": "pending", "label": "送信中 Sending", "error": ""}


def transcript(
    messages: Sequence[MessageRecord], deliveries: dict[int, OutboxRecord]
) -> list[dict[str, Any]]:
    """Every message of the conversation; button presses shown by their labels."""
    labels: dict[str, str] = {}
    shown: list[dict[str, Any]] = []
    for message in messages:
        if message.direction == "in" and message.kind == "event":
            continue
        text = message.text
        entries: list[str] = []
        choices: list[str] = []
        if message.direction == "in" and message.kind == "choice":
            text = f"［選択］{labels.get(message.text, message.text)}"
        for label, value in (message.payload or {}).get("choices") or []:
            labels[str(value)] = str(label)
            choices.append(str(label))
            decoded = decode(str(value))
            if decoded and decoded.action in (ENTRY, FEEDBACK_YES, FEEDBACK_NO):
                entries.append(decoded.argument)
        author = str(message.author)
        shown.append(
            {
                "id": message.id,
                "author": author,
                "author_label": AUTHOR_LABELS.get(author, "システム System"),
                "text": text,
                "time": local_time(message.created_at),
                "choices": choices,
                "entries": sorted(set(entries)),
                "delivery": _delivery(deliveries.get(message.id)),
            }
        )
    return shown


async def conversation(
    unit: Unit, knowledge: Knowledge, record: EscalationRecord
) -> dict[str, Any]:
    """The transcript, notes and facts of one escalation, for the page and its live updates."""
    messages = await unit.messages.recent(record.conversation_id, limit=1000)
    staff_ids = [m.id for m in messages if m.author == "staff"]
    deliveries = await unit.outbox.for_messages(staff_ids) if staff_ids else {}
    notes = await unit.notes.for_escalation(record.id)
    people = {s.id: s.display_name for s in await unit.staff.list()}
    user = await unit.users.get(record.user_id)
    convo = await unit.conversations.get(record.conversation_id)
    language = str(
        (convo.state if convo else {}).get("language") or (user and user.language) or "ja"
    )
    names = department_names(knowledge)
    return {
        "id": record.id,
        "status": str(record.status),
        "status_label": STATUS_LABELS.get(str(record.status), str(record.status)),
        "department": record.department,
        "department_name": names.get(record.department, record.department),
        "category": record.category,
        "channel": record.channel,
        "channel_label": CHANNEL_LABELS.get(record.channel, record.channel),
        "language": "en" if language == "en" else "ja",
        "priority": record.priority,
        "reason": REASON_LABELS.get(record.reason, record.reason),
        "summary": record.summary,
        "assignee": people.get(record.assignee_id) if record.assignee_id else None,
        "created": local_time(record.created_at),
        "conversation_status": str(convo.status) if convo else "",
        "messages": transcript(messages, deliveries),
        "notes": [
            {
                "kind": n.kind,
                "author": people.get(n.author_id, "") if n.author_id else "システム System",
                "text": n.text,
                "time": local_time(n.created_at),
            }
            for n in notes
        ],
    }


def colleagues(people: Sequence[StaffRecord], department: str) -> list[dict[str, Any]]:
    """Active staff who may take an escalation of ``department``."""
    return [
        {"id": p.id, "name": p.display_name, "username": p.username}
        for p in people
        if p.active and (p.role == "admin" or department in p.departments)
    ]


def canned(
    knowledge: Knowledge, record: EscalationRecord, query: str, language: str
) -> list[dict[str, str]]:
    """Knowledge entries of the escalation's department or category matching ``query``."""
    needle = query.strip().lower()
    found: list[dict[str, str]] = []
    for entry in knowledge.kb:
        if entry.kind == "department":
            continue
        if entry.department != record.department and entry.category != record.category:
            continue
        haystack = " ".join(
            [entry.title.ja, entry.title.en, *entry.questions, *entry.keywords]
        ).lower()
        if needle and needle not in haystack:
            continue
        found.append(
            {
                "id": entry.id,
                "title": entry.title.get(language),
                "answer": entry.answer.get(language),
            }
        )
        if len(found) >= 20:
            break
    return found
