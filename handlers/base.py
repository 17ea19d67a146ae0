"""What a handler sees (:class:`Turn`), what it returns (:class:`Response`), and its protocol.

Handlers follow two phases: ``accepts(turn)`` returns what it found (or ``None``), then
``handle(turn, found)`` uses it, so nothing is computed twice. The first handler that accepts
wins; returning :data:`NOT_HANDLED` from ``handle`` lets the next one try.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol

from bot.choices import ChoiceValue
from bot.knowledge_service import Knowledge
from bot.messages import Choice, Incoming, OutcomeKind, Reply
from intents.decide import Decision

if TYPE_CHECKING:
    from bot.handoff.values import EscalationRequest
    from knowledge.flows import FlowCatalog


@dataclass
class Turn:
    """One citizen message being answered."""

    incoming: Incoming
    text: str  # cleaned: control characters removed, length capped
    normalized: str  # for rules: see intents.normalize.normalize
    language: str  # "ja" or "en": the language of this reply
    state: dict[str, Any]  # the conversation's state; handlers may change it
    status: str  # the conversation's hand-off status before this turn
    knowledge: Knowledge
    truncated: bool = False
    command: str | None = None  # "start", "help", "menu", "staff", "cancel", "lang:en" …
    choice: ChoiceValue | None = None  # an entry or feedback button the citizen pressed
    decision: Decision | None = None  # what the matcher made of this turn (for the fallback)
    flows: FlowCatalog | None = None  # guided flows and life events, when the engine has them
    user_id: int | None = None  # the stored citizen (one per channel user)
    conversation_id: int | None = None

    def say(self, key: str, **values: str) -> str:
        return self.knowledge.system.text(key, self.language, **values)

    def option(self, key: str, value: str) -> Choice:
        return Choice(self.say(key), value)


@dataclass(frozen=True)
class Response:
    """A handler's result; the engine stores it and turns it into an Outcome."""

    kind: OutcomeKind
    replies: tuple[Reply, ...]
    entry_id: str | None = None
    confidence: float = 0.0
    candidates: tuple[tuple[str, float], ...] = ()
    status: str | None = None  # new hand-off status, if it changes
    feedback: tuple[str, bool] | None = None  # (entry id, helpful) to record
    escalate: EscalationRequest | None = None  # the engine queues the chat for staff
    extra: dict[str, Any] = field(default_factory=dict)


class _NotHandled:
    def __repr__(self) -> str:
        return "NOT_HANDLED"


NOT_HANDLED: Final = _NotHandled()


class Handler(Protocol):
    name: str

    async def accepts(self, turn: Turn) -> Any | None: ...

    async def handle(self, turn: Turn, found: Any) -> Response | _NotHandled: ...


def info(*replies: Reply, **extra: Any) -> Response:
    """A plain informational response (greeting, help, thanks …)."""
    return Response(OutcomeKind.INFO, tuple(replies), extra=dict(extra))
