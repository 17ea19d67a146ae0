"""Greeting, help, menu and thanks: the bot introducing itself."""

from __future__ import annotations

from bot.choices import encode_command, encode_say
from bot.messages import Choice, Kind, Reply
from handlers.base import Response, Turn, info


def menu_reply(turn: Turn) -> Reply:
    items = turn.knowledge.system.menu
    choices = tuple(
        Choice(item.label.get(turn.language), encode_say(i)) for i, item in enumerate(items)
    )
    return Reply(turn.say("menu"), choices)


class GreetingHandler:
    """First contact (follow, /start) and hellos: what the bot can do, with the menu."""

    name = "greeting"

    async def accepts(self, turn: Turn) -> bool | None:
        if turn.incoming.kind is Kind.FOLLOW or turn.command == "start":
            return True
        return True if turn.knowledge.system.matches("greeting", turn.normalized) else None

    async def handle(self, turn: Turn, found: bool) -> Response:
        return info(Reply(turn.say("greeting")), menu_reply(turn))


class HelpHandler:
    name = "help"

    async def accepts(self, turn: Turn) -> str | None:
        if turn.command in ("help", "menu"):
            return turn.command
        return "help" if turn.knowledge.system.matches("help", turn.normalized) else None

    async def handle(self, turn: Turn, found: str) -> Response:
        if found == "menu":
            return info(menu_reply(turn))
        staff = turn.option("choice_staff", encode_command("staff"))
        return info(Reply(turn.say("help"), (staff,)), menu_reply(turn))


class ThanksHandler:
    name = "thanks"

    async def accepts(self, turn: Turn) -> bool | None:
        return True if turn.knowledge.system.matches("thanks", turn.normalized) else None

    async def handle(self, turn: Turn, found: bool) -> Response:
        return info(Reply(turn.say("thanks")))
