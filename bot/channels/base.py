"""What a messaging channel is: it parses platform events into Incoming and sends replies out.

A channel holds no conversation logic; the engine decides, the channel only translates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.messages import Incoming, Reply


@dataclass(frozen=True)
class Recipient:
    """Where replies go: the platform's user/chat id, plus what the send may use (reply token)."""

    user_id: str
    context: Mapping[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    """A platform adapter (LINE, Telegram, web)."""

    name: str

    async def start(self) -> None:
        """Open clients (inside the running event loop)."""

    async def stop(self) -> None:
        """Close clients."""

    def parse_event(self, payload: Mapping[str, Any]) -> list[tuple[Incoming, Recipient]]:
        """Translate one stored platform event into messages for the engine."""

    async def send(self, recipient: Recipient, replies: Sequence[Reply]) -> None:
        """Deliver replies; raise :class:`bot.errors.ChannelError` when the platform fails."""
