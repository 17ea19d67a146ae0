"""Values, errors and text helpers of :mod:`bot.handoff.escalation` (no I/O here).

Handlers import :class:`EscalationRequest` from here (through :mod:`bot.handoff.escalation`), so
asking
for a hand-off stays a plain value that the engine carries out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.errors import CityBotError
from bot.storage.records import EscalationReason, EscalationRecord, MessageRecord
from intents.normalize import normalize
from knowledge.system import SystemTexts

GENERAL_DEPARTMENT = "dept.general_info"
TRANSCRIPT_SIZE = 20  # messages kept in the snapshot taken when a conversation is escalated
SUMMARY_CHARS = 80  # of citizen text in the one-line summary
SUMMARY_MESSAGES = 3  # recent substantive citizen messages the summary draws on
MAX_REPLY = 4000  # characters in one staff reply (Telegram allows 4096, LINE 5000)
MAX_NOTE = 4000
REASON_LABELS: dict[str, str] = {
    "requested": "職員希望",
    "failed_twice": "回答できず",
    "needs_staff": "要職員対応",
    "complaint": "苦情",
    "emergency": "緊急",
    "procedure": "手続き",
}
# Messages that only steer the bot say nothing about the citizen's question.
_STEERING_RULES = ("handoff", "bot_back", "greeting", "thanks", "help", "english", "japanese")


class EscalationError(CityBotError):
    """A staff action on an escalation could not be done (bad input or state)."""


class EscalationNotFound(EscalationError):
    """No escalation has this id."""


class EscalationConflict(EscalationError):
    """The action does not fit the escalation's current status."""


@dataclass(frozen=True)
class EscalationRequest:
    """What a handler asks the engine to escalate (handlers themselves do no I/O)."""

    reason: EscalationReason
    category: str | None = None
    entry_id: str | None = None
    priority: int = 0


@dataclass(frozen=True)
class StaffReply:
    """A staff reply: stored, and sent now (``delivered``) or queued in the outbox for retries."""

    escalation: EscalationRecord
    message: MessageRecord
    delivered: bool


def summarize(system: SystemTexts, reason: str, recent: Sequence[MessageRecord]) -> str:
    """``[職員希望] 家の前の道路の除雪は… / まだ来ません``: the queue's one line.

    Built from the citizen's last few substantive messages (not "talk to staff", greetings …).
    """
    label = f"[{REASON_LABELS.get(reason, reason)}]"
    texts = [
        " ".join(m.text.split())
        for m in recent
        if m.author == "citizen" and m.kind == "text" and _substantive(system, m.text)
    ][-SUMMARY_MESSAGES:]
    said = " / ".join(texts)
    if len(said) > SUMMARY_CHARS:
        said = said[: SUMMARY_CHARS - 1] + "…"
    return f"{label} {said}".strip()


def _substantive(system: SystemTexts, text: str) -> bool:
    stripped = text.strip()
    if len(stripped) < 2 or stripped.startswith("/"):
        return False
    normalized = normalize(stripped)
    return not any(system.matches(rule, normalized) for rule in _STEERING_RULES)


def snapshot(message: MessageRecord) -> dict[str, Any]:
    """One transcript line as stored in the escalation (JSON-safe)."""
    return {
        "id": message.id,
        "at": message.created_at.isoformat(),
        "direction": message.direction,
        "author": message.author,
        "kind": message.kind,
        "text": message.text,
    }


def checked(text: str, limit: int, what: str) -> str:
    """The text stripped; raises :class:`EscalationError` when empty or too long."""
    text = text.strip()
    if not text:
        msg = f"the {what} is empty"
        raise EscalationError(msg)
    if len(text) > limit:
        msg = f"the {what} is too long ({len(text)} characters, at most {limit})"
        raise EscalationError(msg)
    return text
