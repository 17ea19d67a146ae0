"""Messages that are not a readable question: empty, symbols only, photos, stickers, cancel."""

from __future__ import annotations

import re

from bot.messages import Kind, Reply
from bot.procedures.attachments import DEFAULT_MAX_BYTES, format_size
from handlers.base import Response, Turn, info

_WORDISH = re.compile(r"[0-9a-z\u3041-\u30ff\u3400-\u9fff\uf900-\ufaff]")


class UnfollowHandler:
    """The citizen blocked or removed the bot: nothing to say (the engine marks them inactive)."""

    name = "unfollow"

    async def accepts(self, turn: Turn) -> bool | None:
        return True if turn.incoming.kind is Kind.UNFOLLOW else None

    async def handle(self, turn: Turn, found: bool) -> Response:
        return info(inactive=True)


class AttachmentHandler:
    name = "attachment"

    async def accepts(self, turn: Turn) -> str | None:
        kind = turn.incoming.kind
        rejected = (turn.incoming.payload or {}).get("rejected")
        if kind is Kind.IMAGE and isinstance(rejected, str):
            return rejected  # the photo was refused or could not be fetched: say why
        if kind in (Kind.IMAGE, Kind.LOCATION):
            return "attachment"
        if kind is Kind.OTHER:
            return "unsupported"
        return None

    async def handle(self, turn: Turn, found: str) -> Response:
        if found == "field_photo_size":
            limit = (turn.incoming.payload or {}).get("max_bytes") or DEFAULT_MAX_BYTES
            return info(Reply(turn.say(found, max=format_size(int(limit)))))
        return info(Reply(turn.say(found)))


class EmptyHandler:
    """Empty, whitespace-only, emoji-only or control-character messages."""

    name = "empty"

    async def accepts(self, turn: Turn) -> str | None:
        if turn.incoming.kind is not Kind.TEXT or turn.choice or turn.command:
            return None
        if not turn.text.strip():
            return "empty"
        return None if _WORDISH.search(turn.normalized) else "unreadable"

    async def handle(self, turn: Turn, found: str) -> Response:
        return info(Reply(turn.say(found)))


class CancelHandler:
    name = "cancel"

    async def accepts(self, turn: Turn) -> bool | None:
        if turn.command == "cancel":
            return True
        return True if turn.knowledge.system.matches("cancel", turn.normalized) else None

    async def handle(self, turn: Turn, found: bool) -> Response:
        turn.state.pop("last_choices", None)
        return info(Reply(turn.say("cancelled")))
