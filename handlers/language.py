"""Switching the reply language on request ("English", "日本語", /lang en)."""

from __future__ import annotations

from bot.messages import Reply
from handlers.base import Response, Turn, info


class LanguageHandler:
    name = "language"

    async def accepts(self, turn: Turn) -> str | None:
        if turn.command and turn.command.startswith("lang"):
            wanted = turn.command.partition(":")[2]
            if wanted in ("ja", "en"):
                return wanted
            return "ja" if turn.language == "en" else "en"  # /lang alone toggles
        system = turn.knowledge.system
        if system.matches("english", turn.normalized):
            return "en"
        if system.matches("japanese", turn.normalized):
            return "ja"
        return None

    async def handle(self, turn: Turn, found: str) -> Response:
        turn.language = found
        turn.state["language"] = found
        return info(Reply(turn.say(f"language_{found}")), language=found)
