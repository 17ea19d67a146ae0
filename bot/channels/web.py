"""Web chat channel (to be completed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.routing import BaseRoute

from bot.channels.base import Recipient
from bot.messages import Incoming, Reply

ROUTES: list[BaseRoute] = []


class WebChannel:
    name = "web"

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def parse_event(self, payload: Mapping[str, Any]) -> list[tuple[Incoming, Recipient]]:
        return []

    async def send(self, recipient: Recipient, replies: Sequence[Reply]) -> None:
        return None
