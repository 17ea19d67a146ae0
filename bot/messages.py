"""Values that cross the engine's boundary: what comes in, what goes out. No I/O here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What a citizen sent."""

    TEXT = "text"
    CHOICE = (
        "choice"  # a button, quick reply or numbered option: ``Incoming.text`` holds its value
    )
    LOCATION = "location"
    IMAGE = "image"
    FOLLOW = "follow"  # the citizen added the bot (LINE follow, Telegram /start)
    UNFOLLOW = "unfollow"
    OTHER = "other"  # stickers, files … anything we cannot read


class OutcomeKind(StrEnum):
    ANSWER = "answer"
    CHOICES = "choices"
    FALLBACK = "fallback"
    HANDOFF = "handoff"
    EMERGENCY = "emergency"
    INFO = "info"  # greeting, help, feedback thanks, language switch …
    QUIET = "quiet"  # staff has the conversation: the bot says nothing


@dataclass(frozen=True)
class Choice:
    """An option offered to the citizen. ``value`` comes back as a CHOICE message."""

    label: str
    value: str


@dataclass(frozen=True)
class Reply:
    """One message to the citizen, optionally with choices."""

    text: str
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Incoming:
    """One message from a citizen, as every channel translates it."""

    channel: str
    user_id: str
    text: str = ""
    kind: Kind = Kind.TEXT
    payload: Mapping[str, Any] | None = None
    language: str | None = None  # a hint from the platform, if any
    display_name: str | None = None
    platform_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What the engine decided and the replies to send."""

    kind: OutcomeKind
    replies: tuple[Reply, ...]
    language: str = "ja"
    entry_id: str | None = None
    confidence: float = 0.0
    candidates: tuple[tuple[str, float], ...] = ()
    conversation_id: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def handoff(self) -> bool:
        """Staff were asked to take over (or, for an emergency, alerted)."""
        return self.kind in (OutcomeKind.HANDOFF, OutcomeKind.EMERGENCY) or bool(
            self.extra.get("handed_off")
        )

    @property
    def text(self) -> str:
        return "\n\n".join(r.text for r in self.replies)

    @property
    def choices(self) -> tuple[Choice, ...]:
        return tuple(c for r in self.replies for c in r.choices)
